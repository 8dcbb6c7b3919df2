// Exports of branch issue-12 (sparse autoencoders), for the lead to merge into src/index.ts.
export {
  densify,
  type SparseRows,
  selectTopK,
  sparseMatmul,
  type TopKSelection,
  topk,
  topkLinear,
} from './autodiff/topk.ts';
export { DeadLatentTracker, FIRING_THRESHOLD } from './sae/dead-latents.ts';
export {
  type DictionaryContext,
  type DictionaryInitializer,
  defineDictionaryInitializer,
  parseDictionaryParams,
} from './sae/dictionary.ts';
export {
  type DensityHistogram,
  densityHistogram,
  evaluateSae,
  meanMaxCosine,
  type SaeEvaluation,
} from './sae/metrics.ts';
export {
  normalizeRows,
  removeParallelComponent,
  type SaeForward,
  type SaeShape,
  SparseAutoencoder,
} from './sae/model.ts';
export { type DataComponentsOptions, nmfComponentsOfData } from './sae/nmf-of-data.ts';
export {
  dataMoments,
  defaultLearningRate,
  type SaeRecord,
  type SaeTrainOptions,
  type SaeTrainResult,
  trainSae,
} from './sae/train.ts';

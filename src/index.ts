// The public API of nmfinit. Plugins and experiments import only from here ('nmfinit').

export { z } from 'zod';
export * from './analysis/index.ts';
export { erfActivation } from './autodiff/erf-activation.ts';
export * as ops from './autodiff/ops.ts';
export { Parameter, Tape, Var } from './autodiff/tape.ts';
export {
  densify,
  type SparseRows,
  selectTopK,
  sparseMatmul,
  type TopKSelection,
  topk,
  topkLinear,
} from './autodiff/topk.ts';
export { transpose } from './autodiff/transpose.ts';
export {
  ACTIVATION_RULES,
  ACTIVATIONS,
  type ActivationRule,
  activationRule,
  applyActivation,
  sigmoid,
} from './backend/activations.ts';
export { erf, erfScaled, erfScaledDerivative } from './backend/erf.ts';
export * from './backend/index.ts';
export { kernelsOf, referenceKernels } from './backend/kernels.ts';
export { BufferPool } from './backend/pool.ts';
export { backends } from './backend/registry.ts';
export { SHALLOW_MAX_REPLICAS } from './backend/webgpu/wgsl-shallow.ts';
export { runIfMain } from './cli/run-if-main.ts';
export * from './data/index.ts';
export { datasets } from './data/registry.ts';
export * from './data/types.ts';
export { dirArtifacts, readJsonAs, readJsonFile } from './experiment/artifacts.ts';
export {
  type Checkpoint,
  type PackedArray,
  type PackedLayout,
  packArrays,
  RunCheckpoints,
  unpackArrays,
} from './experiment/checkpoints.ts';
export { defineExperiment, type StudySpecInput } from './experiment/define.ts';
export { type GridAxes, type GridPoint, type GridSeeds, gridPoints } from './experiment/grid.ts';
export { canonicalJson, runConfigHash } from './experiment/hash.ts';
export { studies } from './experiment/kinds.ts';
export {
  duplicateLabels,
  type GridAxis,
  MAX_BUFFER_FLOATS,
  MAX_SPEC_DEPTH,
  MAX_STUDY_RUNS,
  oversizedBuffers,
  type PlannedBuffer,
} from './experiment/limits.ts';
export { loadPluginModules } from './experiment/plugins.ts';
export {
  applyOverrides,
  ExperimentInterruptedError,
  type ExperimentOutcome,
  type RunOverrides,
  runExperiment,
} from './experiment/run.ts';
export { parseShard, shardRuns } from './experiment/shards.ts';
export { RunStore } from './experiment/store.ts';
export { type LoadedStudy, loadStudy, PartialReportError, writeReport } from './experiment/study.ts';
export { entrySplits } from './experiment/study-data.ts';
export * from './experiment/study-kind.ts';
export { type AnyKind, ExperimentSpecError, studyKindOf, validateSpec } from './experiment/validate.ts';
export { forwardLayers, initializerData, sampleTrainingRows } from './initializers/data.ts';
export { initializers } from './initializers/registry.ts';
export * from './initializers/types.ts';
export { type NmfData, nmfData } from './nmf/data-matrix.ts';
export { NMF, type NmfDataInput, type NmfEnvironment } from './nmf/estimator.ts';
export * from './nmf/index.ts';
export { componentSparsity, hoyerSparsity, NEAR_ZERO_FRACTION, nearZeroFraction } from './nmf/sparsity.ts';
export { type AutoencoderOptions, autoencoder } from './nn/autoencoder.ts';
export { type Allocator, Dense } from './nn/dense.ts';
export { type LayerActivation, Linear, type LinearOptions, TiedLinear } from './nn/linear.ts';
export { Sequential } from './nn/sequential.ts';
export { Adam, type AdamOptions } from './optim/adam.ts';
export type { Optimizer, OptimizerState } from './optim/optimizer.ts';
export {
  type DecayOptions,
  type LearningRateSchedule,
  learningRateSchedule,
  type ParameterMultipliers,
  type RateControl,
  type ScheduleOptions,
} from './optim/schedule.ts';
export { Sgd, type SgdOptions } from './optim/sgd.ts';
export { type ParseOptions, parseOrThrow, ValidationError } from './registry/parse.ts';
export { type PluginBase, Registry, RegistryError } from './registry/registry.ts';
export { formatZodIssues } from './registry/zod-errors.ts';
export * from './report/index.ts';
export {
  allTests,
  enoughPairs,
  MIN_PAIRED_SEEDS,
  mannWhitneyU,
  PRIMARY_TEST,
  PRIMARY_TEST_REASON,
  pairedT,
  pWithDf,
  runTest,
  STATISTICS_POLICY,
  TEST_LABELS,
  TEST_NAMES,
  type TestName,
  type TestResult,
  welchT,
  wilcoxonSignedRank,
} from './report/stats.ts';
export {
  CLAIM_EARLY_MAX_EPOCH,
  type ClaimOutcome,
  type ClaimStatus,
  type ClaimVerdict,
  type Comparison,
  claimSummaryBlocks,
  claimSummaryMarkdown,
  type EpochVerdict,
  formatP,
  type ResultSetVerdict,
  resultSetVerdict,
  SIGNIFICANCE_LEVELS,
  type Standing,
  type StudyClaim,
  VERDICT_EPOCHS,
  type VerdictInput,
  verdictBlocks,
} from './report/verdict.ts';
export { claimJson, claimToJson, verdictJson, verdictToJson } from './report/verdict-json.ts';
export { DeadLatentTracker, FIRING_THRESHOLD } from './sae/dead-latents.ts';
export {
  type DictionaryContext,
  type DictionaryInitializer,
  defineDictionaryInitializer,
} from './sae/dictionary.ts';
export {
  GEOMETRIC_MEDIAN_SAMPLES,
  geometricMedianPreBias,
  rescaleEncoder,
  untieEncoder,
} from './sae/init.ts';
export {
  type DensityHistogram,
  densityHistogram,
  evaluateSae,
  type MatchedRecovery,
  matchedCosines,
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
export { dictionaries } from './sae/registry.ts';
export {
  dataMoments,
  deadFractionFlat,
  defaultLearningRate,
  type SaeRecord,
  type SaeTrainOptions,
  type SaeTrainResult,
  trainSae,
} from './sae/train.ts';
export {
  SHALLOW_ACTIVATIONS,
  SHALLOW_BIASES,
  type ShallowActivation,
  ShallowAutoencoder,
  type ShallowBias,
  type ShallowGradients,
  type ShallowOptions,
  TIED_GRADIENTS,
  type TiedGradient,
} from './shallow/model.ts';
export { bestUnitOverlaps, crossingSteps, overlapMatrix, subspaceOverlaps } from './shallow/overlap.ts';
export {
  logSpacedSteps,
  OVERLAP_RECORD_LIMIT,
  type ShallowRecord,
  type ShallowTrainOptions,
  type ShallowTrainResult,
  trainShallow,
  trainShallowOnOneStream,
  trainShallowSideBySide,
} from './shallow/train.ts';
export {
  philoxSeed,
  SHALLOW_DEFAULT_CHUNK,
  type ShallowDeviceSource,
  type ShallowLaw,
  type ShallowStepper,
  shallowDeviceTrainer,
  type WebGpuShallowOptions,
  WebGpuShallowTrainer,
} from './shallow/webgpu-trainer.ts';
export { Rng, type RngState } from './tensor/rng.ts';
export {
  assertSameShape,
  firstNonFinite,
  formatShape,
  ShapeError,
  shapeSize,
  Tensor,
} from './tensor/tensor.ts';
export { EarlyStopping, type EarlyStoppingOptions, type EarlyStoppingState } from './train/early-stopping.ts';
export {
  type Callbacks,
  type EpochLogs,
  evaluate,
  type FitEpochState,
  type FitOptions,
  type FitResume,
  fit,
  type History,
  type TrainBeginInfo,
  TrainingDivergedError,
  validationSplitIndex,
} from './train/fit.ts';
export { LOSSES, type LossName, lossByName } from './train/losses.ts';
export { type ComputeOnceOptions, computeOnce } from './util/compute-once.ts';
export { defaultCacheDir, sha256Hex, writeFileAtomicSync } from './util/files.ts';
export { decodeFloat32, encodeFloat32 } from './util/float32-base64.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  type SafeTensor,
  type Safetensors,
  type SafetensorsDtype,
  SafetensorsError,
  saveSafetensors,
} from './util/safetensors.ts';

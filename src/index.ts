// The public API of nmfinit. Plugins and experiments import only from here ('nmfinit').

export { z } from 'zod';
export * from './analysis/index.ts';
export { ACTIVATIONS, applyActivation, referenceKernels, sigmoid } from './autodiff/kernels.ts';
export * as ops from './autodiff/ops.ts';
export { Parameter, Tape, Var } from './autodiff/tape.ts';
export * from './backend/index.ts';
export { BufferPool } from './backend/pool.ts';
export * from './data/index.ts';
export * from './data/types.ts';
export { runIfMain } from './experiment/main.ts';
export { type ResultsFile, resultsFileSchema } from './experiment/report.ts';
export {
  type ExperimentOutcome,
  ExperimentSpecError,
  type RunOverrides,
  runExperiment,
  validateSpec,
} from './experiment/run.ts';
export {
  defineExperiment,
  type ExperimentSpec,
  type ExperimentSpecInput,
  experimentSpecSchema,
} from './experiment/spec.ts';
export * from './initializers/types.ts';
export * from './nmf/index.ts';
export { type AutoencoderOptions, autoencoder } from './nn/autoencoder.ts';
export { type Allocator, Dense } from './nn/dense.ts';
export { Sequential } from './nn/sequential.ts';
export { Adam, type AdamOptions } from './optim/adam.ts';
export type { Optimizer } from './optim/optimizer.ts';
export { Sgd, type SgdOptions } from './optim/sgd.ts';
export * from './registry/kinds.ts';
export { type PluginBase, Registry, RegistryError } from './registry/registry.ts';
export { formatZodIssues } from './registry/zod-errors.ts';
export * from './report/index.ts';
export { Rng } from './tensor/rng.ts';
export {
  assertSameShape,
  firstNonFinite,
  formatShape,
  ShapeError,
  shapeSize,
  Tensor,
} from './tensor/tensor.ts';
export {
  type Callbacks,
  type EpochLogs,
  evaluate,
  type FitOptions,
  fit,
  type History,
  type TrainBeginInfo,
  TrainingDivergedError,
  validationSplitIndex,
} from './train/fit.ts';
export { LOSSES, type LossName, lossByName } from './train/losses.ts';
export { defaultCacheDir, sha256Hex, writeFileAtomicSync } from './util/files.ts';

// Exports for 'nmfinit' from issue 13 (shallow autoencoders against PCA); the lead merges these into src/index.ts.
export { erfActivation } from './autodiff/erf-activation.ts';
export { transpose } from './autodiff/transpose.ts';
export { erf, erfScaled, erfScaledDerivative } from './backend/erf.ts';
export { type LayerActivation, Linear, type LinearOptions, TiedLinear } from './nn/linear.ts';
export {
  SHALLOW_ACTIVATIONS,
  type ShallowActivation,
  ShallowAutoencoder,
  type ShallowGradients,
  type ShallowOptions,
} from './shallow/model.ts';
export { bestUnitOverlaps, crossingSteps, overlapMatrix, subspaceOverlaps } from './shallow/overlap.ts';
export {
  logSpacedSteps,
  type ShallowRecord,
  type ShallowTrainOptions,
  type ShallowTrainResult,
  trainShallow,
} from './shallow/train.ts';

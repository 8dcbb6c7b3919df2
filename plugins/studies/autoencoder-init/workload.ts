import { denseTrainingWorkload, trainingStepWorkload, type Workload } from 'nmfinit';
import type { AutoencoderSpec } from './spec.ts';

/**
 * What `auto` times for an autoencoder study: its model's training step. Where every run trains
 * the way fit()'s device trainer does (MSE, Adam, no per-layer rate multipliers; each recipe
 * taken over the base `training`), the model goes with the products, so backends that train on
 * their device (webgpu) are timed too; otherwise only the products, as those runs use the Tape.
 */
export function autoencoderWorkload(spec: AutoencoderSpec): Workload {
  const { sizes, hidden, output } = spec.model;
  const base = spec.training;
  const trainings = (spec.grid.recipes ?? [{ training: {} }]).map((r) => ({ ...base, ...r.training }));
  const onDevice = trainings.every(
    (t) => t.loss === 'mse' && t.optimizer.name === 'adam' && t.parameterGroups === undefined,
  );
  return onDevice
    ? denseTrainingWorkload(sizes, base.batchSize, hidden, output)
    : trainingStepWorkload(sizes, base.batchSize);
}

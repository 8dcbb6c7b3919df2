import type { SaeTrainer } from '../backend/types.ts';
import type { Adam } from '../optim/adam.ts';
import { FIRING_THRESHOLD } from './dead-latents.ts';
import type { SparseAutoencoder } from './model.ts';

// trainSae's step on the backend's device SAE trainer (Backend.saeTrainer, webgpu) instead of the
// Tape: the same loss, gradient and update with trainSae's default choices, the parameters, Adam's
// moments and the dead counters kept on the device; the host shuffles and sends each batch's
// row numbers, and takes the parameters back only for records and at the end.

/** The trainSae options (src/sae/train.ts SaeTrainOptions) the device run reads. */
export interface DeviceSaeOptions {
  readonly batchSize: number;
  readonly auxCoefficient: number;
  readonly deadSamples: number;
  readonly auxResidual?: 'detached' | 'attached';
  readonly auxPreBias?: 'once' | 'twice';
  readonly decoderNormalization?: 'after-step' | 'before-step';
}

/** Why trainSae's options need the Tape (a non-default choice only the host implements), or undefined. */
export function hostOnlyChoice(options: DeviceSaeOptions): string | undefined {
  if ((options.auxResidual ?? 'detached') !== 'detached') return `auxResidual '${options.auxResidual}'`;
  if ((options.auxPreBias ?? 'once') !== 'once') return `auxPreBias '${options.auxPreBias}'`;
  if ((options.decoderNormalization ?? 'after-step') !== 'after-step')
    return `decoderNormalization '${options.decoderNormalization}'`;
  return undefined;
}

/** A training run's view of the device trainer. */
export interface DeviceSaeRun {
  /** One step on the rows `indices`; returns the batch's loss. */
  step(indices: Uint32Array): number;
  /** Dead latents ÷ n after the latest step (0 before any). */
  deadFraction(): number;
  /** Copies the device's parameters into the model. */
  sync(): void;
  dispose(): void;
}

/**
 * The device run for this model and these options, or undefined where trainSae stays on the Tape:
 * the backend has no SAE trainer, the options make a host-only choice, or the sizes do not fit.
 */
export function openDeviceSaeRun(
  model: SparseAutoencoder,
  x: Float32Array,
  rows: number,
  options: DeviceSaeOptions,
  setup: { kAux: number; mseScale: number; optimizer: Adam },
): DeviceSaeRun | undefined {
  const backend = model.backend;
  if (!backend.saeTrainer || hostOnlyChoice(options) !== undefined) return undefined;
  const { optimizer } = setup;
  const trainer: SaeTrainer | undefined = backend.saeTrainer({
    inputDim: model.inputDim,
    latents: model.latents,
    k: model.k,
    kAux: Math.min(setup.kAux, model.latents),
    batchSize: options.batchSize,
    auxCoefficient: options.auxCoefficient,
    mseScale: setup.mseScale,
    deadSamples: options.deadSamples,
    firingThreshold: FIRING_THRESHOLD,
    beta1: optimizer.beta1,
    beta2: optimizer.beta2,
    epsilon: optimizer.epsilon,
  });
  if (!trainer) return undefined;
  try {
    trainer.setState({
      encoderKernel: model.encoderKernel.value.data,
      encoderBias: model.encoderBias.value.data,
      decoderKernel: model.decoderKernel.value.data,
      preBias: model.preBias.value.data,
    });
    trainer.setData(x, rows);
  } catch (e) {
    trainer.dispose();
    throw e;
  }
  let t = 0;
  let dead = 0;
  return {
    step(indices) {
      // Adam's bias-corrected rate as Adam.step computes it (no per-parameter multipliers here).
      const lr = optimizer.currentLearningRate;
      t += 1;
      const lrT = (lr * Math.sqrt(1 - optimizer.beta2 ** t)) / (1 - optimizer.beta1 ** t);
      const out = trainer.step(indices, lrT);
      dead = out.dead;
      return out.loss;
    },
    deadFraction: () => dead / model.latents,
    sync() {
      const p = trainer.getState();
      model.encoderKernel.value.data.set(p.encoderKernel);
      model.encoderBias.value.data.set(p.encoderBias);
      model.decoderKernel.value.data.set(p.decoderKernel);
      model.preBias.value.data.set(p.preBias);
    },
    dispose: () => trainer.dispose(),
  };
}

import {
  type InitializerPlugin,
  type KernelShape,
  noParams,
  perTensorInitializer,
  type Rng,
  z,
} from 'nmfinit';

/**
 * Keras 3 VarianceScaling (keras/src/initializers/random_initializers.py): the kernel's variance
 * is scale / n, with n the fan-in, the fan-out or their average. "normal" in older Keras means
 * the truncated one; here the three distributions are named explicitly.
 */
export const varianceScalingModes = ['fan_in', 'fan_out', 'fan_avg'] as const;
export const varianceScalingDistributions = ['truncated_normal', 'untruncated_normal', 'uniform'] as const;

export type VarianceScalingMode = (typeof varianceScalingModes)[number];
export type VarianceScalingDistribution = (typeof varianceScalingDistributions)[number];

export interface VarianceScalingConfig {
  readonly scale: number;
  readonly mode: VarianceScalingMode;
  readonly distribution: VarianceScalingDistribution;
}

/**
 * The standard deviation of N(0, 1) conditioned on |x| ≤ 2: dividing σ by it makes the truncated
 * draw's variance σ² (the constant Keras, TensorFlow and JAX use).
 */
export const TRUNCATED_NORMAL_STDDEV_AT_2 = 0.87962566103423978;

export const varianceScalingParams = z
  .object({
    scale: z.number().positive().default(1).describe('variance multiplier (> 0)'),
    mode: z.enum(varianceScalingModes).default('fan_in').describe('which fan divides the scale'),
    distribution: z
      .enum(varianceScalingDistributions)
      .default('truncated_normal')
      .describe('truncated_normal (cut at 2σ, variance corrected), untruncated_normal or uniform'),
  })
  .strict();

/** The n of scale / n. Keras divides by max(1, n) so that a zero-sized fan cannot blow up. */
function fanFor(mode: VarianceScalingMode, { fanIn, fanOut }: KernelShape): number {
  const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
  return Math.max(1, n);
}

/**
 * The builder (JAX's `variance_scaling`): a config in, a per-kernel sampler out. Glorot, He and
 * LeCun are presets on it.
 */
export function varianceScaling(
  config: VarianceScalingConfig,
): (shape: KernelShape, rng: Rng) => Float32Array {
  const { scale, mode, distribution } = config;
  if (!(scale > 0)) throw new RangeError(`variance scaling: scale must be > 0, got ${scale}`);
  return (shape, rng) => {
    const variance = scale / fanFor(mode, shape);
    const out = new Float32Array(shape.fanIn * shape.fanOut);
    if (distribution === 'truncated_normal') {
      rng.fillTruncatedNormal(out, 0, Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV_AT_2, 2);
    } else if (distribution === 'untruncated_normal') {
      rng.fillNormal(out, 0, Math.sqrt(variance));
    } else {
      const limit = Math.sqrt(3 * variance);
      rng.fillUniform(out, -limit, limit);
    }
    return out;
  };
}

/** `variance-scaling` with all three knobs as parameters. */
export const varianceScalingInitializer = perTensorInitializer({
  name: 'variance-scaling',
  description:
    'Keras VarianceScaling: variance scale/n over fan_in, fan_out or fan_avg; truncated, normal or uniform',
  params: varianceScalingParams,
  kernel: (shape, rng, params) => varianceScaling(params)(shape, rng),
});

/** A parameterless preset on the builder (Glorot, He, LeCun). */
export function varianceScalingPreset(
  name: string,
  description: string,
  config: VarianceScalingConfig,
): InitializerPlugin<typeof noParams> {
  return perTensorInitializer({ name, description, params: noParams, kernel: varianceScaling(config) });
}

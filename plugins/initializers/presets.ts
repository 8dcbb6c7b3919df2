import { type VarianceScalingConfig, varianceScalingPreset } from './variance-scaling.ts';

// Keras' named variance-scaling initializers (as in JAX, each one line on the builder). They come
// in families: one scale and fan mode, drawn from a truncated normal (`-normal`) or a uniform.

/** A family's `<prefix>-normal` and `<prefix>-uniform` initializers. */
function family(
  prefix: string,
  config: Omit<VarianceScalingConfig, 'distribution'>,
  normal: string,
  uniform: string,
) {
  return [
    varianceScalingPreset(`${prefix}-normal`, normal, { ...config, distribution: 'truncated_normal' }),
    varianceScalingPreset(`${prefix}-uniform`, uniform, { ...config, distribution: 'uniform' }),
  ] as const;
}

export const [glorotNormal, glorotUniform] = family(
  'glorot',
  { scale: 1, mode: 'fan_avg' },
  'Glorot/Xavier normal: truncated normal, variance 2/(fan_in + fan_out)',
  'Glorot/Xavier uniform: U(±√(6/(fan_in + fan_out)))',
);

export const [heNormal, heUniform] = family(
  'he',
  { scale: 2, mode: 'fan_in' },
  'He normal: truncated normal, variance 2/fan_in',
  'He uniform: U(±√(6/fan_in))',
);

export const [lecunNormal, lecunUniform] = family(
  'lecun',
  { scale: 1, mode: 'fan_in' },
  'LeCun normal: truncated normal, variance 1/fan_in',
  'LeCun uniform: U(±√(3/fan_in))',
);

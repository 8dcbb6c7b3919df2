import { varianceScalingPreset } from './variance-scaling.ts';

// Keras' named variance-scaling initializers, each one line on the builder (as in JAX).

export const glorotNormal = varianceScalingPreset(
  'glorot-normal',
  'Glorot/Xavier normal: truncated normal, variance 2/(fan_in + fan_out)',
  { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
);

export const glorotUniform = varianceScalingPreset(
  'glorot-uniform',
  'Glorot/Xavier uniform: U(±√(6/(fan_in + fan_out)))',
  { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
);

export const heNormal = varianceScalingPreset('he-normal', 'He normal: truncated normal, variance 2/fan_in', {
  scale: 2,
  mode: 'fan_in',
  distribution: 'truncated_normal',
});

export const heUniform = varianceScalingPreset('he-uniform', 'He uniform: U(±√(6/fan_in))', {
  scale: 2,
  mode: 'fan_in',
  distribution: 'uniform',
});

export const lecunNormal = varianceScalingPreset(
  'lecun-normal',
  'LeCun normal: truncated normal, variance 1/fan_in',
  { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
);

export const lecunUniform = varianceScalingPreset('lecun-uniform', 'LeCun uniform: U(±√(3/fan_in))', {
  scale: 1,
  mode: 'fan_in',
  distribution: 'uniform',
});

import { type KernelShape, noParams, perTensorInitializer, z } from 'nmfinit';
import { gainParams } from './orthogonal.ts';

// Keras' deterministic initializers: Zeros, Ones, Constant and Identity. None reads the seed.

/** A fan_in × fan_out kernel with every weight `value`. */
const filled = ({ fanIn, fanOut }: KernelShape, value: number) =>
  new Float32Array(fanIn * fanOut).fill(value);

/** Keras' parameterless fixed-value initializers (Zeros, Ones). */
const fixed = (name: string, description: string, value: number) =>
  perTensorInitializer({
    name,
    description,
    params: noParams,
    random: false,
    kernel: (shape) => filled(shape, value),
  });

export const zeros = fixed('zeros', 'Keras Zeros: every weight 0', 0);

export const ones = fixed('ones', 'Keras Ones: every kernel weight 1', 1);

export const constantParams = z
  .object({ value: z.number().default(0).describe('the value of every kernel weight') })
  .strict();

export const constant = perTensorInitializer({
  name: 'constant',
  description: 'Keras Constant: every kernel weight the given value (default 0)',
  params: constantParams,
  random: false,
  kernel: (shape, _rng, p) => filled(shape, p.value),
});

export const identityParams = gainParams('the identity matrix');

export const identity = perTensorInitializer({
  name: 'identity',
  description: 'Keras Identity: gain × eye(fan_in, fan_out), non-square allowed',
  params: identityParams,
  random: false,
  kernel: ({ fanIn, fanOut }, _rng, p) => {
    const out = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < Math.min(fanIn, fanOut); i++) out[i * fanOut + i] = p.gain;
    return out;
  },
});

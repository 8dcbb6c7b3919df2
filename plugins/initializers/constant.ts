import { noParams, perTensorInitializer, z } from 'nmfinit';

// Keras' deterministic initializers: Zeros, Ones, Constant and Identity. None reads the seed.

export const zeros = perTensorInitializer({
  name: 'zeros',
  description: 'Keras Zeros: every weight 0',
  params: noParams,
  random: false,
  kernel: ({ fanIn, fanOut }) => new Float32Array(fanIn * fanOut),
});

export const ones = perTensorInitializer({
  name: 'ones',
  description: 'Keras Ones: every kernel weight 1',
  params: noParams,
  random: false,
  kernel: ({ fanIn, fanOut }) => new Float32Array(fanIn * fanOut).fill(1),
});

export const constantParams = z
  .object({ value: z.number().default(0).describe('the value of every kernel weight') })
  .strict();

export const constant = perTensorInitializer({
  name: 'constant',
  description: 'Keras Constant: every kernel weight the given value (default 0)',
  params: constantParams,
  random: false,
  kernel: ({ fanIn, fanOut }, _rng, p) => new Float32Array(fanIn * fanOut).fill(p.value),
});

export const identityParams = z
  .object({ gain: z.number().default(1).describe('multiplies the identity matrix') })
  .strict();

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

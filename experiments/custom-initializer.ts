// A user-defined initializer in a few lines, run in the quick study next to NMF and Glorot:
//
//   npx tsx experiments/custom-initializer.ts
import { defineExperiment, initializers, perTensorInitializer, runIfMain, z } from 'nmfinit';
import { spec as quick } from './quick.ts';

/**
 * Sparse initialization (Martens, 2010): each unit is connected to `nonZero` randomly chosen
 * inputs with weights N(0, gain²/nonZero); every other weight is 0.
 */
export const sparseNormal = perTensorInitializer({
  name: 'sparse-normal',
  description: 'each unit gets nonZero random inputs with weights N(0, gain²/nonZero), the rest 0',
  params: z
    .object({
      nonZero: z.number().int().positive().default(15),
      gain: z.number().positive().default(1),
    })
    .strict(),
  kernel({ fanIn, fanOut }, rng, { nonZero, gain }) {
    const kernel = new Float32Array(fanIn * fanOut); // fanIn × fanOut, row-major
    const m = Math.min(nonZero, fanIn);
    for (let unit = 0; unit < fanOut; unit++) {
      for (const input of rng.permutation(fanIn).subarray(0, m)) {
        kernel[input * fanOut + unit] = rng.normal(0, gain / Math.sqrt(m));
      }
    }
    return kernel;
  },
});

initializers.register(sparseNormal);

export const spec = defineExperiment({
  ...quick,
  name: 'custom-initializer',
  initializers: [
    { name: 'sparse-normal', params: { nonZero: 15 } },
    { name: 'nmf' },
    { name: 'glorot-normal' },
  ],
  outputs: { dir: 'results/custom-initializer' },
});

await runIfMain(import.meta.url, spec);

// All six initializers on both data sets at a small size: the seed study's pipeline end to end
// in under a minute (2,000 samples, 5 epochs, one seed). Same as `experiments/mnist.ts --quick`.
//
//   npx tsx experiments/quick.ts
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as mnist } from './mnist.ts';

export const spec = defineExperiment({
  ...mnist,
  name: 'quick',
  description: 'The seed study at a small size, for a quick end-to-end check.',
  grid: { samples: [{ count: 2000, seeds: 1 }], epochs: [5] },
  outputs: { dir: 'results/quick' },
});

await runIfMain(import.meta.url, spec);

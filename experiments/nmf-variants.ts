// An ablation of the seed study's NMF initializer: which of its choices matter? The notebook's
// configuration (init 'random', U[0, 1) biases, solver 'cd', random_state 0) against one change
// at a time: the nndsvd and nndsvda starts, zero biases, multiplicative updates. Next to He normal
// and Glorot normal; same model and training as experiments/mnist.ts; MNIST digits and
// Fashion-MNIST, the first 3,000 samples, 5 seeds, 10 and 50 epochs.
//
//   npx tsx experiments/nmf-variants.ts            the whole ablation (flags: --help)
//   npx tsx experiments/nmf-variants.ts --quick    a small version: under a minute
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as mnist } from './mnist.ts';

export const spec = defineExperiment({
  ...mnist,
  name: 'nmf-variants',
  description:
    "The seed study's NMF initializer (init 'random', U[0,1) biases, cd) against one change at a time: nndsvd and nndsvda starts, zero biases, multiplicative updates; next to He and Glorot normal.",
  initializers: [
    { name: 'nmf', label: 'nmf' },
    { name: 'nmf', label: 'nmf-nndsvd', params: { init: 'nndsvd' } },
    { name: 'nmf', label: 'nmf-nndsvda', params: { init: 'nndsvda' } },
    { name: 'nmf', label: 'nmf-zero-bias', params: { bias: 'zeros' } },
    { name: 'nmf', label: 'nmf-mu', params: { solver: 'mu' } },
    { name: 'he-normal' },
    { name: 'glorot-normal' },
  ],
  grid: { samples: [{ count: 3000, seeds: 5 }], epochs: [10, 50] },
  outputs: { dir: 'results/nmf-variants' },
});

await runIfMain(import.meta.url, spec);

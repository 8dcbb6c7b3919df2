// A follow-up to the seed study: is NMF's slow start due to the factors or to the U[0,1)
// biases the original study gave every layer? Same model and training as experiments/mnist.ts,
// MNIST digits, the first 3,000 samples, 5 seeds.
//
//   npx tsx experiments/nmf-bias.ts
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as mnist } from './mnist.ts';

export const spec = defineExperiment({
  ...mnist,
  name: 'nmf-bias',
  description:
    'NMF-of-the-identity kernels with the original U[0,1) biases versus zero biases, next to He normal.',
  datasets: [{ name: 'mnist', label: 'mnist_digit' }],
  initializers: [
    { name: 'nmf', label: 'nmf-uniform-bias', params: { bias: 'uniform' } },
    { name: 'nmf', label: 'nmf-zero-bias', params: { bias: 'zeros' } },
    { name: 'he-normal' },
  ],
  grid: { samples: [{ count: 3000, seeds: 5 }], epochs: [10, 50] },
  outputs: { dir: 'results/nmf-bias' },
});

await runIfMain(import.meta.url, spec);

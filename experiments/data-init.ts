// Initializers that see the data (issue 14): LSUV, Krähenbühl et al.'s data-dependent scaling,
// a PCA start and an NMF-of-data start, next to the seed study's six, on MNIST digits and
// Fashion-MNIST (the first 3,000 samples, 10 seeds, 50 epochs), under the seed's recipe (Adam 1e-3)
// and under a warm-up recipe (the same Adam, its rate ramped linearly over the first 80 updates,
// 10 epochs at batch 256). Every initializer runs under both recipes. The report judges the
// issue's target: a start below the best baseline's epoch-10 loss on MNIST-3000 at epoch 0 that
// stays best at every reported epoch on both data sets with p < 0.01.
//
//   npx tsx experiments/data-init.ts            the whole study (flags: --help)
//   npx tsx experiments/data-init.ts --quick    a small version: under a minute or two
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as mnist } from './mnist.ts';

const BASELINES = mnist.initializers.map((i: { name: string; label?: string }) => i.label ?? i.name);

export const spec = defineExperiment({
  ...mnist,
  name: 'data-init',
  description:
    'Data-aware initializers (lsuv, data-dependent, pca, nmf-data) against the six of the seed study, under the seed recipe and a warm-up recipe.',
  initializers: [
    ...mnist.initializers,
    { name: 'lsuv' },
    { name: 'data-dependent' },
    { name: 'pca' },
    { name: 'nmf-data' },
  ],
  initializerData: { samples: 1000 },
  grid: {
    samples: [{ count: 3000, seeds: 10 }],
    epochs: [10, 50],
    recipes: [
      { label: 'seed', training: {} },
      { label: 'warmup', training: { schedule: { warmupSteps: 80 } } },
    ],
  },
  outputs: {
    dir: 'results/data-init',
    target: { dataset: 'mnist_digit', baselines: BASELINES, referenceEpoch: 10, alpha: 0.01 },
  },
});

await runIfMain(import.meta.url, spec);

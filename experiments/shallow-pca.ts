// Refinetti & Goldt (ICML 2022), "The dynamics of representation learning in shallow, non-linear
// autoencoders": do shallow autoencoders trained by online SGD reach the PCA error, and do they
// learn the principal components in order? g ∈ {linear, ReLU, erf(·/√2)} × {tied, untied} ×
// {biases, none}, on spiked Gaussian data and on MNIST, 3 seeds each.
//
//   npx tsx experiments/shallow-pca.ts            the whole study (minutes on 2 cores)
//   npx tsx experiments/shallow-pca.ts --quick    the same pipeline small, under a minute
import { runIfMain } from 'nmfinit';

export const spec = {
  name: 'shallow-pca',
  kind: 'shallow-pca',
  description:
    'Shallow autoencoders against the PCA-K error: learning curves, overlaps with the principal components over time, and generated verdicts on the paper’s claims.',
  datasets: [
    {
      label: 'spiked',
      name: 'spiked-gaussian',
      // eigenvalues 4D, 2D, 1D above a bulk of 1 (D = 100)
      params: { dim: 100, spikes: [4, 2, 1], bulk: 1, trainCount: 100000, testCount: 1000 },
      trainCount: 100000,
      testCount: 1000,
      k: 3,
      steps: 100000,
      lr: 0.1,
    },
    {
      label: 'mnist',
      name: 'mnist',
      trainCount: 10000,
      testCount: 500,
      k: 4,
      steps: 60000,
      lr: 1,
      preprocess: 'standardize',
    },
  ],
  model: { activations: ['linear', 'relu', 'erf'], tied: [true, false], biases: [false, true], initStd: 0.1 },
  seeds: 3,
  records: 40,
  tolerance: 0.1,
  overlapThreshold: 0.5,
  outputs: { dir: 'results/shallow-pca' },
};

await runIfMain(import.meta.url, spec as never);

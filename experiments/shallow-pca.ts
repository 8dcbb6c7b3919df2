// Refinetti & Goldt (ICML 2022), "The dynamics of representation learning in shallow, non-linear
// autoencoders": do shallow autoencoders trained by online SGD reach the PCA error, and do they
// learn the principal components in order? g ∈ {linear, ReLU, erf(·/√2)} × {tied, untied} ×
// biases {none, encoder, encoder + output}, on spiked Gaussian data and on MNIST, 3 seeds each.
//
// Settings follow the authors' code (mariaref/NonLinearShallowAE, train_autoencoder.py): K = 4
// hidden units, initial weights N(0, 0.1²), loss ‖x − x̂‖²/(2D), one sample per step, rates η/D
// for the untied encoder and η for the decoder and the tied weights, and images divided by twice
// their standard deviation and shifted by their mean (scalars) with the PCA line from the second
// moment. Their model's only bias is the encoder's, b' in λ = (w·x + b')/√D stepped with η: that is
// 'encoder' here (b = b'/√D, stepped with η/D). 'both' adds an output bias c on x̂, which their
// decoder nn.Linear(K, D, bias=False) lacks: with K units for K spikes, a ReLU unit needs it to sit
// in its linear range (b ≫ the spread of w·x/√D) without the offset v·b entering x̂. Their defaults, η = 0.1 to t = steps/D =
// 10⁵, are 8·10⁷ steps per MNIST run; at small η the dynamics depend on η·t, so MNIST runs
// η = 1 to t ≈ 380 (η·t ≈ 380, their η = 0.1 at t ≈ 3800), where the untied runs have settled.
//
//   npx tsx experiments/shallow-pca.ts            the whole study (minutes on 2 cores)
//   npx tsx experiments/shallow-pca.ts --quick    the same pipeline small, under a minute
import { defineExperiment, runIfMain } from 'nmfinit';

export const spec = defineExperiment({
  name: 'shallow-pca',
  kind: 'shallow-pca',
  description:
    'Shallow autoencoders against the PCA-K error: learning curves, overlaps with the principal components over time, and generated verdicts on the paper’s claims.',
  datasets: [
    {
      label: 'spiked',
      title: 'Spiked Gaussian (D = 100)',
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
      title: 'MNIST',
      name: 'mnist',
      trainCount: 10000,
      testCount: 1000,
      k: 4,
      steps: 300000,
      lr: 1,
      preprocess: 'paper',
    },
  ],
  model: {
    activations: ['linear', 'relu', 'erf'],
    tied: [true, false],
    // 'encoder' is the authors' model; 'both' adds the output bias their decoder lacks.
    biases: ['none', 'encoder', 'both'],
    initStd: 0.1,
  },
  seeds: 3,
  records: 40,
  tolerance: 0.1,
  overlapThreshold: 0.5,
  outputs: { dir: 'results/shallow-pca' },
});

await runIfMain(import.meta.url, spec);

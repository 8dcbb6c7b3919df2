// The seed study: an autoencoder 784-128-64-32-64-128-784 initialized with NMF of the identity
// versus five Keras initializers, on MNIST digits and Fashion-MNIST, with the first 3,000 vs
// all 60,000 training samples, read after 10 and 50 epochs: 8 result sets.
//
//   npx tsx experiments/mnist.ts            the whole study (flags: --help)
//   npx tsx experiments/mnist.ts --quick    a small version (2,000 samples, 5 epochs): under a minute
import { defineExperiment, runIfMain } from 'nmfinit';

export const spec = defineExperiment({
  name: 'mnist',
  description:
    'Reproduces "autoencoder-nmf-initialization": NMF-of-the-identity initialization against five Keras initializers.',
  datasets: [
    { name: 'mnist', label: 'mnist_digit' },
    { name: 'fashion-mnist', label: 'mnist_fashion' },
  ],
  model: { sizes: [784, 128, 64, 32, 64, 128, 784], hidden: 'relu', output: 'sigmoid' },
  initializers: [
    { name: 'nmf' },
    { name: 'random-normal', params: { mean: 0, stddev: 0.05 } },
    { name: 'glorot-normal' },
    { name: 'he-normal' },
    { name: 'variance-scaling', params: { scale: 0.1, mode: 'fan_in', distribution: 'uniform' } },
    { name: 'orthogonal' },
  ],
  training: {
    optimizer: { name: 'adam', learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
    loss: 'mse',
    batchSize: 256,
    validationSplit: 0.33,
    shuffle: true,
  },
  grid: {
    samples: [
      { count: 3000, seeds: 10 },
      { count: 'all', seeds: 1 },
    ],
    epochs: [10, 50],
  },
  outputs: { dir: 'results/mnist' },
});

await runIfMain(import.meta.url, spec);

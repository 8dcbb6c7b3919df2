import { join } from 'node:path';
import { BUILTIN_PLUGIN_MODULES } from '../../src/cli/builtins.ts';
import { runExperiment } from '../../src/experiment/run.ts';

// Two tiny studies of different kinds, for the tests of report.html and `nmfinit view`: an
// autoencoder grid (2 initializers × 2 seeds, train and validation curves, reconstructions)
// and an NMF of the identity. Seconds each on the reference backend.

export const tinyAutoencoderSpec = (dir: string) => ({
  kind: 'autoencoder-init',
  name: 'html-tiny',
  description: 'A tiny autoencoder study for the report.html tests.',
  datasets: [
    {
      name: 'synthetic',
      label: 'blobs',
      params: { height: 8, width: 8, trainCount: 120, testCount: 20, classes: 3 },
    },
  ],
  model: { sizes: [64, 8, 64] },
  initializers: [{ name: 'glorot-uniform' }, { name: 'he-normal' }, { name: 'zeros' }],
  training: { batchSize: 16 },
  grid: { samples: [{ count: 90, seeds: 2 }], epochs: [4] },
  backend: 'reference',
  outputs: { dir },
});

export const tinyNmfIdentitySpec = (dir: string) => ({
  kind: 'nmf-identity',
  name: 'nmfid-tiny',
  sizes: [8, 12],
  ranks: [2, 4],
  solvers: ['cd', 'mu'],
  seeds: 1,
  maxIter: 50,
  outputs: { dir },
});

/** An NMF of synthetic 8 × 8 images at two sample counts: a learning curve and component grids. */
export const tinyNmfDataSpec = (dir: string) => ({
  kind: 'nmf-data',
  name: 'nmf-data-tiny',
  datasets: [
    {
      name: 'synthetic',
      label: 'blobs',
      params: { height: 8, width: 8, trainCount: 60, testCount: 20, classes: 3 },
    },
  ],
  grids: [{ samples: [20, 'all'], ranks: [4, 2], inits: ['nndsvda'] }],
  maxIter: 50,
  outputs: { dir },
});

/** A top-k SAE on a planted 4 × 4 problem, with and without AuxK: faceted charts and atoms. */
export const tinySaeSpec = (dir: string) => ({
  kind: 'sae',
  name: 'sae-tiny',
  datasets: [
    {
      name: 'superposition',
      params: { height: 4, width: 4, features: 24, meanActive: 2, trainCount: 256, testCount: 64 },
      trainSamples: 256,
      evalSamples: 64,
    },
  ],
  latents: [16],
  k: [2],
  seeds: 2,
  epochs: 1,
  batchSize: 64,
  learningRate: 0.003,
  recordEvery: 1,
  atomsShown: 3,
  outputs: { dir },
});

/** Shallow autoencoders on synthetic 8 × 8 images: learning curves against PCA, overlaps, weights. */
export const tinyShallowPcaSpec = (dir: string) => ({
  kind: 'shallow-pca',
  name: 'shallow-pca-tiny',
  description: 'A tiny shallow-pca study for the report.html tests.',
  datasets: [
    {
      label: 'blobs',
      name: 'synthetic',
      params: { height: 8, width: 8, trainCount: 400, testCount: 50, classes: 3 },
      trainCount: 400,
      testCount: 50,
      k: 2,
      steps: 800,
      lr: 0.1,
    },
  ],
  model: { activations: ['linear', 'erf'], tied: [true], biases: [false] },
  seeds: 1,
  records: 6,
  outputs: { dir },
});

export async function runTiny(spec: { outputs: { dir: string } }, root: string): Promise<void> {
  await runExperiment(spec, {
    plugins: [...BUILTIN_PLUGIN_MODULES],
    progress: 'none',
    workers: 1,
    cacheDir: join(root, 'cache'),
    log: () => {},
  });
}

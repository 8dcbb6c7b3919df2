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

export async function runTiny(spec: { outputs: { dir: string } }, root: string): Promise<void> {
  await runExperiment(spec, {
    plugins: [...BUILTIN_PLUGIN_MODULES],
    progress: 'none',
    workers: 1,
    cacheDir: join(root, 'cache'),
    log: () => {},
  });
}

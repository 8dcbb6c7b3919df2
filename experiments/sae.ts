// Top-k sparse autoencoders (Gao et al. 2024; the notes' O'Neill et al. section): does the
// auxiliary loss revive dead latents and improve reconstruction? MNIST with n ∈ {1024, 4096},
// k ∈ {8, 16, 32}, with and without AuxK, 3 seeds; the NMF-of-data dictionary next to the
// standard one; sparse features in superposition with recovery of the planted directions.
//
//   npx tsx experiments/sae.ts            the whole study (66 runs, 27–40 min on 2 shared cores; README)
//   npx tsx experiments/sae.ts --quick    the same pipeline small, under a minute or two
import { defineExperiment, runIfMain } from 'nmfinit';

export const spec = defineExperiment({
  kind: 'sae',
  name: 'sae',
  description:
    'TopK SAEs on MNIST and on planted sparse features: normalised MSE, L0 and dead latents with and without the auxiliary loss, the NMF-of-data dictionary against the standard one, and feature recovery.',
  datasets: [
    { name: 'mnist', trainSamples: 20000, evalSamples: 1000 },
    {
      // The NMF dictionary; its standard-dictionary partners are the 'mnist' runs with the same n, k, AuxK and seed.
      label: 'mnist-nmf',
      name: 'mnist',
      trainSamples: 20000,
      evalSamples: 1000,
      latents: [1024],
      dictionaries: [{ name: 'sae-nmf', params: { rank: 128, samples: 2000 } }],
    },
    {
      name: 'superposition',
      params: { height: 8, width: 8, features: 256, meanActive: 4, trainCount: 20000, testCount: 1000 },
      trainSamples: 20000,
      evalSamples: 1000,
      latents: [512],
      k: [4, 8],
    },
  ],
  latents: [1024, 4096],
  k: [8, 16, 32],
  aux: [true, false],
  dictionaries: [{ name: 'sae-standard' }],
  seeds: 3,
  epochs: 5,
  batchSize: 256,
  outputs: { dir: 'results/sae' },
});

await runIfMain(import.meta.url, spec);

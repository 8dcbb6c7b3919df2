// NMF of the identity as a study of its own: for n ∈ {128, 256, 784} and k up to n/2, the factor
// time and ‖I − WH‖_F against the Eckart–Young bound √(n − k), for both solvers.
//
//   npx tsx experiments/nmf-identity.ts            the whole study
//   npx tsx experiments/nmf-identity.ts --quick    n ∈ {32, 64}, k ∈ {4, 16}: seconds
import { defineExperiment, runIfMain } from 'nmfinit';

export const spec = defineExperiment({
  kind: 'nmf-identity',
  name: 'nmf-identity',
  description: 'How close NMF of I_n comes to the best rank-k error, and what it costs, over n and k.',
  sizes: [128, 256, 784],
  ranks: [8, 16, 32, 64, 128],
  solvers: ['cd', 'mu'],
  inits: ['random'],
  seeds: 3,
  outputs: { dir: 'results/nmf-identity' },
});

await runIfMain(import.meta.url, spec);

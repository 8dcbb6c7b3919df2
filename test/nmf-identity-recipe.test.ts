import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedNmf, nmf } from 'nmfinit';
import {
  checkNmfIdentity,
  NMF_OPTIMUM_TOLERANCE,
  type NmfFactorization,
  nearOptimalIdentityProblems,
  nmfIdentityProblems,
} from 'nmfinit/testing';
import { it } from 'vitest';

it('nmf keeps the laws for any solver and init, and the cache hands back the same factors', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'nmf-cache-'));
  await checkNmfIdentity(nmf, {
    problems: nmfIdentityProblems({ maxN: 24, stopping: { maxIter: 100 } }),
    cached: (x, options, rng) => cachedNmf(x, options, rng, { cacheDir }).result,
  });
});

it('nmf reaches the optimum √(n − k) within the stated tolerance where it is stated', async () => {
  await checkNmfIdentity(nmf, {
    problems: nearOptimalIdentityProblems(),
    optimumTolerance: NMF_OPTIMUM_TOLERANCE,
  });
});

it('my own factorization keeps the laws too', async () => {
  // W = the first k columns of I, H = the first k rows: W·H keeps k of the n ones, the optimum.
  const firstK: NmfFactorization = (x, { rank }) => {
    const W = new Float64Array(x.rows * rank);
    const H = new Float64Array(rank * x.cols);
    for (let i = 0; i < rank; i++) {
      W[i * rank + i] = 1;
      H[i * x.cols + i] = 1;
    }
    return { W, H };
  };
  await checkNmfIdentity(firstK, { optimumTolerance: 1e-12 });
});

// Run by test/compute-once.test.ts in a child process: one cachedNmf call, its source printed.
import { cachedNmf, identityMatrix, Rng } from 'nmfinit';

const [cacheDir, n, k] = process.argv.slice(2);
const { source } = cachedNmf(
  identityMatrix(Number(n)),
  { rank: Number(k), maxIter: 200, tol: 0 },
  Rng.seeded(0),
  {
    cacheDir,
  },
);
process.stdout.write(`${source}\n`);

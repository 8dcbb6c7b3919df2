import { cachedNmf } from '../nmf/cache.ts';
import { denseMatrix } from '../nmf/matrix.ts';
import type { Rng } from '../tensor/rng.ts';

// NMF components of a data matrix, behind one function so that the NMF-of-data estimator being
// built on branch issue-11 can replace it. Today: the existing solver (coordinate descent, its
// default init) on X = the first `samples` rows, cached on disk when a cache directory is given.

export interface DataComponentsOptions {
  readonly rank: number;
  readonly samples: number;
  readonly maxIter: number;
  readonly cacheDir?: string;
  readonly log?: (message: string) => void;
}

/** rank × d non-negative components H of X ≈ W·H, X the first `samples` rows of x (rows × d). */
export function nmfComponentsOfData(
  x: Float32Array,
  rows: number,
  d: number,
  options: DataComponentsOptions,
  rng: Rng,
): Float64Array {
  const used = Math.min(rows, options.samples);
  const data = Float64Array.from(x.subarray(0, used * d));
  let matrix: ReturnType<typeof denseMatrix>;
  try {
    matrix = denseMatrix(used, d, data);
  } catch (e) {
    throw new RangeError(`NMF dictionary: the training data must be non-negative (${(e as Error).message})`);
  }
  const { result } = cachedNmf(matrix, { rank: options.rank, maxIter: options.maxIter }, rng, {
    cacheDir: options.cacheDir,
    log: options.log,
  });
  return result.H;
}

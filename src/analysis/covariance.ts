import { getBackend } from '../backend/index.ts';
import type { Backend } from '../backend/types.ts';

export interface CovarianceOptions {
  /** A backend or its name (default 'auto': the fastest here). */
  backend?: Backend | string;
  /** Rows per gemm block (default 512): float32 sums run over at most this many samples. */
  blockRows?: number;
}

/** An error in the arguments of a PCA function, naming the argument. */
export class PcaInputError extends Error {
  override name = 'PcaInputError';
}

/** Checks that `x` is n×d of finite values, naming what is wrong. */
export function checkSamples(where: string, x: Float32Array, n: number, d: number): void {
  const fail = (msg: string): never => {
    throw new PcaInputError(`${where}: ${msg}`);
  };
  if (!(x instanceof Float32Array)) fail('x must be a Float32Array');
  if (!(Number.isInteger(n) && n >= 1)) fail(`n must be a positive integer, got ${n}`);
  if (!(Number.isInteger(d) && d >= 1)) fail(`d must be a positive integer, got ${d}`);
  if (x.length !== n * d) fail(`x has ${x.length} values, expected n·d = ${n}·${d} = ${n * d}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) fail(`x[${i}] (sample ${Math.floor(i / d)}, feature ${i % d}) is ${x[i]}`);
  }
}

export function resolveBackend(backend: Backend | string | undefined): Backend {
  return typeof backend === 'object' ? backend : getBackend(backend ?? 'auto');
}

export function resolveBlockRows(where: string, blockRows: number | undefined): number {
  const rows = blockRows ?? 512;
  if (!(Number.isInteger(rows) && rows >= 1)) {
    throw new PcaInputError(`${where}: blockRows must be a positive integer, got ${rows}`);
  }
  return rows;
}

/** Column means of the n×d samples, summed in float64. */
export function columnMeans(x: Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const row = i * d;
    for (let j = 0; j < d; j++) mean[j] += x[row + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/**
 * Writes rows [start, start + rows) of x minus the mean into `block` (float32, rows×d). The
 * difference is formed in float64 and rounded once, so each entry is exact to half an ulp.
 */
export function centredBlock(
  x: Float32Array,
  d: number,
  mean: Float64Array,
  start: number,
  rows: number,
  block: Float32Array,
): void {
  for (let i = 0; i < rows; i++) {
    const src = (start + i) * d;
    const dst = i * d;
    for (let j = 0; j < d; j++) block[dst + j] = x[src + j] - mean[j];
  }
}

/**
 * The biased covariance (1/n)·Σ (xᵢ − μ)(xᵢ − μ)ᵀ, d×d in float64, and the mean μ.
 *
 * Numerics: two passes. The mean comes first (float64), and the products are formed from
 * centred values, never as E[xxᵀ] − μμᵀ, whose cancellation would lose about log10(μ²/σ²)
 * digits — for pixels with mean 0.3 and sd 0.05 that is most of float32's seven. XᵀX of each
 * block of `blockRows` centred rows is one float32 gemm on the backend (its rounding grows with
 * the block, not with n: about √blockRows·2⁻²⁴ relative, ~1e-6 for 512); the blocks are summed in
 * float64. On a backend with resident storage (Backend.resident) a block is uploaded once and
 * its XᵀX is that backend's resident product (the same kernel as its gemm on webgpu). The result
 * is symmetrized, as a gemm need not round (i, j) and (j, i) alike.
 */
export function covarianceMatrix(
  x: Float32Array,
  n: number,
  d: number,
  options: CovarianceOptions = {},
): { mean: Float64Array; covariance: Float64Array } {
  checkSamples('covarianceMatrix', x, n, d);
  const blockRows = Math.min(n, resolveBlockRows('covarianceMatrix', options.blockRows));
  const backend = resolveBackend(options.backend);
  const mean = columnMeans(x, n, d);
  // Plain arrays, not backend.alloc: the backend's copy of a block costs little next to its
  // gemm, and nothing is left allocated in the backend's heap afterwards.
  const block = new Float32Array(blockRows * d);
  const product = new Float32Array(d * d);
  const sum = new Float64Array(d * d);
  // Where the backend holds matrices (a GPU), a block goes up once for both operands of XᵀX.
  const ops = backend.resident;
  const chained = ops?.fits(blockRows, d) && ops.fits(d, d) ? ops : undefined;
  for (let start = 0; start < n; start += blockRows) {
    const rows = Math.min(blockRows, n - start);
    centredBlock(x, d, mean, start, rows, block);
    if (chained) {
      const held = chained.upload(block, rows, d);
      const gram = chained.gemm(true, false, held, held);
      chained.download(gram, product);
      chained.release(gram);
      chained.release(held);
    } else {
      backend.gemm(true, false, d, d, rows, block, block, product);
    }
    for (let k = 0; k < d * d; k++) sum[k] += product[k];
  }
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (sum[i * d + j] + sum[j * d + i]) / (2 * n);
      covariance[i * d + j] = v;
      covariance[j * d + i] = v;
    }
  }
  return { mean, covariance };
}

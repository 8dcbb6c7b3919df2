// The matrix X that NMF factors, behind the three things the solvers ask of it. The identity gets
// its own implementation because it is the main use and every product with it is free.
import type { Rng } from '../tensor/rng.ts';

/** A row-major float64 matrix. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/**
 * A non-negative matrix X (rows × cols) as the NMF solvers see it. Factors are kept as W (rows × k)
 * and Hᵀ (cols × k), both row-major, so the W and H half-steps are the same code.
 */
export interface NmfMatrix {
  readonly kind: 'identity' | 'dense';
  readonly rows: number;
  readonly cols: number;
  /** Mean of the entries (scales the 'random' init and fills nndsvda's zeros). */
  readonly mean: number;
  /** ‖X‖²_F. */
  readonly squaredNorm: number;
  /** X·Hᵀ (rows × k) for Hᵀ stored cols × k. May return `ht` itself (the identity), so treat it as read-only. */
  timesTransposed(ht: Float64Array, k: number, scratch: Float64Array): Float64Array;
  /** Xᵀ·W (cols × k) for W stored rows × k. May return `w` itself (the identity). */
  transposeTimes(w: Float64Array, k: number, scratch: Float64Array): Float64Array;
  /** X as a dense matrix (for tests and small cases; the identity allocates rows·cols). */
  toDense(): DenseMatrix;
  /** Its own leading k singular triplets (see svd.ts), for matrices that compute them faster. */
  truncatedSvd?(k: number, rng: Rng): { u: Float64Array; s: Float64Array; v: Float64Array };
}

/** The n × n identity: X·Hᵀ = Hᵀ, Xᵀ·W = W, ‖X‖² = n, mean = 1/n. */
export function identityMatrix(n: number): NmfMatrix {
  checkDimension('identityMatrix: n', n);
  return {
    kind: 'identity',
    rows: n,
    cols: n,
    mean: 1 / n,
    squaredNorm: n,
    timesTransposed: (ht) => ht,
    transposeTimes: (w) => w,
    toDense() {
      const data = new Float64Array(n * n);
      for (let i = 0; i < n; i++) data[i * n + i] = 1;
      return { rows: n, cols: n, data };
    },
  };
}

/** Any non-negative finite matrix, row-major. The data is used as given, not copied. */
export function denseMatrix(rows: number, cols: number, data: Float64Array | readonly number[]): NmfMatrix {
  checkDimension('denseMatrix: rows', rows);
  checkDimension('denseMatrix: cols', cols);
  if (data.length !== rows * cols) {
    throw new RangeError(
      `denseMatrix: data has ${data.length} entries, expected rows·cols = ${rows}·${cols} = ${rows * cols}`,
    );
  }
  const x = data instanceof Float64Array ? data : Float64Array.from(data);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(
        `denseMatrix: entry [${Math.floor(i / cols)}, ${i % cols}] is ${v}; NMF needs finite values ≥ 0`,
      );
    }
    sum += v;
    squares += v * v;
  }
  return {
    kind: 'dense',
    rows,
    cols,
    mean: sum / x.length,
    squaredNorm: squares,
    timesTransposed: (ht, k, scratch) => multiply(x, rows, cols, ht, k, scratch, false),
    transposeTimes: (w, k, scratch) => multiply(x, rows, cols, w, k, scratch, true),
    toDense: () => ({ rows, cols, data: x }),
  };
}

/**
 * out = X·B (rows × k, for B cols × k) or, `transposed`, Xᵀ·B (cols × k, for B rows × k): one pass
 * over X in row order that skips its zeros, which are common in NMF data. Each output entry sums
 * its terms in the order of X's rows (Xᵀ·B) or columns (X·B).
 */
function multiply(
  x: Float64Array,
  rows: number,
  cols: number,
  b: Float64Array,
  k: number,
  out: Float64Array,
  transposed: boolean,
) {
  out.fill(0, 0, (transposed ? cols : rows) * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = x[i * cols + j];
      if (v === 0) continue;
      const o = transposed ? j * k : i * k;
      const bRow = transposed ? i * k : j * k;
      for (let t = 0; t < k; t++) out[o + t] += v * b[bRow + t];
    }
  }
  return out;
}

function checkDimension(what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${what} must be a positive integer, got ${v}`);
}

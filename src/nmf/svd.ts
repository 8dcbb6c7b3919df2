// The truncated SVD that the nndsvd inits start from: one randomized SVD (Halko, Martinsson & Tropp
// 2011, with scikit-learn's randomized_svd settings), run on either of two arithmetics:
// - float64 TypeScript products of an NmfMatrix, Householder orthonormalization (linalg.ts);
// - NmfData on a matmul backend: every n-sized product a float32 gemm, orthonormalization by
//   Cholesky-QR twice with its Gram matrix summed over blocks of rows in float64 (data-products.ts)
//   and Q = A·R⁻¹ a gemm; the l × l factorizations float64. For MNIST (60,000 × 784, k = 64) this
//   turns ~20 s of float64 TypeScript into a few seconds of gemm.
// The identity is a special case that needs no SVD at all (see truncatedSvd).
import { CholeskyDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { Rng } from '../tensor/rng.ts';
import type { NmfData } from './data-matrix.ts';
import { gram, toF32, type Workspace, xTimes, xtTimes } from './data-products.ts';
import { orthonormalColumns } from './linalg.ts';
import type { NmfMatrix } from './matrix.ts';

/** X ≈ U·diag(s)·Vᵀ with U (rows × k) and V (cols × k) row-major, s descending. */
export interface TruncatedSvd {
  readonly u: Float64Array;
  readonly s: Float64Array;
  readonly v: Float64Array;
}

/**
 * The leading k singular triplets of X. For the identity every orthonormal basis is a set of
 * singular vectors (all singular values are 1), so one is drawn directly: the orthonormalized
 * columns of a Gaussian n × k matrix, U = V, at O(n·k²) — no n × n SVD at all. This is the same
 * distribution scikit-learn's randomized_svd gives for the identity, which is how its nndsvd inits
 * become random there. Other matrices use the randomized SVD below.
 */
export function truncatedSvd(x: NmfMatrix, k: number, rng: Rng): TruncatedSvd {
  if (x.truncatedSvd) return x.truncatedSvd(k, rng);
  if (x.kind === 'identity') {
    const q = orthonormalColumns(rng.fillNormal(new Float64Array(x.rows * k)) as Float64Array, x.rows, k);
    return { u: q, s: new Float64Array(k).fill(1), v: q };
  }
  return randomizedSvd(x, k, rng);
}

/** The products a randomized SVD of X (rows × cols) needs, on blocks B of l columns. */
interface SvdArithmetic<B> {
  /** Ω (cols × l), standard normal. */
  testMatrix(l: number, rng: Rng): B;
  /** An orthonormal basis of X·B's columns (rows × l). */
  orthTimes(b: B, l: number): B;
  /** An orthonormal basis of Xᵀ·Q's columns (cols × l). */
  orthTransposeTimes(q: B, l: number): B;
  /** Xᵀ·Q (cols × l), float64. */
  transposeTimes(q: B, l: number): Float64Array;
  /** U = Q·R[:, :k] (rows × k), float64. */
  leftVectors(q: B, r: Matrix, l: number, k: number): Float64Array;
}

/**
 * scikit-learn's randomized_svd: 10 extra samples, 7 power iterations when k < 0.1·min(rows, cols)
 * else 4, each re-orthonormalized. Cost: 2·(iterations + 1) products of X with a cols × (k + 10)
 * block, and the SVD of that block by ml-matrix — O(rows·cols·k) instead of the O(n³) of a full SVD.
 */
function randomizedSvdWith<B>(
  rows: number,
  cols: number,
  k: number,
  rng: Rng,
  a: SvdArithmetic<B>,
): TruncatedSvd {
  const l = Math.min(k + 10, rows, cols);
  const iterations = k < 0.1 * Math.min(rows, cols) ? 7 : 4;
  let q = a.orthTimes(a.testMatrix(l, rng), l);
  for (let i = 0; i < iterations; i++) q = a.orthTimes(a.orthTransposeTimes(q, l), l);
  // Bᵀ = Xᵀ·Q (cols × l); if Bᵀ = P·S·Rᵀ then X ≈ Q·B = (Q·R)·S·Pᵀ.
  const bt = a.transposeTimes(q, l);
  const svd = new SingularValueDecomposition(Matrix.from1DArray(cols, l, bt), { autoTranspose: true });
  const p = svd.leftSingularVectors; // cols × l
  const u = a.leftVectors(q, svd.rightSingularVectors, l, k);
  const v = new Float64Array(cols * k);
  for (let i = 0; i < cols; i++) for (let j = 0; j < k; j++) v[i * k + j] = p.get(i, j);
  return { u, s: Float64Array.from(svd.diagonal.slice(0, k)), v };
}

/**
 * The randomized SVD in float64 on an NmfMatrix's own products. Measured for a dense 784 × 784,
 * k = 128 (2-core shared machine, npx tsx): 5.5 s, against 17 s for ml-matrix's full SVD; the
 * identity's closed form above takes 60 ms.
 */
export function randomizedSvd(x: NmfMatrix, k: number, rng: Rng): TruncatedSvd {
  const { rows, cols } = x;
  const l = Math.min(k + 10, rows, cols);
  const rowScratch = new Float64Array(rows * l);
  const colScratch = new Float64Array(cols * l);
  return randomizedSvdWith<Float64Array>(rows, cols, k, rng, {
    testMatrix: (l, rng) => rng.fillNormal(new Float64Array(cols * l)) as Float64Array,
    orthTimes: (b, l) => orthonormalColumns(x.timesTransposed(b, l, rowScratch), rows, l),
    orthTransposeTimes: (q, l) => orthonormalColumns(x.transposeTimes(q, l, colScratch), cols, l),
    transposeTimes: (q, l) => x.transposeTimes(q, l, colScratch),
    leftVectors(q, r, l, k) {
      const u = new Float64Array(rows * k);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < k; j++) {
          let sum = 0;
          for (let a = 0; a < l; a++) sum += q[i * l + a] * r.get(a, j);
          u[i * k + j] = sum;
        }
      }
      return u;
    },
  });
}

/** The randomized SVD of data on its backend: float32 gemms, float64 where sums run over samples. */
export function dataRandomizedSvd(x: NmfData, k: number, rng: Rng, ws: Workspace): TruncatedSvd {
  const { rows, cols } = x;
  const l = Math.min(k + 10, rows, cols);
  const rowsBlock = ws.named32('rsvd.rows', rows * l);
  const colsBlock = ws.named32('rsvd.cols', cols * l);
  const cols64 = ws.named64('rsvd.cols64', cols * l);
  return randomizedSvdWith<Float32Array>(rows, cols, k, rng, {
    testMatrix(l, rng) {
      const omega = ws.named32('rsvd.omega', cols * l);
      rng.fillNormal(omega);
      return omega;
    },
    orthTimes: (b, l) => orthonormalize(xTimes(x, b, l, ws.backend, rowsBlock), rows, l, ws, 'rows'),
    orthTransposeTimes: (q, l) =>
      orthonormalize(toF32(xtTimes(x, q, l, ws, cols64), colsBlock), cols, l, ws, 'cols'),
    transposeTimes: (q, l) => xtTimes(x, q, l, ws, cols64),
    leftVectors(q, r, l, k) {
      const r32 = ws.named32('rsvd.r', l * k);
      for (let a = 0; a < l; a++) for (let j = 0; j < k; j++) r32[a * k + j] = r.get(a, j);
      const u32 = ws.named32('rsvd.u', rows * k);
      ws.backend.gemm(false, false, rows, k, l, q, r32, u32);
      return Float64Array.from(u32);
    },
  });
}

/**
 * An orthonormal basis of A's columns (rows × l, float32, in place): A·R⁻¹ with RᵀR = AᵀA, twice.
 * A nearly rank-deficient A (a failed Cholesky) falls back to float64 Householder via linalg.ts.
 */
function orthonormalize(a: Float32Array, rows: number, l: number, ws: Workspace, tag: string): Float32Array {
  const out = ws.named32(`rsvd.q.${tag}`, rows * l);
  for (let pass = 0; pass < 2; pass++) {
    const src = pass === 0 ? a : out;
    const g = gram(src, rows, l, ws, ws.named64('rsvd.gram', l * l));
    const cholesky = new CholeskyDecomposition(Matrix.from1DArray(l, l, g));
    const lower = cholesky.isPositiveDefinite() ? cholesky.lowerTriangularMatrix : null;
    let ok = lower !== null;
    for (let j = 0; ok && j < l; j++) ok = lower!.get(j, j) >= 1e-4 * Math.sqrt(g[j * l + j]);
    if (!ok) {
      const q = orthonormalColumns(Float64Array.from(src), rows, l);
      for (let i = 0; i < q.length; i++) out[i] = q[i];
      return out;
    }
    // R = Lᵀ; R⁻¹ (upper triangular) by back substitution, float64.
    const rinv = new Float64Array(l * l);
    for (let j = 0; j < l; j++) {
      rinv[j * l + j] = 1 / lower!.get(j, j);
      for (let i = j - 1; i >= 0; i--) {
        let s = 0;
        for (let m = i + 1; m <= j; m++) s += lower!.get(m, i) * rinv[m * l + j];
        rinv[i * l + j] = -s / lower!.get(i, i);
      }
    }
    const rinv32 = toF32(rinv, ws.named32('rsvd.rinv', l * l));
    if (pass === 0) ws.backend.gemm(false, false, rows, l, l, src, rinv32, out);
    else {
      const tmp = ws.named32(`rsvd.tmp.${tag}`, rows * l);
      ws.backend.gemm(false, false, rows, l, l, src, rinv32, tmp);
      out.set(tmp);
    }
  }
  return out;
}

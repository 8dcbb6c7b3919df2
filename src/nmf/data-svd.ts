// The randomized SVD behind the nndsvd inits, for data matrices on a matmul backend: the algorithm
// and settings of svd.ts (scikit-learn's randomized_svd: 10 extra samples, 7 power iterations
// when k < 0.1·min(n, d), else 4), with every n-sized product a float32 gemm. Orthonormalization is
// Cholesky-QR twice, its Gram matrix summed over blocks of rows in float64 (data-products.ts) and
// Q = A·R⁻¹ a gemm; the l × l factorizations are float64. For MNIST (60,000 × 784, k = 64) this
// turns ~20 s of float64 TypeScript into a few seconds of gemm.
import { CholeskyDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { Rng } from '../tensor/rng.ts';
import type { NmfData } from './data-matrix.ts';
import { gram, type Workspace, xTimes, xtTimes } from './data-products.ts';
import { orthonormalColumns } from './linalg.ts';
import type { TruncatedSvd } from './svd.ts';

export function dataRandomizedSvd(x: NmfData, k: number, rng: Rng, ws: Workspace): TruncatedSvd {
  const { rows, cols } = x;
  const l = Math.min(k + 10, rows, cols);
  const iterations = k < 0.1 * Math.min(rows, cols) ? 7 : 4;
  const omega = ws.named32('rsvd.omega', cols * l);
  rng.fillNormal(omega);
  const rowsBlock = ws.named32('rsvd.rows', rows * l);
  const colsBlock = ws.named32('rsvd.cols', cols * l);
  const cols64 = ws.named64('rsvd.cols64', cols * l);
  const orthRows = (a: Float32Array) => orthonormalize(a, rows, l, ws, 'rows');
  const orthCols = (a: Float32Array) => orthonormalize(a, cols, l, ws, 'cols');

  let q = orthRows(xTimes(x, omega, l, ws.backend, rowsBlock));
  for (let i = 0; i < iterations; i++) {
    const z = orthCols(toF32(xtTimes(x, q, l, ws, cols64), colsBlock));
    q = orthRows(xTimes(x, z, l, ws.backend, rowsBlock));
  }
  // Bᵀ = Xᵀ·Q (cols × l); if Bᵀ = P·S·Rᵀ then X ≈ Q·B = (Q·R)·S·Pᵀ.
  const bt = xtTimes(x, q, l, ws, cols64);
  const svd = new SingularValueDecomposition(Matrix.from1DArray(cols, l, bt), { autoTranspose: true });
  const p = svd.leftSingularVectors; // cols × l
  const r = svd.rightSingularVectors; // l × l
  const r32 = ws.named32('rsvd.r', l * k);
  for (let a = 0; a < l; a++) for (let j = 0; j < k; j++) r32[a * k + j] = r.get(a, j);
  const u32 = ws.named32('rsvd.u', rows * k);
  ws.backend.gemm(false, false, rows, k, l, q, r32, u32);
  const v = new Float64Array(cols * k);
  for (let i = 0; i < cols; i++) for (let j = 0; j < k; j++) v[i * k + j] = p.get(i, j);
  return { u: Float64Array.from(u32), s: Float64Array.from(svd.diagonal.slice(0, k)), v };
}

function toF32(a: Float64Array, out: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
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

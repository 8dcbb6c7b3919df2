// scikit-learn's _beta_divergence(X, W, H, beta, square_root=True) for the two losses NMF of data
// offers, computed on the backend without forming W·H in float64:
// - Frobenius: ‖X − WH‖_F = sqrt(‖X‖² − 2⟨W, X·Hᵀ⟩ + ⟨WᵀW, H·Hᵀ⟩), the inner products and Gram
//   matrices in float64 (X·Hᵀ itself a float32 gemm);
// - Kullback–Leibler: sqrt(2·D), D = Σ_{X>ε} X·log(X / WH) + Σ WH − Σ_{X>ε} X (ε = float32's machine
//   epsilon, WH = 0 replaced by ε), with WH from a float32 gemm over blocks of rows and float64 sums.
import type { NmfData } from './data-matrix.ts';
import { dot, gram, type Workspace, xTimes } from './data-products.ts';
import { frobeniusFromProducts } from './linalg.ts';

/** scikit-learn's EPSILON: float32's machine epsilon. */
export const EPSILON = 2 ** -23;

export type BetaLoss = 'frobenius' | 'kullback-leibler';

/** W (n × k) and Hᵀ (d × k), float64 with their float32 copies. */
export interface DataFactors {
  readonly k: number;
  readonly w: Float64Array;
  readonly w32: Float32Array;
  readonly ht: Float64Array;
  readonly ht32: Float32Array;
}

/** Rows of W·H formed at a time for the Kullback–Leibler loss. */
export const KL_CHUNK = 1024;

export function frobeniusError(x: NmfData, f: DataFactors, ws: Workspace): number {
  const { k } = f;
  const xht = xTimes(x, f.ht32, k, ws.backend, ws.named32('loss.xht', x.rows * k));
  const wtw = gram(f.w32, x.rows, k, ws, ws.named64('loss.wtw', k * k));
  const hht = gram(f.ht32, x.cols, k, ws, ws.named64('loss.hht', k * k));
  return frobeniusFromProducts(x.squaredNorm, dot(f.w, xht, x.rows * k), dot(wtw, hht, k * k));
}

/** The generalized Kullback–Leibler divergence D(X ‖ WH) (not its square root). */
export function klDivergence(x: NmfData, f: DataFactors, ws: Workspace): number {
  const { rows, cols, values } = x;
  const { k } = f;
  const wh = ws.named32('kl.wh', Math.min(rows, KL_CHUNK) * cols);
  let sumLog = 0;
  let sumX = 0;
  for (let r0 = 0; r0 < rows; r0 += KL_CHUNK) {
    const r1 = Math.min(rows, r0 + KL_CHUNK);
    ws.backend.gemm(false, true, r1 - r0, cols, k, f.w32.subarray(r0 * k, r1 * k), f.ht32, wh);
    const base = r0 * cols;
    for (let i = 0; i < (r1 - r0) * cols; i++) {
      const v = values[base + i];
      if (v > EPSILON) {
        const m = wh[i] === 0 ? EPSILON : wh[i];
        sumLog += v * Math.log(v / m);
        sumX += v;
      }
    }
  }
  // Σ WH = (column sums of W)·(row sums of H), in float64.
  let sumWh = 0;
  for (let t = 0; t < k; t++) {
    let sw = 0;
    for (let i = 0; i < rows; i++) sw += f.w[i * k + t];
    let sh = 0;
    for (let j = 0; j < cols; j++) sh += f.ht[j * k + t];
    sumWh += sw * sh;
  }
  return sumLog + sumWh - sumX;
}

/** scikit-learn's reconstruction_err_: ‖X − WH‖_F, or sqrt(2·D_KL). */
export function betaError(loss: BetaLoss, x: NmfData, f: DataFactors, ws: Workspace): number {
  if (loss === 'frobenius') return frobeniusError(x, f, ws);
  return Math.sqrt(2 * Math.max(0, klDivergence(x, f, ws)));
}

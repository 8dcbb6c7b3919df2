// The 'cd' solver's sweep: coordinate descent over a factor F (rows × k), scikit-learn's
// _update_cdnmf_fast (fast HALS, Cichocki & Phan 2009). With G the Gram matrix of the other factor
// (l2 added on its diagonal) and T = X·(other factor) (l1 subtracted), coordinate F[i, t] moves to
// the minimizer of the loss along it, clipped at 0 (`cdCoordinate`):
//   F[i, t] ← max(0, F[i, t] − ((F·G)[i, t] − T[i, t]) / G[t, t]).
// Rows are independent, so the row-by-row order here gives the same iterates as scikit-learn's
// component-by-component order (t = 0…k−1 within a row, no shuffling). Two ways to get the gradient:
// - `coordinateDescentRow` (`nmf`, float64): a fresh dot product per coordinate over the row's
//   non-zero entries only (NMF of the identity turns the factors sparse within a few iterations).
// - `cdSweepRows` (NMF of data): each row starts from g = F_i·G − T_i (+ l1), with F·G from a float32
//   gemm (P below), and after F[i, t] moves by δ only the coordinates still to come are corrected,
//   g[s] += δ·G[t, s] for s > t: ≤ k²/2 float64 multiply-adds per row, none for an entry that is 0
//   and stays 0. It also sums scikit-learn's projected-gradient "violation", which its 'cd' stops on.
//   cd-sweep-wasm.ts runs the same arithmetic in the same order with f64x2 (WebAssembly SIMD), so
//   the two agree bit for bit.
import type { RowUpdate } from './linalg.ts';

/** One coordinate's move: the minimizer along it, max(0, old − grad / hess). */
export function cdCoordinate(old: number, grad: number, hess: number): number {
  return Math.max(old - grad / hess, 0);
}

/**
 * `nmf`'s update of one row of F (float64, see linalg.ts's updateRows): each coordinate's gradient a
 * fresh dot product over the row's non-zero entries (an entry that turns zero stays listed; it adds 0).
 */
export const coordinateDescentRow: RowUpdate = (f, g, t, o, k, count, { nz }) => {
  for (let c = 0; c < k; c++) {
    const hess = g[c * k + c];
    if (hess === 0) continue; // the other factor's component c is all zero: nothing to fit
    const gRow = c * k;
    let grad = -t[o + c];
    if (count === k) {
      // A dense row (the first iteration or two): a straight dot product, without the index list.
      for (let s = 0; s < k; s++) grad += f[o + s] * g[gRow + s];
    } else {
      for (let a = 0; a < count; a++) {
        const s = nz[a];
        grad += f[o + s] * g[gRow + s];
      }
    }
    const old = f[o + c];
    const next = cdCoordinate(old, grad, hess);
    if (old === 0 && next !== 0) nz[count++] = c;
    f[o + c] = next;
  }
};

/** Where the sweep's inputs and outputs are. */
export interface CdSweepArgs {
  /** F (rows × k), float64, updated in place. */
  readonly f: Float64Array;
  /** F rounded to float32 after the sweep (rows × k), for the next gemm. */
  readonly f32: Float32Array;
  /** G (k × k, symmetric), the Gram matrix of the other factor with l2 added on its diagonal. */
  readonly g: Float64Array;
  /** P = F·G (rows × k) before the sweep, from a float32 gemm. */
  readonly p: Float32Array;
  /** T = X·(other factor) (rows × k). */
  readonly t: Float32Array | Float64Array;
  readonly rows: number;
  readonly k: number;
  /** The L1 penalty, subtracted from T as scikit-learn does. */
  readonly l1: number;
}

/** Sweeps every row once; returns Σ |projected gradient| at each coordinate when it was visited. */
export function cdSweepRows(a: CdSweepArgs): number {
  const { f, f32, g, p, t, rows, k, l1 } = a;
  const grad = new Float64Array(k);
  let violation = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    for (let s = 0; s < k; s++) grad[s] = p[o + s] - t[o + s] + l1;
    for (let c = 0; c < k; c++) {
      const gr = grad[c];
      const old = f[o + c];
      violation += Math.abs(old === 0 ? Math.min(0, gr) : gr);
      const hess = g[c * k + c];
      if (hess === 0) continue; // the other factor's component c is all zero: nothing to fit
      const next = cdCoordinate(old, gr, hess);
      const delta = next - old;
      if (delta === 0) continue;
      f[o + c] = next;
      const row = c * k;
      for (let s = c + 1; s < k; s++) grad[s] += delta * g[row + s];
    }
    for (let s = 0; s < k; s++) f32[o + s] = f[o + s];
  }
  return violation;
}

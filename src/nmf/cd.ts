// The 'cd' solver: coordinate descent over a factor F (rows × k), scikit-learn's _update_cdnmf_fast
// (fast HALS, Cichocki & Phan 2009), for `nmf` (the row update) and for NMF of data (the sweep, and
// `fitCdData` below: scikit-learn's _fit_coordinate_descent). With G the Gram matrix of the other
// factor (l2 added on its diagonal) and T = X·(other factor) (l1 subtracted), coordinate F[i, t]
// moves to the minimizer of the loss along it, clipped at 0 (`cdCoordinate`):
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
import { type CdSweepArgs, wasmCdSweep } from './cd-sweep-wasm.ts';
import type { DataFactors } from './data-loss.ts';
import type { NmfData } from './data-matrix.ts';
import { gram, timesSquare, toF32, type Workspace, xTimes, xtTimes } from './data-products.ts';
import type { RowUpdate } from './linalg.ts';
import type { Penalties } from './options.ts';
import type { SolverStop } from './stopping.ts';

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

// NMF of data's 'cd', as scikit-learn's _fit_coordinate_descent: each iteration
// sweeps W (against H·Hᵀ and X·Hᵀ), then H (against WᵀW and Xᵀ·W); L2 adds to the Gram
// matrix's diagonal, L1 subtracts from X·(other factor); it stops when the summed violation
// (projected gradients) of an iteration is ≤ tol × that of the first.
type Sweep = (a: CdSweepArgs) => number;

/** The sweep for this backend: WebAssembly on the simd backend's memory, else TypeScript. */
export function sweepFor(ws: Workspace): Sweep {
  const fast = wasmCdSweep(ws.backend, { scratch64: (name, length) => ws.named64(name, length) });
  if (!fast) return cdSweepRows;
  const grad = ws.named64('cd.grad', 1024);
  return (a) => fast(a, a.k <= grad.length ? grad : ws.named64('cd.grad', a.k));
}

/**
 * One half-step: sweeps F (rows × k) given the other factor O (otherRows × k, float32) and
 * T = X·O (or Xᵀ·O); returns the violation.
 */
function halfStep(
  f: Float64Array,
  f32: Float32Array,
  rows: number,
  other32: Float32Array,
  otherRows: number,
  t: Float32Array | Float64Array,
  k: number,
  l1: number,
  l2: number,
  ws: Workspace,
  sweep: Sweep,
): number {
  const g = gram(other32, otherRows, k, ws, ws.named64('cd.g', k * k));
  if (l2 !== 0) for (let c = 0; c < k; c++) g[c * k + c] += l2;
  const g32 = toF32(g, ws.named32('cd.g32', k * k));
  const p = timesSquare(f32, g32, rows, k, ws.backend, ws.named32('cd.p', rows * k));
  return sweep({ f, f32, g, p, t, rows, k, l1 });
}

/** Runs the solver from `f` in place; returns the iterations done (scikit-learn's n_iter_). */
export function fitCdData(
  x: NmfData,
  f: DataFactors,
  pen: Penalties,
  stop: SolverStop,
  ws: Workspace,
  updateH = true,
): number {
  const { k } = f;
  const sweep = sweepFor(ws);
  let violationInit = 0;
  // With H fixed (transform) X·Hᵀ does not change: compute it once.
  const xhtFixed = updateH ? null : xTimes(x, f.ht32, k, ws.backend, ws.named32('cd.xht', x.rows * k));
  for (let iter = 1; iter <= stop.maxIter; iter++) {
    const xht = xhtFixed ?? xTimes(x, f.ht32, k, ws.backend, ws.named32('cd.xht', x.rows * k));
    let violation = halfStep(f.w, f.w32, x.rows, f.ht32, x.cols, xht, k, pen.l1W, pen.l2W, ws, sweep);
    if (updateH) {
      const xtw = xtTimes(x, f.w32, k, ws, ws.named64('cd.xtw', x.cols * k));
      violation += halfStep(f.ht, f.ht32, x.cols, f.w32, x.rows, xtw, k, pen.l1H, pen.l2H, ws, sweep);
    }
    if (iter === 1) violationInit = violation;
    if (violationInit === 0) return iter;
    if (violation / violationInit <= stop.tol) return iter;
  }
  return stop.maxIter;
}

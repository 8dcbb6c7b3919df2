// The 'cd' solver for NMF of data, as scikit-learn's _fit_coordinate_descent: each iteration
// sweeps W (against H·Hᵀ and X·Hᵀ), then H (against WᵀW and Xᵀ·W); L2 adds to the Gram
// matrix's diagonal, L1 subtracts from X·(other factor); it stops when the summed violation
// (projected gradients) of an iteration is ≤ tol × that of the first.
import { type CdSweepArgs, cdSweepRows } from './cd-sweep.ts';
import { wasmCdSweep } from './cd-sweep-wasm.ts';
import type { DataFactors } from './data-loss.ts';
import type { NmfData } from './data-matrix.ts';
import { gram, timesSquare, toF32, type Workspace, xTimes, xtTimes } from './data-products.ts';
import type { Penalties } from './options.ts';
import type { SolverStop } from './stopping.ts';

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

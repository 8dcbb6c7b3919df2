// One coordinate-descent sweep over a factor F (rows × k) for NMF of data: scikit-learn's
// _update_cdnmf_fast (fast HALS, Cichocki & Phan 2009) with its projected-gradient "violation",
// which is what its 'cd' solver stops on. Rows are independent, so the row-by-row order here gives
// the same iterates as scikit-learn's component-by-component order.
//
// Instead of a fresh k-term dot product per coordinate, each row starts from the gradient
// g = F_i·G − T_i (+ l1), with F·G from a float32 gemm (P below), and after F[i, t] moves by δ only
// the coordinates still to come are corrected, g[s] += δ·G[t, s] for s > t. That is ≤ k²/2 float64
// multiply-adds per row, none at all for an entry that is 0 and stays 0 (most of them once the
// factors turn sparse). The running gradient and the update are float64.
//
// `cdSweepRows` is the plain TypeScript version; cd-sweep-wasm.ts runs the same arithmetic in the
// same order with f64x2 (WebAssembly SIMD), so the two agree bit for bit.

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
      const next = Math.max(old - gr / hess, 0);
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

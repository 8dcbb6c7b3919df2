// One sweep of coordinate descent over the factor F, the 'cd' solver (fast HALS, Cichocki & Phan
// 2009; scikit-learn's _update_cdnmf_fast). With G = the Gram matrix of the other factor and
// T = X·(other factor), coordinate F[i, t] moves to the minimizer of the loss along it, clipped at 0:
//   F[i, t] ← max(0, F[i, t] − ((F·G)[i, t] − T[i, t]) / G[t, t]).
// Rows are independent, so each row's k updates run together (row i of F stays in cache), in the
// order t = 0…k−1 as scikit-learn does without shuffling.

/**
 * Updates F (rows × k) in place given G (k × k) and T (rows × k); `nz` is scratch of k entries.
 * The gradient only visits the row's non-zero entries: NMF of the identity turns the factors sparse
 * within a few iterations (a handful of non-zeros per row of 128), which makes later sweeps ~20×
 * cheaper than dense k² per row.
 */
export function coordinateDescentSweep(
  f: Float64Array,
  g: Float64Array,
  t: Float64Array,
  rows: number,
  k: number,
  nz: Int32Array,
): void {
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    // Indices that may be non-zero; an entry that turns zero stays listed (it adds 0).
    let count = 0;
    for (let s = 0; s < k; s++) if (f[o + s] !== 0) nz[count++] = s;
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
      const next = Math.max(old - grad / hess, 0);
      if (old === 0 && next !== 0) nz[count++] = c;
      f[o + c] = next;
    }
  }
}

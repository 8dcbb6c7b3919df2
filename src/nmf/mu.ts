// One multiplicative update of the factor F, the 'mu' solver (Lee & Seung 2001, Frobenius loss, as
// scikit-learn's _multiplicative_update_w/_h with beta_loss=2 and no regularization):
//   F ← F ∘ T / (F·G),
// with G the Gram matrix of the other factor and T = X·(other factor). It never increases
// ‖X − WH‖_F, and an entry that is 0 stays 0.

/** scikit-learn replaces a zero denominator by float32's machine epsilon. */
const EPSILON = 2 ** -23;

/**
 * Updates F (rows × k) in place given G (k × k, symmetric) and T (rows × k). `nz` and `denominator`
 * are scratch of k entries. Each row's denominators are computed from the row's old values first
 * (the update is simultaneous within a row), visiting only its non-zero entries.
 */
export function multiplicativeStep(
  f: Float64Array,
  g: Float64Array,
  t: Float64Array,
  rows: number,
  k: number,
  nz: Int32Array,
  denominator: Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let count = 0;
    for (let s = 0; s < k; s++) if (f[o + s] !== 0) nz[count++] = s;
    // denominator = F[i, :]·G as a sum of G's rows (G is symmetric), only over non-zero F[i, s].
    denominator.fill(0, 0, k);
    for (let a = 0; a < count; a++) {
      const s = nz[a];
      const v = f[o + s];
      const gRow = s * k;
      for (let c = 0; c < k; c++) denominator[c] += v * g[gRow + c];
    }
    for (let a = 0; a < count; a++) {
      const c = nz[a];
      const d = denominator[c];
      f[o + c] *= t[o + c] / (d === 0 ? EPSILON : d);
    }
  }
}

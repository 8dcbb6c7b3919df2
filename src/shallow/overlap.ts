// How far the learned encoder vectors w^k have turned towards the top principal components.
// Every summary here is invariant to the sign of each w^k and to the order of the hidden units:
// the matrix holds |cos|, and each summary is a max over units or a projection on their span.

/** Unit vectors of `vectors` (float64 copies); a zero vector stays zero. */
function normalised(vectors: readonly ArrayLike<number>[]): Float64Array[] {
  return vectors.map((v) => {
    const u = Float64Array.from(v);
    let n = 0;
    for (const x of u) n += x * x;
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < u.length; i++) u[i] /= n;
    return u;
  });
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[bOffset + i];
  return s;
}

/**
 * O[k·M + m] = |ŵ^k · u_m|, ŵ^k = w^k/‖w^k‖, for K vectors and M unit components (M×D row-major,
 * as Pca.components). Flipping the sign of a w^k leaves O unchanged; permuting units permutes rows.
 */
export function overlapMatrix(
  vectors: readonly ArrayLike<number>[],
  components: ArrayLike<number>,
  m: number,
): Float64Array {
  const units = normalised(vectors);
  const d = units[0]?.length ?? 0;
  const out = new Float64Array(units.length * m);
  units.forEach((u, k) => {
    for (let c = 0; c < m; c++) out[k * m + c] = Math.abs(dot(u, components, c * d));
  });
  return out;
}

/** Per component m, the best-aligned unit: max_k O[k, m] (invariant to sign and unit order). */
export function bestUnitOverlaps(matrix: ArrayLike<number>, k: number, m: number): number[] {
  return Array.from({ length: m }, (_, c) => {
    let best = 0;
    for (let j = 0; j < k; j++) best = Math.max(best, matrix[j * m + c]);
    return best;
  });
}

/**
 * Per component m, ‖P u_m‖ with P the orthogonal projection on span{w^k}: 1 when the units'
 * span contains u_m, whatever rotation inside the span they settled on. Invariant to signs, order
 * and any invertible mixing of the units. Gram–Schmidt (twice) in float64; a unit that lies in the
 * span of the earlier ones adds nothing.
 */
export function subspaceOverlaps(
  vectors: readonly ArrayLike<number>[],
  components: ArrayLike<number>,
  m: number,
): number[] {
  const basis: Float64Array[] = [];
  for (const v of normalised(vectors)) {
    const q = Float64Array.from(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const p = dot(q, b);
        for (let i = 0; i < q.length; i++) q[i] -= p * b[i];
      }
    }
    const n = Math.sqrt(dot(q, q));
    if (n < 1e-8) continue;
    for (let i = 0; i < q.length; i++) q[i] /= n;
    basis.push(q);
  }
  const d = vectors[0]?.length ?? 0;
  return Array.from({ length: m }, (_, c) => {
    let s = 0;
    for (const b of basis) s += dot(b, components, c * d) ** 2;
    return Math.sqrt(Math.min(1, s));
  });
}

/**
 * The first recorded step at which each series reaches `threshold`, or null if it never does:
 * `series[i][m]` is component m's overlap at `steps[i]`.
 */
export function crossingSteps(
  steps: readonly number[],
  series: readonly (readonly number[])[],
  threshold: number,
): (number | null)[] {
  const m = series[0]?.length ?? 0;
  return Array.from({ length: m }, (_, c) => {
    const i = series.findIndex((row) => row[c] >= threshold);
    return i < 0 ? null : steps[i];
  });
}

/**
 * Central finite differences of a float64 function, the oracle for backward passes:
 * ∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h, truncation error O(h²·L''').
 */
export function numericGradient(
  loss: (inputs: Float64Array[]) => number,
  inputs: Float64Array[],
  which: number,
  h = 1e-5,
): Float64Array {
  const x = inputs[which];
  const g = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) {
    const saved = x[j];
    x[j] = saved + h;
    const up = loss(inputs);
    x[j] = saved - h;
    const down = loss(inputs);
    x[j] = saved;
    g[j] = (up - down) / (2 * h);
  }
  return g;
}

/** Largest |a − b| / (atol + rtol·|b|) over all entries; ≤ 1 means they agree. */
export function worstRelativeError(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rtol: number,
  atol: number,
): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return worst;
}

// How "parts-like" NMF components are, measured per basis image h (one row of H).

/** Hoyer's sparsity (2004): (√n − ‖h‖₁/‖h‖₂)/(√n − 1), 0 for a constant vector, 1 for one non-zero. */
export function hoyerSparsity(h: ArrayLike<number>, offset = 0, length = h.length - offset): number {
  let max = 0;
  for (let i = offset; i < offset + length; i++) max = Math.max(max, Math.abs(h[i]));
  if (max === 0 || length < 2) return 0; // an all-zero component is no part at all
  // Scaled by the largest entry, so tiny components neither underflow nor overflow when squared.
  let l1 = 0;
  let l2 = 0;
  for (let i = offset; i < offset + length; i++) {
    const v = Math.abs(h[i]) / max;
    l1 += v;
    l2 += v * v;
  }
  const root = Math.sqrt(length);
  return (root - l1 / Math.sqrt(l2)) / (root - 1);
}

/** Entries at most this fraction of their component's largest count as near zero. */
export const NEAR_ZERO_FRACTION = 0.01;

/** The fraction of entries of h with |h_i| ≤ 0.01·max|h|. */
export function nearZeroFraction(h: ArrayLike<number>, offset = 0, length = h.length - offset): number {
  let max = 0;
  for (let i = offset; i < offset + length; i++) max = Math.max(max, Math.abs(h[i]));
  let count = 0;
  for (let i = offset; i < offset + length; i++) if (Math.abs(h[i]) <= NEAR_ZERO_FRACTION * max) count++;
  return count / length;
}

/** Means of both measures over the k rows of H (k × d). */
export function componentSparsity(
  h: ArrayLike<number>,
  k: number,
  d: number,
): { hoyer: number; nearZero: number } {
  let hoyer = 0;
  let nearZero = 0;
  for (let t = 0; t < k; t++) {
    hoyer += hoyerSparsity(h, t * d, d);
    nearZero += nearZeroFraction(h, t * d, d);
  }
  return { hoyer: hoyer / k, nearZero: nearZero / k };
}

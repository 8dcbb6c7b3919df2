// The per-configuration test of the sae verdicts (verdicts.ts): an exact paired sign-flip permutation test on per-seed differences (two-sided, mean
// difference as statistic). With s seeds its smallest p-value is 2/2^s (0.25 for 3 seeds), which
// the verdict states rather than hides.

export interface PairedTest {
  readonly meanDifference: number;
  readonly p: number;
  readonly pairs: number;
  readonly smallestPossibleP: number;
}

export function pairedTest(a: readonly number[], b: readonly number[]): PairedTest {
  if (a.length !== b.length) throw new RangeError(`pairedTest: ${a.length} vs ${b.length} values`);
  const diffs = a.map((v, i) => v - b[i]).filter(Number.isFinite);
  const s = diffs.length;
  if (s === 0) return { meanDifference: Number.NaN, p: Number.NaN, pairs: 0, smallestPossibleP: Number.NaN };
  if (s > 20) throw new RangeError(`pairedTest: ${s} pairs are too many for the exact test`);
  const observed = Math.abs(diffs.reduce((t, v) => t + v, 0));
  let extreme = 0;
  for (let mask = 0; mask < 2 ** s; mask++) {
    let t = 0;
    for (let i = 0; i < s; i++) t += mask & (1 << i) ? -diffs[i] : diffs[i];
    if (Math.abs(t) >= observed - 1e-12 * Math.max(1, observed)) extreme++;
  }
  return {
    meanDifference: diffs.reduce((t, v) => t + v, 0) / s,
    p: extreme / 2 ** s,
    pairs: s,
    smallestPossibleP: 2 / 2 ** s,
  };
}

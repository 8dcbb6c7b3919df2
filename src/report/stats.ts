// Two-sample tests for comparing initializers across seeds, over stdlib's implementations
// (@stdlib/stats-*), two-sided throughout. This module only adapts them: it names the test, checks
// the input, and answers the degenerate cases (no spread at all) that stdlib leaves undefined.
//
// Which test the report uses: the paired t-test (`PRIMARY_TEST`). Every run with seed s shares
// the seed's validation split and batch order with the other initializers' runs of seed s, so the
// per-seed differences cancel what the seed does to both; pairing by seed is what the design
// gives. The t-test rather than Wilcoxon's signed-rank test because with n seeds the signed-rank
// test's smallest two-sided p-value is 2/2ⁿ: 0.0625 for 5 seeds, never significant at 0.05
// however clear the difference. Welch, Mann–Whitney and Wilcoxon are reported alongside, so a
// reader can see where the verdict leans on the normal model.
import kruskalTest from '@stdlib/stats-kruskal-test';
import ttest from '@stdlib/stats-ttest';
import ttest2 from '@stdlib/stats-ttest2';
import wilcoxon from '@stdlib/stats-wilcoxon';

export const TEST_NAMES = ['paired-t', 'wilcoxon-signed-rank', 'welch-t', 'mann-whitney-u'] as const;
export type TestName = (typeof TEST_NAMES)[number];

/** The test the verdicts use (see the comment at the top). */
export const PRIMARY_TEST: TestName = 'paired-t';

/** Why the verdicts use PRIMARY_TEST, for reports to state (the comment at the top, in a sentence). */
export const PRIMARY_TEST_REASON =
  'Runs with the same seed share the validation split and the batch order whatever the initializer, ' +
  'so each seed gives a pair and the per-seed differences cancel what the seed does to both; ' +
  "the t-test rather than Wilcoxon's signed-rank test because with n seeds the signed-rank test " +
  'cannot go below p = 2/2ⁿ (0.0625 for 5 seeds), however clear the difference.';

/**
 * The fewest paired seeds with which a report calls a difference significant or prints it in bold.
 * A paired t-test of 2 seeds has 1 degree of freedom: its p rests wholly on the normal model.
 */
export const MIN_PAIRED_SEEDS = 5;

/** The one policy on tests every report that tests states once (autoencoder-init, sae). */
export const STATISTICS_POLICY =
  'Statistics (one policy for every nmfinit report): a difference is judged by the two-sided paired ' +
  't-test across seeds (runs with the same seed share the data split and batch order, so each seed gives a pair), ' +
  `significant at p < 0.05, and is called significant or printed in bold only with at least ${MIN_PAIRED_SEEDS} ` +
  'paired seeds; with fewer, p is printed with its degrees of freedom (df = pairs − 1) and nothing is bold. ' +
  "Not Wilcoxon's signed-rank test: with n pairs it cannot go below p = 2/2ⁿ (0.0625 for 5), however clear " +
  'the difference; results.json keeps it beside the t-test.';

/** Whether `pairs` paired seeds are enough for a report to call a difference significant. */
export const enoughPairs = (pairs: number): boolean => pairs >= MIN_PAIRED_SEEDS;

/** "0.30" or, below MIN_PAIRED_SEEDS pairs, "0.30, df 1": p with what it rests on. */
export function pWithDf(p: string, pairs: number): string {
  return enoughPairs(pairs) ? p : `${p}, df ${pairs - 1}`;
}

export const TEST_LABELS: Record<TestName, string> = {
  'paired-t': 'paired t-test',
  'wilcoxon-signed-rank': 'Wilcoxon signed-rank test',
  'welch-t': "Welch's t-test",
  'mann-whitney-u': 'Mann–Whitney U test',
};

export interface TestResult {
  readonly test: TestName;
  /** Two-sided p-value in [0, 1]. */
  readonly pValue: number;
  /** The test's statistic as stdlib reports it (t, R⁺, or the Kruskal–Wallis H); NaN when degenerate. */
  readonly statistic: number;
}

/** Welch's unequal-variance t-test of mean(x) = mean(y) (scipy: ttest_ind(x, y, equal_var=False)). */
export function welchT(x: readonly number[], y: readonly number[]): TestResult {
  check('welchT', x, y, false);
  const spread = variance(x) + variance(y);
  if (spread === 0) return degenerate('welch-t', mean(x) === mean(y));
  const r = ttest2([...x], [...y], { variance: 'unequal' });
  return { test: 'welch-t', pValue: clamp(r.pValue), statistic: r.statistic };
}

/**
 * The Mann–Whitney U test, two-sided, by its normal approximation with the tie correction and no
 * continuity correction. stdlib has no Mann–Whitney test; its Kruskal–Wallis test on two groups is
 * the same test (H = z², p = P(χ²₁ ≥ H)). scipy: mannwhitneyu(x, y, method='asymptotic',
 * use_continuity=False), equal to kruskal(x, y).
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): TestResult {
  check('mannWhitneyU', x, y, false);
  const all = [...x, ...y];
  if (all.every((v) => v === all[0])) return degenerate('mann-whitney-u', true);
  const r = kruskalTest([...x], [...y]);
  return { test: 'mann-whitney-u', pValue: clamp(r.pValue), statistic: r.statistic };
}

/** The paired t-test of mean(x − y) = 0 over pairs (x[i], y[i]) (scipy: ttest_rel(x, y)). */
export function pairedT(x: readonly number[], y: readonly number[]): TestResult {
  check('pairedT', x, y, true);
  const d = x.map((v, i) => v - y[i]);
  if (variance(d) === 0) return degenerate('paired-t', mean(d) === 0);
  const r = ttest([...x], [...y]);
  return { test: 'paired-t', pValue: clamp(r.pValue), statistic: r.statistic };
}

/**
 * Wilcoxon's signed-rank test of the pairs' differences, zero differences dropped; exact without
 * tied |differences| or zeros (n ≤ 50), else the normal approximation with tie and continuity
 * corrections. scipy: wilcoxon(x, y) without ties, wilcoxon(x, y, method='approx', correction=True)
 * with them (scipy's 'auto' stays exact with ties, though its exact distribution assumes none).
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[]): TestResult {
  check('wilcoxonSignedRank', x, y, true);
  if (x.every((v, i) => v === y[i])) return degenerate('wilcoxon-signed-rank', true);
  const r = wilcoxon([...x], [...y]);
  return { test: 'wilcoxon-signed-rank', pValue: clamp(r.pValue), statistic: r.statistic };
}

const TESTS: Record<TestName, (x: readonly number[], y: readonly number[]) => TestResult> = {
  'paired-t': pairedT,
  'wilcoxon-signed-rank': wilcoxonSignedRank,
  'welch-t': welchT,
  'mann-whitney-u': mannWhitneyU,
};

/** Runs one named test. */
export function runTest(test: TestName, x: readonly number[], y: readonly number[]): TestResult {
  return TESTS[test](x, y);
}

/** Every test on the same pairs, keyed by name. */
export function allTests(x: readonly number[], y: readonly number[]): Record<TestName, TestResult> {
  return Object.fromEntries(TEST_NAMES.map((name) => [name, TESTS[name](x, y)])) as Record<
    TestName,
    TestResult
  >;
}

/** The arithmetic mean. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample variance (n − 1); 0 for a single value. */
export function variance(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) ** 2;
  return sum / (values.length - 1);
}

/** No spread: the samples are either the same (p = 1) or differ without noise (p = 0). */
function degenerate(test: TestName, same: boolean): TestResult {
  return { test, pValue: same ? 1 : 0, statistic: Number.NaN };
}

function clamp(p: number): number {
  return Math.min(1, Math.max(0, p));
}

function check(where: string, x: readonly number[], y: readonly number[], paired: boolean): void {
  for (const [name, s] of [
    ['x', x],
    ['y', y],
  ] as const) {
    if (s.length < 2) throw new RangeError(`${where}: ${name} needs at least 2 values, got ${s.length}`);
    const bad = s.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`${where}: ${name}[${bad}] is ${s[bad]}, expected a finite number`);
  }
  if (paired && x.length !== y.length) {
    throw new RangeError(`${where}: paired samples need equal lengths, got ${x.length} and ${y.length}`);
  }
}

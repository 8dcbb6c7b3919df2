// The two-sample tests: agreement with scipy on fixed data, and the laws every test obeys.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allTests,
  mannWhitneyU,
  pairedT,
  runTest,
  TEST_NAMES,
  welchT,
  wilcoxonSignedRank,
} from '../src/report/stats.ts';

// Reference p-values from scipy 1.10.1 (python3, `from scipy import stats`):
//   stats.ttest_ind(x, y, equal_var=False).pvalue                          welch
//   stats.ttest_rel(x, y).pvalue                                           paired
//   stats.wilcoxon(x, y).pvalue                                            wilcoxon, no tied |x − y|: exact
//   stats.wilcoxon(x, y, method='approx', correction=True).pvalue          wilcoxon, tied |x − y|: stdlib goes normal
//     (scipy's 'auto' stays exact with ties, and its exact distribution assumes there are none)
//   stats.mannwhitneyu(x, y, use_continuity=False, method='asymptotic').pvalue   (= stats.kruskal(x, y).pvalue)
const references = [
  {
    name: 'five seeds, clearly apart',
    x: [0.186, 0.179, 0.201, 0.183, 0.19],
    y: [0.245, 0.231, 0.262, 0.24, 0.251],
    welch: 3.292946323133415e-5,
    paired: 4.133798437616512e-6,
    wilcoxon: 0.05790726541729728, // |x − y| ties at 0.061: normal approximation
    mannWhitney: 0.009023438818080326,
  },
  {
    name: 'ten seeds, close',
    x: [0.0624, 0.0611, 0.065, 0.0603, 0.0632, 0.0598, 0.0641, 0.062, 0.0615, 0.066],
    y: [0.0631, 0.0605, 0.0662, 0.0611, 0.0629, 0.061, 0.0639, 0.0633, 0.0612, 0.0671],
    welch: 0.6138960136750802,
    paired: 0.06940873470910419,
    wilcoxon: 0.083984375, // exact
    mannWhitney: 0.6774705127728922,
  },
  {
    name: 'ties',
    x: [1, 2, 2, 3, 4, 5],
    y: [2, 3, 3, 4, 6, 7],
    welch: 0.21173936491728879,
    paired: 0.0014565817942910077,
    wilcoxon: 0.03054484997647522, // normal approximation
    mannWhitney: 0.22234533413401147,
  },
];

describe('two-sample tests', () => {
  it.each(references)('agree with scipy: $name', ({ x, y, welch, paired, wilcoxon, mannWhitney }) => {
    expect(welchT(x, y).pValue).toBeCloseTo(welch, 10);
    expect(pairedT(x, y).pValue).toBeCloseTo(paired, 10);
    expect(wilcoxonSignedRank(x, y).pValue).toBeCloseTo(wilcoxon, 10);
    expect(mannWhitneyU(x, y).pValue).toBeCloseTo(mannWhitney, 10);
    // Relative agreement too, where p is small.
    expect(Math.abs(pairedT(x, y).pValue / paired - 1)).toBeLessThan(1e-6);
    expect(Math.abs(welchT(x, y).pValue / welch - 1)).toBeLessThan(1e-6);
  });

  // Values on a grid of 0.001, as validation losses are printed: ties happen, denormals do not.
  const sample = (n: number) =>
    fc.array(
      fc.integer({ min: -10_000, max: 10_000 }).map((v) => v / 1000),
      { minLength: n, maxLength: n },
    );
  const pairs = fc
    .integer({ min: 3, max: 12 })
    .chain((n) => fc.tuple(sample(n), sample(n)))
    .filter(([x, y]) => new Set(x).size > 1 && new Set(y).size > 1);

  it('give p in [0, 1], the same p for (x, y) and (y, x)', () => {
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        for (const test of TEST_NAMES) {
          const p = runTest(test, x, y).pValue;
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(runTest(test, y, x).pValue).toBeCloseTo(p, 12);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('give p = 1 for identical samples', () => {
    fc.assert(
      fc.property(pairs, ([x]) => {
        for (const test of TEST_NAMES) expect(runTest(test, x, x).pValue).toBeCloseTo(1, 12);
      }),
      { numRuns: 100 },
    );
  });

  it('give a small p when one sample is shifted far: 2/2ⁿ for the signed-rank test, its floor', () => {
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        const far = y.map((v) => v + 1000);
        const n = x.length;
        expect(pairedT(x, far).pValue).toBeLessThan(1e-3);
        expect(welchT(x, far).pValue).toBeLessThan(1e-3);
        // Complete separation: U = 0, z = −√(3·n·n/(2n+1))·… gives p ≤ 0.05 from n = 4 on.
        if (n >= 4) expect(mannWhitneyU(x, far).pValue).toBeLessThan(0.05);
        // Every difference negative and no tied |difference|: the exact test's smallest p.
        const d = x.map((v, i) => Math.abs(v - far[i]));
        if (new Set(d).size === n) expect(wilcoxonSignedRank(x, far).pValue).toBeCloseTo(2 / 2 ** n, 12);
      }),
      { numRuns: 100 },
    );
  });

  it('answer samples without spread: the same → 1, apart → 0', () => {
    expect(welchT([1, 1, 1], [1, 1, 1]).pValue).toBe(1);
    expect(welchT([1, 1, 1], [2, 2, 2]).pValue).toBe(0);
    expect(pairedT([1, 2, 3], [2, 3, 4]).pValue).toBe(0); // every difference exactly −1
    expect(mannWhitneyU([5, 5], [5, 5]).pValue).toBe(1);
    expect(allTests([1, 2, 3], [1, 2, 3])['wilcoxon-signed-rank'].pValue).toBe(1);
  });

  it('reject bad input, naming the sample and the value', () => {
    expect(() => welchT([1], [1, 2])).toThrow(/welchT: x needs at least 2 values, got 1/);
    expect(() => pairedT([1, 2], [1, 2, 3])).toThrow(
      /pairedT: paired samples need equal lengths, got 2 and 3/,
    );
    expect(() => mannWhitneyU([1, 2], [1, Number.NaN])).toThrow(/mannWhitneyU: y\[1\] is NaN/);
  });
});

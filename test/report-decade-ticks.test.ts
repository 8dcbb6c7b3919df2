// decadeTicks: one tick per power of ten covering the positive values, nothing in between.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decadeTicks } from '../src/report/loss-plot-spec.ts';

describe('decadeTicks', () => {
  it('gives 1, 10, 100, 1000 for steps 1…750 (the shallow-pca axis that printed "200300")', () => {
    expect(decadeTicks([1, 5, 30, 150, 750])).toEqual([1, 10, 100, 1000]);
    expect(decadeTicks([1.2e-9, 2e-5])).toEqual([1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4]);
    expect(decadeTicks([0, -3, Number.NaN])).toEqual([]);
  });

  it('covers every positive value with consecutive powers of ten, one decade apart', () => {
    const value = fc.double({ min: 1e-12, max: 1e12, noNaN: true });
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 20 }), (values) => {
        const t = decadeTicks(values);
        expect(t[0]).toBeLessThanOrEqual(Math.min(...values) * (1 + 1e-12));
        expect(t.at(-1)!).toBeGreaterThanOrEqual(Math.max(...values) * (1 - 1e-12));
        for (let i = 1; i < t.length; i++) expect(t[i] / t[i - 1]).toBeCloseTo(10, 9);
        for (const x of t) expect(Math.log10(x)).toBeCloseTo(Math.round(Math.log10(x)), 12);
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erf, erfScaled, erfScaledDerivative } from '../src/backend/erf.ts';

// Reference values from mpmath 1.3 at 30 significant digits (mp.dps = 30; mpmath.erf / erfc),
// rounded to 17 digits (kept as strings: the literal has more digits than a double); 2.4999 and 2.5 straddle the switch from the series to the continued fraction.
const ERF: [number, string][] = [
  [0.1, '0.1124629160182849'],
  [0.5, '0.52049987781304654'],
  [1, '0.84270079294971487'],
  [1.5, '0.96610514647531073'],
  [2, '0.99532226501895273'],
  [2.4999, '0.99959283009966655'],
  [2.5, '0.99959304798255504'],
  [3, '0.99997790950300141'],
  [4, '0.9999999845827421'],
  [5.5, '0.99999999999999264'],
];

describe('erf', () => {
  it('agrees with high-precision reference values to 2 ulps', () => {
    for (const [x, digits] of ERF) {
      const want = Number(digits);
      expect(Math.abs(erf(x) - want)).toBeLessThanOrEqual(2 * Number.EPSILON * want);
      expect(erf(-x)).toBe(-erf(x));
    }
  });

  it('erf(x/√2) is 2Φ(x) − 1: Φ(1.96) = 0.97500210485177956 (mpmath ncdf)', () => {
    expect(Math.abs(erfScaled(1.96) - (2 * Number('0.97500210485177956') - 1))).toBeLessThan(4e-16);
  });

  it('is odd, increasing and inside (−1, 1)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -8, max: 8, noNaN: true }),
        fc.double({ min: 1e-3, max: 1, noNaN: true }),
        (x, dx) => {
          expect(erf(-x)).toBe(-erf(x));
          expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
          expect(erf(x + dx)).toBeGreaterThanOrEqual(erf(x));
        },
      ),
    );
  });

  it('the derivative of erf(x/√2) matches central differences of erfScaled', () => {
    fc.assert(
      fc.property(fc.double({ min: -6, max: 6, noNaN: true }), (x) => {
        const h = 1e-5;
        const numeric = (erfScaled(x + h) - erfScaled(x - h)) / (2 * h);
        expect(Math.abs(erfScaledDerivative(x) - numeric)).toBeLessThan(1e-9);
      }),
    );
  });
});

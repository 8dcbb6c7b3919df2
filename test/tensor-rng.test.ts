import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/tensor/rng.ts';
import { assertSameShape, firstNonFinite, ShapeError, Tensor } from '../src/tensor/tensor.ts';

describe('Tensor', () => {
  it('wraps an ndarray over contiguous row-major data', () => {
    const t = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(t.get(1, 0)).toBe(4);
    expect(t.rows).toBe(2);
    expect(t.cols).toBe(3);
    expect([...t.rowSlice(1, 2).data]).toEqual([4, 5, 6]);
  });

  it('rejects data of the wrong size, naming the shape', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/5 elements but shape \[2, 3\] needs 6/);
    expect(() => Tensor.zeros([2, -1])).toThrow(ShapeError);
  });

  it('shape assertions name both shapes', () => {
    expect(() => assertSameShape('add', [2, 3], [3, 2])).toThrow(/add: shapes \[2×3\] and \[3×2\] differ/);
  });

  it('finds the first non-finite value', () => {
    expect(firstNonFinite([1, 2, Number.NaN, Number.POSITIVE_INFINITY])).toBe(2);
    expect(firstNonFinite([1, 2])).toBe(-1);
  });
});

describe('Rng', () => {
  it('the same seed and path give the same stream', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), (seed, label) => {
        const a = Rng.seeded(seed).child(label);
        const b = Rng.seeded(seed).child(label);
        for (let i = 0; i < 5; i++) expect(a.uniform()).toBe(b.uniform());
      }),
    );
  });

  it('children are independent of draws from the parent and of each other', () => {
    const root = Rng.seeded(42);
    const before = root.child('layer/0').uniform();
    root.uniform();
    root.normal();
    expect(root.child('layer/0').uniform()).toBe(before);
    expect(root.child('layer/1').uniform()).not.toBe(before);
    expect(Rng.seeded(43).child('layer/0').uniform()).not.toBe(before);
  });

  it('rejects non-integer seeds', () => {
    expect(() => Rng.seeded(1.5)).toThrow(/integer/);
  });

  // With N = 200,000 draws, a sample mean is within 6 standard errors of the truth except with
  // probability ~2e-9, and a sample variance within 6 of its own standard errors likewise.
  const N = 200_000;
  const Z = 6;

  function moments(draw: () => number) {
    let s = 0;
    let s2 = 0;
    let max = 0;
    for (let i = 0; i < N; i++) {
      const x = draw();
      s += x;
      s2 += x * x;
      max = Math.max(max, Math.abs(x));
    }
    const mean = s / N;
    return { mean, variance: s2 / N - mean * mean, max };
  }

  it('uniform: mean 1/2 and variance 1/12 on [0, 1)', () => {
    const r = Rng.seeded(1);
    const { mean, variance } = moments(() => r.uniform());
    expect(Math.abs(mean - 0.5)).toBeLessThan(Z * Math.sqrt(1 / 12 / N));
    // Var(s²) ≈ (μ4 − σ⁴)/N with μ4 = 1/80 for the uniform.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(Z * Math.sqrt((1 / 80 - 1 / 144) / N));
  });

  it('normal: mean 0 and variance 1', () => {
    const r = Rng.seeded(2);
    const { mean, variance } = moments(() => r.normal());
    expect(Math.abs(mean)).toBeLessThan(Z * Math.sqrt(1 / N));
    expect(Math.abs(variance - 1)).toBeLessThan(Z * Math.sqrt(2 / N)); // μ4 − σ⁴ = 2
  });

  it('fillNormalPolar: mean 0, variance 1, fourth moment 3, the normal CDF at ±1 and ±2, pairs uncorrelated', () => {
    const draws = Rng.seeded(5).fillNormalPolar(new Float64Array(N));
    let i = 0;
    const { mean, variance } = moments(() => draws[i++]);
    expect(Math.abs(mean)).toBeLessThan(Z * Math.sqrt(1 / N));
    expect(Math.abs(variance - 1)).toBeLessThan(Z * Math.sqrt(2 / N));
    // E x⁴ = 3, Var(x⁴) = E x⁸ − 9 = 105 − 9.
    const m4 = draws.reduce((a, x) => a + x ** 4, 0) / N;
    expect(Math.abs(m4 - 3)).toBeLessThan(Z * Math.sqrt(96 / N));
    // P(x ≤ t) for t = −2, −1, 1, 2 against Φ(t), each a Bernoulli proportion.
    for (const [t, phi] of [
      [-2, 0.022750131948179],
      [-1, 0.158655253931457],
      [1, 0.841344746068543],
      [2, 0.977249868051821],
    ]) {
      const p = draws.reduce((a, x) => a + (x <= t ? 1 : 0), 0) / N;
      expect(Math.abs(p - phi)).toBeLessThan(Z * Math.sqrt((phi * (1 - phi)) / N));
    }
    // The two values of a pair share s: their product must still average 0 (independence).
    let c = 0;
    for (let j = 0; j + 1 < N; j += 2) c += draws[j] * draws[j + 1];
    expect(Math.abs(c / (N / 2))).toBeLessThan(Z * Math.sqrt(1 / (N / 2)));
  });

  it('fillNormalPolar: the polar method on uniform()’s own stream, which continues exactly after it', () => {
    // The reference: the same method written on the public uniform().
    const slow = Rng.seeded(11).child('p');
    const expected: number[] = [];
    while (expected.length < 1001) {
      const u = 2 * slow.uniform() - 1;
      const v = 2 * slow.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      expected.push(u * f, v * f);
    }
    const fast = Rng.seeded(11).child('p');
    expect(Array.from(fast.fillNormalPolar(new Float64Array(1001)))).toEqual(expected.slice(0, 1001));
    expect(fast.uniform()).toBe(slow.uniform());
    expect(fast.state()).toEqual(slow.state());
  });

  it('fillNormalPolar: the same seed gives the same draws, float32 and float64 alike', () => {
    const a = Rng.seeded(9).child('x').fillNormalPolar(new Float64Array(101));
    const b = Rng.seeded(9).child('x').fillNormalPolar(new Float64Array(101));
    const c = Rng.seeded(9).child('x').fillNormalPolar(new Float32Array(101));
    expect(b).toEqual(a);
    expect(c).toEqual(Float32Array.from(a));
    expect(Rng.seeded(10).child('x').fillNormalPolar(new Float64Array(101))).not.toEqual(a);
  });

  it('truncated normal: never beyond the cut, variance 0.7737 of the untruncated at cut 2', () => {
    const r = Rng.seeded(3);
    const { mean, variance, max } = moments(() => r.truncatedNormal(0, 1, 2));
    expect(max).toBeLessThanOrEqual(2);
    // Variance of N(0,1) truncated to [−2, 2]: 1 − 2·2·φ(2)/(2Φ(2) − 1).
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    const expected = 1 - (4 * phi2) / 0.9544997361036416;
    expect(expected).toBeCloseTo(0.7737413, 6);
    expect(Math.abs(mean)).toBeLessThan(Z * Math.sqrt(expected / N));
    expect(Math.abs(variance - expected)).toBeLessThan(Z * Math.sqrt(2 / N));
  });

  it('permutation is a permutation, and shuffle keeps the multiset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), (n, seed) => {
        const p = Rng.seeded(seed).permutation(n);
        expect([...p].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
      }),
    );
  });

  it('int(n) stays in [0, n) and rejects non-positive n', () => {
    const r = Rng.seeded(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(7);
      expect(v >= 0 && v < 7 && Number.isInteger(v)).toBe(true);
    }
    expect(() => r.int(0)).toThrow(/positive integer/);
  });
});

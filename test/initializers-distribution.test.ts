import fc from 'fast-check';
import { type InitializerPlugin, Rng } from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { builtinInitializers } from '../plugins/initializers/index.ts';

/*
 * Distribution laws of the random initializers, checked against closed forms rather than against
 * the code: sample mean and variance of ≥ N draws must fall within Z standard errors of the
 * formula (Keras' documented variances; the truncated normal's moments by numerical integration).
 *
 * Z = 6.5. The sample mean of ≥ 40 000 iid light-tailed draws is normal to high accuracy, and
 * P(|N(0,1)| > 6.5) = 8e-11. The sample variance s² is slightly right-skewed (skewness at most
 * ≈ √(8/N) = 0.014 for the normal, less for the bounded laws); the Cornish–Fisher correction
 * γ(z² − 1)/6 moves the 1e-10 quantile by < 0.1, so a false failure stays below ~1e-9 per check.
 * With Var(s²) = μ4/N − σ⁴(N − 3)/(N(N − 1)) the variance tolerance is about 6.5·σ²·√((κ − 1)/N):
 * 4 % (uniform) to 4.6 % (normal) of σ², small enough to catch a wrong fan (fan_in for fan_avg), a
 * missing truncation correction (−23 %) or a wrong uniform limit.
 */
const Z = 6.5;
const N = 40_000;

/** Moments E[x^k] of N(0, 1) conditioned on |x| ≤ 2, by composite Simpson's rule (the oracle). */
function truncatedStandardMoment(k: number): number {
  const steps = 4000;
  const h = 4 / steps;
  let num = 0;
  let den = 0;
  for (let i = 0; i <= steps; i++) {
    const x = -2 + i * h;
    const w = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
    const density = Math.exp(-0.5 * x * x);
    num += w * x ** k * density;
    den += w * density;
  }
  return num / den;
}
const M2 = truncatedStandardMoment(2); // ≈ 0.7737: variance of the cut standard normal
const M4 = truncatedStandardMoment(4);

type Family = 'truncated' | 'normal' | 'uniform';

/** The law one kernel's entries should follow. */
interface Law {
  readonly family: Family;
  readonly mean: number;
  readonly variance: number;
}

/** The fourth central moment of a law, from its family. */
function fourthMoment({ family, variance }: Law): number {
  if (family === 'normal') return 3 * variance ** 2;
  if (family === 'uniform') return (9 / 5) * variance ** 2;
  return (M4 / M2 ** 2) * variance ** 2;
}

/** Kernel values of a single fanIn × fanOut layer, over seeds base, base+1, … until ≥ n values. */
function sample(
  plugin: InitializerPlugin,
  params: unknown,
  fanIn: number,
  fanOut: number,
  base: number,
  n = N,
) {
  const parsed = plugin.params.parse(params);
  const layers = [{ index: 0, fanIn, fanOut, activation: 'linear' as const }];
  const calls = Math.ceil(n / (fanIn * fanOut));
  const out = new Float64Array(calls * fanIn * fanOut);
  for (let c = 0; c < calls; c++) {
    const [w] = plugin.init({ layers, params: parsed, rng: Rng.seeded(base + c) }) as {
      kernel: Float32Array;
    }[];
    out.set(w.kernel, c * fanIn * fanOut);
  }
  return out;
}

function expectLaw(values: Float64Array, law: Law, what: string): void {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const variance = ss / (n - 1);

  const meanTolerance = (Z * Math.sqrt(law.variance)) / Math.sqrt(n);
  const varOfS2 = fourthMoment(law) / n - (law.variance ** 2 * (n - 3)) / (n * (n - 1));
  const varianceTolerance = Z * Math.sqrt(varOfS2);
  expect(
    Math.abs(mean - law.mean),
    `${what}: sample mean ${mean} vs ${law.mean} (n = ${n})`,
  ).toBeLessThanOrEqual(meanTolerance);
  expect(
    Math.abs(variance - law.variance),
    `${what}: sample variance ${variance} vs ${law.variance} (n = ${n})`,
  ).toBeLessThanOrEqual(varianceTolerance);
}

/** Every value within [lo, hi], the bounds rounded to float32 as the values are. */
function expectWithin(values: Float64Array, lo: number, hi: number, what: string): void {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  expect(min, `${what}: min ${min} below ${lo}`).toBeGreaterThanOrEqual(Math.fround(lo));
  expect(max, `${what}: max ${max} above ${hi}`).toBeLessThanOrEqual(Math.fround(hi));
}

/** Checks mean, variance and, for bounded families, the support of a zero-mean law. */
function expectVarianceScalingLaw(
  values: Float64Array,
  family: Family,
  variance: number,
  what: string,
): void {
  expectLaw(values, { family, mean: 0, variance }, what);
  if (family === 'truncated') {
    // Cut at 2σ of the normal before truncation, whose σ² is variance / M2 (1e-6: float rounding).
    const cut = 2 * Math.sqrt(variance / M2) * (1 + 1e-6);
    expectWithin(values, -cut, cut, `${what}: |x| ≤ 2σ`);
  }
  if (family === 'uniform') {
    const limit = Math.sqrt(3 * variance);
    expectWithin(values, -limit, limit, `${what}: |x| ≤ limit`);
  }
}

const plugin = (name: string) => builtinInitializers.find((p) => p.name === name)!;
const fan = fc.integer({ min: 1, max: 300 });
const seed = fc.integer({ min: -1_000_000, max: 1_000_000 });
const runs = { numRuns: 12 };

describe('variance-scaling presets follow the textbook variances', () => {
  // Variances from the papers (Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998), as Keras documents them.
  const presets: [string, Family, (fanIn: number, fanOut: number) => number][] = [
    ['glorot-normal', 'truncated', (i, o) => 2 / (i + o)],
    ['glorot-uniform', 'uniform', (i, o) => 2 / (i + o)],
    ['he-normal', 'truncated', (i) => 2 / i],
    ['he-uniform', 'uniform', (i) => 2 / i],
    ['lecun-normal', 'truncated', (i) => 1 / i],
    ['lecun-uniform', 'uniform', (i) => 1 / i],
  ];
  for (const [name, family, variance] of presets) {
    it(`${name}: ${family}, variance per formula`, () => {
      fc.assert(
        fc.property(fan, fan, seed, (fanIn, fanOut, base) => {
          const values = sample(plugin(name), {}, fanIn, fanOut, base);
          expectVarianceScalingLaw(values, family, variance(fanIn, fanOut), `${name} ${fanIn}×${fanOut}`);
        }),
        runs,
      );
    });
  }
});

describe('variance-scaling over its parameters', () => {
  const family: Record<string, Family> = {
    truncated_normal: 'truncated',
    untruncated_normal: 'normal',
    uniform: 'uniform',
  };
  it('variance = scale / n with n the chosen fan; support as the distribution says', () => {
    fc.assert(
      fc.property(
        fan,
        fan,
        seed,
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        fc.constantFrom('fan_in', 'fan_out', 'fan_avg'),
        fc.constantFrom('truncated_normal', 'untruncated_normal', 'uniform'),
        (fanIn, fanOut, base, scale, mode, distribution) => {
          const n = mode === 'fan_in' ? fanIn : mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
          const values = sample(
            plugin('variance-scaling'),
            { scale, mode, distribution },
            fanIn,
            fanOut,
            base,
          );
          const what = `variance-scaling ${fanIn}×${fanOut} scale ${scale} ${mode} ${distribution}`;
          expectVarianceScalingLaw(values, family[distribution], scale / n, what);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('fixed-distribution initializers', () => {
  const meanArb = fc.oneof(fc.constant(0), fc.double({ min: -5, max: 5, noNaN: true }));
  const stddevArb = fc.double({ min: 1e-3, max: 3, noNaN: true });

  it('random-normal: N(mean, stddev²)', () => {
    fc.assert(
      fc.property(fan, fan, seed, meanArb, stddevArb, (fanIn, fanOut, base, mean, stddev) => {
        const values = sample(plugin('random-normal'), { mean, stddev }, fanIn, fanOut, base);
        expectLaw(
          values,
          { family: 'normal', mean, variance: stddev ** 2 },
          `random-normal(${mean}, ${stddev})`,
        );
      }),
      runs,
    );
  });

  it('truncated-normal: N(mean, stddev²) cut at mean ± 2·stddev (variance stddev²·M2)', () => {
    fc.assert(
      fc.property(fan, fan, seed, meanArb, stddevArb, (fanIn, fanOut, base, mean, stddev) => {
        const values = sample(plugin('truncated-normal'), { mean, stddev }, fanIn, fanOut, base);
        const what = `truncated-normal(${mean}, ${stddev})`;
        expectLaw(values, { family: 'truncated', mean, variance: stddev ** 2 * M2 }, what);
        const slack = (Math.abs(mean) + 2 * stddev) * 1e-6; // float32 rounding of mean + stddev·z
        expectWithin(values, mean - 2 * stddev - slack, mean + 2 * stddev + slack, what);
      }),
      runs,
    );
  });

  it('random-uniform: U[minval, maxval)', () => {
    fc.assert(
      fc.property(
        fan,
        fan,
        seed,
        meanArb,
        fc.double({ min: 1e-3, max: 4, noNaN: true }),
        (fanIn, fanOut, base, minval, width) => {
          const maxval = minval + width;
          const values = sample(plugin('random-uniform'), { minval, maxval }, fanIn, fanOut, base);
          const what = `random-uniform[${minval}, ${maxval})`;
          expectLaw(
            values,
            { family: 'uniform', mean: (minval + maxval) / 2, variance: width ** 2 / 12 },
            what,
          );
          expectWithin(values, minval, maxval, what);
        },
      ),
      runs,
    );
  });
});

describe('the oracle itself', () => {
  it('the truncated-normal variance matches the constant Keras divides by (0.8796² ≈ 0.7737)', () => {
    // Closed form: 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)); φ(2) = e^−2/√(2π), Φ(2) − Φ(−2) = 0.954499736103642.
    const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
    const closedForm = 1 - (4 * phi2) / 0.954499736103642;
    expect(M2).toBeCloseTo(closedForm, 10);
    expect(Math.sqrt(M2)).toBeCloseTo(0.87962566103423978, 10);
  });

  it('the law check rejects a sample with the wrong variance (it can fail)', () => {
    const values = sample(plugin('random-normal'), { stddev: 1 }, 200, 200, 7);
    expect(() =>
      expectLaw(values, { family: 'normal', mean: 0, variance: 1.1 }, 'deliberately wrong'),
    ).toThrow(/sample variance/);
    expect(() =>
      expectLaw(values, { family: 'normal', mean: 0.1, variance: 1 }, 'deliberately wrong'),
    ).toThrow(/sample mean/);
  });
});

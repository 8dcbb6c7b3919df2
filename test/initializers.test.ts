import fc from 'fast-check';
import { Matrix, QrDecomposition } from 'ml-matrix';
import { type InitializerPlugin, initializers, type LayerWeights, Rng } from 'nmfinit';
import { layerSpecs } from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import { builtinInitializers } from '../plugins/initializers/index.ts';

const plugin = (name: string) => builtinInitializers.find((p) => p.name === name)!;
// The laws below are for data-free initializers; the data-aware ones (lsuv, pca, …) need a
// training sample and are held to their own laws in data-initializers.test.ts.
const dataFree = builtinInitializers.filter((p) => !p.data);

function initSync(
  p: InitializerPlugin,
  sizes: readonly number[],
  raw: unknown = {},
  seed = 1,
): LayerWeights[] {
  const params = initializers.parseParams(p, raw);
  return p.init({ layers: layerSpecs(sizes), params, rng: Rng.seeded(seed) }) as LayerWeights[];
}

/** One fanIn × fanOut kernel (row-major) with the given params and seed. */
function kernelOf(name: string, fanIn: number, fanOut: number, raw: unknown = {}, seed = 1): Float32Array {
  return initSync(plugin(name), [fanIn, fanOut], raw, seed)[0].kernel;
}

describe('the built-in list', () => {
  it('has unique kebab-case names and one-line descriptions, and leaves nmf out', () => {
    const names = builtinInitializers.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).not.toContain('nmf');
    for (const p of builtinInitializers) {
      expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.description.length).toBeGreaterThan(10);
      expect(p.description).not.toMatch(/\n/);
    }
  });

  it('biases start at zero for every built-in', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...dataFree),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 5 }),
        fc.integer(),
        (p, sizes, seed) => {
          for (const { bias } of initSync(p, sizes, {}, seed))
            expect(bias.every((b) => Object.is(b, 0))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('orthogonal', () => {
  const dim = fc.integer({ min: 1, max: 48 });
  const gain = fc.oneof(
    fc.double({ min: 0.1, max: 3, noNaN: true }),
    fc.double({ min: -3, max: -0.1, noNaN: true }),
  );

  /** Row-major m×n of a Float32Array, in float64. */
  const asMatrix = (w: Float32Array, m: number, n: number) => Matrix.from1DArray(m, n, Float64Array.from(w));

  /*
   * Gram matrices of gain·Q rounded to float32: each entry is a sum of products whose absolute values
   * add up to at most gain² (Cauchy–Schwarz on unit vectors), each product off by ≤ 2·2⁻²⁴ relative,
   * so |WᵀW − gain²I| ≤ 1.2e-7·gain² entrywise; 1e-6·gain² leaves room for the float64 QR.
   */
  it('tall kernels have WᵀW = gain²·I, wide ones WWᵀ = gain²·I', () => {
    fc.assert(
      fc.property(dim, dim, gain, fc.integer(), (fanIn, fanOut, g, seed) => {
        const w = asMatrix(kernelOf('orthogonal', fanIn, fanOut, { gain: g }, seed), fanIn, fanOut);
        const gram = fanIn >= fanOut ? w.transpose().mmul(w) : w.mmul(w.transpose());
        const k = Math.min(fanIn, fanOut);
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            expect(Math.abs(gram.get(i, j) - (i === j ? g * g : 0))).toBeLessThanOrEqual(1e-6 * g * g);
          }
        }
      }),
      { numRuns: 80 },
    );
  });

  /**
   * R = QᵀA for the layer's normal matrix A (max × min, drawn row-major from the kernel stream,
   * the documented contract): Q is the Q of A's QR with a positive R diagonal exactly when R is
   * upper triangular with a positive diagonal. Returns the problems found.
   */
  function signConventionProblems(q: Matrix, a: Matrix): string[] {
    const r = q.transpose().mmul(a);
    const problems: string[] = [];
    for (let j = 0; j < a.columns; j++) {
      const norm = a.getColumnVector(j).norm();
      if (!(r.get(j, j) > 0)) problems.push(`R[${j}][${j}] = ${r.get(j, j)} is not positive`);
      for (let i = j + 1; i < a.columns; i++) {
        // Float32 Q is off by ≤ 6e-8 relative per entry, so |ΔR[i][j]| ≤ 6e-8·‖a_j‖.
        if (Math.abs(r.get(i, j)) > 1e-6 * norm)
          problems.push(`R[${i}][${j}] = ${r.get(i, j)} is below the diagonal`);
      }
    }
    return problems;
  }

  function normalMatrixOfLayer0(fanIn: number, fanOut: number, seed: number): Matrix {
    const rows = Math.max(fanIn, fanOut);
    const cols = Math.min(fanIn, fanOut);
    const values = Rng.seeded(seed)
      .child('layer/0/kernel')
      .fillNormal(new Float64Array(rows * cols));
    return Matrix.from1DArray(rows, cols, values);
  }

  it("Q's column signs make R's diagonal positive (Keras' sign(diag(R)) correction), transposed when wide", () => {
    fc.assert(
      fc.property(dim, dim, gain, fc.integer(), (fanIn, fanOut, g, seed) => {
        const w = asMatrix(kernelOf('orthogonal', fanIn, fanOut, { gain: g }, seed), fanIn, fanOut).div(g);
        const q = fanIn >= fanOut ? w : w.transpose();
        expect(signConventionProblems(q, normalMatrixOfLayer0(fanIn, fanOut, seed))).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });

  it('the sign check can fail: an uncorrected Householder Q breaks it', () => {
    // ml-matrix's Householder R has diagonal entries of either sign; without the correction some fail.
    const failures = [0, 1, 2, 3, 4, 5, 6, 7].filter((seed) => {
      const a = normalMatrixOfLayer0(12, 5, seed);
      return signConventionProblems(new QrDecomposition(a).orthogonalMatrix, a).length > 0;
    });
    expect(failures.length).toBeGreaterThan(0);
  });

  it('gain 0 is kept (not replaced by the default 1): all zeros', () => {
    expect(kernelOf('orthogonal', 6, 4, { gain: 0 }).every((v) => v === 0)).toBe(true);
    expect(kernelOf('orthogonal', 6, 4).some((v) => v !== 0)).toBe(true);
  });
});

describe('deterministic initializers', () => {
  const dim = fc.integer({ min: 1, max: 40 });
  const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });

  it('identity is gain on the main diagonal of a fanIn × fanOut kernel, 0 elsewhere (non-square too)', () => {
    fc.assert(
      fc.property(dim, dim, value, (fanIn, fanOut, gain) => {
        const w = kernelOf('identity', fanIn, fanOut, { gain });
        for (let i = 0; i < fanIn; i++) {
          for (let j = 0; j < fanOut; j++) expect(w[i * fanOut + j]).toBe(i === j ? Math.fround(gain) : 0);
        }
      }),
    );
  });

  it('zeros, ones and constant fill every kernel weight with 0, 1 and value', () => {
    fc.assert(
      fc.property(dim, dim, value, (fanIn, fanOut, v) => {
        expect(kernelOf('zeros', fanIn, fanOut).every((x) => Object.is(x, 0))).toBe(true);
        expect(kernelOf('ones', fanIn, fanOut).every((x) => x === 1)).toBe(true);
        expect(kernelOf('constant', fanIn, fanOut, { value: v }).every((x) => x === Math.fround(v))).toBe(
          true,
        );
      }),
    );
  });

  it('none of them reads the seed', () => {
    for (const name of ['zeros', 'ones', 'constant', 'identity']) {
      expect(plugin(name).random).toBe(false);
      expect(kernelOf(name, 5, 7, {}, 1)).toEqual(kernelOf(name, 5, 7, {}, 2));
    }
  });
});

describe('parameters', () => {
  const parse = (name: string, raw: unknown) => initializers.parseParams(plugin(name), raw);

  it('bad values are rejected with an error naming the parameter', () => {
    const cases: [string, unknown, RegExp][] = [
      ['random-normal', { stddev: 0 }, /'random-normal'.*params\.stddev/],
      ['random-normal', { stddev: -1 }, /params\.stddev/],
      ['random-normal', { mean: 'zero' }, /params\.mean/],
      ['truncated-normal', { stddev: 0 }, /'truncated-normal'.*params\.stddev/],
      ['random-uniform', { minval: 1, maxval: 1 }, /params\.maxval: maxval must be greater than minval/],
      ['random-uniform', { minval: 0.5, maxval: -0.5 }, /params\.maxval/],
      ['variance-scaling', { scale: 0 }, /params\.scale/],
      ['variance-scaling', { scale: -2 }, /params\.scale/],
      ['variance-scaling', { mode: 'fan_sum' }, /params\.mode.*"fan_in"\|"fan_out"\|"fan_avg"/],
      ['variance-scaling', { distribution: 'gaussian' }, /params\.distribution/],
      ['orthogonal', { gain: 'large' }, /params\.gain/],
      ['identity', { gain: Number.POSITIVE_INFINITY }, /params\.gain/],
      ['constant', { value: Number.NaN }, /params\.value/],
    ];
    for (const [name, raw, message] of cases)
      expect(() => parse(name, raw), `${name} ${JSON.stringify(raw)}`).toThrow(message);
  });

  it('unknown keys are rejected (strict schemas), naming the key', () => {
    expect(() => parse('random-normal', { sigma: 1 })).toThrow(/params\.sigma: unknown key/);
    expect(() => parse('glorot-normal', { scale: 2 })).toThrow(/'glorot-normal'.*params\.scale: unknown key/);
    expect(() => parse('variance-scaling', { scale: 1, seed: 3 })).toThrow(/params\.seed: unknown key/);
  });

  it('defaults are Keras 3 defaults', () => {
    expect(parse('random-normal', {})).toEqual({ mean: 0, stddev: 0.05 });
    expect(parse('truncated-normal', {})).toEqual({ mean: 0, stddev: 0.05 });
    expect(parse('random-uniform', {})).toEqual({ minval: -0.05, maxval: 0.05 });
    expect(parse('variance-scaling', {})).toEqual({
      scale: 1,
      mode: 'fan_in',
      distribution: 'truncated_normal',
    });
    expect(parse('orthogonal', {})).toEqual({ gain: 1 });
    expect(parse('identity', {})).toEqual({ gain: 1 });
    expect(parse('constant', {})).toEqual({ value: 0 });
  });

  it('given values are kept as given, 0 included; only missing keys get defaults', () => {
    const maybeZero = (arb: fc.Arbitrary<number>) => fc.oneof(fc.constant(0), arb);
    const real = fc.double({ min: -100, max: 100, noNaN: true });
    const positive = fc.double({ min: 1e-6, max: 100, noNaN: true });
    const cases: [string, fc.Arbitrary<Record<string, unknown>>][] = [
      ['random-normal', fc.record({ mean: maybeZero(real), stddev: positive }, { requiredKeys: [] })],
      ['truncated-normal', fc.record({ mean: maybeZero(real), stddev: positive }, { requiredKeys: [] })],
      [
        'random-uniform',
        fc.record({ minval: maybeZero(real) }).map(({ minval }) => ({ minval, maxval: minval + 1 })),
      ],
      ['orthogonal', fc.record({ gain: maybeZero(real) })],
      ['identity', fc.record({ gain: maybeZero(real) })],
      ['constant', fc.record({ value: maybeZero(real) })],
    ];
    for (const [name, raws] of cases) {
      fc.assert(
        fc.property(raws, (raw) => {
          const parsed = parse(name, raw) as Record<string, unknown>;
          for (const [key, v] of Object.entries(raw))
            expect(Object.is(parsed[key], v), `${name}.${key}`).toBe(true);
        }),
      );
    }
  });

  it('an explicit 0 changes the weights where 0 differs from the default', () => {
    expect(kernelOf('random-uniform', 30, 30, { minval: 0, maxval: 0.5 }).every((v) => v >= 0)).toBe(true);
    expect(kernelOf('identity', 4, 4, { gain: 0 }).every((v) => v === 0)).toBe(true);
    expect(kernelOf('constant', 3, 3, { value: 0 }).every((v) => v === 0)).toBe(true);
    const meanZero = kernelOf('random-normal', 30, 30, { mean: 0, stddev: 1 });
    expect(meanZero.some((v) => v < 0) && meanZero.some((v) => v > 0)).toBe(true);
  });
});

describe('seeds and layer streams', () => {
  const sizes = fc.array(fc.integer({ min: 1, max: 24 }), { minLength: 3, maxLength: 7 });
  const randomOnes = dataFree.filter((p) => p.random);

  it('the same seed gives bit-identical weights', () => {
    fc.assert(
      fc.property(fc.constantFrom(...dataFree), sizes, fc.integer(), (p, s, seed) => {
        expect(initSync(p, s, {}, seed)).toEqual(initSync(p, s, {}, seed));
      }),
      { numRuns: 60 },
    );
  });

  it('changing one width changes only the two layers that touch it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...randomOnes),
        sizes,
        fc.nat(),
        fc.integer({ min: 1, max: 24 }),
        fc.integer(),
        (p, s, at, width, seed) => {
          const k = at % s.length;
          fc.pre(s[k] !== width);
          const changed = s.map((v, i) => (i === k ? width : v));
          const before = initSync(p, s, {}, seed);
          const after = initSync(p, changed, {}, seed);
          before.forEach((w, layer) => {
            if (layer === k - 1 || layer === k) expect(after[layer].kernel).not.toEqual(w.kernel);
            else expect(after[layer]).toEqual(w);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('appending a layer leaves the earlier layers unchanged', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...randomOnes),
        sizes,
        fc.integer({ min: 1, max: 24 }),
        fc.integer(),
        (p, s, extra, seed) => {
          const before = initSync(p, s, {}, seed);
          const after = initSync(p, [...s, extra], {}, seed);
          expect(after.slice(0, before.length)).toEqual(before);
        },
      ),
      { numRuns: 40 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS } from '../src/backend/activations.ts';
import { referenceKernels } from '../src/backend/kernels.ts';
import { referenceGemm } from '../src/backend/reference.ts';
import { SimdBackend, simdAvailable, WasmHeap } from '../src/backend/simd/index.ts';
import type { ActivationName, ElementwiseKernels } from '../src/backend/types.ts';
import { Rng } from '../src/tensor/rng.ts';

// The kernels repeat the reference's arithmetic in the same precision and order (see
// elementwise-wat.ts), so agreement here is bit for bit: Object.is per element (NaN equals NaN,
// +0 differs from −0). The exception is bias + sigmoid / tanh, which approximate exp in float32
// (activation-wat.ts) and are held to a bound in ulps instead, further down.

const backend = new SimdBackend();
const kernels = backend.kernels as ElementwiseKernels;

/** Values with the awkward cases mixed in: signed zeros, NaN, infinities, subnormals, large. */
const SPECIALS = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -3e38, 1, -1];

function values(rng: Rng, length: number, lo: number, hi: number, specials: boolean): number[] {
  return Array.from({ length }, () =>
    specials && rng.uniform() < 0.1 ? SPECIALS[rng.int(SPECIALS.length)] : rng.uniformRange(lo, hi),
  );
}

/** The same numbers as a plain Float32Array and as a buffer for the backend (owned or not). */
function pair(data: number[], owned: boolean): [Float32Array, Float32Array] {
  const mine = owned ? backend.alloc(data.length) : new Float32Array(data.length);
  mine.set(data);
  return [Float32Array.from(data), mine];
}

function sameBits(actual: Float32Array, expected: Float32Array): boolean {
  if (actual.length !== expected.length) return false;
  for (let i = 0; i < actual.length; i++) if (!Object.is(actual[i], expected[i])) return false;
  return true;
}

const shape = fc.record({
  rows: fc.integer({ min: 0, max: 9 }),
  cols: fc.integer({ min: 0, max: 23 }), // crosses the 4-wide vector steps and their scalar tails
  seed: fc.integer(),
  owned: fc.boolean(),
  specials: fc.boolean(),
});

describe('simd elementwise kernels are bit-identical to the TypeScript reference', () => {
  it('is available on this machine', () => {
    expect(simdAvailable()).toBe(true);
  });

  it('biasActivation, linear and relu', () => {
    fc.assert(
      fc.property(
        shape,
        fc.constantFrom<ActivationName>('linear', 'relu'),
        ({ rows, cols, seed, owned, specials }, act) => {
          const rng = Rng.seeded(seed);
          const [zRef, z] = pair(values(rng, rows * cols, -4, 4, specials), owned);
          const [bias] = pair(values(rng, cols, -1, 1, specials), owned);
          referenceKernels.biasActivation(zRef, bias, rows, cols, act);
          kernels.biasActivation(z, bias, rows, cols, act);
          return sameBits(z, zRef);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('activationBackward, every activation (y drawn from the activation’s range)', () => {
    fc.assert(
      fc.property(shape, fc.constantFrom(...ACTIVATIONS), ({ rows, cols, seed, owned, specials }, act) => {
        const rng = Rng.seeded(seed);
        const n = rows * cols;
        const [gRef, g] = pair(values(rng, n, -2, 2, specials), owned);
        const [y] = pair(values(rng, n, act === 'sigmoid' ? 0 : -1, 1, specials), owned);
        referenceKernels.activationBackward(gRef, y, act);
        kernels.activationBackward(g, y, act);
        return sameBits(g, gRef);
      }),
      { numRuns: 200 },
    );
  });

  it('columnSum, overwriting and accumulating', () => {
    fc.assert(
      fc.property(shape, fc.boolean(), ({ rows, cols, seed, owned, specials }, accumulate) => {
        const rng = Rng.seeded(seed);
        const [g] = pair(values(rng, rows * cols, -3, 3, specials), owned);
        const [outRef, out] = pair(values(rng, cols, -1, 1, false), owned);
        referenceKernels.columnSum(g, rows, cols, outRef, accumulate);
        kernels.columnSum(g, rows, cols, out, accumulate);
        return sameBits(out, outRef);
      }),
      { numRuns: 200 },
    );
  });

  it('mse: the loss and the gradient', () => {
    fc.assert(
      fc.property(
        shape,
        fc.boolean(),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (s, withGrad, scale) => {
          const rng = Rng.seeded(s.seed);
          const n = s.rows * s.cols + 1; // the reference divides by the length: keep it positive
          const [p] = pair(values(rng, n, 0, 1, s.specials), s.owned);
          const [t] = pair(values(rng, n, 0, 1, false), s.owned);
          const [gradRef, grad] = pair(values(rng, n, -1, 1, false), s.owned);
          const lossRef = referenceKernels.mse(p, t, withGrad ? gradRef : null, scale);
          const loss = kernels.mse(p, t, withGrad ? grad : null, scale);
          return Object.is(loss, lossRef) && sameBits(grad, gradRef);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adam: weights and both moments, over several steps', () => {
    const hyper = fc.record({
      lrT: fc.double({ min: 1e-5, max: 0.1, noNaN: true }),
      beta1: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
      beta2: fc.double({ min: 0.9, max: 0.99999, noNaN: true }),
      epsilon: fc.constantFrom(1e-7, 1e-8, 1e-3),
    });
    fc.assert(
      fc.property(shape, hyper, ({ rows, cols, seed, owned, specials }, h) => {
        const rng = Rng.seeded(seed);
        const n = rows * cols;
        const [wRef, w] = pair(values(rng, n, -1, 1, specials), owned);
        const [mRef, m] = pair(new Array(n).fill(0), owned);
        const [vRef, v] = pair(new Array(n).fill(0), owned);
        for (let step = 0; step < 3; step++) {
          const [g] = pair(values(rng, n, -0.1, 0.1, specials), owned);
          referenceKernels.adam(wRef, g, mRef, vRef, h.lrT, h.beta1, h.beta2, h.epsilon);
          kernels.adam(w, g, m, v, h.lrT, h.beta1, h.beta2, h.epsilon);
        }
        return sameBits(w, wRef) && sameBits(m, mRef) && sameBits(v, vRef);
      }),
      { numRuns: 150 },
    );
  });

  it('agrees at the autoencoder sizes (222k Adam parameters, 256×784 activations)', () => {
    const rng = Rng.seeded(7);
    const n = 222_384;
    const [wRef, w] = pair(values(rng, n, -1, 1, false), true);
    const [g] = pair(values(rng, n, -0.01, 0.01, false), true);
    const [mRef, m] = pair(values(rng, n, -1e-3, 1e-3, false), true);
    const [vRef, v] = pair(values(rng, n, 0, 1e-5, false), true);
    referenceKernels.adam(wRef, g, mRef, vRef, 1e-3, 0.9, 0.999, 1e-7);
    kernels.adam(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7);
    expect(sameBits(w, wRef) && sameBits(m, mRef) && sameBits(v, vRef)).toBe(true);

    const [zRef, z] = pair(values(rng, 256 * 784, -3, 3, false), true);
    const [bias] = pair(values(rng, 784, -1, 1, false), true);
    referenceKernels.biasActivation(zRef, bias, 256, 784, 'relu');
    kernels.biasActivation(z, bias, 256, 784, 'relu');
    expect(sameBits(z, zRef)).toBe(true);
  });

  it('names the buffer and the size when one is too short, and rejects unknown activations', () => {
    const short = new Float32Array(5);
    const six = new Float32Array(6);
    expect(() => kernels.biasActivation(short, new Float32Array(3), 2, 3, 'relu')).toThrow(
      /biasActivation: z has 5 elements, needs rows·cols = 2·3 = 6/,
    );
    expect(() => kernels.biasActivation(six, new Float32Array(2), 2, 3, 'linear')).toThrow(
      /bias has 2 elements/,
    );
    expect(() => kernels.activationBackward(six, short, 'relu')).toThrow(
      /activationBackward: y has 5 elements/,
    );
    expect(() => kernels.columnSum(short, 2, 3, six, false)).toThrow(/columnSum: g has 5 elements/);
    expect(() => kernels.mse(six, short, null, 1)).toThrow(/mse: t has 5 elements/);
    expect(() => kernels.adam(six, six, short, six, 0.1, 0.9, 0.999, 1e-7)).toThrow(/adam: m has 5 elements/);
    expect(() => kernels.biasActivation(six, six, 2, 3, 'swish' as ActivationName)).toThrow(
      /unknown activation 'swish'/,
    );
    expect(() => kernels.activationBackward(six, six, 'swish' as ActivationName)).toThrow(
      /unknown activation 'swish'/,
    );
  });
});

// bias + sigmoid / tanh approximate exp in float32 (activation-wat.ts). The oracle is the reference
// kernel: z + bias added in double, Math.exp / Math.tanh in double, rounded once to float32. The
// bound proved here is 2 ulps: the two float32 results are at most 2 apart in the ordered list of
// floats. For normal outputs that is a relative error ≤ 2·2⁻²³ = 4·2⁻²⁴; for subnormal sigmoid
// outputs (x < −87.3) an absolute error ≤ 2·2⁻¹⁴⁹. NaN must give NaN, and only NaN.
const MAX_ULPS = 2;

/** Position of a float32, given as its bits, in the ordered list of floats (−0 and +0 both at 0). */
const floatIndex = (bits: number) => (bits < 0 ? -(bits & 0x7fffffff) : bits);

/** The largest distance in ulps between the two, or Infinity where only one of them is NaN. */
function worstUlps(actual: Float32Array, expected: Float32Array): number {
  const bitsOf = (x: Float32Array) => new Int32Array(x.buffer, x.byteOffset, x.length);
  const [aBits, eBits] = [bitsOf(actual), bitsOf(expected)];
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const [aNaN, eNaN] = [Number.isNaN(actual[i]), Number.isNaN(expected[i])];
    if (aNaN || eNaN) {
      if (aNaN !== eNaN) return Number.POSITIVE_INFINITY;
      continue;
    }
    worst = Math.max(worst, Math.abs(floatIndex(aBits[i]) - floatIndex(eBits[i])));
  }
  return worst;
}

/** The simd kernel's and the reference's z ← act(z + bias) on copies of the inputs. */
function bothActivations(
  z: ArrayLike<number>,
  bias: ArrayLike<number>,
  rows: number,
  cols: number,
  act: ActivationName,
  owned = true,
): { simd: Float32Array; reference: Float32Array } {
  const copy = (data: ArrayLike<number>) => {
    const out = owned ? backend.alloc(data.length) : new Float32Array(data.length);
    out.set(data);
    return out;
  };
  const [zSimd, b] = [copy(z), copy(bias)];
  const reference = Float32Array.from(z);
  referenceKernels.biasActivation(reference, b, rows, cols, act);
  kernels.biasActivation(zSimd, b, rows, cols, act);
  const simd = zSimd.slice();
  if (owned) for (const buffer of [zSimd, b]) backend.free(buffer);
  return { simd, reference };
}

const EXP_ACTIVATIONS = ['sigmoid', 'tanh'] as const;

/** Any float32, NaN and ±Inf included; or one where the activations are not saturated. */
const activationInput = fc.oneof(
  fc.float(),
  fc.float({ min: -110, max: 110, noNaN: true }),
  fc.float({ min: -1, max: 1, noNaN: true }),
);
/** Zero, small (so z + bias is inexact in float32 but nearly z), moderate, or any float32. */
const biasInput = fc.oneof(
  fc.constant(0),
  fc.float({ min: Math.fround(-1e-3), max: Math.fround(1e-3), noNaN: true }),
  fc.float({ min: -4, max: 4, noNaN: true }),
  fc.float(),
);

/** n evenly spaced points from lo to hi (both included). */
function sweep(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

describe(`simd bias + sigmoid / tanh are within ${MAX_ULPS} float32 ulps of the float64 reference`, () => {
  for (const act of EXP_ACTIVATIONS) {
    it(`${act}: random shapes (tails of every length), any float32 inputs and biases`, () => {
      const input = fc
        .record({
          rows: fc.integer({ min: 0, max: 5 }),
          cols: fc.integer({ min: 0, max: 13 }),
          owned: fc.boolean(),
        })
        .chain(({ rows, cols, owned }) =>
          fc.record({
            rows: fc.constant(rows),
            cols: fc.constant(cols),
            owned: fc.constant(owned),
            z: fc.array(activationInput, { minLength: rows * cols, maxLength: rows * cols }),
            bias: fc.array(biasInput, { minLength: cols, maxLength: cols }),
          }),
        );
      fc.assert(
        fc.property(input, ({ rows, cols, owned, z, bias }) => {
          const { simd, reference } = bothActivations(z, bias, rows, cols, act, owned);
          return worstUlps(simd, reference) <= MAX_ULPS;
        }),
        { numRuns: 300 },
      );
    });

    it(`${act}: dense sweep over [−100, 100], with and without a bias that makes z + bias inexact`, () => {
      const n = 400_003; // steps of 5·10⁻⁴, and an odd row length for the tail
      const z = sweep(-100, 100, n);
      const exact = bothActivations(z, new Float32Array(n), 1, n, act);
      expect(worstUlps(exact.simd, exact.reference)).toBeLessThanOrEqual(MAX_ULPS);
      // x ≪ 0 is where σ is most sensitive to the rounding of z + bias (σ'(x)/σ(x)·x ≈ |x|).
      const rng = Rng.seeded(3);
      const bias = Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1) * 10 ** -rng.int(7));
      const { simd, reference } = bothActivations(z, bias, 1, n, act);
      expect(worstUlps(simd, reference)).toBeLessThanOrEqual(MAX_ULPS);
    });

    it(`${act}: extreme ranges: subnormal to 2¹⁰⁰ magnitudes, and every 4096th float32 bit pattern`, () => {
      // Magnitudes 2⁻¹⁴⁹ … 2¹⁰⁰ on a logarithmic grid, both signs: subnormal inputs, and (for
      // sigmoid, x in −104 … −87) subnormal outputs.
      const n = 200_000;
      const z = Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * 2 ** (-149 + (249 * i) / n));
      const logSpaced = bothActivations(z, new Float32Array(n), 1, n, act);
      expect(worstUlps(logSpaced.simd, logSpaced.reference)).toBeLessThanOrEqual(MAX_ULPS);
      const subnormalOutputs = sweep(-105, -86, 100_001);
      const low = bothActivations(subnormalOutputs, new Float32Array(1), 100_001, 1, act);
      expect(worstUlps(low.simd, low.reference)).toBeLessThanOrEqual(MAX_ULPS);
      const patterns = new Float32Array(1 << 20);
      new Uint32Array(patterns.buffer).forEach((_, i, bits) => {
        bits[i] = i * 4096 + 1234; // every exponent, both signs, NaNs and infinities included
      });
      const all = bothActivations(patterns, new Float32Array(patterns.length), 1, patterns.length, act);
      expect(worstUlps(all.simd, all.reference)).toBeLessThanOrEqual(MAX_ULPS);
    });
  }

  it('gives the limits at ±Inf and on overflow, NaN for NaN (any sign), and keeps the sign of zero in tanh', () => {
    const nanBits = new Float32Array(new Uint32Array([0x7fc00000, 0xffc00000, 0x7f800001]).buffer);
    const z = [Infinity, -Infinity, 3e38, -3e38, 3e38, 0, -0, ...nanBits, 1, Infinity];
    const bias = [0, 0, 3e38, -3e38, -Infinity, 0, -0, 0, 0, 0, Number.NaN, -Infinity];
    const run = (act: ActivationName) => Array.from(bothActivations(z, bias, 1, z.length, act).simd);
    const sigmoid = run('sigmoid');
    expect(sigmoid.slice(0, 7)).toEqual([1, 0, 1, 0, 0, 0.5, 0.5]);
    expect(sigmoid.slice(7).every(Number.isNaN)).toBe(true);
    const tanh = run('tanh');
    expect(tanh.slice(0, 5)).toEqual([1, -1, 1, -1, -1]);
    expect(Object.is(tanh[5], 0) && Object.is(tanh[6], -0)).toBe(true);
    expect(tanh.slice(7).every(Number.isNaN)).toBe(true);
  });

  it('is deterministic, and gives the same bits for a float whatever its place in a row, owned or not', () => {
    const rng = Rng.seeded(5);
    const cols = 37; // nine vectors and a tail of one
    const z = values(rng, 3 * cols, -30, 30, true);
    const bias = values(rng, cols, -2, 2, true);
    for (const act of EXP_ACTIVATIONS) {
      const owned = bothActivations(z, bias, 3, cols, act, true).simd;
      expect(sameBits(bothActivations(z, bias, 3, cols, act, true).simd, owned)).toBe(true);
      expect(sameBits(bothActivations(z, bias, 3, cols, act, false).simd, owned)).toBe(true);
      // One float at a time: each goes through the tail (a partly filled vector) on its own.
      const alone = Float32Array.from(z, (v, i) => bothActivations([v], [bias[i % cols]], 1, 1, act).simd[0]);
      expect(sameBits(alone, owned)).toBe(true);
    }
  });

  it('agrees at the autoencoder’s output layer (256×784 sigmoid) and hidden sizes (tanh 256×128)', () => {
    const rng = Rng.seeded(9);
    const z = values(rng, 256 * 784, -12, 12, false);
    const bias = values(rng, 784, -1, 1, false);
    const out = bothActivations(z, bias, 256, 784, 'sigmoid');
    expect(worstUlps(out.simd, out.reference)).toBeLessThanOrEqual(MAX_ULPS);
    const hidden = bothActivations(z.slice(0, 256 * 128), bias.slice(0, 128), 256, 128, 'tanh');
    expect(worstUlps(hidden.simd, hidden.reference)).toBeLessThanOrEqual(MAX_ULPS);
  });
});

describe('simd heap: alloc, owns, free, growth', () => {
  it('hands out zeroed, 16-byte-aligned views it owns; other arrays are not owned', () => {
    const heap = new WasmHeap();
    const views = [0, 1, 3, 4, 17, 1000].map((n) => heap.alloc(n));
    for (const v of views) {
      expect(v.byteOffset % 16).toBe(0);
      expect(v.every((x) => x === 0)).toBe(true);
      expect(heap.owns(v)).toBe(true);
      expect(heap.owns(v.subarray(1))).toBe(true);
    }
    expect(heap.owns(new Float32Array(4))).toBe(false);
    expect(heap.owns(new Float32Array(new SharedArrayBuffer(16)))).toBe(false);
    expect(new WasmHeap().owns(views[2])).toBe(false);
  });

  it('never overlaps live blocks, whatever the order of allocs and frees (sizes across classes)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('alloc' as const), length: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('free' as const), index: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), (ops) => {
        const heap = new WasmHeap();
        const live: { view: Float32Array; tag: number }[] = [];
        let tag = 1;
        for (const o of ops) {
          if (o.kind === 'alloc') {
            const view = heap.alloc(o.length);
            if (!view.every((x) => x === 0)) return false; // reused blocks come back zeroed
            view.fill(tag);
            live.push({ view, tag: tag++ });
          } else if (live.length > 0) {
            heap.free(live.splice(o.index % live.length, 1)[0].view);
          }
        }
        return live.every(({ view, tag }) => view.every((x) => x === tag));
      }),
      { numRuns: 100 },
    );
  });

  it('reuses a freed block for a request of its size class, and refuses bad frees', () => {
    const heap = new WasmHeap();
    const a = heap.alloc(1000);
    heap.alloc(10);
    const offset = a.byteOffset;
    a.fill(3);
    heap.free(a);
    const b = heap.alloc(900); // 3600 bytes: same class as 4000 (3584 < · ≤ 4096)
    expect(b.byteOffset).toBe(offset);
    expect(b.every((x) => x === 0)).toBe(true);
    expect(() => heap.free(a)).toThrow(/not a live block of this heap/); // a's block is b's now, but a was freed
    heap.free(b);
    expect(() => heap.free(b)).toThrow(/not a live block/);
    expect(() => heap.free(new Float32Array(4))).toThrow(/not a live block/);
    expect(() => heap.free(heap.alloc(8).subarray(1))).toThrow(/exact view alloc returned/);
  });

  it('keeps old views valid and owned when the memory grows', () => {
    const be = new SimdBackend({ initialPages: 1 });
    const a = be.alloc(6);
    const b = be.alloc(6);
    a.set([1, 2, 3, 4, 5, 6]);
    b.set([1, 0, 0, 1, 1, 1]);
    const before = a.buffer.byteLength;
    const big = be.alloc(1 << 20); // 4 MiB: grows a 64 KiB memory
    expect(be.heap.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(Array.from(a)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(be.owns(a) && be.owns(big)).toBe(true);
    const c = be.alloc(4);
    be.gemm(false, false, 2, 2, 3, a, b, c); // old views, zero-copy, after the growth
    const expected = new Float32Array(4);
    referenceGemm(false, false, 2, 2, 3, a, b, expected);
    expect(Array.from(c)).toEqual(Array.from(expected));
  });

  it('names the bad value for alloc and the limit when the heap is full', () => {
    const heap = new WasmHeap({ initialPages: 1, maximumPages: 2 });
    for (const bad of [-1, 1.5, Number.NaN])
      expect(() => heap.alloc(bad)).toThrow(/alloc: length must be a non-negative integer/);
    expect(() => heap.alloc(40_000)).toThrow(
      /alloc: 40000 floats do not fit; the heap has \d+ of its 131072 bytes left/,
    );
    expect(() => new WasmHeap({ maximumPages: 70_000 })).toThrow(
      /maximumPages must be an integer in 1\.\.65536/,
    );
  });
});

describe('simd gemm', () => {
  it('rejects bad sizes with the same errors as the reference', () => {
    const four = new Float32Array(4);
    const cases: [number, number, number, Float32Array, Float32Array, Float32Array][] = [
      [-1, 2, 2, four, four, four],
      [2, 1.5, 2, four, four, four],
      [2, 2, Number.NaN, four, four, four],
      [2, 2, 3, four, new Float32Array(6), four],
      [2, 3, 2, four, new Float32Array(6), four],
      [3, 2, 2, new Float32Array(6), four, four],
    ];
    for (const [m, n, k, a, b, c] of cases) {
      let expected = '';
      try {
        referenceGemm(false, false, m, n, k, a, b, c);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(expected).not.toBe('');
      expect(() => backend.gemm(false, false, m, n, k, a, b, c)).toThrow(expected);
    }
  });

  it('is deterministic, and owned and plain buffers give the same bits', () => {
    const rng = Rng.seeded(11);
    const [m, n, k] = [67, 45, 300];
    for (const [transA, transB] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const [a, aOwned] = pair(values(rng, m * k, -1, 1, false), true);
      const [b, bOwned] = pair(values(rng, k * n, -1, 1, false), true);
      const first = new Float32Array(m * n);
      const again = new Float32Array(m * n);
      const owned = backend.alloc(m * n);
      backend.gemm(transA, transB, m, n, k, a, b, first);
      backend.gemm(transA, transB, m, n, k, a, b, again);
      backend.gemm(transA, transB, m, n, k, aOwned, bOwned, owned);
      expect(sameBits(again, first)).toBe(true);
      expect(sameBits(owned, first)).toBe(true);
    }
  });

  it('gives the same bits split across 2 or 3 threads as on one (rows shared out by whole panels)', () => {
    const two = new SimdBackend({ threads: 2 });
    const three = new SimdBackend({ threads: 3 });
    try {
      const dims = fc.record({
        // m·n·k ≥ 100·40·262 > 2²⁰, the size from which a gemm is split across threads
        m: fc.integer({ min: 100, max: 160 }),
        n: fc.integer({ min: 40, max: 70 }),
        k: fc.integer({ min: 262, max: 300 }),
        transA: fc.boolean(),
        transB: fc.boolean(),
        accumulate: fc.boolean(),
        seed: fc.integer(),
      });
      fc.assert(
        fc.property(dims, ({ m, n, k, transA, transB, accumulate, seed }) => {
          const rng = Rng.seeded(seed);
          const a = Float32Array.from(values(rng, m * k, -1, 1, false));
          const b = Float32Array.from(values(rng, k * n, -1, 1, false));
          const c = Float32Array.from(values(rng, m * n, -1, 1, false));
          const [c1, c2, c3] = [c.slice(), c.slice(), c.slice()];
          backend.gemm(transA, transB, m, n, k, a, b, c1, accumulate);
          two.gemm(transA, transB, m, n, k, a, b, c2, accumulate);
          three.gemm(transA, transB, m, n, k, a, b, c3, accumulate);
          return sameBits(c2, c1) && sameBits(c3, c1);
        }),
        { numRuns: 25 },
      );
    } finally {
      two.dispose();
      three.dispose();
    }
  });

  it('names a bad option', () => {
    expect(() => new SimdBackend({ threads: 0 })).toThrow(/threads must be an integer in 1\.\.64, got 0/);
    expect(() => new SimdBackend({ blocking: { kc: 0 } })).toThrow(
      /blocking\.kc must be a positive integer, got 0/,
    );
  });

  it('copies nothing when A, B and C are all in its heap', () => {
    const be = new SimdBackend();
    const [m, n, k] = [50, 40, 30];
    const a = be.alloc(m * k).fill(1);
    const b = be.alloc(k * n).fill(2);
    const c = be.alloc(m * n);
    const used = be.heap.usedBytes;
    be.gemm(true, true, m, n, k, a, b, c);
    expect(be.heap.usedBytes).toBe(used); // no scratch was needed
    expect(c.every((x) => x === 60)).toBe(true);
    be.gemm(true, true, m, n, k, new Float32Array(a), b, c);
    expect(be.heap.usedBytes).toBeGreaterThan(used); // a plain A went through scratch
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, referenceKernels } from '../src/autodiff/kernels.ts';
import { referenceGemm } from '../src/backend/reference.ts';
import { SimdBackend, simdAvailable, WasmHeap } from '../src/backend/simd/index.ts';
import type { ActivationName, ElementwiseKernels } from '../src/backend/types.ts';
import { Rng } from '../src/tensor/rng.ts';

// The kernels repeat the reference's arithmetic in the same precision and order (see
// elementwise-wat.ts), so agreement here is bit for bit: Object.is per element (NaN equals NaN,
// +0 differs from −0).

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

  it('biasActivation, every activation', () => {
    fc.assert(
      fc.property(shape, fc.constantFrom(...ACTIVATIONS), ({ rows, cols, seed, owned, specials }, act) => {
        const rng = Rng.seeded(seed);
        const [zRef, z] = pair(values(rng, rows * cols, -4, 4, specials), owned);
        const [bias] = pair(values(rng, cols, -1, 1, specials), owned);
        referenceKernels.biasActivation(zRef, bias, rows, cols, act);
        kernels.biasActivation(z, bias, rows, cols, act);
        return sameBits(z, zRef);
      }),
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

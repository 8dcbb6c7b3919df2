// The CSR product behind NMF of sparse data (csrTimes): the simd kernel equals its TypeScript
// reference bit for bit, on one thread and split across two (row shares by work), and the
// reference itself is X·B of the dense matrix up to float32 rounding (a float64 loop is the oracle).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend/index.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import { referenceSparseKernels as ref } from '../src/backend/sparse-kernels.ts';
import { Rng } from '../src/tensor/rng.ts';

const simd = getBackend('simd');
const two = new SimdBackend({ threads: 2 });

/** A random sparse rows × cols matrix as CSR and dense, with whole rows and columns left at zero. */
function sparse(rows: number, cols: number, density: number, rng: Rng) {
  const deadRow = new Set(Array.from({ length: rows }, (_, r) => r).filter(() => rng.uniform() < 0.2));
  const deadCol = new Set(Array.from({ length: cols }, (_, c) => c).filter(() => rng.uniform() < 0.2));
  const dense = new Float64Array(rows * cols);
  const ptr = new Int32Array(rows + 1);
  const idx: number[] = [];
  const v: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (deadRow.has(r) || deadCol.has(c) || rng.uniform() >= density) continue;
      const a = Math.fround(rng.uniform() * 10 ** rng.uniformRange(-2, 2));
      dense[r * cols + c] = a;
      idx.push(c);
      v.push(a);
    }
    ptr[r + 1] = idx.length;
  }
  return { dense, ptr, idx: Int32Array.from(idx), v: Float32Array.from(v) };
}

const cases = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  rows: fc.integer({ min: 1, max: 40 }),
  cols: fc.integer({ min: 1, max: 30 }),
  // Across the kernel's chunks: 32 columns in registers, then 4, then 1.
  k: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 30, max: 70 })),
  density: fc.constantFrom(0, 0.05, 0.3, 1),
  accumulate: fc.boolean(),
  f64: fc.boolean(),
  heap: fc.boolean(),
});

/** The bits of a float32 or float64 array, as 32-bit words. */
const bits = (a: Float32Array | Float64Array) =>
  Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length * (a instanceof Float64Array ? 2 : 1)));

function draw({
  seed,
  rows,
  cols,
  k,
  density,
  heap,
}: {
  seed: number;
  rows: number;
  cols: number;
  k: number;
  density: number;
  heap: boolean;
}) {
  const rng = Rng.seeded(seed);
  const s = sparse(rows, cols, density, rng);
  const b = heap ? simd.alloc!(cols * k) : new Float32Array(cols * k);
  for (let i = 0; i < b.length; i++) b[i] = rng.uniform();
  const start = Float64Array.from({ length: rows * k }, () => rng.uniform());
  return { ...s, b, start };
}

describe('csrTimes', () => {
  it('simd equals the reference bit for bit, on one thread and on two', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const p = draw(c);
        const out = (run: typeof ref.csrTimes) => {
          const o = c.f64 ? Float64Array.from(p.start) : Float32Array.from(p.start);
          run(p.ptr, p.idx, p.v, c.rows, p.b, c.k, o, c.accumulate);
          return bits(o);
        };
        const want = out(ref.csrTimes);
        expect(out(simd.kernels!.csrTimes!)).toEqual(want);
        expect(out(two.kernels!.csrTimes!)).toEqual(want);
      }),
      { numRuns: 120 },
    );
  });

  it('sums its segments like the sum of separate products; the reference is the dense product', () => {
    fc.assert(
      fc.property(cases, fc.integer({ min: 1, max: 4 }), (c, count) => {
        const rng = Rng.seeded(c.seed + 1);
        // `count` matrices with their row pointers at s·stride in one array, values and indices shared.
        const parts = Array.from({ length: count }, () => sparse(c.rows, c.cols, c.density, rng));
        const stride = c.rows + 1 + 3;
        const ptr = new Int32Array((count - 1) * stride + c.rows + 1);
        const idx: number[] = [];
        const v: number[] = [];
        parts.forEach((m, s) => {
          for (let r = 0; r <= c.rows; r++) ptr[s * stride + r] = idx.length + m.ptr[r];
          idx.push(...m.idx);
          v.push(...m.v);
        });
        const b = new Float32Array(c.cols * c.k).map(() => rng.uniform());
        const seg = new Float64Array(c.rows * c.k);
        const segments = { count, stride };
        simd.kernels!.csrTimes!(
          ptr,
          Int32Array.from(idx),
          Float32Array.from(v),
          c.rows,
          b,
          c.k,
          seg,
          false,
          segments,
        );
        const threaded = new Float64Array(c.rows * c.k);
        two.kernels!.csrTimes!(
          ptr,
          Int32Array.from(idx),
          Float32Array.from(v),
          c.rows,
          b,
          c.k,
          threaded,
          false,
          segments,
        );
        expect(bits(threaded)).toEqual(bits(seg));
        // The oracle: Σ_s S_s·B as float64 loops on the dense matrices.
        let scale = 0;
        let worst = 0;
        for (let r = 0; r < c.rows; r++)
          for (let q = 0; q < c.k; q++) {
            let sum = 0;
            let abs = 0;
            for (const m of parts)
              for (let j = 0; j < c.cols; j++) {
                sum += m.dense[r * c.cols + j] * b[j * c.k + q];
                abs += Math.abs(m.dense[r * c.cols + j] * b[j * c.k + q]);
              }
            worst = Math.max(worst, Math.abs(seg[r * c.k + q] - sum) / Math.max(abs, 1e-30));
            scale = Math.max(scale, abs);
            if (abs === 0) expect(seg[r * c.k + q]).toBe(0); // an all-zero row (or column of B's use) gives exactly 0
          }
        expect(worst).toBeLessThan(c.cols * 2 ** -23);
      }),
      { numRuns: 120 },
    );
  });

  it('splits a large product across two threads by work, with the bits of one thread', () => {
    // Big enough (entries·k ≥ 2²⁰) to be split; row lengths skewed so the work-balanced cut is not the middle row.
    for (const seed of [1, 2, 3]) {
      const rng = Rng.seeded(seed);
      const rows = 2000;
      const cols = 300;
      const k = 37;
      const s = sparse(rows, cols, 0.25, rng);
      const b = new Float32Array(cols * k).map(() => rng.uniform());
      for (const f64 of [false, true]) {
        const one = f64 ? new Float64Array(rows * k) : new Float32Array(rows * k);
        const split = f64 ? new Float64Array(rows * k) : new Float32Array(rows * k);
        simd.kernels!.csrTimes!(s.ptr, s.idx, s.v, rows, b, k, one, false);
        two.kernels!.csrTimes!(s.ptr, s.idx, s.v, rows, b, k, split, false);
        expect(bits(split)).toEqual(bits(one));
      }
    }
  });

  it('refuses a column index past B and a row pointer past the entries, instead of reading stray memory', () => {
    const b = new Float32Array(3 * 4);
    const out = new Float32Array(4);
    expect(() =>
      simd.kernels!.csrTimes!(Int32Array.of(0, 1), Int32Array.of(3), Float32Array.of(1), 1, b, 4, out, false),
    ).toThrow();
    expect(() =>
      simd.kernels!.csrTimes!(Int32Array.of(0, 2), Int32Array.of(0), Float32Array.of(1), 1, b, 4, out, false),
    ).toThrow();
    expect(() =>
      simd.kernels!.csrTimes!(Int32Array.of(0), Int32Array.of(0), Float32Array.of(1), 1, b, 4, out, false),
    ).toThrow(/ptr has 1 entries/);
  });
});

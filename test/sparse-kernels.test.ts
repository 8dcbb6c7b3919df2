import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend/index.ts';
import { referenceSparseKernels as ref } from '../src/backend/sparse-kernels.ts';
import { Rng } from '../src/tensor/rng.ts';

// The simd backend's sparse kernels against their TypeScript references: bit for bit, on random
// shapes (d not a multiple of 4 included, so the tails run), with zero values and repeated columns.
const simd = getBackend('simd');
const kernels = simd.kernels!;

function problem(seed: number, m: number, k: number, n: number, d: number, heap: boolean) {
  const rng = Rng.seeded(seed);
  const buf = (len: number, f: () => number) => {
    const a = heap ? simd.alloc!(len) : new Float32Array(len);
    for (let i = 0; i < len; i++) a[i] = f();
    return a;
  };
  // A quarter of the values zero (ReLU'd), the rest of any sign and scale.
  const value = () => (rng.uniform() < 0.25 ? 0 : rng.normal() * 10 ** rng.uniformRange(-3, 3));
  const idx = Int32Array.from({ length: m * k }, () => Math.floor(rng.uniform() * n));
  return {
    v: buf(m * k, value),
    idx,
    w: buf(n * d, () => rng.normal()),
    x: buf(m * d, () => rng.normal()),
    g: buf(m * d, () => rng.normal()),
    gk: buf(m * k, value),
    gw: buf(Math.max(n * d, d * n), () => rng.normal()),
    gv: buf(m * k, () => rng.normal()),
  };
}

const shapes = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  m: fc.integer({ min: 1, max: 9 }),
  k: fc.integer({ min: 1, max: 6 }),
  n: fc.integer({ min: 1, max: 23 }),
  d: fc.integer({ min: 1, max: 19 }),
  heap: fc.boolean(),
});

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('simd sparse kernels equal the TypeScript references bit for bit', () => {
  it('sparseRowsMatmul', () => {
    fc.assert(
      fc.property(shapes, ({ seed, m, k, n, d, heap }) => {
        const p = problem(seed, m, k, n, d, heap);
        const a = new Float32Array(m * d).fill(7);
        const b = heap ? simd.alloc!(m * d).fill(7) : new Float32Array(m * d).fill(7);
        ref.sparseRowsMatmul(p.v, p.idx, m, k, p.w, d, a);
        kernels.sparseRowsMatmul!(p.v, p.idx, m, k, p.w, d, b);
        expect(bits(b)).toEqual(bits(a));
      }),
      { numRuns: 150 },
    );
  });

  it('sparseRowsMatmulBackward, with either gradient absent', () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 0, max: 2 }), ({ seed, m, k, n, d, heap }, which) => {
        const p = problem(seed, m, k, n, d, heap);
        const out = (withGv: boolean, withGw: boolean, run: typeof ref.sparseRowsMatmulBackward) => {
          const gv = withGv ? p.gv.slice() : null;
          const gw = withGw ? p.gw.slice(0, n * d) : null;
          run(p.g, p.v, p.idx, m, k, p.w, d, gv, gw);
          return [gv ? bits(gv) : null, gw ? bits(gw) : null];
        };
        const [withGv, withGw] = [which !== 1, which !== 2];
        expect(out(withGv, withGw, kernels.sparseRowsMatmulBackward!)).toEqual(
          out(withGv, withGw, ref.sparseRowsMatmulBackward),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('sparseLinearBackward, with either gradient absent', () => {
    fc.assert(
      fc.property(shapes, fc.integer({ min: 0, max: 2 }), ({ seed, m, k, n, d, heap }, which) => {
        const p = problem(seed, m, k, n, d, heap);
        const out = (withGw: boolean, withGx: boolean, run: typeof ref.sparseLinearBackward) => {
          const gw = withGw ? p.gw.slice(0, d * n) : null;
          const gx = withGx ? p.g.slice() : null;
          run(p.gk, p.idx, m, k, p.x, d, p.w.subarray(0, d * n), n, gw, gx);
          return [gw ? bits(gw) : null, gx ? bits(gx) : null];
        };
        const [withGw, withGx] = [which !== 1, which !== 2];
        expect(out(withGw, withGx, kernels.sparseLinearBackward!)).toEqual(
          out(withGw, withGx, ref.sparseLinearBackward),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('an index outside the matrix is an error naming it, not a stray memory access', () => {
    const w = new Float32Array(4 * 3);
    expect(() =>
      kernels.sparseRowsMatmul!(Float32Array.of(1), Int32Array.of(4), 1, 1, w, 3, new Float32Array(3)),
    ).toThrow(/idx\[0\] = 4 is outside 0\.\.3/);
  });
});

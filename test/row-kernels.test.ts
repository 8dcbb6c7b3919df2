import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceRowKernels as ref } from '../src/backend/row-kernels.ts';
import { SimdBackend } from '../src/backend/simd/backend.ts';
import { Rng } from '../src/tensor/rng.ts';

// The simd backend's row kernels against their TypeScript references, bit for bit: four rows
// summed at once and the rest one by one (r up to 13), column tails (c not a multiple of 4),
// zero rows (left alone), and values over six decades.
const simd = new SimdBackend();
const kernels = simd.kernels;

const shapes = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  r: fc.integer({ min: 1, max: 13 }),
  c: fc.integer({ min: 1, max: 19 }),
  heap: fc.boolean(),
});

function matrix(rng: Rng, r: number, c: number, heap: boolean) {
  const a = heap ? simd.alloc(r * c) : new Float32Array(r * c);
  for (let i = 0; i < r; i++) {
    // A row in five is zero: the kernels must leave it exactly as the references do.
    const zero = rng.uniform() < 0.2;
    const scale = 10 ** rng.uniformRange(-3, 3);
    for (let q = 0; q < c; q++) a[i * c + q] = zero ? 0 : rng.normal() * scale;
  }
  return a;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));

describe('simd row kernels equal the TypeScript references bit for bit', () => {
  it('normalizeRows', () => {
    fc.assert(
      fc.property(shapes, ({ seed, r, c, heap }) => {
        const a = matrix(Rng.seeded(seed), r, c, heap);
        const expected = a.slice();
        ref.normalizeRows(expected, r, c);
        kernels.normalizeRows!(a, r, c);
        expect(bits(a)).toEqual(bits(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('removeParallelComponent', () => {
    fc.assert(
      fc.property(shapes, ({ seed, r, c, heap }) => {
        const rng = Rng.seeded(seed);
        const w = matrix(rng, r, c, heap);
        ref.normalizeRows(w, r, c);
        const g = matrix(rng, r, c, heap);
        const expected = g.slice();
        ref.removeParallelComponent(expected, w, r, c);
        kernels.removeParallelComponent!(g, w, r, c);
        expect(bits(g)).toEqual(bits(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('a buffer shorter than r·c is an error naming it', () => {
    expect(() => kernels.normalizeRows!(new Float32Array(5), 2, 3)).toThrow(
      /normalizeRows: a has 5 elements, needs r·c = 6/,
    );
  });
});

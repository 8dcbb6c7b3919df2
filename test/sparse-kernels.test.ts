import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimdBackend } from '../src/backend/simd/backend.ts';
import { columnOrder } from '../src/backend/simd/sparse-order.ts';
import { referenceSparseKernels as ref } from '../src/backend/sparse-kernels.ts';
import { Rng } from '../src/tensor/rng.ts';

// The simd backend's sparse kernels against their TypeScript references: bit for bit, on random
// shapes (d not a multiple of 4 included, so the tails run), with zero values and repeated columns.
// In row order here; the column order has its own block below ('auto' picks either by shape).
const simd = new SimdBackend({ sparseTraversal: 'rows' });
const kernels = simd.kernels;

function problem(
  seed: number,
  m: number,
  k: number,
  n: number,
  d: number,
  heap: boolean,
  home: { alloc?(length: number): Float32Array } = simd,
) {
  const rng = Rng.seeded(seed);
  const buf = (len: number, f: () => number) => {
    const a = heap ? home.alloc!(len) : new Float32Array(len);
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

// The column-order backward kernels (sparse-order.ts) must give the row order's bits: the sums
// they keep in order are gW's over rows and, for sorted rows, gx's over a row's entries.
describe('simd sparse kernels in column order equal the references bit for bit', () => {
  const byColumn = new SimdBackend({ sparseTraversal: 'columns' });
  const cols = byColumn.kernels;
  /** Each row's columns sorted (top-k's output), repeats kept; or as drawn. */
  const arrange = (idx: Int32Array, m: number, k: number, sorted: boolean) => {
    if (sorted) for (let i = 0; i < m; i++) idx.subarray(i * k, (i + 1) * k).sort();
    return idx;
  };
  // Shapes where columns repeat (n small against m·k), as in the AuxK term.
  const colShapes = fc.record({
    seed: fc.integer({ min: 0, max: 1e6 }),
    m: fc.integer({ min: 1, max: 12 }),
    k: fc.integer({ min: 1, max: 8 }),
    n: fc.integer({ min: 1, max: 9 }),
    d: fc.integer({ min: 1, max: 19 }),
    heap: fc.boolean(),
  });

  it('the order: every entry once, by column and then by row; none for unsorted rows that need sorting', () => {
    fc.assert(
      fc.property(colShapes, fc.boolean(), ({ seed, m, k, n }, sorted) => {
        const rng = Rng.seeded(seed);
        const idx = arrange(
          Int32Array.from({ length: m * k }, () => Math.floor(rng.uniform() * n)),
          m,
          k,
          sorted,
        );
        const order = columnOrder(idx, m, k, n, 'columns', false, 1)!;
        expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: m * k }, (_, e) => e));
        for (let t = 1; t < order.length; t++) {
          const [a, b] = [order[t - 1], order[t]];
          expect(idx[a] < idx[b] || (idx[a] === idx[b] && a < b)).toBe(true);
        }
        const rowsInOrder = Array.from({ length: m }, (_, i) =>
          idx.subarray(i * k, (i + 1) * k).every((c, q, row) => q === 0 || row[q - 1] <= c),
        ).every(Boolean);
        expect(columnOrder(idx, m, k, n, 'columns', true, 1) !== null).toBe(rowsInOrder);
        expect(columnOrder(idx, m, k, n, 'rows', false, 1)).toBeNull();
        // 'auto' takes the column order exactly when the entries per distinct column reach the bar.
        const perColumn = (m * k) / new Set(idx).size;
        expect(columnOrder(idx, m, k, n, 'auto', false, 2) !== null).toBe(perColumn >= 2);
      }),
      { numRuns: 200 },
    );
  });

  it('sparseRowsMatmulBackward (rows in any order), with either gradient absent', () => {
    fc.assert(
      fc.property(colShapes, fc.integer({ min: 0, max: 2 }), ({ seed, m, k, n, d, heap }, which) => {
        const p = problem(seed, m, k, n, d, heap, byColumn);
        const out = (withGv: boolean, withGw: boolean, run: typeof ref.sparseRowsMatmulBackward) => {
          const gv = withGv ? p.gv.slice() : null;
          const gw = withGw ? p.gw.slice(0, n * d) : null;
          run(p.g, p.v, p.idx, m, k, p.w, d, gv, gw);
          return [gv ? bits(gv) : null, gw ? bits(gw) : null];
        };
        const [withGv, withGw] = [which !== 1, which !== 2];
        expect(out(withGv, withGw, cols.sparseRowsMatmulBackward!)).toEqual(
          out(withGv, withGw, ref.sparseRowsMatmulBackward),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('sparseLinearBackward (rows sorted; in any order without gx), with either gradient absent', () => {
    fc.assert(
      fc.property(
        colShapes,
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        ({ seed, m, k, n, d, heap }, which, sorted) => {
          const p = problem(seed, m, k, n, d, heap, byColumn);
          const [withGw, withGx] = [which !== 1, which !== 2];
          arrange(p.idx, m, k, sorted || withGx);
          const out = (run: typeof ref.sparseLinearBackward) => {
            const gw = withGw ? p.gw.slice(0, d * n) : null;
            const gx = withGx ? p.g.slice() : null;
            run(p.gk, p.idx, m, k, p.x, d, p.w.subarray(0, d * n), n, gw, gx);
            return [gw ? bits(gw) : null, gx ? bits(gx) : null];
          };
          expect(out(cols.sparseLinearBackward!)).toEqual(out(ref.sparseLinearBackward));
        },
      ),
      { numRuns: 150 },
    );
  });
});

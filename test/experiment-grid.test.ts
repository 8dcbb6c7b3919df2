import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gridPoints } from '../src/experiment/grid.ts';

// The grid every kind's expand uses: named axes × seeds in a fixed order.

const axes = fc.dictionary(
  fc.constantFrom('a', 'b', 'c', 'd'),
  fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 0, maxLength: 4 }),
  { minKeys: 1, maxKeys: 4 },
);

describe('gridPoints', () => {
  it('has point i at the mixed-radix digits of i (first axis outermost, seed innermost)', () => {
    fc.assert(
      fc.property(
        axes,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: -3, max: 3 }),
        (a, seeds, first) => {
          const points = gridPoints(a, { first, count: seeds });
          const names = Object.keys(a);
          const sizes = [...names.map((n) => a[n].length), seeds];
          expect(points).toHaveLength(sizes.reduce((x, y) => x * y, 1));
          points.forEach((p, i) => {
            // Decode i independently: the last digit is the seed.
            let rest = i;
            const digits = sizes.map(() => 0);
            for (let d = sizes.length - 1; d >= 0; d--) {
              digits[d] = rest % sizes[d];
              rest = Math.floor(rest / sizes[d]);
            }
            const expected: Record<string, unknown> = Object.fromEntries(
              names.map((n, d) => [n, a[n][digits[d]]]),
            );
            expected.seed = first + digits[names.length];
            expect(p).toEqual(expected);
          });
        },
      ),
    );
  });

  it('keeps the order of the full grid when points are filtered, and is the same every call', () => {
    fc.assert(
      fc.property(axes, fc.integer({ min: 1, max: 3 }), (a, seeds) => {
        const keep = (p: Record<string, unknown>) =>
          Object.values(p).reduce<number>((s, v) => s + (v as number), 0) % 2 === 0;
        const all = gridPoints(a, { first: 0, count: seeds });
        const kept = gridPoints(a, { first: 0, count: seeds }, keep);
        expect(kept).toEqual(
          all.filter((p) => {
            const { seed: _, ...rest } = p;
            return keep(rest);
          }),
        );
        expect(gridPoints(a, { first: 0, count: seeds }, keep)).toEqual(kept);
      }),
    );
  });

  it('takes a seed count per point', () => {
    const points = gridPoints(
      {
        s: [
          { count: 10, seeds: 2 },
          { count: 20, seeds: 1 },
        ],
        init: ['x', 'y'],
      },
      { first: 5, count: (p) => p.s.seeds },
    );
    expect(points.map((p) => `${p.s.count}/${p.init}/${p.seed}`)).toEqual([
      '10/x/5',
      '10/x/6',
      '10/y/5',
      '10/y/6',
      '20/x/5',
      '20/y/5',
    ]);
  });

  it('names an axis that is not a list, and rejects a seed count that is not a whole number', () => {
    expect(() => gridPoints({ k: 3 as unknown as number[] }, { first: 0, count: 1 })).toThrow(
      /axis 'k' is not a list/,
    );
    expect(() => gridPoints({ k: [1] }, { first: 0, count: 1.5 })).toThrow(/whole number ≥ 0, got 1.5/);
  });
});

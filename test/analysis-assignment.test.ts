import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { geometricMedian, sumOfDistances } from '../src/analysis/geometric-median.ts';
import { minCostAssignment } from '../src/analysis/hungarian.ts';

/** The least total cost over every injective map of rows to columns: the brute-force oracle. */
function bruteForce(cost: number[], rows: number, cols: number): number {
  let best = Number.POSITIVE_INFINITY;
  const taken = new Array<boolean>(cols).fill(false);
  const visit = (r: number, sum: number) => {
    if (r === rows) {
      best = Math.min(best, sum);
      return;
    }
    for (let c = 0; c < cols; c++) {
      if (taken[c]) continue;
      taken[c] = true;
      visit(r + 1, sum + cost[r * cols + c]);
      taken[c] = false;
    }
  };
  visit(0, 0);
  return best;
}

const costMatrix = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 3 }))
  .chain(([rows, extra]) => {
    const cols = Math.min(7, rows + extra);
    return fc
      .array(fc.double({ min: -10, max: 10, noNaN: true }), {
        minLength: rows * cols,
        maxLength: rows * cols,
      })
      .map((cost) => ({ rows, cols, cost }));
  });

describe('minCostAssignment (Hungarian)', () => {
  it('finds the brute-force optimum over all assignments, n ≤ 7', () => {
    fc.assert(
      fc.property(costMatrix, ({ rows, cols, cost }) => {
        const a = minCostAssignment(cost, rows, cols);
        // A valid assignment: distinct columns in range, and its reported cost is its own.
        expect(new Set(a.columnOf).size).toBe(rows);
        let sum = 0;
        for (let r = 0; r < rows; r++) {
          expect(a.columnOf[r]).toBeGreaterThanOrEqual(0);
          expect(a.columnOf[r]).toBeLessThan(cols);
          sum += cost[r * cols + a.columnOf[r]];
        }
        expect(a.cost).toBeCloseTo(sum, 9);
        expect(a.cost).toBeCloseTo(bruteForce(cost, rows, cols), 9);
      }),
      { numRuns: 300 },
    );
  });

  it('beats the greedy choice where greedy is wrong', () => {
    // Greedy takes (0,0) = 1 and is left with (1,1) = 100; the optimum is 2 + 2.
    const a = minCostAssignment([1, 2, 2, 100], 2, 2);
    expect(Array.from(a.columnOf)).toEqual([1, 0]);
    expect(a.cost).toBe(4);
  });

  it('refuses more rows than columns, wrong sizes and non-finite costs', () => {
    expect(() => minCostAssignment([1, 2], 2, 1)).toThrow(/2 rows cannot each take one of 1 columns/);
    expect(() => minCostAssignment([1, 2, 3], 2, 2)).toThrow(/3 costs for a 2 × 2 matrix/);
    expect(() => minCostAssignment([1, Number.NaN, 3, 4], 2, 2)).toThrow(/cost\[0, 1\] = NaN/);
  });
});

describe('geometricMedian (Weiszfeld)', () => {
  it('is the middle value in one dimension (odd count), where the iteration lands on a data point', () => {
    const x = [5, -1, 2, 40, 3, 3.5, 100];
    const g = geometricMedian(x, x.length, 1);
    expect(g.median[0]).toBeCloseTo(3.5, 6);
  });

  it('is the vertex of a triangle whose angle there is ≥ 120° (closed form)', () => {
    // Angle at the origin: between (1, 0) and (cos 150°, sin 150°) = 150°.
    const x = [0, 0, 1, 0, Math.cos((5 * Math.PI) / 6), Math.sin((5 * Math.PI) / 6)];
    const g = geometricMedian(x, 3, 2);
    expect(g.median[0]).toBeCloseTo(0, 6);
    expect(g.median[1]).toBeCloseTo(0, 6);
  });

  it('is the centre of an equilateral triangle and of a square (Fermat point, symmetry)', () => {
    const tri = [
      0,
      1,
      Math.cos((7 * Math.PI) / 6),
      Math.sin((7 * Math.PI) / 6),
      Math.cos(-Math.PI / 6),
      Math.sin(-Math.PI / 6),
    ];
    const t = geometricMedian(tri, 3, 2);
    expect(Math.hypot(t.median[0], t.median[1])).toBeLessThan(1e-6);
    const square = [3, 3, 3, 5, 5, 3, 5, 5];
    const s = geometricMedian(square, 4, 2);
    expect(s.median[0]).toBeCloseTo(4, 6);
    expect(s.median[1]).toBeCloseTo(4, 6);
  });

  it('is not pulled by an outlier the way the mean is', () => {
    const x = [0, 0, 0, 1, 1, 0, 1, 1, 1000, 1000];
    const g = geometricMedian(x, 5, 2);
    expect(Math.hypot(g.median[0] - 0.5, g.median[1] - 0.5)).toBeLessThan(1);
  });

  it('minimises the sum of distances: no point of a fine grid around it does better (2-D, brute force)', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 14 })
          .filter((a) => a.length % 2 === 0),
        (x) => {
          const rows = x.length / 2;
          const g = geometricMedian(x, rows, 2);
          // The brute-force minimum over a 161 × 161 grid of step 1/16 spanning the points' box.
          let best = Number.POSITIVE_INFINITY;
          for (let i = 0; i <= 160; i++)
            for (let j = 0; j <= 160; j++)
              best = Math.min(best, sumOfDistances(x, rows, 2, [-5 + i / 16, -5 + j / 16]));
          // The iteration stops at a relative move of 1e-10 (or on a data point that is the median).
          expect(g.objective).toBeLessThanOrEqual(best * (1 + 1e-9) + 1e-12);
          // And it is a local minimum at a finer scale than the grid's.
          for (const [dx, dy] of [
            [1e-3, 0],
            [-1e-3, 0],
            [0, 1e-3],
            [0, -1e-3],
          ])
            expect(g.objective).toBeLessThanOrEqual(
              sumOfDistances(x, rows, 2, [g.median[0] + dx, g.median[1] + dy]) * (1 + 1e-9) + 1e-12,
            );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses sizes that do not match the data', () => {
    expect(() => geometricMedian([1, 2, 3], 2, 2)).toThrow(/3 values are not 2 rows of 2/);
    expect(() => geometricMedian([], 0, 2)).toThrow(/rows ≥ 1/);
  });
});

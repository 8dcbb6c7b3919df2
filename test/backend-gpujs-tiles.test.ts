import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInputsFit, planTiles } from '../src/backend/gpujs/tiles.ts';

// How gpu.js products are cut to fit a GL texture: pure arithmetic, no GL needed.
describe('gpujs output tiling', () => {
  it('covers every cell of C exactly once, each tile within the limits, with the fewest even bands', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        (m, n, maxRows, maxCols) => {
          const tiles = planTiles(m, n, maxRows, maxCols);
          const seen = new Uint8Array(m * n);
          for (const t of tiles) {
            if (t.rows < 1 || t.rows > maxRows || t.cols < 1 || t.cols > maxCols) return false;
            for (let i = t.r0; i < t.r0 + t.rows; i++)
              for (let j = t.c0; j < t.c0 + t.cols; j++) seen[i * n + j]++;
          }
          if (!seen.every((v) => v === 1)) return false;
          const rowSizes = new Set(tiles.map((t) => t.rows));
          const colSizes = new Set(tiles.map((t) => t.cols));
          return (
            tiles.length === Math.ceil(m / maxRows) * Math.ceil(n / maxCols) &&
            Math.max(...rowSizes) - Math.min(...rowSizes) <= 1 &&
            Math.max(...colSizes) - Math.min(...colSizes) <= 1
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives one tile when there is no limit (the CPU and WebAssembly modes)', () => {
    expect(planTiles(7, 3, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY)).toEqual([
      { r0: 0, c0: 0, rows: 7, cols: 3 },
    ]);
  });

  it('cuts 60000 rows under a 16384 limit into four bands of 15000 (one kernel)', () => {
    expect(planTiles(60000, 64, 16384, 16384 * 4).map((t) => t.rows)).toEqual([15000, 15000, 15000, 15000]);
  });

  it('refuses operands whose texture would exceed the maximum, naming the shape and the limit', () => {
    expect(() => checkInputsFit('gpujs:headlessgl', 60000, 64, 784, 16384)).not.toThrow();
    // A 60000×784 A needs a ⌈√(60000·784/4)⌉ = 3430-texel square texture.
    expect(() => checkInputsFit('gpujs:headlessgl', 60000, 64, 784, 3429)).toThrow(
      "gpujs:headlessgl: 60000×784·784×64 cannot run: operand A (60000×784) needs a 3430×3430 texture, larger than this GL context's maximum 3429",
    );
    expect(() => checkInputsFit('x', 2, 70000, 70000, 1e9)).toThrow(
      /operand B has 4900000000 elements, more than the 2147483647/,
    );
  });
});

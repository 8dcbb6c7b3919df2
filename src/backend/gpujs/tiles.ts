/**
 * How a gemm's m×n output is cut into tiles a GL texture can hold. gpu.js renders a 2D output
 * [n, m] into a texture exactly n wide and m high, so each tile must fit the GL context's
 * maximum texture size in both directions; bigger outputs are split, never truncated.
 */
export interface Tile {
  /** First row and column of C the tile covers. */
  r0: number;
  c0: number;
  /** Rows and columns of the tile. */
  rows: number;
  cols: number;
}

/** The largest element count an input array may have: gpu.js indexes textures with 32-bit GLSL ints. */
export const MAX_INPUT_ELEMENTS = 2 ** 31 - 1;

/**
 * Cuts an m×n output into row and column bands of at most `maxRows` × `maxCols`, row-major. Bands
 * are as even as the limit allows, so a 60000-row output under a 16384 limit gets four bands of
 * 15000 (one compiled kernel) rather than three of 16384 and one of 10848 (two).
 */
export function planTiles(m: number, n: number, maxRows: number, maxCols: number): Tile[] {
  const rowBands = bands(m, maxRows);
  const colBands = bands(n, maxCols);
  const tiles: Tile[] = [];
  for (const [r0, rows] of rowBands) for (const [c0, cols] of colBands) tiles.push({ r0, c0, rows, cols });
  return tiles;
}

function bands(length: number, limit: number): [number, number][] {
  if (!(limit >= 1)) throw new Error(`tile limit must be at least 1, got ${limit}`);
  const count = Math.max(1, Math.ceil(length / limit));
  const base = Math.floor(length / count);
  const extra = length - base * count; // the first `extra` bands get one more
  const out: [number, number][] = [];
  let start = 0;
  for (let b = 0; b < count; b++) {
    const size = base + (b < extra ? 1 : 0);
    out.push([start, size]);
    start += size;
  }
  return out;
}

/**
 * Refuses a product whose operands gpu.js cannot index: an input larger than a 32-bit GLSL int
 * can address, or one whose memory-optimised texture (4 floats a texel, about square) exceeds the
 * maximum texture size. The message names the shape and the limit.
 */
export function checkInputsFit(label: string, m: number, n: number, k: number, maxTextureSize: number): void {
  for (const [what, rows, cols] of [
    ['A', m, k],
    ['B', k, n],
  ] as const) {
    const elements = rows * cols;
    if (elements > MAX_INPUT_ELEMENTS) {
      throw new Error(
        `${label}: ${m}×${k}·${k}×${n} cannot run: operand ${what} has ${elements} elements, more than the ${MAX_INPUT_ELEMENTS} a GLSL int can index`,
      );
    }
    const side = Math.ceil(Math.sqrt(Math.ceil(elements / 4)));
    if (side > maxTextureSize) {
      throw new Error(
        `${label}: ${m}×${k}·${k}×${n} cannot run: operand ${what} (${rows}×${cols}) needs a ${side}×${side} texture, larger than this GL context's maximum ${maxTextureSize}`,
      );
    }
  }
}

// The component grid of one factorization: the k basis images (rows of H) in a near-square grid
// (8 × 8 for k = 64), each tile as ink on paper by its own range (0 white, its largest black) so
// sparse and faint components stay visible.
import { imageGridPng, inkOnPaper, measureTextWidth } from 'nmfinit';

/** Columns of the grid: ⌈√k⌉, so square k gives a square grid. */
export const gridColumns = (k: number) => Math.ceil(Math.sqrt(k));

export function componentGridPng(
  components: Float32Array,
  k: number,
  imageShape: readonly [number, number],
  title: string,
): Buffer {
  const [h, w] = imageShape;
  const d = h * w;
  if (components.length !== k * d) {
    throw new Error(`component grid: ${components.length} values, expected k·d = ${k}·${d}`);
  }
  const columns = gridColumns(k);
  const rows = Math.ceil(k / columns);
  // About 84 px per tile, enlarged further when the title would not fit above the grid.
  let scale = Math.max(1, Math.min(8, Math.round(84 / Math.max(h, w))));
  const titleWidth = 1.1 * measureTextWidth(title, 16) + 16;
  while (scale < 16 && columns * (w * scale + Math.max(2, 2 * scale)) < titleWidth) scale++;
  const blank = new Float32Array(d).fill(1); // white, like the background: no component
  const gridRows = Array.from({ length: rows }, (_, r) => ({
    images: Array.from({ length: columns }, (_, c) => {
      const t = r * columns + c;
      return t < k ? inkOnPaper(components.subarray(t * d, (t + 1) * d)) : blank;
    }),
  }));
  return imageGridPng({ rows: gridRows, imageShape: [h, w], scale, title });
}

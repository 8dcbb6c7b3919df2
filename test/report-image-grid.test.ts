import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { measureTextWidth } from '../src/report/fonts.ts';
import {
  ERROR_COLOR,
  type ImageGridSpec,
  ImageGridSpecError,
  imageGrid,
  imageGridLayout,
  imageGridPng,
} from '../src/report/image-grid.ts';

const pixel = (png: PNG, x: number, y: number) => [
  ...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4),
];
const filled = (n: number, v: number) => new Float32Array(n).fill(v);

/** How many pixels in the rectangle are dark (mean of RGB below 100): where text was drawn. */
function darkPixels(png: PNG, x0: number, y0: number, x1: number, y1: number): number {
  let dark = 0;
  for (let y = Math.max(0, y0); y < Math.min(png.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(png.width, x1); x++) {
      const [r, g, b] = pixel(png, x, y);
      if ((r + g + b) / 3 < 100) dark++;
    }
  }
  return dark;
}

describe('imageGridPng', () => {
  it('draws every image pixel as round(255·clamp(v)) at its cell, scaled by nearest neighbour', () => {
    const arbSpec = fc
      .record({
        h: fc.integer({ min: 1, max: 5 }),
        w: fc.integer({ min: 1, max: 5 }),
        rows: fc.integer({ min: 1, max: 3 }),
        cols: fc.integer({ min: 1, max: 4 }),
        scale: fc.integer({ min: 1, max: 3 }),
        labelled: fc.boolean(),
      })
      .chain((p) =>
        fc.record({
          p: fc.constant(p),
          values: fc.array(fc.float({ min: -0.5, max: 1.5, noNaN: true }), {
            minLength: p.h * p.w * p.rows * p.cols,
            maxLength: p.h * p.w * p.rows * p.cols,
          }),
        }),
      );
    fc.assert(
      fc.property(arbSpec, ({ p, values }) => {
        const size = p.h * p.w;
        const rows = Array.from({ length: p.rows }, (_, r) => ({
          label: p.labelled ? `row ${r}` : undefined,
          images: Array.from({ length: p.cols }, (_, c) =>
            Float32Array.from(values.slice((r * p.cols + c) * size, (r * p.cols + c + 1) * size)),
          ),
        }));
        const spec: ImageGridSpec = {
          rows,
          imageShape: [p.h, p.w],
          scale: p.scale,
          title: p.labelled ? 'grid' : undefined,
        };
        const png = PNG.sync.read(imageGridPng(spec));
        const layout = imageGridLayout(spec);
        expect([png.width, png.height]).toEqual([layout.width, layout.height]);
        for (let r = 0; r < p.rows; r++) {
          for (let c = 0; c < p.cols; c++) {
            const img = rows[r].images[c];
            const { x, y } = layout.cellOrigin(r, c);
            for (let i = 0; i < p.h * p.scale; i++) {
              for (let j = 0; j < p.w * p.scale; j++) {
                const v = img[Math.floor(i / p.scale) * p.w + Math.floor(j / p.scale)];
                const g = Math.round(255 * Math.min(1, Math.max(0, v)));
                expect(pixel(png, x + j, y + i)).toEqual([g, g, g, 255]);
              }
            }
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('places cells left to right, top to bottom, evenly spaced, with white gaps between them', () => {
    // One grey marker pixel per grid; its position is found by scanning the PNG, independent of the layout code.
    const [h, w, scale, rows, cols] = [4, 3, 2, 3, 4];
    const found: { x: number; y: number }[][] = [];
    for (let r = 0; r < rows; r++) {
      found.push([]);
      for (let c = 0; c < cols; c++) {
        const images = (rr: number) =>
          Array.from({ length: cols }, (_, cc) => {
            const img = filled(h * w, 0);
            if (rr === r && cc === c) img[1 * w + 2] = 0.5; // pixel (1, 2) of this image
            return img;
          });
        const png = PNG.sync.read(
          imageGridPng({
            rows: Array.from({ length: rows }, (_, rr) => ({ images: images(rr) })),
            imageShape: [h, w],
            scale,
            gap: 5,
          }),
        );
        const hits: { x: number; y: number }[] = [];
        for (let y = 0; y < png.height; y++)
          for (let x = 0; x < png.width; x++) if (pixel(png, x, y)[0] === 128) hits.push({ x, y });
        expect(hits).toHaveLength(scale * scale);
        found[r].push(hits[0]);
      }
    }
    const stepX = w * scale + 5;
    const stepY = h * scale + 5;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        expect(found[r][c].x - found[0][0].x).toBe(c * stepX);
        expect(found[r][c].y - found[0][0].y).toBe(r * stepY);
      }
    }
    // The marker sits 2 pixels right and 1 down of its image's corner; the gaps are white.
    const png = PNG.sync.read(
      imageGridPng({
        rows: [{ images: [filled(h * w, 0), filled(h * w, 0)] }],
        imageShape: [h, w],
        scale,
        gap: 5,
      }),
    );
    const x0 = found[0][0].x - 2 * scale;
    const y0 = found[0][0].y - 1 * scale;
    expect(pixel(png, x0, y0)).toEqual([0, 0, 0, 255]);
    for (let g = 0; g < 5; g++) expect(pixel(png, x0 + w * scale + g, y0)).toEqual([255, 255, 255, 255]);
    expect(pixel(png, x0 + stepX, y0)).toEqual([0, 0, 0, 255]);
  });

  it('draws non-finite values in the error colour', () => {
    const img = Float32Array.from([0.2, Number.NaN, Number.POSITIVE_INFINITY, 1]);
    const spec: ImageGridSpec = { rows: [{ images: [img] }], imageShape: [2, 2], scale: 1 };
    const png = PNG.sync.read(imageGridPng(spec));
    const { x, y } = imageGridLayout(spec).cellOrigin(0, 0);
    expect(pixel(png, x, y)).toEqual([51, 51, 51, 255]);
    expect(pixel(png, x + 1, y)).toEqual([...ERROR_COLOR, 255]);
    expect(pixel(png, x, y + 1)).toEqual([...ERROR_COLOR, 255]);
    expect(pixel(png, x + 1, y + 1)).toEqual([255, 255, 255, 255]);
  });

  it('writes row labels left of their row and column labels above their column', () => {
    const white = () => Array.from({ length: 3 }, () => filled(28 * 28, 1));
    const spec: ImageGridSpec = {
      rows: [
        { label: 'original', images: white() },
        { images: white() },
        { label: 'glorot-normal', images: white() },
      ],
      imageShape: [28, 28],
      scale: 2,
      columnLabels: ['T-shirt/top', '', 'Bag'],
    };
    const png = PNG.sync.read(imageGridPng(spec));
    const layout = imageGridLayout(spec);
    const rowBand = (r: number) => {
      const { x, y } = layout.cellOrigin(r, 0);
      return darkPixels(png, 0, y, x, y + layout.cellHeight);
    };
    expect(rowBand(0)).toBeGreaterThan(40);
    expect(rowBand(1)).toBe(0); // no label, no ink
    expect(rowBand(2)).toBeGreaterThan(rowBand(0)); // the longer label has more ink
    const columnBand = (c: number) => {
      const { x, y } = layout.cellOrigin(0, c);
      return darkPixels(png, x, 0, x + layout.cellWidth, y);
    };
    expect(columnBand(0)).toBeGreaterThan(40);
    expect(columnBand(1)).toBe(0);
    expect(columnBand(2)).toBeGreaterThan(20);
    // Text stays out of the cells: the white images are still all white.
    for (let r = 0; r < 3; r++) {
      const { x, y } = layout.cellOrigin(r, 0);
      expect(darkPixels(png, x, y, x + layout.cellWidth, y + layout.cellHeight)).toBe(0);
    }
  });

  it('is deterministic', () => {
    const spec: ImageGridSpec = {
      rows: [{ label: 'nmf', images: [filled(4, 0.3)] }],
      imageShape: [2, 2],
      title: 'title',
    };
    expect(imageGridPng(spec).equals(imageGridPng(structuredClone(spec)))).toBe(true);
  });

  const img6 = () => filled(6, 0.5);
  it.each<[string, ImageGridSpec, RegExp]>([
    [
      'rows of different lengths',
      { rows: [{ images: [img6(), img6()] }, { images: [img6()] }], imageShape: [2, 3] },
      /rows\[1\]\.images: has 1 images, expected 2 like rows\[0\]/,
    ],
    [
      'an image of the wrong size',
      { rows: [{ images: [img6(), filled(5, 0)] }], imageShape: [2, 3] },
      /rows\[0\]\.images\[1\]: has 5 values, expected 2·3 = 6/,
    ],
    ['no rows', { rows: [], imageShape: [2, 3] }, /rows: must be a non-empty array/],
    [
      'a bad image shape',
      { rows: [{ images: [img6()] }], imageShape: [2, 0] as [number, number] },
      /imageShape: must be \[height, width\] of positive integers, got \[2,0\]/,
    ],
    [
      'a fractional scale',
      { rows: [{ images: [img6()] }], imageShape: [2, 3], scale: 1.5 },
      /scale: must be an integer in 1\.\.64, got 1\.5/,
    ],
    [
      'too few column labels',
      { rows: [{ images: [img6(), img6()] }], imageShape: [2, 3], columnLabels: ['a'] },
      /columnLabels: has 1 labels, expected 2/,
    ],
    [
      'a plain array as image',
      { rows: [{ images: [[0, 0, 0, 0, 0, 0] as unknown as Float32Array] }], imageShape: [2, 3] },
      /rows\[0\]\.images\[0\]: must be a Float32Array/,
    ],
  ])('rejects %s with an error naming the field', (_, spec, message) => {
    expect(() => imageGridPng(spec)).toThrow(ImageGridSpecError);
    expect(() => imageGridPng(spec)).toThrow(message);
  });
});

describe('imageGrid (SVG and PNG)', () => {
  const spec = {
    title: 'a title much wider than the two tiny images below it, which must not be cut off',
    rows: [
      { label: 'first', images: [new Float32Array(4).fill(0.2), new Float32Array(4).fill(0.8)] },
      { label: 'second', images: [new Float32Array(4).fill(1), new Float32Array(4).fill(0)] },
    ],
    imageShape: [2, 2] as [number, number],
  };

  it('widens the figure to its title', () => {
    const layout = imageGridLayout(spec);
    expect(layout.width).toBeGreaterThanOrEqual(measureTextWidth(spec.title, 16, true) + 16);
  });

  it('gives an SVG of the same size that holds the pixels as an image and every label as text', () => {
    const { svg, png } = imageGrid(spec);
    const decoded = PNG.sync.read(png);
    const layout = imageGridLayout(spec);
    expect([decoded.width, decoded.height]).toEqual([layout.width, layout.height]);
    expect(svg).toContain(`width="${layout.width}" height="${layout.height}"`);
    expect(svg).toMatch(/<image [^>]*href="data:image\/png;base64,/);
    for (const text of ['first', 'second', 'a title much wider']) expect(svg).toContain(text);
  });
});

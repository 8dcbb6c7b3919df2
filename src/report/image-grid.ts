import { PNG } from 'pngjs';
import { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import { escapeXml, FONT_FAMILY, measureTextWidth } from './fonts.ts';
import { svgToPremultipliedRgba } from './render.ts';

export interface ImageGridRow {
  /** Shown left of the row, e.g. "original", "nmf", "glorot-normal". */
  label?: string;
  /** h·w grey levels each, row-major, 0 = black, 1 = white. Every row has the same count. */
  images: readonly Float32Array[];
}

export interface ImageGridSpec {
  rows: readonly ImageGridRow[];
  /** [height, width] of every image in pixels. */
  imageShape: readonly [number, number];
  /** Nearest-neighbour enlargement, a positive integer (default 3). */
  scale?: number;
  /** One per column, e.g. class names; drawn above the columns (vertically when too wide). */
  columnLabels?: readonly string[];
  title?: string;
  /**
   * A short caption above each cell, cellLabels[row][column] (e.g. a component's variance share),
   * in text 2 px smaller than the labels; every row gets a band for them.
   */
  cellLabels?: readonly (readonly string[])[];
  /** White space between cells in px (default max(2, 2·scale)). */
  gap?: number;
  /** Label text size in px (default 14; the title is 2 px larger). */
  fontSize?: number;
}

/** Colour of a non-finite value (NaN, ±Infinity): magenta, which no grey level can be mistaken for. */
export const ERROR_COLOR: readonly [number, number, number] = [255, 0, 255];
const BACKGROUND = 255;
const MARGIN = 8;

/** An error in an image-grid spec, naming the field (e.g. `rows[1].images[3]`). */
export class ImageGridSpecError extends Error {
  override name = 'ImageGridSpecError';
}

/** Where everything goes, in PNG pixels. */
export interface ImageGridLayout {
  width: number;
  height: number;
  rows: number;
  columns: number;
  cellWidth: number;
  cellHeight: number;
  /** Top-left corner of cell (row, column). */
  cellOrigin(row: number, column: number): { x: number; y: number };
  /** The SVG with every piece of text, width × height, transparent elsewhere. */
  textSvg: string;
}

const got = (what: string) => (iss: { input?: unknown }) =>
  `must be ${what}, got ${JSON.stringify(iss.input)}`;

/** The schema of an ImageGridSpec: every error names its field (e.g. `rows[1].images[3]`). */
export const imageGridSpecSchema = z
  .object({
    rows: z
      .array(
        z.object({
          label: z.string().optional(),
          images: z
            .array(z.instanceof(Float32Array, { message: 'must be a Float32Array' }))
            .min(1, 'must be a non-empty array'),
        }),
      )
      .min(1, 'must be a non-empty array'),
    imageShape: z.custom<[number, number]>(
      (v) => Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0),
      { error: got('[height, width] of positive integers') },
    ),
    scale: z
      .number()
      .int({ error: got('an integer in 1..64') })
      .min(1, { error: got('an integer in 1..64') })
      .max(64, { error: got('an integer in 1..64') })
      .optional(),
    columnLabels: z.array(z.string()).optional(),
    title: z.string().optional(),
    cellLabels: z.array(z.array(z.string())).optional(),
    gap: z
      .number()
      .int({ error: got('a non-negative integer') })
      .min(0, { error: got('a non-negative integer') })
      .optional(),
    fontSize: z
      .number()
      .min(6, { error: got('a number ≥ 6') })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.rows.length === 0) return;
    const [h, w] = spec.imageShape;
    const columns = spec.rows[0].images.length;
    spec.rows.forEach((row, r) => {
      if (row.images.length !== columns)
        ctx.addIssue({
          code: 'custom',
          path: ['rows', r, 'images'],
          message: `has ${row.images.length} images, expected ${columns} like rows[0]`,
        });
      row.images.forEach((img, c) => {
        if (img.length !== h * w)
          ctx.addIssue({
            code: 'custom',
            path: ['rows', r, 'images', c],
            message: `has ${img.length} values, expected ${h}·${w} = ${h * w}`,
          });
      });
    });
    if (spec.columnLabels !== undefined && spec.columnLabels.length !== columns)
      ctx.addIssue({
        code: 'custom',
        path: ['columnLabels'],
        message: `has ${spec.columnLabels.length} labels, expected ${columns} (one per column)`,
      });
    if (spec.cellLabels !== undefined) {
      if (spec.cellLabels.length !== spec.rows.length)
        ctx.addIssue({
          code: 'custom',
          path: ['cellLabels'],
          message: `has ${spec.cellLabels.length} rows, expected ${spec.rows.length} (one per row)`,
        });
      spec.cellLabels.forEach((row, r) => {
        if (row.length !== columns)
          ctx.addIssue({
            code: 'custom',
            path: ['cellLabels', r],
            message: `has ${row.length} labels, expected ${columns} (one per column)`,
          });
      });
    }
  });

/** Checks a spec and throws an ImageGridSpecError naming the bad fields. */
export function validateImageGridSpec(spec: ImageGridSpec): void {
  parseOrThrow(imageGridSpecSchema, spec, 'image grid', { error: ImageGridSpecError });
}

/** Computes the layout (validating the spec first). */
export function imageGridLayout(spec: ImageGridSpec): ImageGridLayout {
  validateImageGridSpec(spec);
  const [h, w] = spec.imageShape;
  const scale = spec.scale ?? 3;
  const gap = spec.gap ?? Math.max(2, 2 * scale);
  const fontSize = spec.fontSize ?? 14;
  const titleSize = fontSize + 2;
  const rows = spec.rows.length;
  const columns = spec.rows[0].images.length;
  const cellWidth = w * scale;
  const cellHeight = h * scale;

  const text: string[] = [];
  const textAttrs = (size: number, bold = false) =>
    `font-family="${FONT_FAMILY}" font-size="${size}"${bold ? ' font-weight="bold"' : ''} fill="#000"`;
  // Baseline offset that centres a line of DejaVu Sans on a point (cap height ≈ 0.73 em).
  const centre = 0.36 * fontSize;

  let top = MARGIN;
  if (spec.title) {
    text.push(
      `<text x="${MARGIN}" y="${top + titleSize}" ${textAttrs(titleSize, true)}>${escapeXml(spec.title)}</text>`,
    );
    top += Math.ceil(titleSize * 1.6);
  }
  const rowLabels = spec.rows.map((r) => r.label ?? '');
  const labelWidth = Math.max(0, ...rowLabels.map((l) => measureTextWidth(l, fontSize)));
  const left = MARGIN + (labelWidth > 0 ? Math.ceil(labelWidth) + 10 : 0);

  const columnLabels = spec.columnLabels ?? [];
  const widest = Math.max(0, ...columnLabels.map((l) => measureTextWidth(l, fontSize)));
  const vertical = widest > cellWidth; // too wide to sit side by side: turn them upright
  const headerTop = top;
  if (columnLabels.length > 0) top += vertical ? Math.ceil(widest) + 8 : Math.ceil(fontSize * 1.6);

  const cellSize = fontSize - 2;
  const band = spec.cellLabels ? Math.ceil(cellSize * 1.4) : 0;
  const cellOrigin = (row: number, column: number) => ({
    x: left + column * (cellWidth + gap),
    y: top + band + row * (cellHeight + gap + band),
  });

  columnLabels.forEach((label, c) => {
    const cx = cellOrigin(0, c).x + cellWidth / 2;
    const t = escapeXml(label);
    if (vertical) {
      text.push(
        `<text transform="translate(${cx + centre} ${top - 6}) rotate(-90)" ${textAttrs(fontSize)}>${t}</text>`,
      );
    } else {
      text.push(
        `<text x="${cx}" y="${headerTop + fontSize}" text-anchor="middle" ${textAttrs(fontSize)}>${t}</text>`,
      );
    }
  });
  for (const [r, row] of (spec.cellLabels ?? []).entries()) {
    for (const [c, label] of row.entries()) {
      if (label === '') continue;
      const { x, y } = cellOrigin(r, c);
      text.push(
        `<text x="${x + cellWidth / 2}" y="${y - Math.ceil(0.35 * cellSize)}" text-anchor="middle" ${textAttrs(cellSize)}>${escapeXml(label)}</text>`,
      );
    }
  }
  rowLabels.forEach((label, r) => {
    if (label === '') return;
    const y = cellOrigin(r, 0).y + cellHeight / 2 + centre;
    text.push(
      `<text x="${left - 10}" y="${y}" text-anchor="end" ${textAttrs(fontSize)}>${escapeXml(label)}</text>`,
    );
  });

  // A title wider than the cells widens the figure rather than running off its edge.
  const titleWidth = spec.title ? Math.ceil(measureTextWidth(spec.title, titleSize, true)) + 2 * MARGIN : 0;
  const width = Math.max(cellOrigin(0, columns - 1).x + cellWidth + MARGIN, titleWidth);
  const height = cellOrigin(rows - 1, 0).y + cellHeight + MARGIN;
  const textSvg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">${text.join('')}</svg>`;
  return { width, height, rows, columns, cellWidth, cellHeight, cellOrigin, textSvg };
}

/**
 * A PNG of images in rows (e.g. the original row, then one row per initializer), grey-scale,
 * nearest-neighbour enlarged, with row labels on the left and optional column labels and title.
 * Values are clamped to [0, 1] and written as round(255·v); non-finite values are ERROR_COLOR.
 */
export function imageGridPng(spec: ImageGridSpec): Buffer {
  return PNG.sync.write(drawGrid(spec, true).png);
}

/**
 * The grid as SVG and PNG: the SVG holds the images as one embedded PNG (drawn pixelated) and
 * the labels as text, so the labels stay sharp and searchable at any size.
 */
export function imageGrid(spec: ImageGridSpec): { svg: string; png: Buffer } {
  const { png: cells, layout } = drawGrid(spec, false);
  const uri = `data:image/png;base64,${PNG.sync.write(cells).toString('base64')}`;
  const image =
    `<image x="0" y="0" width="${layout.width}" height="${layout.height}" ` +
    `style="image-rendering:pixelated" href="${uri}"/>`;
  const svg = layout.textSvg.replace(/(<svg[^>]*>)/, `$1${image}`);
  return { svg, png: imageGridPng(spec) };
}

function drawGrid(spec: ImageGridSpec, withText: boolean): { png: PNG; layout: ImageGridLayout } {
  const layout = imageGridLayout(spec);
  const [h, w] = spec.imageShape;
  const scale = spec.scale ?? 3;
  const png = new PNG({ width: layout.width, height: layout.height, colorType: 6 });
  png.data.fill(BACKGROUND);
  if (withText) compositeText(png, layout.textSvg);
  spec.rows.forEach((row, r) => {
    row.images.forEach((img, c) => {
      const { x: x0, y: y0 } = layout.cellOrigin(r, c);
      for (let i = 0; i < h * scale; i++) {
        const src = Math.floor(i / scale) * w;
        let at = ((y0 + i) * layout.width + x0) * 4;
        for (let j = 0; j < w * scale; j++, at += 4) {
          const v = img[src + Math.floor(j / scale)];
          if (Number.isFinite(v)) {
            const g = Math.round(255 * Math.min(1, Math.max(0, v)));
            png.data[at] = g;
            png.data[at + 1] = g;
            png.data[at + 2] = g;
          } else {
            png.data[at] = ERROR_COLOR[0];
            png.data[at + 1] = ERROR_COLOR[1];
            png.data[at + 2] = ERROR_COLOR[2];
          }
          png.data[at + 3] = 255;
        }
      }
    });
  });
  return { png, layout };
}

/** Draws the text layer (rendered by resvg with the bundled font) over the image: "source over". */
function compositeText(png: PNG, svg: string): void {
  const text = svgToPremultipliedRgba(svg);
  if (text.width !== png.width || text.height !== png.height) {
    throw new Error(`text layer is ${text.width}×${text.height}, expected ${png.width}×${png.height}`);
  }
  const src = text.pixels;
  const dst = png.data;
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    if (a === 0) continue;
    const keep = (255 - a) / 255;
    for (let k = 0; k < 3; k++) dst[i + k] = Math.round(src[i + k] + dst[i + k] * keep);
  }
}

/** Each tile mapped min → 0 (black), max → 1 (white); a constant tile is black. */
/**
 * A non-negative tile (an NMF component or factor) as ink on paper, by its own range: 0 is white,
 * its largest entry black, through a square root so faint parts stay visible. NMF parts are mostly
 * zeros: drawn with black = 0 (scaleToOwnRange) they were near-black tiles with a few light pixels.
 * Negative entries (none in NMF) count as 0.
 */
export function inkOnPaper(tile: ArrayLike<number>): Float32Array {
  let hi = 0;
  for (let i = 0; i < tile.length; i++) hi = Math.max(hi, tile[i]);
  const out = new Float32Array(tile.length).fill(1);
  if (hi > 0) for (let i = 0; i < tile.length; i++) out[i] = 1 - Math.sqrt(Math.max(0, tile[i]) / hi);
  return out;
}

export function scaleToOwnRange(tile: ArrayLike<number>): Float32Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < tile.length; i++) {
    lo = Math.min(lo, tile[i]);
    hi = Math.max(hi, tile[i]);
  }
  const out = new Float32Array(tile.length);
  if (hi > lo) for (let i = 0; i < tile.length; i++) out[i] = (tile[i] - lo) / (hi - lo);
  return out;
}

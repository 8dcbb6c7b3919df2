// Images of the method itself, drawn from artifacts alone: the NMF factors W and H that each `nmf`
// initializer gives the layer pairs, and the PCA components behind the PCA reference line.
import {
  decodeFloat32,
  FONT_FAMILY,
  type ImageGridRow,
  imageGrid,
  inkOnPaper,
  panelFigure,
  type RenderedFigure,
  type StudyArtifacts,
  vegaLiteToSvg,
} from 'nmfinit';

import type { DisplaySet } from './data.ts';
import { NMF_FACTORS_FOLDER, type NmfFactorsArtifact, nmfFactorsSchema } from './nmf-factors.ts';
import { PCA_COMPONENTS_FOLDER, type PcaComponents, pcaComponentsSchema } from './pca.ts';
import { type AutoencoderSpec, labelOf } from './spec.ts';

/** A figure of the method: its file name (no extension), a caption, and how to draw it. */
export interface MethodImage {
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  draw(): Promise<RenderedFigure>;
}

/** One decoded layer pair: I_n ≈ W·H, W n × k and H k × n (float32, as the network got them). */
export interface FactorPair {
  n: number;
  k: number;
  encoderLayer: number;
  decoderLayer: number;
  W: Float32Array;
  H: Float32Array;
}

export function decodeFactorPairs(a: NmfFactorsArtifact): FactorPair[] {
  return a.pairs.map((p) => {
    const W = decodeFloat32(p.W);
    const H = decodeFloat32(p.H);
    if (W.length !== p.n * p.k || H.length !== p.k * p.n) {
      throw new Error(
        `nmf factors of '${a.initializer}': W has ${W.length} and H ${H.length} values, expected n·k = ${p.n}·${p.k}`,
      );
    }
    return { ...p, W, H };
  });
}

/**
 * ‖I_n − W·H‖_F in float64, as n − 2·tr(WH) + ‖WH‖²_F with ‖WH‖²_F = ⟨WᵀW, HHᵀ⟩: two k×k Gram
 * matrices (n·k² each) instead of the n×n product (n²·k).
 */
export function identityResidual(W: Float32Array, H: Float32Array, n: number, k: number): number {
  let trace = 0;
  for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) trace += W[i * k + a] * H[a * n + i];
  const wtw = new Float64Array(k * k);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) {
      const wa = W[i * k + a];
      if (wa === 0) continue;
      for (let b = 0; b < k; b++) wtw[a * k + b] += wa * W[i * k + b];
    }
  }
  let product = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let hh = 0;
      for (let j = 0; j < n; j++) hh += H[a * n + j] * H[b * n + j];
      product += wtw[a * k + b] * hh;
    }
  }
  return Math.sqrt(Math.max(0, n - 2 * trace + product));
}

/** The rows (along 'rows') or the columns of a rows × cols row-major matrix, each as its own array. */
export function matrixSlices(
  m: Float32Array,
  rows: number,
  cols: number,
  along: 'rows' | 'columns',
): Float32Array[] {
  if (along === 'rows') return Array.from({ length: rows }, (_, r) => m.slice(r * cols, (r + 1) * cols));
  return Array.from({ length: cols }, (_, c) =>
    Float32Array.from({ length: rows }, (_, r) => m[r * cols + c]),
  );
}

/**
 * [h, w] of a data set of images with `d` pixels per sample; null when the data sets of that size
 * are not images (shape [1, d]); with no data set's shape known, a perfect square's, else null.
 */
export function imageShapeOf(d: number, display: ReadonlyMap<string, DisplaySet>): [number, number] | null {
  const known = [...display.values()].map((s) => s.imageShape).filter(([h, w]) => h * w === d);
  if (known.length > 0) {
    const image = known.find(([h, w]) => h > 1 && w > 1);
    return image ? [image[0], image[1]] : null;
  }
  const side = Math.round(Math.sqrt(d));
  return side > 1 && side * side === d ? [side, side] : null;
}

/** Columns of a tile grid: twice as wide as tall for 2·c² tiles (128 → 16 × 8), ⌈√(2·count)⌉. */
export const tileColumns = (count: number) => Math.min(count, Math.ceil(Math.sqrt(2 * count)));

/** Signed values around grey 0.5 = 0, scaled by the largest |value|: a component's sign stays readable. */
function signedImage(v: Float32Array): Float32Array {
  let peak = 0;
  for (const x of v) peak = Math.max(peak, Math.abs(x));
  return Float32Array.from(v, (x) => 0.5 + (peak > 0 ? x / (2 * peak) : 0));
}

/** Tiles in rows of `columns`, labelled "first–last" on the left unless `numbered` is false; a missing tile is white. */
function tileRows(
  tiles: readonly Float32Array[],
  columns: number,
  d: number,
  numbered = true,
): ImageGridRow[] {
  const blank = new Float32Array(d).fill(1);
  return Array.from({ length: Math.ceil(tiles.length / columns) }, (_, r) => {
    const first = r * columns;
    const last = Math.min(tiles.length, first + columns);
    return {
      ...(numbered && { label: `${first + 1}–${last}` }),
      images: Array.from({ length: columns }, (_, c) => tiles[first + c] ?? blank),
    };
  });
}

// Four decimals: NMF comes within 1e-3 of the optimum, which fewer would hide.
const fixed = (x: number) => x.toFixed(4);

/** The residual of a pair against its optimum, for titles and captions. */
function residualText(p: FactorPair, residual: number): string {
  return `‖I − WH‖_F = ${fixed(residual)}, optimum √(n − k) = ${fixed(Math.sqrt(p.n - p.k))}`;
}

/** The same, short, for panel titles. */
const residualShort = (p: FactorPair, residual: number) =>
  `‖I − WH‖_F ${fixed(residual)} vs √(n − k) ${fixed(Math.sqrt(p.n - p.k))}`;

/** What vegaLiteToSvg draws: a heatmap spec is one. */
type VegaLiteSpec = Parameters<typeof vegaLiteToSvg>[0];

/** A matrix as a heatmap (rows down, columns across, one cell per entry) with a colour legend. */
export function heatmapSpec(title: string, m: Float32Array, rows: number, cols: number): object {
  const values: { r: number; c: number; v: number }[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) values.push({ r, c, v: m[r * cols + c] });
  // About 384 px along the longer side, whole pixels per entry.
  const cell = Math.max(2, Math.min(16, Math.round(384 / Math.max(rows, cols))));
  const axis = (n: number, title: string) => ({
    field: title === 'row' ? 'r' : 'c',
    type: 'quantitative',
    bin: { binned: true, step: 1 },
    scale: { domain: title === 'row' ? [n, 0] : [0, n], nice: false, zero: false },
    axis: { title: `${title} (${n})`, values: ticks(n), format: 'd', labelFlush: true },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, fontSize: 14, anchor: 'start' },
    width: cols * cell,
    height: rows * cell,
    data: { values },
    transform: [
      { calculate: 'datum.r + 1', as: 'r1' },
      { calculate: 'datum.c + 1', as: 'c1' },
    ],
    // No aria labels: one per entry would triple the SVG (20,000 entries in the seed study).
    mark: { type: 'rect', stroke: null, aria: false },
    encoding: {
      y: axis(rows, 'row'),
      y2: { field: 'r1' },
      x: axis(cols, 'column'),
      x2: { field: 'c1' },
      color: {
        field: 'v',
        type: 'quantitative',
        // Ink on paper, as the 28×28 tiles above: 0 white, the largest entry black, square-root so the
        // few large entries of a sparse factor do not wash the rest out (viridis drew it near-black).
        scale: { type: 'sqrt', zero: true, range: ['#ffffff', '#000000'] },
        legend: { title: 'value', gradientLength: Math.max(80, Math.min(rows * cell, 200)) },
      },
    },
    config: { font: FONT_FAMILY, view: { stroke: '#888' }, background: 'white' },
  };
}

/** 0, a round step or two, n: labels at entry boundaries that do not crowd. */
function ticks(n: number): number[] {
  const step = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].find((s) => n / s <= 4) ?? n;
  const out: number[] = [];
  for (let t = 0; t < n; t += step) out.push(t);
  return [...out, n];
}

/** The factor figure of one `nmf` initializer, or null when its first pair is not of images. */
function nmfFactorsImage(
  a: NmfFactorsArtifact,
  display: ReadonlyMap<string, DisplaySet>,
  sizes: readonly number[],
): MethodImage | null {
  const pairs = decodeFactorPairs(a);
  if (pairs.length === 0) return null;
  const shape = imageShapeOf(pairs[0].n, display);
  if (shape === null) return null;
  const residuals = pairs.map((p) => identityResidual(p.W, p.H, p.n, p.k));
  const whose = a.perSeed ? `the runs of seed ${a.seed}` : 'every run';
  const name = `${a.initializer}_factors`;
  const title = `${a.initializer}: the factors I_n ≈ W·H of each layer pair (${sizes.join('-')}), as ${whose} starts from them`;
  const first = pairs[0];
  const wColumns = matrixSlices(first.W, first.n, first.k, 'columns');
  const hRows = matrixSlices(first.H, first.k, first.n, 'rows');
  const caption =
    `W is the encoder layer's kernel and H the mirrored decoder layer's. ` +
    pairs.map((p, i) => `${p.n} → ${p.k}: ${residualText(p, residuals[i])}`).join('; ') +
    `. First pair: each tile as ink on paper by its own range (white = 0, black = its largest entry, square-root scale); ` +
    `a W column has on average ${meanSupport(wColumns).toFixed(1)} and an H row ${meanSupport(hRows).toFixed(1)} of its ${first.n} entries above 1% of its largest.`;
  return {
    name,
    title,
    caption,
    async draw() {
      const [h, w] = shape;
      // Tiles of about 28 px (MNIST's own size); the PNG doubles them.
      const scale = Math.max(1, Math.round(28 / Math.max(h, w)));
      const grid = (tiles: Float32Array[], what: string) =>
        imageGrid({
          rows: tileRows(tiles.map(inkOnPaper), tileColumns(tiles.length), h * w),
          imageShape: shape,
          scale,
          gap: 2,
          fontSize: 12,
          title: what,
        }).svg;
      const panels: string[][] = [
        [
          grid(
            wColumns,
            `W ${first.n}×${first.k}, columns as ${h}×${w} tiles: ${residualShort(first, residuals[0])}`,
          ),
          grid(
            hRows,
            `H ${first.k}×${first.n}, rows as ${h}×${w} tiles: ${residualShort(first, residuals[0])}`,
          ),
        ],
      ];
      for (const [i, p] of pairs.entries()) {
        if (i === 0) continue;
        panels.push([
          await vegaLiteToSvg(
            heatmapSpec(`W ${p.n}×${p.k}: ${residualShort(p, residuals[i])}`, p.W, p.n, p.k) as VegaLiteSpec,
          ),
          await vegaLiteToSvg(
            heatmapSpec(`H ${p.k}×${p.n}: ${residualShort(p, residuals[i])}`, p.H, p.k, p.n) as VegaLiteSpec,
          ),
        ]);
      }
      return panelFigure({
        title,
        panels,
        rowLabels: pairs.map((p) => `${p.n} → ${p.k}`),
        columnLabels: ['W: encoder kernel', 'H: decoder kernel'],
      });
    },
  };
}

/** The mean number of entries above 1% of their vector's largest, over the vectors. */
export function meanSupport(vectors: readonly Float32Array[]): number {
  let sum = 0;
  for (const v of vectors) {
    const peak = Math.max(...v);
    for (const x of v) if (x > 0.01 * peak) sum++;
  }
  return vectors.length > 0 ? sum / vectors.length : Number.NaN;
}

/** Of a data set's PCA fits, the one on the most training samples. */
function largestFit(fits: readonly PcaComponents[]): PcaComponents {
  return [...fits].sort((x, y) => y.trainSamples - x.trainSamples)[0];
}

function pcaComponentsImage(c: PcaComponents, shape: [number, number], shownName: string): MethodImage {
  const total = c.explainedVarianceRatio.reduce((s, x) => s + x, 0);
  const percent = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%`;
  const name = `${c.datasetLabel}_pca_components`;
  const title = `${shownName}: the top ${c.rank} PCA components of ${c.trainSamples.toLocaleString('en-US')} samples, ${percent(total)} of the variance`;
  const caption =
    `The directions of the PCA reference line, fitted on the ${c.trainSamples.toLocaleString('en-US')} training samples of the largest training set, largest variance first, each titled with its share of the training variance. ` +
    `Grey is 0: each tile is scaled by its largest |entry| (white positive, black negative), the sign fixed so that entry is positive.`;
  return {
    name,
    title,
    caption,
    async draw() {
      const [h, w] = shape;
      const d = h * w;
      const values = decodeFloat32(c.components);
      const tiles = matrixSlices(values, c.rank, d, 'rows').map(signedImage);
      const columns = Math.min(c.rank, 8);
      const rows = tileRows(tiles, columns, d, false);
      const cellLabels = rows.map((_, r) =>
        Array.from({ length: columns }, (_, j) => {
          const i = r * columns + j;
          return i < c.rank ? `${i + 1}: ${percent(c.explainedVarianceRatio[i])}` : '';
        }),
      );
      // About 84 px per tile, so a label like "12: 1.23%" fits over it.
      const scale = Math.max(1, Math.round(84 / Math.max(h, w)));
      return imageGrid({ rows, imageShape: shape, scale, fontSize: 13, cellLabels, title });
    },
  };
}

/**
 * The method's figures for a report: per `nmf` initializer of the spec its factors, per data set
 * of images the PCA components of its largest fit. Data that are not images are left out.
 */
export function methodImages(
  spec: AutoencoderSpec,
  artifacts: StudyArtifacts,
  display: ReadonlyMap<string, DisplaySet>,
  names: ReadonlyMap<string, string>,
): MethodImage[] {
  const out: MethodImage[] = [];
  const labels = new Set(spec.initializers.filter((r) => r.name === 'nmf').map(labelOf));
  for (const file of artifacts.list(NMF_FACTORS_FOLDER)) {
    const a = artifacts.read(file, nmfFactorsSchema);
    if (!labels.has(a.initializer)) continue;
    const image = nmfFactorsImage(a, display, spec.model.sizes);
    if (image) out.push(image);
  }
  // The spec's fits only: an output directory may hold older ones of another rank or size.
  const rank = spec.outputs.pcaRank ?? Math.min(...spec.model.sizes);
  const samples = new Set(spec.grid.samples.map((s) => s.count));
  const fits = artifacts
    .list(PCA_COMPONENTS_FOLDER)
    .map((f) => artifacts.read(f, pcaComponentsSchema))
    .filter((f) => f.rank === rank && samples.has(f.samples));
  for (const ref of spec.datasets) {
    const label = labelOf(ref);
    const mine = fits.filter((f) => f.datasetLabel === label);
    if (mine.length === 0) continue;
    const fit = largestFit(mine);
    const shape = imageShapeOf(fit.d, new Map([...display].filter(([l]) => l === label)));
    if (shape) out.push(pcaComponentsImage(fit, shape, names.get(label) ?? label));
  }
  return out;
}

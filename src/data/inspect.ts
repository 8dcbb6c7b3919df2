// What `nmfinit datasets NAME` shows: per split the sample count, the count per class, the value
// range and the load time; and a PNG grid of the first images of each class.
import { imageGridPng } from '../report/image-grid.ts';
import { loadDataset } from './load.ts';
import type { Dataset, DatasetPlugin, Split } from './types.ts';

export interface SplitSummary {
  readonly split: Split;
  readonly count: number;
  /** Samples per class, indexed by label. */
  readonly perClass: readonly number[];
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly loadMs: number;
}

export interface DatasetInspection {
  readonly name: string;
  readonly description: string;
  readonly imageShape: readonly [number, number];
  readonly classNames: readonly string[];
  readonly splits: readonly SplitSummary[];
  /** The loaded splits, in the order of `splits` (for a grid). */
  readonly datasets: readonly Dataset[];
}

/** Counts per class, the value range and the mean (summed in float64) of a loaded split. */
export function summarizeSplit(ds: Dataset, loadMs: number): SplitSummary {
  const perClass = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) perClass[l]++;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of ds.images) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  const n = ds.images.length;
  return {
    split: ds.split,
    count: ds.count,
    perClass,
    min: n ? min : 0,
    max: n ? max : 0,
    mean: n ? sum / n : 0,
    loadMs,
  };
}

export interface InspectOptions {
  /** Raw plugin parameters (validated against the plugin's schema). */
  readonly params?: unknown;
  readonly cacheDir: string;
  readonly splits?: readonly Split[];
  readonly limit?: number;
  readonly log?: (message: string) => void;
}

/** Loads each split through the plugin (validated as in training) and summarises it. */
export async function inspectDataset(
  plugin: DatasetPlugin,
  options: InspectOptions,
): Promise<DatasetInspection> {
  const splits: SplitSummary[] = [];
  const datasets: Dataset[] = [];
  for (const split of options.splits ?? ['train', 'test']) {
    const t0 = performance.now();
    const ds = await loadDataset(plugin, { ...options, split });
    splits.push(summarizeSplit(ds, performance.now() - t0));
    datasets.push(ds);
  }
  const first = datasets[0];
  return {
    name: plugin.name,
    description: plugin.description,
    imageShape: first.imageShape,
    classNames: first.classNames,
    splits,
    datasets,
  };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/**
 * The inspection as text: a header, one line per split, then one row per class: its label, its
 * name (a column of its own only where some name is not just the label, as MNIST's "0"…"9" are)
 * and, per split, the count and its share of the split.
 */
export function formatInspection(r: DatasetInspection): string {
  const [h, w] = r.imageShape;
  const lines = [`${r.name}: ${r.description}`, `images ${h}×${w}, ${r.classNames.length} classes`];
  for (const s of r.splits) {
    lines.push(
      `${s.split}: ${s.count} samples, values min ${fmt(s.min)} max ${fmt(s.max)} mean ${fmt(s.mean)}, loaded in ${s.loadMs.toFixed(0)} ms`,
    );
  }
  const named = r.classNames.some((n, c) => n !== String(c));
  const nameWidth = Math.max(5, ...r.classNames.map((n) => n.length));
  const cell = (s: SplitSummary, c: number) => {
    const share = s.count > 0 ? (100 * s.perClass[c]) / s.count : 0;
    return `${s.perClass[c]} (${share.toFixed(1).padStart(4)}%)`;
  };
  const widths = r.splits.map((s) =>
    Math.max(s.split.length, ...r.classNames.map((_, c) => cell(s, c).length)),
  );
  const row = (label: string, name: string, cells: string[]) =>
    [
      label.padStart(5),
      ...(named ? [name.padEnd(nameWidth)] : []),
      ...cells.map((t, i) => t.padStart(widths[i])),
    ]
      .join('  ')
      .trimEnd();
  lines.push(
    row(
      'label',
      'class',
      r.splits.map((s) => s.split),
    ),
  );
  r.classNames.forEach((name, c) => {
    lines.push(
      row(
        String(c),
        name,
        r.splits.map((s) => cell(s, c)),
      ),
    );
  });
  return lines.join('\n');
}

/**
 * A PNG with one row per class present in `ds` (labelled with its name) holding its first
 * `perClass` images in split order; every row has as many images as the rarest present class allows.
 */
export function datasetGridPng(ds: Dataset, perClass = 10, scale = 2): Buffer {
  if (!Number.isInteger(perClass) || perClass < 1)
    throw new RangeError(`perClass must be a positive integer, got ${perClass}`);
  const d = ds.imageShape[0] * ds.imageShape[1];
  const byClass: Float32Array[][] = ds.classNames.map(() => []);
  for (let i = 0; i < ds.count; i++) {
    const row = byClass[ds.labels[i]];
    if (row.length < perClass) row.push(ds.images.subarray(i * d, (i + 1) * d));
  }
  const present = byClass
    .map((images, c) => ({ label: ds.classNames[c], images }))
    .filter((r) => r.images.length > 0);
  if (present.length === 0) throw new RangeError(`dataset '${ds.name}' (${ds.split}) has no images to draw`);
  const columns = Math.min(...present.map((r) => r.images.length));
  return imageGridPng({
    rows: present.map((r) => ({ label: r.label, images: r.images.slice(0, columns) })),
    imageShape: ds.imageShape,
    scale,
    title: `${ds.name} (${ds.split}): first ${columns} of each class`,
  });
}

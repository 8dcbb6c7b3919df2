import type { z } from 'zod';
import type { PluginBase } from '../registry/registry.ts';

export type Split = 'train' | 'test';

/** A loaded split: n images of d = h·w pixels as Float32 in [0, 1], row-major n × d. */
export interface Dataset {
  readonly name: string;
  readonly split: Split;
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
  /** [height, width] */
  readonly imageShape: readonly [number, number];
  readonly classNames: readonly string[];
  /** 'unit' (default): pixels in [0, 1]. 'real': any finite value (e.g. Gaussian inputs). */
  readonly values?: 'unit' | 'real';
}

export interface DatasetLoadOptions<P> {
  readonly split: Split;
  /** Keep only the first `limit` samples; larger than the split is an error. */
  readonly limit?: number;
  /** Parameters, validated against the plugin's schema. */
  readonly params: P;
  /** Where a plugin may keep converted caches. */
  readonly cacheDir: string;
  readonly log?: (message: string) => void;
}

export interface DatasetPlugin<S extends z.ZodType = z.ZodType> extends PluginBase {
  readonly params: S;
  /** The data set's name in figure titles and headings, e.g. "MNIST digits" (default: its name). */
  readonly displayName?: string;
  load(options: DatasetLoadOptions<z.output<S>>): Promise<Dataset>;
  /** Indices into the test split of the images shown in reconstruction grids; default: first of each class. */
  displayIndices?(test: Dataset): number[];
}

export function defineDataset<S extends z.ZodType>(plugin: DatasetPlugin<S>): DatasetPlugin<S> {
  return plugin;
}

/** The index of the first sample of each class, in class order (classes absent from the split are skipped). */
export function firstOfEachClass(ds: Dataset): number[] {
  const first = new Array<number>(ds.classNames.length).fill(-1);
  for (let i = 0; i < ds.count; i++) {
    const c = ds.labels[i];
    if (c < first.length && first[c] < 0) first[c] = i;
  }
  return first.filter((i) => i >= 0);
}

export function imageDim(ds: Pick<Dataset, 'imageShape'>): number {
  return ds.imageShape[0] * ds.imageShape[1];
}

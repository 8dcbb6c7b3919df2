// Loading through a plugin with its parameters validated, and checking that what a plugin returns
// keeps the Dataset contract (so a user's plugin cannot feed training malformed data).
import type { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import { DatasetError } from './errors.ts';
import type { Dataset, DatasetPlugin, Split } from './types.ts';

/** Validates raw parameters against a dataset plugin's schema (defaults filled in); errors name the field. */
export function parseDatasetParams<S extends z.ZodType>(
  plugin: DatasetPlugin<S>,
  raw: unknown = {},
): z.output<S> {
  return parseOrThrow(plugin.params, raw ?? {}, `dataset '${plugin.name}': invalid parameters`, {
    root: 'params',
    error: DatasetError,
  });
}

/**
 * Throws, naming the dataset and the field, unless `ds` keeps the contract: an n × h·w Float32
 * array of finite values in [0, 1], n labels below the number of class names, the split and the
 * count asked for.
 */
export function validateDataset(
  ds: Dataset,
  expected: { split?: Split; count?: number; imageShape?: readonly [number, number] } = {},
): Dataset {
  const fail = (what: string) => new DatasetError(`dataset '${ds.name}' (${ds.split}): ${what}`);
  if (expected.split !== undefined && ds.split !== expected.split) {
    throw fail(`asked for the ${expected.split} split, got ${ds.split}`);
  }
  const [h, w] = ds.imageShape ?? [];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw fail(`imageShape must be two positive integers, got ${JSON.stringify(ds.imageShape)}`);
  }
  const want = expected.imageShape;
  if (want !== undefined && (want[0] !== h || want[1] !== w)) {
    throw fail(`expected images of ${want[0]}×${want[1]}, found ${h}×${w}`);
  }
  if (!(ds.images instanceof Float32Array)) throw fail('images must be a Float32Array');
  if (!(ds.labels instanceof Uint8Array)) throw fail('labels must be a Uint8Array');
  if (!Number.isInteger(ds.count) || ds.count < 0)
    throw fail(`count must be a non-negative integer, got ${ds.count}`);
  if (expected.count !== undefined && ds.count !== expected.count) {
    throw fail(`asked for ${expected.count} samples, got ${ds.count}`);
  }
  if (ds.images.length !== ds.count * h * w) {
    throw fail(
      `images has ${ds.images.length} values, expected count ${ds.count} × ${h}×${w} = ${ds.count * h * w}`,
    );
  }
  if (ds.labels.length !== ds.count)
    throw fail(`labels has ${ds.labels.length} entries, expected count ${ds.count}`);
  if (ds.classNames.length < 1) throw fail('classNames is empty');
  for (let i = 0; i < ds.count; i++) {
    if (ds.labels[i] >= ds.classNames.length) {
      throw fail(`label ${ds.labels[i]} at index ${i} is not a class (${ds.classNames.length} class names)`);
    }
  }
  const images = ds.images;
  const real = ds.values === 'real';
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (real) {
      if (!Number.isFinite(v))
        throw fail(
          `value ${i % (h * w)} of sample ${Math.floor(i / (h * w))} is ${v}, expected a finite number`,
        );
      continue;
    }
    // Written so that NaN fails too.
    if (!(v >= 0 && v <= 1)) {
      throw fail(`image ${Math.floor(i / (h * w))} pixel ${i % (h * w)} is ${v}, expected a value in [0, 1]`);
    }
  }
  return ds;
}

export interface LoadDatasetOptions {
  readonly split: Split;
  readonly limit?: number;
  /** Raw parameters; validated against the plugin's schema. */
  readonly params?: unknown;
  readonly cacheDir: string;
  readonly log?: (message: string) => void;
  /** [height, width] the caller needs (e.g. [28, 28] for a 784-input network); another size is an error. */
  readonly expectedShape?: readonly [number, number];
}

/** Parses the parameters, loads the split and checks the result against the contract (and `expectedShape`). */
export async function loadDataset(plugin: DatasetPlugin, options: LoadDatasetOptions): Promise<Dataset> {
  const { split, limit, cacheDir, log, expectedShape } = options;
  if (split !== 'train' && split !== 'test') {
    throw new DatasetError(
      `dataset '${plugin.name}': split must be 'train' or 'test', got ${JSON.stringify(split)}`,
    );
  }
  const params = parseDatasetParams(plugin, options.params);
  const ds = await plugin.load({ split, limit, params, cacheDir, log });
  return validateDataset(ds, { split, count: limit, imageShape: expectedShape });
}

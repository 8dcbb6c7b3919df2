// Turning stored bytes into the Dataset the contract promises: a validated limit, Float32 in
// [0, 1] for only the samples asked for, labels checked against the class names.
import { DatasetError } from './errors.ts';
import type { Dataset, Split } from './types.ts';

/**
 * The number of samples to keep: all `available` when `limit` is undefined, else `limit`, which
 * must be a positive integer no larger than the split.
 */
export function resolveLimit(limit: number | undefined, available: number, what: string): number {
  if (limit === undefined) return available;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new DatasetError(`${what}: limit must be a positive integer, got ${limit}`);
  }
  if (limit > available) {
    throw new DatasetError(
      `${what}: limit ${limit} is larger than the split, which has ${available} samples`,
    );
  }
  return limit;
}

// x / 255 rounded once to Float32, so 255 maps to exactly 1.
const UNIT_FROM_BYTE = Float32Array.from({ length: 256 }, (_, i) => i / 255);

/** Unsigned bytes 0..255 → Float32 in [0, 1] (value / 255). */
export function bytesToUnitFloat(bytes: Uint8Array, out = new Float32Array(bytes.length)): Float32Array {
  if (out.length !== bytes.length) {
    throw new DatasetError(`bytesToUnitFloat: output has ${out.length} elements, input ${bytes.length}`);
  }
  for (let i = 0; i < bytes.length; i++) out[i] = UNIT_FROM_BYTE[bytes[i]];
  return out;
}

/** Like bytesToUnitFloat, but each stored rows × cols image is transposed (EMNIST stores images column-major). */
export function bytesToUnitFloatTransposed(bytes: Uint8Array, rows: number, cols: number): Float32Array {
  const d = rows * cols;
  const out = new Float32Array(bytes.length);
  for (let base = 0; base < bytes.length; base += d) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[base + c * rows + r] = UNIT_FROM_BYTE[bytes[base + r * cols + c]];
    }
  }
  return out;
}

/** The numbers as stored, before conversion: n images of h × w unsigned bytes and n labels. */
export interface ByteSamples {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  /** [height, width] as stored. */
  readonly imageShape: readonly [number, number];
}

export interface AssembleOptions {
  readonly name: string;
  readonly split: Split;
  readonly classNames: readonly string[];
  readonly limit?: number;
  /** Transpose each image (stored shape [h, w] becomes [w, h]). */
  readonly transpose?: boolean;
  /** Names the data in messages (a file, a cache). */
  readonly source: string;
}

/**
 * Builds a Dataset from stored bytes: checks that pixels and labels agree and that every label
 * names a class, then converts only the first `limit` images to Float32.
 */
export function datasetFromBytes(samples: ByteSamples, options: AssembleOptions): Dataset {
  const { pixels, labels, imageShape } = samples;
  const [h, w] = imageShape;
  const d = h * w;
  const { name, split, classNames, source } = options;
  if (pixels.length !== labels.length * d) {
    throw new DatasetError(
      `${source}: ${labels.length} labels need ${labels.length * d} pixels of ${h}×${w}, found ${pixels.length}`,
    );
  }
  checkLabels(labels, classNames.length, source);
  const count = resolveLimit(options.limit, labels.length, `${name} ${split}`);
  const kept = pixels.subarray(0, count * d);
  const transpose = options.transpose ?? false;
  return {
    name,
    split,
    images: transpose ? bytesToUnitFloatTransposed(kept, h, w) : bytesToUnitFloat(kept),
    // A copy, so the Dataset does not keep the whole file's buffer alive.
    labels: labels.slice(0, count),
    count,
    imageShape: transpose ? [w, h] : [h, w],
    classNames: [...classNames],
  };
}

function checkLabels(labels: Uint8Array, classes: number, source: string): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new DatasetError(
        `${source}: label ${labels[i]} at index ${i} is not a class: expected 0..${classes - 1} (${classes} class names)`,
      );
    }
  }
}

/** The largest label (−1 for none). */
export function maxLabel(labels: Uint8Array): number {
  let m = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > m) m = labels[i];
  return m;
}

/** Class names '0', '1', … for `count` classes. */
export function numberedClassNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(i));
}

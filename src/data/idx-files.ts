// Reading IDX files from disk (raw or gzipped) and finding a split's image and label files in a
// directory laid out like LeCun's MNIST distribution.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from './errors.ts';
import { type IdxArray, type IdxType, parseIdx } from './idx.ts';
import type { Split } from './types.ts';

const GZIP_MAGIC = [0x1f, 0x8b];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic bytes (whatever its name). */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DatasetError(`cannot read IDX file ${path}: ${(e as Error).message}`);
  }
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(
        `${path}: not a valid gzip file (${(e as Error).message}); expected a gzipped IDX file`,
      );
    }
  }
  return parseIdx(bytes, path);
}

/** What an IDX array must look like; `null` in `shape` accepts any size along that axis. */
export interface IdxExpectation {
  readonly type?: IdxType;
  readonly shape?: readonly (number | null)[];
}

/** Throws, naming `source`, unless `array` has the expected element type and shape. */
export function expectIdx(array: IdxArray, source: string, expected: IdxExpectation): void {
  if (expected.type !== undefined && array.type !== expected.type) {
    throw new DatasetError(`${source}: expected IDX elements of type ${expected.type}, found ${array.type}`);
  }
  const want = expected.shape;
  if (want === undefined) return;
  const fits = array.shape.length === want.length && want.every((d, i) => d === null || d === array.shape[i]);
  if (!fits) {
    const wanted = `[${want.map((d) => d ?? 'any').join(', ')}]`;
    throw new DatasetError(
      `${source}: expected an IDX array of shape ${wanted}, found [${array.shape.join(', ')}]`,
    );
  }
}

/** The file-name prefix of each split in the standard layout. */
const SPLIT_PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/**
 * The names tried, in order, for a split's images or labels: the standard name, the variant with
 * a dot (as some mirrors ship them), each raw or gzipped.
 */
export function idxFileCandidates(split: Split, kind: 'images' | 'labels'): string[] {
  const rank = kind === 'images' ? 3 : 1;
  const p = SPLIT_PREFIX[split];
  const bases = [`${p}-${kind}-idx${rank}-ubyte`, `${p}-${kind}.idx${rank}-ubyte`];
  return bases.flatMap((b) => [b, `${b}.gz`]);
}

/** Finds a split's images or labels file in `dir`; the error names the directory and every name tried. */
export function findIdxFile(dir: string, split: Split, kind: 'images' | 'labels'): string {
  const abs = resolve(dir);
  const names = idxFileCandidates(split, kind);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new DatasetError(
      `IDX directory not found: ${abs} (it should hold ${names.join(' or ')} and the other splits)`,
    );
  }
  for (const name of names) {
    const path = join(abs, name);
    if (existsSync(path)) return path;
  }
  throw new DatasetError(`no ${split} ${kind} file in ${abs}: looked for ${names.join(', ')}`);
}

/** A split's raw pixels and labels as stored: n images of h × w unsigned bytes. */
export interface RawSplit {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly imageShape: readonly [number, number];
  /** Where they came from, for messages. */
  readonly source: string;
}

export interface ReadIdxSplitOptions {
  /** [height, width] the caller expects; other sizes are an error. */
  readonly expectedShape?: readonly [number, number];
  /** The number of samples the caller expects; another count is an error. */
  readonly expectedCount?: number;
}

/** Reads and cross-checks a split's image (ubyte, n × h × w) and label (ubyte, n) files in `dir`. */
export function readIdxSplit(dir: string, split: Split, options: ReadIdxSplitOptions = {}): RawSplit {
  const imagesPath = findIdxFile(dir, split, 'images');
  const labelsPath = findIdxFile(dir, split, 'labels');
  const images = readIdxFile(imagesPath);
  const { expectedShape, expectedCount } = options;
  expectIdx(images, imagesPath, {
    type: 'ubyte',
    shape: [expectedCount ?? null, expectedShape?.[0] ?? null, expectedShape?.[1] ?? null],
  });
  const labels = readIdxFile(labelsPath);
  expectIdx(labels, labelsPath, { type: 'ubyte', shape: [null] });
  const [n, h, w] = images.shape;
  if (labels.shape[0] !== n) {
    throw new DatasetError(
      `${labelsPath}: expected ${n} labels, one per image in ${imagesPath}, found ${labels.shape[0]}`,
    );
  }
  return {
    pixels: images.data as Uint8Array,
    labels: labels.data as Uint8Array,
    count: n,
    imageShape: [h, w],
    source: `${imagesPath} + ${labelsPath}`,
  };
}

/** Reads only a split's label file (cheap): e.g. to count the classes. */
export function readIdxLabels(dir: string, split: Split): Uint8Array {
  const path = findIdxFile(dir, split, 'labels');
  const labels = readIdxFile(path);
  expectIdx(labels, path, { type: 'ubyte', shape: [null] });
  return labels.data as Uint8Array;
}

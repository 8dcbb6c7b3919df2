// A compact binary cache for one dataset split, so slow sources (JSON) are converted once.
//
// A framed file (src/util/framed-file.ts, magic "NMFDSET2"): a JSON header
// {key, count, imageShape, classNames}, then `count` label bytes and count·h·w pixel bytes, then a
// SHA-256 of everything before it, so a change to any byte is caught. `key` says what source and
// conversion the file was built from. A truncated, corrupt or stale file is rejected with the
// reason, and `loadOrBuildCachedSplit` rebuilds it.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { sha256Hex, sweepStaleTempFiles, writeFileAtomicSync } from '../util/files.ts';
import { decodeFramed, encodeFramed } from '../util/framed-file.ts';
import type { ByteSamples } from './assemble.ts';
import { DatasetError } from './errors.ts';
import type { Split } from './types.ts';

const MAGIC = 'NMFDSET2';

/** A split as stored in the cache. */
export interface CachedSplit extends ByteSamples {
  readonly classNames: readonly string[];
}

/** A cache file that cannot be used; the message says why. */
export class CacheError extends DatasetError {
  override name = 'CacheError';
}

const dimension = z.number().int().positive();
const headerSchema = z
  .object({
    key: z.string(),
    count: z.number().int().nonnegative(),
    imageShape: z.tuple([dimension, dimension]),
    classNames: z.array(z.string()).min(1).max(256),
  })
  .strict();

/** Encodes a split with the key of its source; labels must be below the number of class names. */
export function encodeCachedSplit(split: CachedSplit, key: string): Uint8Array {
  const { pixels, labels, imageShape, classNames } = split;
  const count = labels.length;
  if (pixels.length !== count * imageShape[0] * imageShape[1]) {
    throw new DatasetError(
      `encodeCachedSplit: ${count} labels of ${imageShape.join('×')} images need ${count * imageShape[0] * imageShape[1]} pixels, got ${pixels.length}`,
    );
  }
  const bad = labels.findIndex((l) => l >= classNames.length);
  if (bad >= 0) {
    throw new DatasetError(
      `encodeCachedSplit: label ${labels[bad]} at index ${bad} is not one of the ${classNames.length} class names`,
    );
  }
  const header = { key, count, imageShape: [imageShape[0], imageShape[1]], classNames: [...classNames] };
  return encodeFramed(MAGIC, header, [labels, pixels]);
}

/**
 * Decodes and verifies a cache file's bytes; pixels and labels are views into `bytes`. Throws
 * CacheError naming `source` when anything is off, including a key other than `expectedKey`.
 */
export function decodeCachedSplit(bytes: Uint8Array, source: string, expectedKey?: string): CachedSplit {
  const fail = (why: string) => new CacheError(`${source}: ${why}`);
  const { header, payload } = decodeFramed(bytes, MAGIC, 'an nmfinit dataset cache', headerSchema, fail);
  if (expectedKey !== undefined && header.key !== expectedKey) {
    throw fail(`stale: built from source ${header.key}, expected ${expectedKey}`);
  }
  const [h, w] = header.imageShape;
  const expectedLength = header.count * (1 + h * w);
  if (payload.length !== expectedLength) {
    throw fail(
      `payload of ${payload.length} bytes, expected ${expectedLength} for ${header.count} samples of ${h}×${w}`,
    );
  }
  const labels = payload.subarray(0, header.count);
  const pixels = payload.subarray(header.count);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= header.classNames.length) {
      throw fail(`label ${labels[i]} at index ${i} is not one of the ${header.classNames.length} classes`);
    }
  }
  return { pixels, labels, imageShape: [h, w], classNames: header.classNames };
}

/** Reads and verifies a cache file. */
export function readCachedSplit(path: string, expectedKey?: string): CachedSplit {
  return decodeCachedSplit(readFileSync(path), path, expectedKey);
}

/** The cache file of one split of a dataset. */
export function cachedSplitPath(cacheDir: string, dataset: string, split: Split): string {
  return join(cacheDir, 'datasets', `${dataset}-${split}.nmfds`);
}

/** A key for a set of source files: their names, sizes and modification times, hashed. */
export function sourceFilesKey(paths: readonly string[], conversion: string): string {
  const parts = paths.map((p) => {
    const s = statSync(p);
    return `${p}\t${s.size}\t${s.mtimeMs}`;
  });
  return sha256Hex(conversion, '\n', ...parts.map((p) => `${p}\n`)).slice(0, 32);
}

export interface CachedSplitOptions {
  readonly cacheDir: string;
  /** The dataset's name; the files are `<cacheDir>/datasets/<name>-<split>.nmfds`. */
  readonly dataset: string;
  readonly split: Split;
  /** Identifies the source and the conversion; a cache built with another key is rebuilt. */
  readonly key: string;
  /** Converts the source into both splits (called only when the cache is missing or unusable). */
  readonly build: () => Record<Split, CachedSplit> | Promise<Record<Split, CachedSplit>>;
  readonly log?: (message: string) => void;
}

/**
 * Returns the requested split from the cache, building and writing (atomically) every split first
 * when the file is missing, truncated, corrupt or stale — with a log line saying which.
 */
export async function loadOrBuildCachedSplit(options: CachedSplitOptions): Promise<CachedSplit> {
  const { cacheDir, dataset, split, key, log } = options;
  const path = cachedSplitPath(cacheDir, dataset, split);
  // A conversion killed mid-write leaves its temp file (tens of MB): gone once a later load looks.
  sweepStaleTempFiles(dirname(path));
  let bytes: Uint8Array | undefined;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    log?.(`${dataset}: no cache at ${path}; converting the source once (later loads read the cache)`);
  }
  if (bytes !== undefined) {
    try {
      return decodeCachedSplit(bytes, path, key);
    } catch (e) {
      if (!(e instanceof CacheError)) throw e;
      log?.(`${dataset}: rebuilding the cache: ${e.message}`);
    }
  }
  const built = await options.build();
  for (const s of Object.keys(built) as Split[]) {
    writeFileAtomicSync(cachedSplitPath(cacheDir, dataset, s), encodeCachedSplit(built[s], key));
  }
  return built[split];
}

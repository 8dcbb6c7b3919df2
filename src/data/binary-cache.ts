// A compact binary cache for one dataset split, so slow sources (JSON) are converted once.
//
// Layout: 8 magic bytes "NMFDSET1", a uint32 (little-endian) header length, a JSON header
// {key, count, imageShape, classNames, sha256}, then the payload: `count` label bytes followed by
// count·h·w pixel bytes. `sha256` covers the other header fields and the payload, so a change to any
// byte is caught; `key` says what source and conversion the file was built from. Every field is checked on load: a truncated, corrupted or stale file is rejected
// with the reason, and `loadOrBuildCachedSplit` rebuilds it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatZodIssues } from '../registry/zod-errors.ts';
import { sha256Hex, writeFileAtomicSync } from '../util/files.ts';
import type { ByteSamples } from './assemble.ts';
import { DatasetError } from './errors.ts';
import type { Split } from './types.ts';

const MAGIC = new TextEncoder().encode('NMFDSET1');
const PREFIX_BYTES = MAGIC.length + 4;

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
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

type HeaderFields = Pick<z.output<typeof headerSchema>, 'key' | 'count' | 'imageShape' | 'classNames'>;

/** SHA-256 of the header fields (in a fixed order) and the payload. */
function checksum(h: HeaderFields, labels: Uint8Array, pixels: Uint8Array): string {
  const fields = JSON.stringify([h.key, h.count, h.imageShape, h.classNames]);
  return sha256Hex(fields, labels, pixels);
}

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
  const fields: HeaderFields = {
    key,
    count,
    imageShape: [imageShape[0], imageShape[1]],
    classNames: [...classNames],
  };
  const header = new TextEncoder().encode(
    JSON.stringify({ ...fields, sha256: checksum(fields, labels, pixels) }),
  );
  const out = new Uint8Array(PREFIX_BYTES + header.length + labels.length + pixels.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, PREFIX_BYTES);
  out.set(labels, PREFIX_BYTES + header.length);
  out.set(pixels, PREFIX_BYTES + header.length + labels.length);
  return out;
}

/**
 * Decodes and verifies a cache file's bytes; pixels and labels are views into `bytes`. Throws
 * CacheError naming `source` when anything is off, including a key other than `expectedKey`.
 */
export function decodeCachedSplit(bytes: Uint8Array, source: string, expectedKey?: string): CachedSplit {
  const fail = (why: string) => new CacheError(`${source}: ${why}`);
  if (bytes.length < PREFIX_BYTES)
    throw fail(`truncated: expected at least ${PREFIX_BYTES} bytes, found ${bytes.length}`);
  if (!MAGIC.every((b, i) => bytes[i] === b))
    throw fail('bad magic: not an nmfinit dataset cache (expected "NMFDSET1")');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const payloadStart = PREFIX_BYTES + headerLength;
  if (bytes.length < payloadStart) {
    throw fail(
      `truncated header: expected ${headerLength} header bytes, found ${bytes.length - PREFIX_BYTES}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, payloadStart)),
    );
  } catch (e) {
    throw fail(`corrupt header: ${(e as Error).message}`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) throw fail(`corrupt header: ${formatZodIssues(parsed.error.issues, 'header')}`);
  const header = parsed.data;
  if (expectedKey !== undefined && header.key !== expectedKey) {
    throw fail(`stale: built from source ${header.key}, expected ${expectedKey}`);
  }
  const [h, w] = header.imageShape;
  const expectedLength = payloadStart + header.count * (1 + h * w);
  if (bytes.length !== expectedLength) {
    const what = bytes.length < expectedLength ? 'truncated' : 'trailing bytes';
    throw fail(
      `${what}: ${header.count} samples of ${h}×${w} take ${expectedLength} bytes, found ${bytes.length}`,
    );
  }
  const labels = bytes.subarray(payloadStart, payloadStart + header.count);
  const pixels = bytes.subarray(payloadStart + header.count);
  const actual = checksum(header, labels, pixels);
  if (actual !== header.sha256)
    throw fail(`checksum mismatch: header says ${header.sha256}, contents hash to ${actual}`);
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

// One computed value per cache file, shared by the NMF factor cache (src/nmf/cache.ts) and the PCA
// cache (src/analysis/pca-cache.ts): load the file when it is usable, else compute under
// `<file>.lock` (compute-once.ts, so workers that start together compute once) and write it
// atomically; an unusable file is reported once, by the run that replaces it. Also the float64
// payloads both caches frame (framed-file.ts): little-endian, whatever the platform's byte order.
import { existsSync, readFileSync } from 'node:fs';
import { computeOnce } from './compute-once.ts';
import { writeFileAtomicSync } from './files.ts';

export interface CachedFileSpec<T> {
  readonly path: string;
  /** How log lines name the cache ('nmf cache') and making the value ('computing'; 'recomputing'). */
  readonly words: { readonly cache: string; readonly making: string; readonly remaking: string };
  /** A file's bytes to its value; throws an `unusable` error for a file that cannot be used. */
  readonly decode: (bytes: Uint8Array) => T;
  readonly unusable: abstract new (...args: never[]) => Error;
  readonly encode: (value: T) => Uint8Array;
  readonly compute: () => T;
  /** Told when a file is loaded, written or waited for; unusable files default to console.warn. */
  readonly log?: (message: string) => void;
}

/** The cached value, or the computed one (then written); `source` says which. */
export interface Cached<T> {
  readonly value: T;
  readonly source: 'cache' | 'computed';
}

export function cachedInFile<T>(spec: CachedFileSpec<T>): Cached<T> {
  const { path, words, log } = spec;
  const load = (locked: boolean): Cached<T> | undefined => {
    if (!existsSync(path)) return undefined;
    try {
      const value = spec.decode(readFileSync(path));
      log?.(`${words.cache}: loaded ${path}`);
      return { value, source: 'cache' };
    } catch (e) {
      if (!(e instanceof spec.unusable)) throw e;
      if (locked) (log ?? console.warn)(`${words.cache}: ${e.message}; ${words.remaking} and rewriting it`);
      return undefined;
    }
  };
  const compute = (): Cached<T> => {
    const value = spec.compute();
    writeFileAtomicSync(path, spec.encode(value));
    log?.(`${words.cache}: wrote ${path}`);
    return { value, source: 'computed' };
  };
  const onWait = () => log?.(`${words.cache}: waiting for another run ${words.making} ${path}`);
  return computeOnce(`${path}.lock`, load, compute, { onWait });
}

/** Float64 values as little-endian bytes. */
export function float64LittleEndian(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return out;
}

/**
 * A payload of little-endian float64s split into arrays of the given lengths; throws `fail(why)`
 * when its size is not exactly theirs.
 */
export function float64Arrays(
  payload: Uint8Array,
  lengths: readonly number[],
  fail: (why: string) => Error,
): Float64Array[] {
  const expected = 8 * lengths.reduce((sum, length) => sum + length, 0);
  if (payload.length !== expected) {
    throw fail(`payload of ${payload.length} bytes, expected ${expected} for the shapes in the header`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  let offset = 0;
  return lengths.map((length) => {
    const values = new Float64Array(length);
    for (let i = 0; i < length; i++, offset += 8) values[i] = view.getFloat64(offset, true);
    return values;
  });
}

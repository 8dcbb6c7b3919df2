// One computed value per cache file, shared by the NMF factor cache (src/nmf/cache.ts) and the PCA
// cache (src/analysis/pca-cache.ts): load the file when it is usable, else compute under
// `<file>.lock` (compute-once.ts, so workers that start together compute once) and write it
// atomically; an unusable file is reported once, by the run that replaces it. Also the float64
// payloads both caches frame (framed-file.ts): little-endian, whatever the platform's byte order.
import { existsSync, readFileSync } from 'node:fs';
import { computeOnce } from './compute-once.ts';
import { writeFileAtomicSync } from './files.ts';

/** How one kind of cache file is read and written, and how its log lines name it. */
export interface FileCodec<T> {
  /** 'nmf cache', and what making a value is called: 'computing', 'recomputing'. */
  readonly words: { readonly cache: string; readonly making: string; readonly remaking: string };
  readonly encode: (value: T, key: string) => Uint8Array;
  /** A file's bytes to its value; throws an `unusable` error, naming `source`, for one that cannot be used. */
  readonly decode: (bytes: Uint8Array, source: string, expectedKey: string) => T;
  readonly unusable: abstract new (...args: never[]) => Error;
}

/** The cached value, or the computed one (then written); `source` says which. */
export interface Cached<T> {
  readonly value: T;
  readonly source: 'cache' | 'computed';
}

/**
 * The value stored for `key` in `path` when that file is usable, else `compute()` written there.
 * `log` is told when a file is loaded, written or waited for; an unusable file defaults to console.warn.
 */
export function cachedInFile<T>(
  codec: FileCodec<T>,
  path: string,
  key: string,
  compute: () => T,
  log?: (message: string) => void,
): Cached<T> {
  const { words } = codec;
  const load = (locked: boolean): Cached<T> | undefined => {
    if (!existsSync(path)) return undefined;
    try {
      const value = codec.decode(readFileSync(path), path, key);
      log?.(`${words.cache}: loaded ${path}`);
      return { value, source: 'cache' };
    } catch (e) {
      if (!(e instanceof codec.unusable)) throw e;
      if (locked) (log ?? console.warn)(`${words.cache}: ${e.message}; ${words.remaking} and rewriting it`);
      return undefined;
    }
  };
  const computeAndWrite = (): Cached<T> => {
    const value = compute();
    writeFileAtomicSync(path, codec.encode(value, key));
    log?.(`${words.cache}: wrote ${path}`);
    return { value, source: 'computed' };
  };
  const onWait = () => log?.(`${words.cache}: waiting for another run ${words.making} ${path}`);
  return computeOnce(`${path}.lock`, load, computeAndWrite, { onWait });
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

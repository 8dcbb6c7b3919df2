// A disk cache of NMF results, so an architecture's factors are computed once and reused.
//
// One file per factorization, named by the SHA-256 of its key (every input that changes the result).
// A framed file (src/util/framed-file.ts, magic "NMFFACT1"): a JSON header
// {key, rows, cols, rank, iterations, converged, errorCount}, the float64 little-endian values of
// W (rows × rank), H (rank × cols) and the errors, then a SHA-256 of everything before it. A file
// that is truncated, corrupt or for another key is reported and recomputed, never used. Files
// are written atomically, under a lock file (src/util/compute-once.ts) so that concurrent runs
// compute each factorization once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import type { Rng } from '../tensor/rng.ts';
import { computeOnce } from '../util/compute-once.ts';
import { sha256Hex, writeFileAtomicSync } from '../util/files.ts';
import { decodeFramed, encodeFramed } from '../util/framed-file.ts';
import type { NmfMatrix } from './matrix.ts';
import { defaultInitMethod, NmfError, type NmfOptionsInput, nmfOptionsSchema } from './options.ts';
import { type NmfResult, nmf } from './solve.ts';

/** Bump whenever a change to the solvers, inits or SVD changes the factors they produce. */
export const NMF_CODE_VERSION = 2;

const MAGIC = 'NMFFACT1';

/** A cache file that cannot be used; the message says why. */
export class NmfCacheError extends Error {
  override name = 'NmfCacheError';
}

const count = z.number().int().nonnegative();
const headerSchema = z.strictObject({
  key: z.string(),
  rows: count,
  cols: count,
  rank: count,
  iterations: count,
  converged: z.boolean(),
  errorCount: count,
});

/**
 * The canonical key of `nmf(x, options, rng)`: X (the identity by size, other matrices by a hash of
 * their values), every option with defaults filled in, the random stream (seed and path) and
 * NMF_CODE_VERSION.
 */
export function nmfCacheKey(x: NmfMatrix, options: NmfOptionsInput, rng: Rng): string {
  const o = parseOrThrow(nmfOptionsSchema, options ?? {}, 'nmfCacheKey: invalid parameters', {
    error: NmfError,
  });
  const matrix =
    x.kind === 'identity' ? `identity ${x.rows}` : `dense ${x.rows}x${x.cols} sha256:${denseHash(x)}`;
  return JSON.stringify({
    version: NMF_CODE_VERSION,
    matrix,
    rank: o.rank,
    solver: o.solver,
    init: o.init ?? defaultInitMethod(o.rank, x.rows, x.cols),
    tol: o.tol,
    maxIter: o.maxIter,
    checkEvery: o.checkEvery,
    targetError: o.targetError ?? null,
    stream: { seed: rng.seed, path: rng.path },
  });
}

function denseHash(x: NmfMatrix): string {
  const { data } = x.toDense();
  return sha256Hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** The cache file for a key under `cacheDir`. */
export function nmfCachePath(
  cacheDir: string,
  key: string,
  rows: number,
  cols: number,
  rank: number,
): string {
  return join(cacheDir, 'nmf', `${rows}x${cols}-k${rank}-${sha256Hex(key).slice(0, 24)}.bin`);
}

export function encodeNmfResult(result: NmfResult, key: string): Uint8Array {
  const { rows, cols, rank, W, H, errors } = result;
  const header = {
    key,
    rows,
    cols,
    rank,
    iterations: result.iterations,
    converged: result.converged,
    errorCount: errors.length,
  };
  return encodeFramed(MAGIC, header, [W, H, errors].map(float64LittleEndian));
}

/** Decodes and verifies a cache file's bytes; throws NmfCacheError naming `source` and the defect. */
export function decodeNmfResult(bytes: Uint8Array, source: string, expectedKey: string): NmfResult {
  const fail = (why: string) => new NmfCacheError(`${source}: ${why}`);
  const { header: h, payload } = decodeFramed(bytes, MAGIC, 'an nmfinit factor cache', headerSchema, fail);
  if (h.key !== expectedKey) throw fail(`stale: written for key ${h.key}, expected ${expectedKey}`);
  const lengths = [h.rows * h.rank, h.rank * h.cols, h.errorCount];
  const payloadBytes = 8 * (lengths[0] + lengths[1] + lengths[2]);
  if (payload.length !== payloadBytes) {
    throw fail(`payload of ${payload.length} bytes, expected ${payloadBytes} for the shapes in the header`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
  let offset = 0;
  const [W, H, errors] = lengths.map((length) => {
    const values = new Float64Array(length);
    for (let i = 0; i < length; i++, offset += 8) values[i] = view.getFloat64(offset, true);
    return values;
  });
  return {
    rows: h.rows,
    cols: h.cols,
    rank: h.rank,
    W,
    H,
    errors,
    iterations: h.iterations,
    converged: h.converged,
  };
}

/** Float64 values as little-endian bytes, whatever the platform's byte order. */
function float64LittleEndian(values: Float64Array): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  return out;
}

export interface CachedNmfOptions {
  /** Where cache files live (in `<cacheDir>/nmf/`); absent means compute without caching. */
  readonly cacheDir?: string;
  /** Told when a file is loaded, computed or found unusable; default console.warn for unusable files. */
  readonly log?: (message: string) => void;
}

export interface CachedNmfResult {
  readonly result: NmfResult;
  readonly source: 'cache' | 'computed';
  /** The cache file used or written; absent without a cacheDir. */
  readonly path?: string;
}

/**
 * `nmf(x, options, rng)`, read from the cache when a valid file for the same key exists, else
 * computed and written atomically. An unusable file is reported through `log` and replaced.
 */
export function cachedNmf(
  x: NmfMatrix,
  options: NmfOptionsInput,
  rng: Rng,
  cache: CachedNmfOptions = {},
): CachedNmfResult {
  const { cacheDir, log } = cache;
  if (cacheDir === undefined) return { result: nmf(x, options, rng), source: 'computed' };
  const key = nmfCacheKey(x, options, rng);
  const rank = parseOrThrow(nmfOptionsSchema, options ?? {}, 'cachedNmf: invalid parameters', {
    error: NmfError,
  }).rank;
  const path = nmfCachePath(cacheDir, key, x.rows, x.cols, rank);
  const load = (locked: boolean): CachedNmfResult | undefined => {
    if (!existsSync(path)) return undefined;
    try {
      const result = decodeNmfResult(readFileSync(path), path, key);
      log?.(`nmf cache: loaded ${path}`);
      return { result, source: 'cache', path };
    } catch (e) {
      if (!(e instanceof NmfCacheError)) throw e;
      if (locked) (log ?? console.warn)(`nmf cache: ${e.message}; recomputing and rewriting it`);
      return undefined;
    }
  };
  // Under a lock, so workers that start together compute each factorization once.
  return computeOnce(
    `${path}.lock`,
    load,
    () => {
      const result = nmf(x, options, rng);
      writeFileAtomicSync(path, encodeNmfResult(result, key));
      log?.(`nmf cache: wrote ${path}`);
      return { result, source: 'computed', path };
    },
    { onWait: () => log?.(`nmf cache: waiting for another run computing ${path}`) },
  );
}

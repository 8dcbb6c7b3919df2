// A disk cache of NMF results, so an architecture's factors are computed once and reused.
//
// One file per factorization, named by the SHA-256 of its key (every input that changes the result).
// A framed file (src/util/framed-file.ts, magic "NMFFACT1"): a JSON header
// {key, rows, cols, rank, iterations, converged, errorCount}, the float64 little-endian values of
// W (rows × rank), H (rank × cols) and the errors, then a SHA-256 of everything before it. A file
// that is truncated, corrupt or for another key is reported and recomputed, never used. Files
// are written atomically, under a lock file (src/util/cached-file.ts, compute-once.ts) so that
// concurrent runs compute each factorization once.
import { join } from 'node:path';
import { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import type { Rng } from '../tensor/rng.ts';
import { cachedInFile, type FileCodec, float64Arrays, float64LittleEndian } from '../util/cached-file.ts';
import { sha256Hex } from '../util/files.ts';
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
  const [W, H, errors] = float64Arrays(payload, [h.rows * h.rank, h.rank * h.cols, h.errorCount], fail);
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

const NMF_FILES: FileCodec<NmfResult> = {
  words: { cache: 'nmf cache', making: 'computing', remaking: 'recomputing' },
  encode: encodeNmfResult,
  decode: decodeNmfResult,
  unusable: NmfCacheError,
};

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
  const { value, source } = cachedInFile(NMF_FILES, path, key, () => nmf(x, options, rng), log);
  return { result: value, source, path };
}

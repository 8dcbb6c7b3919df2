// A disk cache of fitted PCAs, like the NMF factor cache (src/nmf/cache.ts): one framed file per
// fit (magic "NMFPCA01"), named by the SHA-256 of its key — the samples' bytes, n, d, rank, the
// backend and block size that accumulate the covariance, and PCA_CODE_VERSION. The header holds
// the key and shapes; the payload is mean (d), components (rank × d) and eigenvalues (d), float64
// little-endian. A file that is corrupt or for another key is reported and refitted, never used.
// Written atomically under a lock (src/util/cached-file.ts), so workers that start together fit once.
import { join } from 'node:path';
import { z } from 'zod';
import { cachedInFile, type FileCodec, float64Arrays, float64LittleEndian } from '../util/cached-file.ts';
import { sha256Hex } from '../util/files.ts';
import { decodeFramed, encodeFramed } from '../util/framed-file.ts';
import { checkSamples, resolveBackend, resolveBlockRows } from './covariance.ts';
import { fitPca, type Pca, type PcaOptions } from './pca.ts';

/** Bump whenever a change to the covariance or the eigensolver changes the components. */
export const PCA_CODE_VERSION = 1;

const MAGIC = 'NMFPCA01';

export class PcaCacheError extends Error {
  override name = 'PcaCacheError';
}

const count = z.number().int().nonnegative();
const headerSchema = z.strictObject({ key: z.string(), n: count, d: count, rank: count });

/** The canonical key of `fitPca(x, n, d, rank, options)`: everything that changes its numbers. */
export function pcaCacheKey(
  x: Float32Array,
  n: number,
  d: number,
  rank: number,
  options: PcaOptions = {},
): string {
  checkSamples('pcaCacheKey', x, n, d);
  const data = x.subarray(0, n * d);
  return JSON.stringify({
    version: PCA_CODE_VERSION,
    n,
    d,
    rank,
    backend: resolveBackend(options.backend).name,
    blockRows: Math.min(n, resolveBlockRows('pcaCacheKey', options.blockRows)),
    data: sha256Hex(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
  });
}

export function encodePca(pca: Pca, key: string): Uint8Array {
  const header = { key, n: pca.n, d: pca.d, rank: pca.rank };
  return encodeFramed(MAGIC, header, [pca.mean, pca.components, pca.eigenvalues].map(float64LittleEndian));
}

/** Decodes and verifies a cache file's bytes; throws PcaCacheError naming `source` and the defect. */
export function decodePca(bytes: Uint8Array, source: string, expectedKey: string): Pca {
  const fail = (why: string) => new PcaCacheError(`${source}: ${why}`);
  const { header: h, payload } = decodeFramed(bytes, MAGIC, 'an nmfinit PCA cache', headerSchema, fail);
  if (h.key !== expectedKey) throw fail(`stale: written for key ${h.key}, expected ${expectedKey}`);
  const [mean, components, eigenvalues] = float64Arrays(payload, [h.d, h.rank * h.d, h.d], fail);
  return { n: h.n, d: h.d, rank: h.rank, mean, components, eigenvalues };
}

const PCA_FILES: FileCodec<Pca> = {
  words: { cache: 'pca cache', making: 'fitting', remaking: 'refitting' },
  encode: encodePca,
  decode: decodePca,
  unusable: PcaCacheError,
};

export interface CachedPcaOptions extends PcaOptions {
  /** Where cache files live (in `<cacheDir>/pca/`); absent means fit without caching. */
  readonly cacheDir?: string;
  /** Told when a file is loaded, written or found unusable (default console.warn for unusable files). */
  readonly log?: (message: string) => void;
}

export interface CachedPca {
  readonly pca: Pca;
  readonly source: 'cache' | 'computed';
  readonly path?: string;
}

/** `fitPca(x, n, d, rank, options)`, from the cache when a valid file for the same key exists. */
export function cachedFitPca(
  x: Float32Array,
  n: number,
  d: number,
  rank: number,
  options: CachedPcaOptions = {},
): CachedPca {
  const { cacheDir, log, ...fit } = options;
  if (cacheDir === undefined) return { pca: fitPca(x, n, d, rank, fit), source: 'computed' };
  const key = pcaCacheKey(x, n, d, rank, fit);
  const path = join(cacheDir, 'pca', `${n}x${d}-k${rank}-${sha256Hex(key).slice(0, 24)}.bin`);
  const { value, source } = cachedInFile(PCA_FILES, path, key, () => fitPca(x, n, d, rank, fit), log);
  return { pca: value, source, path };
}

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * The directory for converted data sets and cached NMF factors: $NMFINIT_CACHE_DIR, else
 * `.cache/nmfinit` under the working directory.
 */
export function defaultCacheDir(): string {
  return resolve(process.env.NMFINIT_CACHE_DIR ?? '.cache/nmfinit');
}

/** Writes a file atomically (temporary file, then rename): readers never see half a file. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const bytes =
    typeof data === 'string' || Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileAtomic.sync(path, bytes);
}

export function sha256Hex(...parts: (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

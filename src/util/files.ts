import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
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

/**
 * Makes sure `dir` is a directory that can be created (an existing file there is an error
 * naming `what`, e.g. '--cache-dir'), so a bad cache fails before any work, not in every run.
 */
export function ensureDirectory(dir: string, what: string): string {
  const full = resolve(dir);
  const stat = statSync(full, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) throw new Error(`${what}: '${full}' is not a directory`);
  try {
    mkdirSync(full, { recursive: true });
  } catch (e) {
    throw new Error(`${what}: cannot create '${full}': ${(e as Error).message}`);
  }
  return full;
}

import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { hostTag, ownerGone } from './owner.ts';

/**
 * The directory for converted data sets and cached NMF factors: $NMFINIT_CACHE_DIR, else
 * `.cache/nmfinit` under the working directory.
 */
export function defaultCacheDir(): string {
  return resolve(process.env.NMFINIT_CACHE_DIR ?? '.cache/nmfinit');
}

// `<name>.<pid>.<thread>.<n>.<host>.tmp`: whose it is, so a later process can tell an orphan (its
// writer was killed mid-write, e.g. `kill -9` during a 47 MB dataset conversion) from a write in
// progress. The host part has no dots (hostTag), so the pattern reads back unambiguously.
const TEMP_FILE = /\.(\d+)\.\d+\.\d+\.([A-Za-z0-9_-]+)\.tmp$/;
let tempCount = 0;
const swept = new Set<string>();

/** The temporary file a write of `path` by this thread goes through first. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${threadId}.${++tempCount}.${hostTag()}.tmp`;
}

/**
 * Removes the temporary files in `dir` left by writers that are gone (this machine, a pid no
 * process has), and returns their names. Temp files of live processes, this one included, and of
 * other machines are kept.
 */
export function removeStaleTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_FILE.exec(name);
    if (!m || !ownerGone(Number(m[1]), m[2])) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * {@link removeStaleTempFiles} once per directory per thread: an orphan comes from a process that
 * has already ended, so one look is enough, and a directory of many runs is not listed per write.
 */
export function sweepStaleTempFiles(dir: string): void {
  const full = resolve(dir);
  if (swept.has(full)) return;
  swept.add(full);
  try {
    removeStaleTempFiles(full);
  } catch {
    // an unreadable directory costs only the orphans' space
  }
}

/**
 * Writes a file atomically (a temporary file named for its writer, flushed, then renamed):
 * readers never see half a file, and a killed writer's temp file is removed by a later write or
 * load in that directory.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new FileWriteError(path, e);
  }
  sweepStaleTempFiles(dir);
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new FileWriteError(path, e);
  }
}

/**
 * A failed write, naming the file: Node's own errors for write and fsync (ENOSPC on a full disk,
 * EIO, EDQUOT) carry no path. Keeps the cause's errno `code`.
 */
export class FileWriteError extends Error {
  override name = 'FileWriteError';
  readonly code: string | undefined;
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`cannot write '${path}': ${message}`, { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
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

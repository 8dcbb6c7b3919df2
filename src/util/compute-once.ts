// Compute-once across threads and processes that share a cache directory: the first to take
// `<file>.lock` (created exclusively) computes; the others wait for it and then load. Without it,
// a worker pool starting several runs at once would compute the same NMF factors in every worker.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ComputeOnceOptions {
  /** A lock older than this is taken over even if its process lives (a terminated worker thread). */
  readonly staleMs?: number;
  readonly pollMs?: number;
  /** Told once when this call starts waiting for another's lock. */
  readonly onWait?: (lockPath: string) => void;
}

/**
 * `load()` if it gives a value, else `compute()` under the lock `lockPath`, re-trying `load()`
 * after taking the lock (another may have finished in between). A lock whose process is gone
 * (Ctrl-C) or that is older than `staleMs` is removed and taken.
 */
export function computeOnce<T>(
  lockPath: string,
  load: () => T | undefined,
  compute: () => T,
  options: ComputeOnceOptions = {},
): T {
  const staleMs = options.staleMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 25;
  let waited = false;
  for (;;) {
    const ready = load();
    if (ready !== undefined) return ready;
    mkdirSync(dirname(lockPath), { recursive: true });
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (isStale(lockPath, staleMs)) rmSync(lockPath, { force: true });
      else {
        if (!waited) options.onWait?.(lockPath);
        waited = true;
        sleep(pollMs);
      }
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return load() ?? compute();
    } finally {
      rmSync(lockPath, { force: true });
    }
  }
}

function isStale(lockPath: string, staleMs: number): boolean {
  try {
    const age = Date.now() - statSync(lockPath).mtimeMs;
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    // An empty file is a lock being written this instant: not stale unless old.
    return age > staleMs || (Number.isInteger(pid) && !processAlive(pid));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile
    throw e;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

// Compute-once across threads and processes that share a cache directory: the first to take
// `<file>.lock` (created exclusively) computes; the others wait for it and then load. Without it,
// a worker pool starting several runs at once would compute the same NMF factors in every worker.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileWriteError } from './files.ts';
import { hostTag, ownerGone } from './owner.ts';

export interface ComputeOnceOptions {
  /** A lock older than this is taken over even if its process lives (a terminated worker thread). */
  readonly staleMs?: number;
  readonly pollMs?: number;
  /** Told once when this call starts waiting for another's lock. */
  readonly onWait?: (lockPath: string) => void;
}

/** Who holds a lock: the pid and machine written in it (an old lock has only a pid). */
export interface LockHolder {
  readonly pid: number;
  readonly host?: string;
}

export type LockAttempt = { readonly release: () => void } | { readonly heldBy: LockHolder };

/**
 * Takes `lockPath` (created exclusively, holding this pid and host) or says who holds it. A lock
 * whose process is gone (Ctrl-C, kill -9) or older than `staleMs` is removed and taken.
 */
export function tryLock(lockPath: string, staleMs = Number.POSITIVE_INFINITY): LockAttempt {
  mkdirSync(dirname(lockPath), { recursive: true });
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readHolder(lockPath, staleMs);
      if (holder === 'stale') rmSync(lockPath, { force: true });
      if (holder === 'stale' || holder === 'gone') continue;
      return { heldBy: holder };
    }
    try {
      writeSync(fd, `${process.pid} ${hostTag()}\n`);
    } catch (e) {
      // A lock with no holder in it would look taken forever: remove it, and name it (ENOSPC has no path).
      closeSync(fd);
      rmSync(lockPath, { force: true });
      throw new FileWriteError(lockPath, e);
    }
    closeSync(fd);
    return { release: () => rmSync(lockPath, { force: true }) };
  }
}

/**
 * `load()` if it gives a value, else `compute()` under the lock `lockPath`, re-trying `load()`
 * after taking the lock (another may have finished in between). A lock whose process is gone
 * (Ctrl-C) or that is older than `staleMs` is removed and taken.
 *
 * `load` is told whether this call holds the lock: only then should it report an unusable file,
 * since only then is the file about to be replaced. Looks before the lock, and polls while
 * another holds it, stay quiet, so a corrupt file is reported once, not once per look or worker.
 */
export function computeOnce<T>(
  lockPath: string,
  load: (locked: boolean) => T | undefined,
  compute: () => T,
  options: ComputeOnceOptions = {},
): T {
  const staleMs = options.staleMs ?? 10 * 60_000;
  const pollMs = options.pollMs ?? 25;
  let waited = false;
  for (;;) {
    const ready = load(false);
    if (ready !== undefined) return ready;
    const lock = tryLock(lockPath, staleMs);
    if ('heldBy' in lock) {
      if (!waited) options.onWait?.(lockPath);
      waited = true;
      sleep(pollMs);
      continue;
    }
    try {
      return load(true) ?? compute();
    } finally {
      lock.release();
    }
  }
}

/** The lock's holder, 'stale' when it may be taken over, 'gone' when it was released meanwhile. */
function readHolder(lockPath: string, staleMs: number): LockHolder | 'stale' | 'gone' {
  try {
    const age = Date.now() - statSync(lockPath).mtimeMs;
    const [pidText, host] = readFileSync(lockPath, 'utf8').trim().split(/\s+/);
    const pid = Number.parseInt(pidText ?? '', 10);
    // An empty file is a lock being written this instant: not stale unless old.
    if (age > staleMs || (Number.isInteger(pid) && ownerGone(pid, host))) return 'stale';
    return { pid, ...(host ? { host } : {}) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

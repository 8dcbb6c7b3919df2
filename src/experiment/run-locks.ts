// One lock per run, `<dir>/locks/<id>.lock` holding the trainer's pid and host (tryLock from
// src/util/compute-once.ts, the NMF cache's lock): two processes on one output directory share
// the runs instead of both training every one. A run locked by another live process is skipped
// and waited for; a lock whose process is gone, or whose heartbeat stopped (another machine on a
// shared file system, a job killed by its scheduler), is taken over.
import { readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { type LockHolder, tryLock } from '../util/compute-once.ts';
import { writeFileAtomicSync } from '../util/files.ts';
import { hostTag, ownerGone } from '../util/owner.ts';
import type { StudyRun } from './study-kind.ts';

/** How often a held lock's mtime is refreshed, and how old a lock may get before it counts as abandoned. */
const HEARTBEAT_MS = 20_000;
const STALE_MS = 6 * HEARTBEAT_MS;

export class RunLocks {
  private readonly held = new Map<string, () => void>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(readonly dir: string) {}

  pathOf(id: string): string {
    return join(this.dir, 'locks', `${id}.lock`);
  }

  /** Takes the run's lock (true), or gives the live process that holds it. */
  claim(id: string): true | LockHolder {
    const attempt = tryLock(this.pathOf(id), STALE_MS);
    if ('heldBy' in attempt) return attempt.heldBy;
    this.held.set(id, attempt.release);
    this.heartbeat ??= setInterval(() => this.touch(), HEARTBEAT_MS).unref();
    return true;
  }

  /** Whether another process holds the run's lock now (without taking it). */
  heldByOther(id: string): LockHolder | undefined {
    const got = this.claim(id);
    if (got !== true) return got;
    this.release(id);
    return undefined;
  }

  release(id: string): void {
    this.held.get(id)?.();
    this.held.delete(id);
  }

  releaseAll(): void {
    for (const id of [...this.held.keys()]) this.release(id);
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private touch(): void {
    const now = new Date();
    for (const id of this.held.keys()) {
      try {
        utimesSync(this.pathOf(id), now, now);
      } catch {
        // removed under us: the run is stored or another took it over
      }
    }
  }
}

/** "pid N" or "pid N on HOST" for a lock holder. */
export function describeHolder(h: LockHolder): string {
  return `pid ${Number.isInteger(h.pid) ? h.pid : '?'}${h.host ? ` on ${h.host}` : ''}`;
}

export interface RunClaimsOptions {
  /** Whether the run is stored with its current config (by whichever process). */
  readonly isStored: (run: StudyRun) => boolean;
  /** Told when a run turns out stored by another process; it is not trained here. */
  readonly onStoredElsewhere: (run: StudyRun) => void;
  readonly log: (message: string) => void;
  /** How often runs held by others are looked at again. */
  readonly pollMs?: number;
}

/**
 * The runs this process may train: `claim` before a run starts (false: skip it: another live
 * process trains it, or it is stored already), `release` when it is stored or failed, and at the
 * end `waitForOthers` until the runs others hold are stored (or their locks freed: then they are
 * handed back to be trained here).
 */
export class RunClaims {
  /** Runs stored by another process while this one ran. */
  readonly storedElsewhere: string[] = [];
  private readonly locks: RunLocks;
  private readonly busy = new Map<string, StudyRun>();

  constructor(
    dir: string,
    private readonly options: RunClaimsOptions,
  ) {
    this.locks = new RunLocks(dir);
  }

  claim(run: StudyRun): boolean {
    const got = this.locks.claim(run.id);
    if (got !== true) {
      if (!this.busy.has(run.id))
        this.options.log(`${run.id}: being trained by ${describeHolder(got)}; waiting for it`);
      this.busy.set(run.id, run);
      return false;
    }
    // Another process may have stored it since this one listed what to train.
    if (this.options.isStored(run)) {
      this.locks.release(run.id);
      this.elsewhere(run);
      return false;
    }
    return true;
  }

  release(run: StudyRun): void {
    this.locks.release(run.id);
  }

  /**
   * Waits while other processes hold runs this one skipped; returns the runs whose lock was freed
   * without a stored result (their trainer failed or died), to be trained here. Empty when every
   * skipped run is stored, or when `stopped()`.
   */
  async waitForOthers(stopped: () => boolean): Promise<StudyRun[]> {
    const freed: StudyRun[] = [];
    while (this.busy.size > 0 && !stopped()) {
      for (const [id, run] of this.busy) {
        // The lock first: its holder stores the run before releasing it.
        if (this.locks.heldByOther(id)) continue;
        this.busy.delete(id);
        if (this.options.isStored(run)) this.elsewhere(run);
        else freed.push(run);
      }
      if (freed.length > 0) return freed;
      if (this.busy.size > 0) await new Promise((r) => setTimeout(r, this.options.pollMs ?? 200));
    }
    return freed;
  }

  releaseAll(): void {
    this.locks.releaseAll();
  }

  private elsewhere(run: StudyRun): void {
    this.storedElsewhere.push(run.id);
    this.options.onStoredElsewhere(run);
  }
}

/** One run as a study process announces it in the directory: its id, config hash and config. */
export interface AnnouncedRun {
  readonly id: string;
  readonly hash: string;
  readonly config: unknown;
}

/** Another live process working on the same output directory, and the runs it works on. */
export interface LiveStudy extends LockHolder {
  readonly name: string;
  readonly runs: ReadonlyMap<string, AnnouncedRun>;
}

/** A process's hold on an output directory; `release` when the study ends, however it ends. */
export interface DirectoryClaim {
  release(): void;
}

const ENTRY = /^\.study\.\d+\.\d+\.\d+\.[A-Za-z0-9_-]+\.json$/;
let entryCount = 0;

/**
 * The directory's configuration, held under concurrency: with `<dir>/locks/.directory.lock`
 * taken (briefly), lists the studies other live processes run there (`<dir>/locks/.study.*.json`,
 * one per process), hands them to `check` (which throws to refuse: e.g. another configuration of
 * the same run ids, or stored runs that differ), and only then announces this study's runs.
 * Two processes started together with different specs are thus ordered: the second sees the
 * first's runs and is refused, instead of both passing the stored-runs check on an empty dir.
 */
export async function claimDirectory(
  dir: string,
  study: { name: string; runs: readonly AnnouncedRun[] },
  check: (others: LiveStudy[]) => void,
  pollMs = 20,
): Promise<DirectoryClaim> {
  const locks = join(dir, 'locks');
  const mutex = join(locks, '.directory.lock');
  let lock = tryLock(mutex, STALE_MS);
  while ('heldBy' in lock) {
    await new Promise((r) => setTimeout(r, pollMs));
    lock = tryLock(mutex, STALE_MS);
  }
  const file = join(locks, `.study.${process.pid}.${threadId}.${++entryCount}.${hostTag()}.json`);
  try {
    check(liveStudies(locks));
    writeFileAtomicSync(
      file,
      `${JSON.stringify({ pid: process.pid, host: hostTag(), name: study.name, runs: study.runs })}\n`,
    );
  } finally {
    lock.release();
  }
  // Refreshed like a run lock, so a process on another machine can tell a dead one.
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // removed: released meanwhile
    }
  }, HEARTBEAT_MS).unref();
  return {
    release() {
      clearInterval(heartbeat);
      rmSync(file, { force: true });
    },
  };
}

/** The studies announced in `locks` by processes that still live; the entries of dead ones are removed. */
function liveStudies(locks: string): LiveStudy[] {
  let names: string[];
  try {
    names = readdirSync(locks).filter((f) => ENTRY.test(f));
  } catch {
    return [];
  }
  const live: LiveStudy[] = [];
  for (const name of names) {
    const path = join(locks, name);
    try {
      const entry = JSON.parse(readFileSync(path, 'utf8')) as {
        pid: number;
        host: string;
        name: string;
        runs: AnnouncedRun[];
      };
      const old = Date.now() - statSync(path).mtimeMs > STALE_MS;
      if (ownerGone(entry.pid, entry.host) || (entry.host !== hostTag() && old)) {
        rmSync(path, { force: true });
        continue;
      }
      live.push({
        pid: entry.pid,
        host: entry.host,
        name: entry.name,
        runs: new Map(entry.runs.map((r) => [r.id, r])),
      });
    } catch {
      // released (removed) between the listing and the read
    }
  }
  return live;
}

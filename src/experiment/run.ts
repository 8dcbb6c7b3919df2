export { ExperimentSpecError } from './validate.ts';

import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { autoBackendName } from '../backend/index.ts';
import type { Workload } from '../backend/types.ts';
import { parseOrThrow } from '../registry/parse.ts';
import { defaultCacheDir, ensureDirectory, writeFileAtomicSync } from '../util/files.ts';
import { dirArtifacts } from './artifacts.ts';
import { RunCheckpoints } from './checkpoints.ts';
import { applyCliOverrides } from './cli-overrides.ts';
import { describeDifferences } from './config-diff.ts';
import { runConfigHash } from './hash.ts';
import { loadPluginModules } from './plugins.ts';
import { makeReporter } from './progress.ts';
import { claimDirectory, describeHolder, RunClaims } from './run-locks.ts';
import { Scheduler } from './scheduler.ts';
import { shardRuns } from './shards.ts';
import { RunStore } from './store.ts';
import { loadStudy, writeReport } from './study.ts';
import {
  type BaseStudySpec,
  STORED_RUN_SCHEMA,
  type StoredRun,
  type StudyKind,
  type StudyReportFiles,
  type StudyRun,
} from './study-kind.ts';
import { type AnyKind, ExperimentSpecError, studyKindOf, validateSpec } from './validate.ts';

/**
 * Command-line style overrides of a spec. The generic ones apply to every kind; `grid` holds the
 * grid flags, each applied by the kind that declares it (`StudyKind.cliOverrides`; others are refused).
 */
export interface RunOverrides {
  /** Grid flags by name without dashes (e.g. `{ samples: [3000], seeds: 2 }`); undefined: not given. */
  grid?: Readonly<Record<string, unknown>>;
  /** The kind's quick version of the spec, written next to the full results. */
  quick?: boolean;
  out?: string;
  backend?: string;
  workers?: number;
  shard?: { index: number; count: number };
  /** Modules that register plugins (paths, file URLs or package names), imported here and in every worker. */
  plugins?: string[];
  /**
   * The experiment file itself, when it may register plugins inline: workers import it (it does
   * not run there), the main thread has it loaded already.
   */
  specModule?: string;
  /** Redo runs even when a stored result with the same config exists, and replace stored runs that differ. */
  force?: boolean;
  cacheDir?: string;
  progress?: 'auto' | 'tty' | 'plain' | 'none';
  /** Where status lines go (default: stdout). */
  log?: (message: string) => void;
}

/** The study was stopped by Ctrl-C (SIGINT) or SIGTERM (Slurm's cancel and time limit); finished runs are stored. */
export class ExperimentInterruptedError extends Error {
  override name = 'ExperimentInterruptedError';
  /** The shell's status for the signal: 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  constructor(
    readonly finished: number,
    readonly signal: 'SIGINT' | 'SIGTERM' = 'SIGINT',
  ) {
    super(
      `interrupted by ${signal} after ${finished} finished run(s); they are saved, and the same command resumes`,
    );
    this.exitCode = signal === 'SIGTERM' ? 143 : 130;
  }
}

export interface ExperimentOutcome<Spec = BaseStudySpec> {
  spec: Spec;
  kind: string;
  dir: string;
  trained: string[];
  skipped: string[];
  /** Runs another process on the same directory trained (and stored) while this one ran. */
  storedElsewhere: string[];
  failed: string[];
  report: StudyReportFiles | null;
  seconds: number;
}

/** Applies overrides to a raw spec, before validation (so overridden values are validated too). */
export function applyOverrides(kind: AnyKind, raw: unknown, o: RunOverrides): Record<string, unknown> {
  let spec = structuredClone(raw) as Record<string, unknown>;
  // Quick first, so explicit flags still win over the quick sizes.
  if (o.quick) {
    spec = (kind.quick ? kind.quick(spec) : spec) as Record<string, unknown>;
    const outputs = (spec.outputs ?? {}) as { dir?: unknown };
    // The quick study is written next to the full results, never over them.
    if (typeof outputs.dir === 'string')
      spec.outputs = { ...outputs, dir: `${outputs.dir.replace(/\/+$/, '')}-quick` };
  }
  spec = applyCliOverrides(kind, spec, o.grid ?? {}) as Record<string, unknown>;
  if (o.out !== undefined) spec.outputs = { ...(isObject(spec.outputs) ? spec.outputs : {}), dir: o.out };
  if (o.backend !== undefined) spec.backend = o.backend;
  return spec;
}

/**
 * The backend a study runs on: its spec's, or for `auto` the fastest here on the kind's own
 * workload (each workload has its own remembered choice, see src/backend/auto.ts).
 */
export function studyBackendName<Spec extends BaseStudySpec>(
  kind: Pick<StudyKind<Spec>, 'workload'>,
  spec: Spec,
  cacheDir: string,
  choose: (cacheDir: string, workload: Workload | undefined) => string = autoBackendName,
): string {
  return spec.backend === 'auto' ? choose(cacheDir, kind.workload?.(spec)) : spec.backend;
}

/**
 * Runs a study end to end: validate, let the kind prepare its data, execute the runs not already
 * stored (in worker threads), then write the report. Finished runs are on disk as soon as they
 * finish, so an interruption loses only the runs in flight; a run that throws is recorded and
 * the others go on.
 */
export async function runExperiment(raw: unknown, overrides: RunOverrides = {}): Promise<ExperimentOutcome> {
  const started = performance.now();
  const log = overrides.log ?? ((m: string) => console.log(m));
  await loadPluginModules(overrides.plugins ?? []);
  const kind = studyKindOf(raw);
  const spec = validateSpec(kind, applyOverrides(kind, raw, overrides));
  const dir = resolve(spec.outputs.dir);
  const store = new RunStore(dir);
  store.ensureWritable();
  const cacheDir = ensureDirectory(overrides.cacheDir ?? defaultCacheDir(), '--cache-dir');
  const backend = studyBackendName(kind, spec, cacheDir);
  const workers = overrides.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1)
    throw new ExperimentSpecError(`--workers must be a positive integer, got ${workers}`);

  const hash = (c: StudyRun) => runConfigHash(kind.name, kind.resultVersion, c);
  const all = shardRuns(kind.expand(spec, backend), overrides.shard);
  // Read and checked with the directory held: a process started at the same moment with another
  // configuration is ordered before or after this one, never mixed with it.
  let storedRuns = new Map<string, StoredRun | null>();
  const directory = await claimDirectory(
    dir,
    { name: spec.name, runs: all.map((c) => ({ id: c.id, hash: hash(c), config: c })) },
    (others) => {
      for (const other of others) {
        const clash = all.find((c) => {
          const theirs = other.runs.get(c.id);
          return theirs !== undefined && theirs.hash !== hash(c);
        });
        if (clash)
          throw new ExperimentSpecError(
            `${dir} is in use by ${describeHolder(other)} running '${other.name}' with another configuration ` +
              `(e.g. ${clash.id}, theirs → this spec: ${describeDifferences(other.runs.get(clash.id)!.config, clash)}); ` +
              'wait for it to end, or choose another --out',
          );
      }
      storedRuns = new Map(all.map((c) => [c.id, readStored(store, c.id, log)] as const));
      const differing = all.filter((c) => {
        const s = storedRuns.get(c.id);
        return s && s.configHash !== hash(c);
      });
      if (differing.length > 0 && !overrides.force) {
        const first = differing[0];
        const was = storedRuns.get(first.id)!;
        const diff =
          was.kind === kind.name && describeDifferences(was.config, first) === 'no field differs'
            ? `stored by another result version of study kind '${kind.name}'`
            : `stored → this spec: ${describeDifferences(was.config, first)}`;
        throw new ExperimentSpecError(
          `${dir} holds ${differing.length} stored run(s) made with another configuration (e.g. ${first.id}, ${diff}); ` +
            'pass --force to replace them, or choose another --out',
        );
      }
    },
  );

  // Ctrl-C or SIGTERM (Slurm's scancel and time limit): stop handing out runs, end the workers,
  // release the locks; finished runs are on disk and the runs in flight keep their checkpoints.
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  let scheduler: Scheduler | undefined;
  let reporter: ReturnType<typeof makeReporter> | undefined;
  const inFlight = new Map<number, string>();
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (interrupted) return;
    interrupted = signal;
    reporter?.stop();
    const running = [...inFlight.values()];
    log(
      `${signal}: interrupted ${spec.name} in ${dir}` +
        (running.length > 0
          ? ` while running ${running.join(', ')} (each resumes from its last checkpoint, if it has one)`
          : ' before a run started') +
        '; finished runs are saved; run the same command again to resume',
    );
    void scheduler?.stop();
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');

  const trained: string[] = [];
  const failed: string[] = [];
  let stored: StudyRun[] = [];
  let claims: RunClaims | undefined;
  try {
    const artifacts = dirArtifacts(dir);
    // No handler yet: a signal during a long synchronous prepare must still end the process at
    // once (it holds no run lock; its directory entry names a pid that is then gone).
    const data = await kind.prepare(spec, all, { dir, cacheDir, backend, log, artifacts });
    process.once('SIGINT', onSigint);
    process.once('SIGTERM', onSigterm);
    writeFileAtomicSync(join(dir, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);

    stored = overrides.force ? [] : all.filter((c) => storedRuns.get(c.id)?.configHash === hash(c));
    const storedIds = new Set(stored.map((c) => c.id));
    const cost = (c: StudyRun) => kind.cost?.(c, data) ?? 1;
    // Longest runs first: the pool finishes sooner when the big runs do not come last.
    const todo = all.filter((c) => !storedIds.has(c.id)).sort((a, b) => cost(b) - cost(a));

    const checkpointsOf = (c: StudyRun) => new RunCheckpoints(dir, c.id, hash(c), log);
    // --force redoes runs from scratch: their checkpoints would resume them instead.
    if (overrides.force) for (const c of todo) checkpointsOf(c).clear();
    const progress = makeReporter(overrides.progress ?? 'auto', todo, cost, log);
    reporter = progress;
    // One lock per run: a second process on this directory trains the runs the first is not training.
    const runClaims = new RunClaims(dir, {
      isStored: (c) => store.tryRead(c.id)?.configHash === hash(c) && !overrides.force,
      onStoredElsewhere: (c) => progress.runFinished(-1, c, 'stored by another process'),
      log,
    });
    claims = runClaims;
    // A run whose result or failure cannot be written (a full disk) fails, naming the file; the
    // failure record is tried too, and when that cannot be written either, the terminal says so.
    const recordFailure = (slot: number, c: StudyRun, message: string) => {
      inFlight.delete(slot);
      try {
        store.writeFailure(c, hash(c), message);
      } catch (e) {
        log(`${c.id}: the failure could not be recorded: ${(e as Error).message}`);
      }
      failed.push(c.id);
      runClaims.release(c);
      progress.runFailed(slot, c, message);
    };
    if (todo.length > 0) {
      log(
        `${spec.name}: ${todo.length} run(s) on ${Math.min(workers, todo.length)} worker(s), backend ${backend}, output ${dir}`,
      );
      const pool = new Scheduler({
        workers,
        groupOf: kind.group ? (c) => kind.group!(c, data) : undefined,
        kind: kind.name,
        data,
        cacheDir,
        dir,
        pluginModules: [
          ...(overrides.plugins ?? []),
          ...(overrides.specModule ? [overrides.specModule] : []),
        ],
      });
      scheduler = pool;
      progress.start(todo.length, stored.length);
      try {
        const hooks: Parameters<Scheduler['run']>[1] = {
          claim: (c) => runClaims.claim(c),
          onStart: (slot, c) => {
            inFlight.set(slot, c.id);
            progress.runStarted(slot, c);
          },
          onEvent: (slot, c, e) => progress.runEvent(slot, c, e),
          onDone: (slot, c, done) => {
            // Checked in the form it is stored and read back in (JSON: NaN and ±Infinity become null).
            const result: unknown = JSON.parse(JSON.stringify(done.result));
            let parsed: unknown;
            try {
              parsed = parseOrThrow(kind.result, result, `${c.id}: the result of study kind '${kind.name}'`);
              store.write({
                schema: STORED_RUN_SCHEMA,
                kind: kind.name,
                id: c.id,
                configHash: hash(c),
                config: c,
                result,
                timing: done.timing,
              });
            } catch (e) {
              recordFailure(slot, c, (e as Error).message);
              return;
            }
            inFlight.delete(slot);
            checkpointsOf(c).clear();
            runClaims.release(c);
            trained.push(c.id);
            progress.runFinished(slot, c, kind.summarize?.(parsed) ?? `${done.timing.seconds.toFixed(1)} s`);
          },
          onFailed: (slot, c, message) => recordFailure(slot, c, message),
        };
        // Runs another process holds are waited for; those it gives up are trained here.
        for (
          let queue = todo;
          queue.length > 0 && !interrupted;
          queue = await runClaims.waitForOthers(() => interrupted !== undefined)
        )
          await pool.run(queue, hooks);
      } finally {
        progress.stop();
      }
      if (interrupted) throw new ExperimentInterruptedError(trained.length, interrupted);
      if (failed.length > 0) log(`${failed.length} run(s) failed; their errors are in ${store.failedDir}`);
    } else {
      log(`${spec.name}: all ${all.length} run(s) already stored in ${dir}`);
    }
  } finally {
    claims?.releaseAll();
    directory.release();
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
  }

  // A shard writes only its runs; `nmfinit report` merges the shards' directories.
  const sharded = overrides.shard !== undefined && overrides.shard.count > 1;
  const report = sharded ? null : await writeReport(loadStudy([dir]), { log, allowPartial: true });
  if (report) log(`report: ${report.reportMd}`);
  else
    log(
      `shard ${overrides.shard!.index}/${overrides.shard!.count} done; merge the shards with: nmfinit report DIR…`,
    );
  return {
    spec,
    kind: kind.name,
    dir,
    trained,
    skipped: stored.map((c) => c.id),
    storedElsewhere: claims?.storedElsewhere ?? [],
    failed,
    report,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The stored run, or null when there is none or it does not read back (said once: it is redone). */
function readStored(store: RunStore, id: string, log: (m: string) => void): StoredRun | null {
  try {
    return store.read(id);
  } catch (e) {
    log(`warning: ${(e as Error).message}; the run is trained again`);
    return null;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

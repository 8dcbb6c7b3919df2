import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { autoBackendName, getBackend } from '../backend/index.ts';
import { loadDataset } from '../data/load.ts';
import { type Dataset, firstOfEachClass } from '../data/types.ts';
import { datasets, initializers } from '../registry/kinds.ts';
import { formatZodIssues } from '../registry/zod-errors.ts';
import { validationSplitIndex } from '../train/fit.ts';
import { defaultCacheDir } from '../util/files.ts';
import { expandRuns, type RunConfig, shardRuns } from './grid.ts';
import { type PcaReference, pcaReference } from './pca-reference.ts';
import { loadPluginModules } from './plugins.ts';
import { makeReporter } from './progress.ts';
import { type DisplaySet, type StudyReportFiles, writeStudyReport } from './report.ts';
import type { RunData } from './run-one.ts';
import { Scheduler } from './scheduler.ts';
import { type ExperimentSpec, type ExperimentSpecInput, experimentSpecSchema, labelOf } from './spec.ts';
import { RunStore } from './store.ts';
import { loadStudy, saveStudyInputs } from './study.ts';

/** Command-line style overrides of a spec (each replaces the spec's value). */
export interface RunOverrides {
  datasets?: string[];
  initializers?: string[];
  samples?: (number | 'all')[];
  epochs?: number[];
  seeds?: number;
  out?: string;
  backend?: string;
  workers?: number;
  shard?: { index: number; count: number };
  /** Modules that register plugins (paths or file URLs), imported here and in every worker. */
  plugins?: string[];
  /**
   * The experiment file itself, when it may register plugins inline: workers import it (it does
   * not run there), the main thread has it loaded already.
   */
  specModule?: string;
  /** Retrain runs even when a stored result with the same config exists. */
  force?: boolean;
  cacheDir?: string;
  progress?: 'auto' | 'tty' | 'plain' | 'none';
  /** Where status lines go (default: stdout). */
  log?: (message: string) => void;
}

export class ExperimentSpecError extends Error {
  override name = 'ExperimentSpecError';
}

/** The run was stopped by Ctrl-C; the runs that finished are stored. */
export class ExperimentInterruptedError extends Error {
  override name = 'ExperimentInterruptedError';
  constructor(readonly finished: number) {
    super(`interrupted after ${finished} finished run(s); they are saved, and the same command resumes`);
  }
}

export interface ExperimentOutcome {
  spec: ExperimentSpec;
  dir: string;
  trained: string[];
  skipped: string[];
  failed: string[];
  report: StudyReportFiles | null;
  seconds: number;
}

/** Applies overrides to a raw spec, before validation (so overridden values are validated too). */
export function applyOverrides(raw: ExperimentSpecInput, o: RunOverrides): ExperimentSpecInput {
  const spec = structuredClone(raw) as ExperimentSpecInput;
  const pick = (refs: ExperimentSpecInput['datasets'], names: string[]) =>
    names.map(
      (n) => refs.find((r) => (r.label ?? r.name) === n) ?? refs.find((r) => r.name === n) ?? { name: n },
    );
  if (o.datasets) spec.datasets = pick(spec.datasets, o.datasets);
  if (o.initializers) spec.initializers = pick(spec.initializers, o.initializers);
  if (o.samples) {
    spec.grid.samples = o.samples.map((count) => ({
      count,
      seeds: spec.grid.samples.find((s) => s.count === count)?.seeds ?? 1,
    }));
  }
  if (o.seeds !== undefined) spec.grid.samples = spec.grid.samples.map((s) => ({ ...s, seeds: o.seeds }));
  if (o.epochs) spec.grid.epochs = o.epochs;
  if (o.out) spec.outputs.dir = o.out;
  if (o.backend) spec.backend = o.backend;
  return spec;
}

/**
 * Validates a spec completely before any training: its shape (zod, errors name the path), every
 * plugin and its parameters, the backend, and the output directory.
 */
export function validateSpec(raw: unknown): ExperimentSpec {
  const parsed = experimentSpecSchema.safeParse(raw);
  if (!parsed.success)
    throw new ExperimentSpecError(`invalid experiment spec: ${formatZodIssues(parsed.error.issues)}`);
  const spec = parsed.data;
  const problems: string[] = [];
  const check = (path: string, f: () => unknown) => {
    try {
      f();
    } catch (e) {
      problems.push(`${path}: ${(e as Error).message}`);
    }
  };
  spec.datasets.forEach((ref, i) => {
    check(`datasets[${i}]`, () => {
      const plugin = datasets.get(ref.name);
      ref.params = datasets.parseParams(plugin, ref.params) as Record<string, unknown>;
    });
  });
  spec.initializers.forEach((ref, i) => {
    check(`initializers[${i}]`, () => {
      const plugin = initializers.get(ref.name);
      ref.params = initializers.parseParams(plugin, ref.params) as Record<string, unknown>;
    });
  });
  check('backend', () => getBackend(spec.backend));
  if (problems.length > 0) throw new ExperimentSpecError(`invalid experiment spec: ${problems.join('; ')}`);
  return spec;
}

interface LoadedDataset {
  data: RunData;
  display: DisplaySet;
}

/** Loads every data set of the spec once, into shared memory, checking the sample counts it asks for. */
async function loadDatasets(
  spec: ExperimentSpec,
  cacheDir: string,
  log: (m: string) => void,
): Promise<Map<string, LoadedDataset>> {
  const out = new Map<string, LoadedDataset>();
  for (const [i, ref] of spec.datasets.entries()) {
    const label = labelOf(ref);
    const plugin = datasets.get(ref.name);
    const numeric = spec.grid.samples.map((s) => s.count).filter((c): c is number => c !== 'all');
    const needsAll = spec.grid.samples.some((s) => s.count === 'all');
    const t0 = performance.now();
    const load = (split: 'train' | 'test', limit?: number) =>
      loadDataset(plugin, { split, limit, params: ref.params, cacheDir, log });
    let train: Dataset;
    let test: Dataset;
    try {
      train = await load('train', needsAll ? undefined : Math.max(...numeric)).catch(async (e) => {
        // If the split is smaller than a requested size, say which grid entry asks too much.
        const full = await load('train');
        spec.grid.samples.forEach((s, j) => {
          if (s.count !== 'all' && s.count > full.count) {
            throw new ExperimentSpecError(
              `grid.samples[${j}].count: ${s.count} samples asked, '${label}' has ${full.count} training samples`,
            );
          }
        });
        throw e;
      });
      test = await load('test');
    } catch (e) {
      if (e instanceof ExperimentSpecError) throw e;
      throw new ExperimentSpecError(`datasets[${i}] ('${label}'): cannot load: ${(e as Error).message}`);
    }
    const dim = train.imageShape[0] * train.imageShape[1];
    if (dim !== spec.model.sizes[0]) {
      throw new ExperimentSpecError(
        `datasets[${i}] ('${label}'): images have ${dim} pixels but model.sizes[0] is ${spec.model.sizes[0]}`,
      );
    }
    const displayIndices = plugin.displayIndices?.(test) ?? firstOfEachClass(test);
    log(
      `loaded ${label}: ${train.count} train, ${test.count} test in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    out.set(label, {
      data: {
        train: { images: shared(train.images), count: train.count },
        test: { images: shared(test.images), count: test.count },
        dim,
        displayIndices,
      },
      display: {
        imageShape: train.imageShape,
        originals: displayIndices.map((k) => test.images.slice(k * dim, (k + 1) * dim)),
        columnLabels: displayIndices.map((k) => test.classNames[test.labels[k]] ?? String(test.labels[k])),
      },
    });
  }
  return out;
}

/** A copy in shared memory, so every worker reads the same bytes without a copy of its own. */
function shared(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * Runs an experiment end to end: validate, load data, train the runs not already stored (in
 * worker threads), then write the report. Finished runs are on disk as soon as they finish, so
 * an interruption loses only the runs in flight.
 */
export async function runExperiment(
  raw: ExperimentSpecInput,
  overrides: RunOverrides = {},
): Promise<ExperimentOutcome> {
  const started = performance.now();
  const log = overrides.log ?? ((m: string) => console.log(m));
  await loadPluginModules(overrides.plugins ?? []);
  const spec = validateSpec(applyOverrides(raw, overrides));
  const dir = resolve(spec.outputs.dir);
  const store = new RunStore(dir);
  store.ensureWritable();
  const cacheDir = overrides.cacheDir ?? defaultCacheDir();
  const backend = spec.backend === 'auto' ? autoBackendName() : spec.backend;
  const workers = overrides.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1)
    throw new ExperimentSpecError(`--workers must be a positive integer, got ${workers}`);

  const loaded = await loadDatasets(spec, cacheDir, log);
  saveStudyInputs(dir, spec, new Map([...loaded].map(([k, v]) => [k, v.display])));

  const all = shardRuns(expandRuns(spec, backend), overrides.shard);
  const stored = overrides.force ? [] : all.filter((c) => store.find(c) !== null);
  const storedIds = new Set(stored.map((c) => c.id));
  // Longest runs first: the pool finishes sooner when the big runs do not come last.
  const trainCount = (c: RunConfig) =>
    c.samples === 'all' ? loaded.get(c.datasetLabel)!.data.train.count : c.samples;
  const todo = all
    .filter((c) => !storedIds.has(c.id))
    .sort((a, b) => trainCount(b) * b.epochs - trainCount(a) * a.epochs);

  // Written to <dir>/pca, where the report (and `nmfinit report` for shards) reads them.
  computePcaReferences(spec, dir, loaded, backend, log);

  const reporter = makeReporter(overrides.progress ?? 'auto', todo, trainCount);
  const trained: string[] = [];
  let failed: string[] = [];
  if (todo.length > 0) {
    log(
      `${spec.name}: ${todo.length} run(s) on ${Math.min(workers, todo.length)} worker(s), backend ${backend}, output ${dir}`,
    );
    const scheduler = new Scheduler({
      workers,
      data: Object.fromEntries([...loaded].map(([k, v]) => [k, v.data])),
      cacheDir,
      pluginModules: [...(overrides.plugins ?? []), ...(overrides.specModule ? [overrides.specModule] : [])],
    });
    // Ctrl-C: stop handing out runs and end the workers; every finished run is already on disk.
    let interrupted = false;
    const onSignal = () => {
      interrupted = true;
      reporter.stop();
      log('interrupted: finished runs are saved; run the same command again to resume');
      void scheduler.stop();
    };
    process.once('SIGINT', onSignal);
    reporter.start(todo.length, stored.length);
    try {
      ({ failed } = await scheduler.run(todo, {
        onStart: (slot, c) => reporter.runStarted(slot, c),
        onEvent: (slot, c, e) => reporter.runEvent(slot, c, e),
        onDone: (slot, c, result) => {
          store.write(result);
          trained.push(c.id);
          reporter.runFinished(slot, c, result);
        },
        onFailed: (slot, c, message) => reporter.runFailed(slot, c, message),
      }));
    } finally {
      process.removeListener('SIGINT', onSignal);
      reporter.stop();
    }
    if (interrupted) throw new ExperimentInterruptedError(trained.length);
  } else {
    log(`${spec.name}: all ${all.length} run(s) already stored in ${dir}`);
  }

  // A shard writes only its runs; `nmfinit report` merges the shards' directories.
  const report =
    overrides.shard && overrides.shard.count > 1 ? null : await writeStudyReport(loadStudy([dir]));
  if (report) log(`report: ${report.reportMd}`);
  else
    log(
      `shard ${overrides.shard!.index}/${overrides.shard!.count} done; merge the shards with: nmfinit report DIR…`,
    );
  return {
    spec,
    dir,
    trained,
    skipped: stored.map((c) => c.id),
    failed,
    report,
    seconds: (performance.now() - started) / 1000,
  };
}

function computePcaReferences(
  spec: ExperimentSpec,
  dir: string,
  loaded: Map<string, LoadedDataset>,
  backend: string,
  log: (m: string) => void,
): PcaReference[] {
  const rank = spec.outputs.pcaRank ?? Math.min(...spec.model.sizes);
  const refs: PcaReference[] = [];
  for (const [label, { data }] of loaded) {
    for (const s of spec.grid.samples) {
      const n = s.count === 'all' ? data.train.count : s.count;
      const split = validationSplitIndex(n, spec.training.validationSplit);
      const ref = pcaReference(dir, label, s.count, data.train.images, n, split, data.dim, rank, backend);
      log(`PCA rank ${rank} on ${label} (${s.count}): validation MSE ${ref.valMse.toFixed(5)}`);
      refs.push(ref);
    }
  }
  return refs;
}

import { z } from 'zod';
import type { Backend, Workload } from '../backend/types.ts';
import type { PluginBase } from '../registry/registry.ts';
import type { ReportDocument } from '../report/document.ts';
import type { MetricRow } from '../report/metrics-csv.ts';
import type { Rng } from '../tensor/rng.ts';
import type { RunCheckpoints } from './checkpoints.ts';
import type { GridAxis, PlannedBuffer } from './limits.ts';

// A study kind is a plugin: it says what its spec looks like, how the spec expands into runs,
// what one run does and how its report is drawn from stored runs. Everything around that —
// validation before any work, the worker pool, the run store, shards, `nmfinit report`,
// progress, Ctrl-C and failure records — is shared machinery in src/experiment that no kind
// re-implements.

/** What every run of every kind carries. A kind adds its own (JSON-serialisable) fields. */
export interface StudyRun {
  /** Unique within its study; used as a file name: letters, digits, '.', '_' and '-'. */
  readonly id: string;
  /** The run's seed: `ctx.rng` is `Rng.seeded(seed)`. */
  readonly seed: number;
  /** The backend that runs it, resolved ('auto' has become a name): numbers are per backend. */
  readonly backend: string;
  /**
   * Save a checkpoint every this many steps (epochs), if the kind supports it. It changes how a
   * run is carried out, not its numbers, so it is not part of the run's identity (its hash).
   */
  readonly checkpointEvery?: number;
  /**
   * Files a run writes besides its result (e.g. `{ weights: 'safetensors' }`), under the output
   * directory. Like checkpointEvery, not part of the run's identity: a run stored without them
   * is reused, not redone, when they are asked for later.
   */
  readonly exports?: Readonly<Record<string, unknown>>;
}

/** What a run tells the progress display while it works. */
export type StudyRunEvent =
  /** The fraction (0..1) of this run's work done so far. */
  | { type: 'progress'; fraction: number }
  /** An epoch (or a comparable step) ended; printed as one line in plain mode. */
  | { type: 'epoch'; epoch: number; epochs: number; loss: number; valLoss?: number }
  | { type: 'log'; message: string };

/**
 * JSON files a kind keeps beside its runs for its report (PCA references, display images, a
 * data summary), so `nmfinit report` can redraw the report, and merge shards, without loading
 * any data again. Names are relative paths under the output directory, e.g. `pca/mnist__3000.json`.
 * Reading names the file in every error.
 */
export interface StudyArtifacts {
  write(name: string, value: unknown): void;
  read<T>(name: string, schema: z.ZodType<T>): T;
  /** Names of the `.json` files directly in `folder` (relative to the output directory), sorted. */
  list(folder: string): string[];
  exists(name: string): boolean;
}

/** The context of a study's steps in the main thread. */
export interface StudyContext {
  /** The output directory (absolute). */
  readonly dir: string;
  readonly cacheDir: string;
  /** The resolved backend name. */
  readonly backend: string;
  readonly log: (message: string) => void;
  readonly artifacts: StudyArtifacts;
}

/** The context of one run, in a worker thread. */
export interface RunContext {
  readonly cacheDir: string;
  /** The output directory (absolute), for the files a run exports (`run.exports`). */
  readonly dir: string;
  /** `Rng.seeded(run.seed)`: split it by path (`rng.child('init')`) so streams stay independent. */
  readonly rng: Rng;
  /** The backend named by `run.backend`, created once per worker. */
  readonly backend: Backend;
  emit(event: StudyRunEvent): void;
  /**
   * This run's checkpoints under the output directory: a kind that saves one every
   * `run.checkpointEvery` steps resumes an interrupted run from `latest()`, which skips (and
   * names) corrupt ones. The machinery removes them once the run is stored.
   */
  readonly checkpoints: RunCheckpoints;
}

/** A finished run as stored: the shared envelope around the kind's own result. */
export interface StoredRun<Run extends StudyRun = StudyRun, Result = unknown> {
  readonly schema: typeof STORED_RUN_SCHEMA;
  readonly kind: string;
  readonly id: string;
  /** Hash of (kind, resultVersion, run config): a stored run is reused only when it matches. */
  readonly configHash: string;
  readonly config: Run;
  readonly result: Result;
  readonly timing: { seconds: number; startedAt: string; finishedAt: string };
}

export const STORED_RUN_SCHEMA = 'nmfinit.run/2' as const;

/** A run that threw: recorded with its error, so the report can list it and a re-run retries it. */
export interface FailedRun<Run extends StudyRun = StudyRun> {
  readonly config: Run;
  readonly error: string;
}

/** What a kind's report is drawn from: stored runs only, never models or data sets. */
export interface StudyReportInput<Spec, Run extends StudyRun, Result> {
  readonly dir: string;
  readonly spec: Spec;
  readonly runs: readonly StoredRun<Run, Result>[];
  /** Runs of the spec's grid that have no stored result (not run yet, failed, or in a missing shard). */
  readonly missing: readonly Run[];
  readonly failed: readonly FailedRun<Run>[];
  readonly artifacts: StudyArtifacts;
}

export interface StudyReportFiles {
  readonly reportMd: string;
  readonly resultsJson: string;
  readonly figures: readonly string[];
  /** The interactive report (src/report/html), where the kind writes one. */
  readonly reportHtml?: string;
  /** metrics.csv, for kinds with a `metrics` hook (written by the shared machinery). */
  readonly metricsCsv?: string;
  /** TensorBoard event files, with `outputs.tensorboard: true`. */
  readonly tensorboard?: readonly string[];
}

/**
 * A study kind. `params` is the schema of the whole spec (a study's parameters are its spec):
 * build it on `studySpecFields(name)` and `studyOutputsFields`, so the shared fields are spelt
 * the same in every kind, and make every object `.strict()`. `SpecInput` is what the schema
 * takes (defaults not yet filled in): what `quick` and `override` see and return.
 */
export interface StudyKind<
  Spec extends BaseStudySpec = BaseStudySpec,
  Run extends StudyRun = StudyRun,
  Result = unknown,
  Data = unknown,
  SpecInput = unknown,
> extends PluginBase {
  readonly params: z.ZodType<Spec, SpecInput>;
  /**
   * Checks that need the registries or several fields at once (plugin names and parameters,
   * model compatibility), before any work. Throw an Error whose message starts with the path
   * (`initializers[2]: …`). Returns the spec with plugin parameters' defaults filled in.
   */
  check?(spec: Spec): Spec;
  /**
   * The axes of the spec's grid (field and number of values), whose product is an upper bound
   * on the runs `expand` gives: checked against MAX_STUDY_RUNS after the schema and before
   * `check` or `expand`, so `seeds: 1e9` is refused, naming the field, instead of expanded.
   */
  gridAxes?(spec: Spec): readonly GridAxis[];
  /**
   * The largest buffers a run allocates that the spec alone sizes (weights, activations), with
   * the field that sizes each: one above MAX_BUFFER_FLOATS is refused at validation. Buffers
   * that need the data's size are checked by the kind in `prepare`, before any run.
   */
  buffers?(spec: Spec): readonly PlannedBuffer[];
  /**
   * What the study's runs spend their products on (a training step of its model, an NMF
   * iteration), for `backend: auto` to time the candidates on. Default: DEFAULT_WORKLOAD, the
   * seed autoencoder's training step.
   */
  workload?(spec: Spec): Workload;
  /** The spec's runs in a fixed order (shards take every n-th). Two runs never share an id. */
  expand(spec: Spec, backend: string): Run[];
  /**
   * Main thread, once per study, before any run: load what runs share and write what the report
   * needs with `ctx.artifacts`. Typed arrays over SharedArrayBuffers reach every worker without a
   * copy; everything else in `Data` is structured-cloned once per worker.
   */
  prepare(spec: Spec, runs: readonly Run[], ctx: StudyContext): Promise<Data>;
  /** Relative work of a run: longer runs start first, and the ETA weighs runs by it. Default 1. */
  cost?(run: Run, data: Data): number;
  /**
   * Runs one execute trains together (shallow-pca's side-by-side models) share a group name: the
   * worker that starts one of them is handed the rest of its group next, where their results
   * already wait. Default: no groups, each run to the first free worker.
   */
  group?(run: Run, data: Data): string | undefined;
  /** One run. It must depend only on `run` and `data`: the same seed gives the same numbers. */
  execute(run: Run, data: Data, ctx: RunContext): Promise<Result>;
  /** The schema of a stored result, checked when it is read back. */
  readonly result: z.ZodType<Result>;
  /** Bump whenever a change alters stored numbers or their layout: older runs are then redone. */
  readonly resultVersion: number;
  /** One short line about a finished run, for the progress log. */
  summarize?(result: Result): string;
  /**
   * The grid flags this kind takes (`--datasets`, `--samples`, …) and how each changes a raw spec,
   * applied in this order before validation. The CLI offers the flags of every registered kind and
   * refuses one the chosen kind does not declare (see cli-overrides.ts).
   */
  readonly cliOverrides?: readonly CliOverride<SpecInput>[];
  /** The quick version of a spec (`--quick`): the same pipeline at small size, under a minute. */
  quick?(spec: SpecInput): SpecInput;
  /**
   * The per-epoch (or per-step) numbers of the stored runs, one value a row. The shared machinery
   * writes them to metrics.csv after `report`, and with `outputs.tensorboard: true` to one
   * TensorBoard events file per run. A kind without it writes neither (and rejects the option).
   */
  metrics?(input: StudyReportInput<Spec, Run, Result>): MetricRow[];
  /**
   * The report, described: its text, tables, figures, image grids and results. The machinery
   * renders it to report.md and report.html, writes every file and adds the shared sections
   * (missing runs, provenance, exports). A kind has this or `report`.
   */
  document?(
    input: StudyReportInput<Spec, Run, Result>,
    ctx: { log: (m: string) => void },
  ): Promise<ReportDocument> | ReportDocument;
  /**
   * Writes report.md, results.json and the figures into `input.dir` itself: the older way, for
   * kinds not yet moved to `document`.
   */
  report?(
    input: StudyReportInput<Spec, Run, Result>,
    ctx: { log: (m: string) => void },
  ): Promise<StudyReportFiles>;
}

/** A grid flag's values by its type, as the CLI parses them (each checked: positive, whole). */
export interface CliOverrideValues {
  /** Labels or plugin names: `--datasets mnist fashion`. */
  names: string[];
  /** Positive integers: `--epochs 10 50`. */
  counts: number[];
  /** Positive integers or 'all': `--samples 3000 all`. */
  sizes: (number | 'all')[];
  /** One positive integer: `--seeds 3`. */
  count: number;
}

export type CliOverrideType = keyof CliOverrideValues;

/** A grid flag a kind declares: its name without dashes, its type, its help text, and what it does to a raw spec. */
export type CliOverride<SpecInput = unknown> = {
  [T in CliOverrideType]: {
    readonly flag: string;
    readonly type: T;
    readonly describe: string;
    apply(spec: SpecInput, value: CliOverrideValues[T]): SpecInput;
  };
}[CliOverrideType];

/** The fields every study spec has. */
export interface BaseStudySpec {
  name: string;
  description: string;
  kind: string;
  backend: string;
  firstSeed: number;
  outputs: { dir: string; tensorboard?: boolean };
}

const nameField = z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only');

/** The spec fields every kind shares; spread them into the kind's `z.object({...}).strict()`. */
export function studySpecFields<K extends string>(kind: K) {
  return {
    /** Names the output and the report. */
    name: nameField,
    description: z.string().default(''),
    /**
     * The study kind. A spec reaches a kind's schema only when it names that kind (or names none
     * and the kind is the default), so the default here only fills the field in.
     */
    kind: z.literal(kind).default(kind),
    backend: z.string().default('auto'),
    /** The first seed; seed i of a result set is firstSeed + i. */
    firstSeed: z.number().int().default(0),
  };
}

/** The `outputs` fields every kind shares; spread them into the kind's outputs object. */
export const studyOutputsFields = {
  dir: z.string().min(1),
  /** Also write the `metrics` rows as TensorBoard event files, `<dir>/tensorboard/<run id>/`. */
  tensorboard: z.boolean().optional(),
};

/** Identity function that gives a study kind its full type (like Vite's defineConfig). */
export function defineStudyKind<
  Spec extends BaseStudySpec,
  Run extends StudyRun,
  Result,
  Data,
  SpecInput = unknown,
>(kind: StudyKind<Spec, Run, Result, Data, SpecInput>): StudyKind<Spec, Run, Result, Data, SpecInput> {
  return kind;
}

/**
 * The kind of specs that name none. The autoencoder study came before study kinds: its stored
 * specs (runs/, results.json, experiment files) have no `kind` field and must still read as it.
 * This is the only place that default lives (validate.ts reads it).
 */
export const DEFAULT_STUDY_KIND = 'autoencoder-init';

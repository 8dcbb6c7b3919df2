import { sha256Hex } from '../util/files.ts';
import { type ExperimentSpec, labelOf, type PluginRef } from './spec.ts';

/** Bumped whenever a change to the engine or the run procedure changes stored numbers. */
export const RUN_FORMAT_VERSION = 1;

/** One training run: a data set × training-set size × initializer × seed, trained max(epochs). */
export interface RunConfig {
  id: string;
  experiment: string;
  dataset: PluginRef;
  datasetLabel: string;
  samples: number | 'all';
  initializer: PluginRef;
  initializerLabel: string;
  seedIndex: number;
  seed: number;
  /** Epochs trained: the longest result set. Shorter sets read its prefix. */
  epochs: number;
  /** Epochs at which test MSE and reconstructions are recorded (0 = before training). */
  snapshotEpochs: number[];
  model: ExperimentSpec['model'];
  training: ExperimentSpec['training'];
  /** The backend that runs it, resolved ('auto' becomes a name): numbers are per backend. */
  backend: string;
}

/** A result set of the report: one plot and one grid. */
export interface ResultSet {
  datasetLabel: string;
  samples: number | 'all';
  epochs: number;
  seeds: number;
}

export const samplesLabel = (s: number | 'all'): string => String(s);

/** Expands a validated spec into its runs, in a deterministic order (the order shards split). */
export function expandRuns(spec: ExperimentSpec, backend: string): RunConfig[] {
  const epochs = Math.max(...spec.grid.epochs);
  const snapshotEpochs = [...new Set([0, ...spec.grid.epochs])].sort((a, b) => a - b);
  const runs: RunConfig[] = [];
  for (const dataset of spec.datasets) {
    for (const s of spec.grid.samples) {
      for (const initializer of spec.initializers) {
        for (let seedIndex = 0; seedIndex < s.seeds; seedIndex++) {
          const seed = spec.firstSeed + seedIndex;
          const datasetLabel = labelOf(dataset);
          const initializerLabel = labelOf(initializer);
          runs.push({
            id: `${datasetLabel}__${samplesLabel(s.count)}__${initializerLabel}__seed${seed}`,
            experiment: spec.name,
            dataset,
            datasetLabel,
            samples: s.count,
            initializer,
            initializerLabel,
            seedIndex,
            seed,
            epochs,
            snapshotEpochs,
            model: spec.model,
            training: spec.training,
            backend,
          });
        }
      }
    }
  }
  return runs;
}

/** The result sets of a spec: data set × samples × epochs. */
export function expandResultSets(spec: ExperimentSpec): ResultSet[] {
  return spec.datasets.flatMap((d) =>
    spec.grid.samples.flatMap((s) =>
      [...spec.grid.epochs]
        .sort((a, b) => a - b)
        .map((epochs) => ({ datasetLabel: labelOf(d), samples: s.count, epochs, seeds: s.seeds })),
    ),
  );
}

/** Runs of shard `index` (1-based) of `count`: every count-th run, so shards balance. */
export function shardRuns<T>(runs: readonly T[], shard: { index: number; count: number } | undefined): T[] {
  if (!shard) return [...runs];
  return runs.filter((_, i) => i % shard.count === shard.index - 1);
}

/** Parses "i/n" (1 ≤ i ≤ n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new RangeError(`--shard must look like i/n with 1 ≤ i ≤ n (e.g. 2/4), got '${text}'`);
  }
  return { index, count };
}

/**
 * The identity of a run's numbers: everything that changes them. A stored run with the same
 * hash is reused; any difference (a parameter, the backend, the format version) retrains.
 */
export function runConfigHash(config: RunConfig): string {
  return sha256Hex(canonicalJson({ v: RUN_FORMAT_VERSION, ...config }));
}

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

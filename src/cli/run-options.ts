import type { Argv } from 'yargs';
import type { RunOverrides } from '../experiment/run.ts';
import { parseShard } from '../experiment/shards.ts';

/** The flags that override an experiment spec, shared by `nmfinit run` and experiment files. */
export function withRunOptions<T>(y: Argv<T>) {
  return y
    .option('datasets', {
      type: 'string',
      array: true,
      describe: 'data sets to run (labels or plugin names)',
    })
    .option('initializers', {
      type: 'string',
      array: true,
      describe: 'initializers to run (labels or plugin names)',
    })
    .option('samples', { type: 'string', array: true, describe: 'training-set sizes, e.g. 3000 all' })
    .option('epochs', {
      type: 'number',
      array: true,
      describe: 'epoch counts of the result sets, e.g. 10 50',
    })
    .option('seeds', { type: 'number', describe: "seeds per result set (replaces every set's count)" })
    .option('out', { type: 'string', describe: 'output directory' })
    .option('backend', {
      type: 'string',
      describe: 'matmul backend: auto, simd, gpujs, gpujs:<mode>, reference',
    })
    .option('workers', { type: 'number', describe: 'worker threads (default: one per core)' })
    .option('shard', { type: 'string', describe: 'run share i of n of the grid, e.g. 2/4' })
    .option('plugin', { type: 'string', array: true, describe: 'module(s) that register extra plugins' })
    .option('force', { type: 'boolean', default: false, describe: 'retrain runs that are already stored' })
    .option('quick', {
      type: 'boolean',
      default: false,
      describe: 'a small version of the study (minutes, not hours)',
    })
    .option('cache-dir', { type: 'string', describe: 'where converted data sets and NMF factors are cached' })
    .option('progress', {
      choices: ['auto', 'tty', 'plain', 'none'] as const,
      default: 'auto' as const,
      describe: 'progress display',
    });
}

export interface RunFlags {
  datasets?: string[];
  initializers?: string[];
  samples?: string[];
  epochs?: number[];
  seeds?: number;
  out?: string;
  backend?: string;
  workers?: number;
  shard?: string;
  plugin?: string[];
  force?: boolean;
  quick?: boolean;
  'cache-dir'?: string;
  progress?: 'auto' | 'tty' | 'plain' | 'none';
}

/** Flags → overrides, with errors that name the flag and the bad value. */
export function overridesFromFlags(f: RunFlags): RunOverrides {
  // yargs makes an array of a flag given twice; a second value must not silently win.
  for (const flag of ['seeds', 'out', 'backend', 'workers', 'shard', 'cache-dir'] as const) {
    const v = f[flag] as unknown;
    if (Array.isArray(v))
      throw new RangeError(`--${flag} was given ${v.length} times (${v.join(', ')}); give it once`);
  }
  const samples = f.samples?.map((s) => {
    if (s === 'all') return 'all' as const;
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0)
      throw new RangeError(`--samples takes positive integers or 'all', got '${s}'`);
    return n;
  });
  for (const e of f.epochs ?? []) {
    if (!Number.isInteger(e) || e <= 0) throw new RangeError(`--epochs takes positive integers, got ${e}`);
  }
  if (f.seeds !== undefined && !(Number.isInteger(f.seeds) && f.seeds > 0)) {
    throw new RangeError(`--seeds takes a positive integer, got ${f.seeds}`);
  }
  if (f.workers !== undefined && !(Number.isInteger(f.workers) && f.workers > 0)) {
    throw new RangeError(`--workers takes a positive integer, got ${f.workers}`);
  }
  return {
    grid: { datasets: f.datasets, initializers: f.initializers, samples, epochs: f.epochs, seeds: f.seeds },
    quick: f.quick,
    out: f.out,
    backend: f.backend,
    workers: f.workers,
    shard: f.shard === undefined ? undefined : parseShard(f.shard),
    plugins: f.plugin,
    force: f.force,
    cacheDir: f['cache-dir'],
    progress: f.progress,
  };
}

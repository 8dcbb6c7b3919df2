import yargs, { type Argv } from 'yargs';
import { type DeclaredFlag, declaredFlags } from '../experiment/cli-overrides.ts';
import type { RunOverrides } from '../experiment/run.ts';
import { parseShard } from '../experiment/shards.ts';
import { PLUGIN_OPTION } from './plugin-option.ts';

/** How yargs reads each grid flag type; the values are checked by type in cli-overrides.ts. */
const YARGS_TYPES = {
  names: { type: 'string', array: true },
  sizes: { type: 'string', array: true },
  counts: { type: 'number', array: true },
  count: { type: 'number' },
} as const;

/**
 * The `--plugin` modules a command line names, read before the full parse: a study kind they
 * register may declare grid flags, and the full parse must know them.
 */
export function pluginModulesOf(argv: readonly string[]): string[] {
  const parsed = yargs([...argv])
    .option('plugin', PLUGIN_OPTION)
    .help(false)
    .version(false)
    .parseSync();
  return (parsed.plugin ?? []).map(String);
}

/** The flags every study takes; no kind may declare a grid flag of the same name. */
const GENERIC_FLAGS = [
  'out',
  'backend',
  'workers',
  'shard',
  'plugin',
  'force',
  'quick',
  'cache-dir',
  'progress',
  'help',
  'version',
];

/**
 * The flags that override an experiment spec, shared by `nmfinit run` and experiment files: the
 * grid flags the registered study kinds declare (load the plugins first), then the generic ones.
 */
export function withRunOptions<T>(y: Argv<T>, grid: ReadonlyMap<string, DeclaredFlag> = declaredFlags()) {
  for (const [flag, d] of grid) {
    if (GENERIC_FLAGS.includes(flag))
      throw new Error(
        `study kind(s) ${d.kinds.join(', ')} declare --${flag}, a flag of every study; name the grid flag otherwise`,
      );
    y.option(flag, {
      ...YARGS_TYPES[d.type],
      describe: `${d.describe} [study kinds: ${d.kinds.join(', ')}]`,
    });
  }
  return y
    .option('out', { type: 'string', describe: 'output directory' })
    .option('backend', {
      type: 'string',
      describe: 'matmul backend: auto, simd, gpujs, gpujs:<mode>, reference',
    })
    .option('workers', { type: 'number', describe: 'worker threads (default: one per core)' })
    .option('shard', { type: 'string', describe: 'run share i of n of the grid, e.g. 2/4' })
    .option('plugin', PLUGIN_OPTION)
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
  /** The grid flags (see withRunOptions), by name; checked when the chosen kind applies them. */
  [gridFlag: string]: unknown;
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

/**
 * Flags → overrides, with errors that name the flag and the bad value. The grid flags pass as
 * given: the chosen kind's declared type checks each (src/experiment/cli-overrides.ts).
 */
export function overridesFromFlags(
  f: RunFlags,
  grid: ReadonlyMap<string, DeclaredFlag> = declaredFlags(),
): RunOverrides {
  // yargs makes an array of a flag given twice; a second value must not silently win.
  for (const flag of ['out', 'backend', 'workers', 'shard', 'cache-dir'] as const) {
    const v = f[flag] as unknown;
    if (Array.isArray(v))
      throw new RangeError(`--${flag} was given ${v.length} times (${v.join(', ')}); give it once`);
  }
  if (f.workers !== undefined && !(Number.isInteger(f.workers) && f.workers > 0)) {
    throw new RangeError(`--workers takes a positive integer, got ${f.workers}`);
  }
  return {
    grid: Object.fromEntries([...grid.keys()].map((flag) => [flag, f[flag]])),
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

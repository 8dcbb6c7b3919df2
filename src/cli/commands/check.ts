// `nmfinit check <plugin-file>…`: imports plugin files and runs the plugin-author checks on every
// plugin they register (checkInitializer for initializers, a small load of each split for
// datasets), without any test set-up. Prints one block per plugin; exits 1 when any fails.
import type { CommandModule } from 'yargs';
import { DatasetError } from '../../data/errors.ts';
import { loadDataset } from '../../data/load.ts';
import { datasets } from '../../data/registry.ts';
import type { Dataset, DatasetPlugin, Split } from '../../data/types.ts';
import { studies } from '../../experiment/kinds.ts';
import { loadPluginModules } from '../../experiment/plugins.ts';
import { initializers } from '../../initializers/registry.ts';
import type { InitializerPlugin } from '../../initializers/types.ts';
import type { PluginBase, Registry } from '../../registry/registry.ts';
import { dictionaries } from '../../sae/registry.ts';
import { defaultCacheDir } from '../../util/files.ts';
import { parseParamsOption } from './datasets.ts';

export interface CheckArgs {
  files: string[];
  params?: string;
  'num-runs'?: number;
  'cache-dir'?: string;
}

/** The outcome of checking one plugin. */
export interface PluginCheck {
  readonly kind: string;
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'not checked';
  /** One line for ok and not checked; the check's own report for a failure. */
  readonly detail: string;
}

/** Samples of each split a dataset check loads (fewer when the split is smaller). */
export const DATASET_CHECK_SAMPLES = 16;

/** Names registered in each registry now, to tell which plugins a file adds. */
function snapshot(): Map<Registry<PluginBase>, Set<string>> {
  const all = [initializers, datasets, studies, dictionaries] as unknown as Registry<PluginBase>[];
  return new Map(all.map((r) => [r, new Set(r.names())]));
}

/**
 * Imports the files and checks every plugin they registered. `params` gives raw parameters per
 * plugin name (default: the plugin's defaults).
 */
export async function checkPluginFiles(
  files: readonly string[],
  options: { params?: Record<string, unknown>; numRuns?: number; cacheDir?: string } = {},
): Promise<PluginCheck[]> {
  const before = snapshot();
  await loadPluginModules(files);
  const added = (registry: Registry<PluginBase>) =>
    registry.list().filter((p) => !before.get(registry)?.has(p.name));
  const checks: PluginCheck[] = [];
  const params = options.params ?? {};
  // fast-check is an optional peer dependency of nmfinit: loaded here, and said so when missing.
  const { checkInitializer } = await import('../../testing/check-initializer.ts').catch((e: Error) => {
    throw new Error(
      `nmfinit check runs fast-check, which is not installed here (npm install --save-dev fast-check): ${e.message}`,
    );
  });
  for (const plugin of added(initializers as unknown as Registry<PluginBase>) as InitializerPlugin[]) {
    const outcome = await checkInitializer(plugin, {
      ...(plugin.name in params ? { params: params[plugin.name] } : {}),
      ...(options.numRuns !== undefined ? { numRuns: options.numRuns } : {}),
    }).then(
      () => null,
      (e: Error) => e,
    );
    checks.push({
      kind: 'initializer',
      name: plugin.name,
      status: outcome ? 'failed' : 'ok',
      detail: outcome
        ? outcome.message
        : `checkInitializer passed (${options.numRuns ?? 25} random networks, 3 init calls each)`,
    });
  }
  for (const plugin of added(datasets as unknown as Registry<PluginBase>) as DatasetPlugin[]) {
    checks.push(await checkDataset(plugin, params[plugin.name], options.cacheDir ?? defaultCacheDir()));
  }
  for (const [registry, kind] of [
    [studies, 'study kind'],
    [dictionaries, 'dictionary initializer'],
  ] as const) {
    for (const plugin of added(registry as unknown as Registry<PluginBase>)) {
      checks.push({
        kind,
        name: plugin.name,
        status: 'not checked',
        detail: `registered; nmfinit check has no check for ${kind}s (run one with --quick instead)`,
      });
    }
  }
  return checks;
}

/**
 * Loads the first samples of each split through the plugin, as training does (parameters
 * validated, the result held to the Dataset contract: shapes, labels, values in [0, 1] or finite),
 * and checks that both splits agree on the image shape and class names.
 */
export async function checkDataset(
  plugin: DatasetPlugin,
  params: unknown,
  cacheDir: string,
): Promise<PluginCheck> {
  const label = { kind: 'dataset', name: plugin.name } as const;
  const loaded: Dataset[] = [];
  try {
    for (const split of ['train', 'test'] as Split[])
      loaded.push(await loadSmall(plugin, split, params, cacheDir));
  } catch (e) {
    return { ...label, status: 'failed', detail: `${(e as Error).name}: ${(e as Error).message}` };
  }
  const [train, test] = loaded;
  const shape = (d: Dataset) => d.imageShape.join('×');
  if (shape(train) !== shape(test)) {
    return {
      ...label,
      status: 'failed',
      detail: `train images are ${shape(train)}, test images ${shape(test)}; both splits need one shape`,
    };
  }
  if (train.classNames.join('\n') !== test.classNames.join('\n')) {
    return {
      ...label,
      status: 'failed',
      detail: `the splits name different classes: train [${train.classNames.join(', ')}], test [${test.classNames.join(', ')}]`,
    };
  }
  return {
    ...label,
    status: 'ok',
    detail: `loads: train ${train.count} and test ${test.count} samples of ${shape(train)}, ${train.classNames.length} classes, values ${train.values === 'real' ? 'finite' : 'in [0, 1]'}`,
  };
}

/** The first DATASET_CHECK_SAMPLES of a split, or the whole split when it is smaller. */
async function loadSmall(plugin: DatasetPlugin, split: Split, params: unknown, cacheDir: string) {
  try {
    return await loadDataset(plugin, { split, limit: DATASET_CHECK_SAMPLES, params, cacheDir });
  } catch (e) {
    // A split smaller than the limit refuses it; the whole split is small then.
    if (!(e instanceof DatasetError) || !/is larger than the split/.test(e.message)) throw e;
    return await loadDataset(plugin, { split, params, cacheDir });
  }
}

/** The report as printed: one block per plugin, then a count. */
export function formatChecks(files: readonly string[], checks: readonly PluginCheck[]): string {
  if (checks.length === 0) {
    return `${files.join(', ')} registered no plugins (nmfinit check imports the file; its plugins must register on import, e.g. initializers.register(plugin))`;
  }
  const lines = checks.map((c) => {
    const head = `${c.status === 'ok' ? '✓' : c.status === 'failed' ? '✗' : '-'} ${c.kind} '${c.name}'`;
    const detail = c.detail.split('\n');
    return c.status === 'failed'
      ? [`${head}: FAILED`, ...detail.map((l) => `    ${l}`)].join('\n')
      : `${head}: ${detail.join(' ')}`;
  });
  const failed = checks.filter((c) => c.status === 'failed').length;
  const checked = checks.filter((c) => c.status !== 'not checked').length;
  lines.push('', `${checked} checked, ${failed} failed`);
  return lines.join('\n');
}

export const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check <files..>',
  describe:
    'run the plugin-author checks (checkInitializer; a small load of each dataset split) on every plugin the files register',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true })
      .option('params', {
        type: 'string',
        describe: `parameters per plugin name as JSON, e.g. '{"my-init": {"gain": 2}}' (default: each plugin's defaults)`,
      })
      .option('num-runs', { type: 'number', describe: 'random networks per initializer (default 25)' })
      .option('cache-dir', {
        type: 'string',
        describe: 'where datasets may cache (default $NMFINIT_CACHE_DIR or .cache/nmfinit)',
      }),
  handler: async (args) => {
    const checks = await checkPluginFiles(args.files, {
      params: parseParamsOption(args.params),
      numRuns: args['num-runs'],
      cacheDir: args['cache-dir'],
    });
    console.log(formatChecks(args.files, checks));
    if (checks.length === 0 || checks.some((c) => c.status === 'failed')) process.exitCode = 1;
  },
};

// `nmfinit datasets [NAME]`: list the dataset plugins, or load one and show what it holds.
import type { CommandModule } from 'yargs';
import { DatasetError } from '../../data/errors.ts';
import { datasetGridPng, formatInspection, inspectDataset } from '../../data/inspect.ts';
import { datasets } from '../../data/registry.ts';
import type { DatasetPlugin, Split } from '../../data/types.ts';
import type { Registry } from '../../registry/registry.ts';
import { defaultCacheDir, writeFileAtomicSync } from '../../util/files.ts';

export interface DatasetsArgs {
  name?: string;
  params?: string;
  split: 'train' | 'test' | 'both';
  limit?: number;
  grid?: string;
  'grid-per-class': number;
  'cache-dir'?: string;
}

/** One line per registered dataset plugin: its name and description. */
export function listDatasets(registry: Registry<DatasetPlugin>): string {
  const plugins = registry.list();
  if (plugins.length === 0) return 'no dataset plugins are registered';
  const width = Math.max(...plugins.map((p) => p.name.length));
  return plugins.map((p) => `${p.name.padEnd(width)}  ${p.description}`).join('\n');
}

/** `--params` as a JSON object; an error names the option and shows what was given. */
export function parseParamsOption(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DatasetError(
      `--params must be a JSON object, e.g. '{"dir": "/data/kmnist"}'; got ${text} (${(e as Error).message})`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DatasetError(`--params must be a JSON object, got ${text}`);
  }
  return value as Record<string, unknown>;
}

/** What the command does, without yargs: returns the text it prints. */
export async function runDatasetsCommand(
  args: DatasetsArgs,
  registry: Registry<DatasetPlugin> = datasets,
  log: (message: string) => void = (m) => console.error(m),
): Promise<string> {
  if (args.name === undefined) return listDatasets(registry);
  const plugin = registry.get(args.name);
  const splits: Split[] = args.split === 'both' ? ['train', 'test'] : [args.split];
  const report = await inspectDataset(plugin, {
    params: parseParamsOption(args.params),
    cacheDir: args['cache-dir'] ?? defaultCacheDir(),
    splits,
    limit: args.limit,
    log,
  });
  const text = formatInspection(report);
  if (args.grid === undefined) return text;
  // The display samples come from the test split when it was loaded.
  const shown = report.datasets.find((d) => d.split === 'test') ?? report.datasets[0];
  writeFileAtomicSync(args.grid, datasetGridPng(shown, args['grid-per-class']));
  return `${text}\nwrote ${args.grid} (${shown.split} split)`;
}

/** The yargs command; `registry` is replaceable for tests. */
export function makeDatasetsCommand(
  registry: Registry<DatasetPlugin> = datasets,
): CommandModule<object, DatasetsArgs> {
  return {
    command: 'datasets [name]',
    describe: 'List the dataset plugins, or load one and show counts per class, value range and load time',
    builder: (y) =>
      y
        .positional('name', { type: 'string', describe: 'a dataset plugin, e.g. mnist; none lists them' })
        .option('params', {
          type: 'string',
          describe: `the plugin's parameters as JSON, e.g. '{"dir":"/data/kmnist"}'`,
        })
        .option('split', {
          choices: ['train', 'test', 'both'] as const,
          default: 'both' as const,
          describe: 'which split(s) to load',
        })
        .option('limit', { type: 'number', describe: 'load only the first N samples of each split' })
        .option('grid', { type: 'string', describe: 'write a PNG of the first images of each class here' })
        .option('grid-per-class', { type: 'number', default: 10, describe: 'images per class in the grid' })
        .option('cache-dir', {
          type: 'string',
          describe: 'where converted datasets are cached (default $NMFINIT_CACHE_DIR or .cache/nmfinit)',
        }),
    handler: async (argv) => {
      console.log(await runDatasetsCommand(argv, registry));
    },
  };
}

export const datasetsCommand = makeDatasetsCommand();

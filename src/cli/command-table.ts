// The commands of `nmfinit`, by name, with what `--help` shows and how to load each one. Only the
// command being run is imported (with the engine and the plugins behind it): `--help` and
// `--version` import none, so the CLI starts fast. test/cli-startup.test.ts checks that each
// `command` and `describe` here is the one its module declares.
import type { CommandModule } from 'yargs';

export interface CommandEntry {
  /** The yargs command string, e.g. 'run <spec>'. */
  readonly command: string;
  readonly describe: string;
  /** Imports the command; `argv` is the command line (without node and the script). */
  readonly load: (argv: readonly string[]) => Promise<CommandModule<object, never>>;
}

// Each command module has its own argument types; the table only hands them to yargs.
// biome-ignore lint/suspicious/noExplicitAny: any command module, whatever its argument types
const as = (m: CommandModule<any, any>) => m as unknown as CommandModule<object, never>;

export const COMMANDS: readonly CommandEntry[] = [
  {
    command: 'run <spec>',
    describe: 'run an experiment from a JSON spec or a TS experiment file',
    // Its grid flags are those the registered study kinds declare: the built-ins and the
    // `--plugin` modules load first.
    load: async (argv) => {
      const { loadPluginModules } = await import('../experiment/plugins.ts');
      const { pluginModulesOf } = await import('./run-options.ts');
      const { BUILTIN_PLUGIN_MODULES } = await import('./builtins.ts');
      await loadPluginModules([...BUILTIN_PLUGIN_MODULES, ...pluginModulesOf(argv)]);
      return as((await import('./run-command.ts')).runCommand);
    },
  },
  {
    command: 'report <dirs..>',
    describe:
      'write plots, grids, report.md and results.json from stored runs (merges shard directories; written to the first)',
    load: async () => as((await import('./commands/report.ts')).reportCommand),
  },
  {
    command: 'view <dir>',
    describe: 'serve the report on 127.0.0.1 and reload it as runs finish (watch a study while it runs)',
    load: async () => as((await import('./commands/view.ts')).viewCommand),
  },
  {
    command: 'plugins',
    describe: 'list the study kinds, initializers, datasets and backends with their parameters',
    load: async () => as((await import('./commands/plugins.ts')).pluginsCommand),
  },
  {
    command: 'datasets [name]',
    describe: 'List the dataset plugins, or load one and show counts per class, value range and load time',
    load: async () => as((await import('./commands/datasets.ts')).datasetsCommand),
  },
  {
    command: 'backends',
    describe: 'list the matmul backends and which are available here',
    load: async () => as((await import('./commands/plugins.ts')).backendsCommand),
  },
  {
    command: 'slurm <spec>',
    describe: 'write an sbatch array script that runs the study in shards on Slurm, then merges them',
    load: async () => as((await import('./commands/slurm.ts')).slurmCommand),
  },
  {
    command: 'check <files..>',
    describe:
      'run the plugin-author checks (checkInitializer; a small load of each dataset split) on every plugin the files register',
    load: async () => as((await import('./commands/check.ts')).checkCommand),
  },
];

/** The command's name: the first word of its command string. */
export function commandName(entry: Pick<CommandEntry, 'command'>): string {
  return entry.command.split(' ')[0];
}

/** The command a command line asks for: the first of its words that names one. */
export function requestedCommand(argv: readonly string[]): CommandEntry | undefined {
  for (const word of argv) {
    const entry = COMMANDS.find((c) => commandName(c) === word);
    if (entry) return entry;
  }
  return undefined;
}

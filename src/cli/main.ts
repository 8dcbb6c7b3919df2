import { readFileSync } from 'node:fs';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadPluginModules } from '../experiment/plugins.ts';
import { BUILTIN_PLUGIN_MODULES } from './builtins.ts';
import { COMMANDS, requestedCommand } from './command-table.ts';

// Only the command being run is imported, and the built-in plugins (with the engine) load just
// before it runs: `--help` and `--version` import neither (test/cli-startup.test.ts times them).
const argv = hideBin(process.argv);
const requested = requestedCommand(argv);
const commands: CommandModule<object, never>[] = [];
for (const entry of COMMANDS) {
  if (entry === requested) commands.push(await loadCommand(entry));
  else
    commands.push({
      command: entry.command,
      describe: entry.describe,
      // Only --help shows these; one that runs would be a bug in requestedCommand, not a no-op.
      handler: () => {
        throw new Error(`internal error: command '${entry.command}' ran without being loaded`);
      },
    });
}

await yargs(argv)
  .scriptName('nmfinit')
  .usage('$0 <command> [options]')
  .command(commands)
  .middleware(async () => {
    await loadPluginModules(BUILTIN_PLUGIN_MODULES);
  })
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .recommendCommands()
  .fail((message, error, y) => {
    // Our errors already say what is wrong and where; yargs' own usage errors get the help text.
    // 130 for Ctrl-C, 143 for SIGTERM (the shell's 128 + signal), after the study said what stopped.
    if (error?.name === 'ExperimentInterruptedError')
      process.exit((error as { exitCode?: number }).exitCode ?? 130);
    if (error) console.error(`nmfinit: ${error.message}`);
    else {
      y.showHelp();
      console.error(`\n${message}`);
    }
    process.exit(1);
  })
  .help()
  .version(packageVersion())
  .parseAsync();

/** The command's module; an error while loading it (a `--plugin` that does not load) is reported as ours. */
async function loadCommand(entry: (typeof COMMANDS)[number]): Promise<CommandModule<object, never>> {
  try {
    return await entry.load(argv);
  } catch (e) {
    console.error(`nmfinit: ${(e as Error).message}`);
    process.exit(1);
  }
}

/** nmfinit's version, from the package.json above this file (src/cli/ in a checkout, dist/src/cli/ installed). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'nmfinit' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}

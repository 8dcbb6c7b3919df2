import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadPluginModules } from '../experiment/plugins.ts';
import { BUILTIN_PLUGIN_MODULES } from './builtins.ts';
import { datasetsCommand } from './commands/datasets.ts';
import { slurmCommand } from './commands/slurm.ts';
import { viewCommand } from './commands/view.ts';
import { backendsCommand, pluginsCommand, reportCommand } from './commands.ts';
import { runCommand } from './run-command.ts';

// The built-in plugins (and with them the engine) load before a command runs, not for --help:
// the CLI starts in well under a second.
await yargs(hideBin(process.argv))
  .scriptName('nmfinit')
  .usage('$0 <command> [options]')
  .command(runCommand)
  .command(reportCommand)
  .command(viewCommand)
  .command(pluginsCommand)
  .command(datasetsCommand)
  .command(backendsCommand)
  .command(slurmCommand)
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
  .version(false)
  .parseAsync();

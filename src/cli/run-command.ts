import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { importUserModule } from '../experiment/module-import.ts';
import { loadPluginModules } from '../experiment/plugins.ts';
import type { ExperimentOutcome } from '../experiment/run.ts';
import { BUILTIN_PLUGIN_MODULES } from './builtins.ts';
import { overridesFromFlags, pluginModulesOf, type RunFlags, withRunOptions } from './run-options.ts';

/** Loads a spec from a JSON file or from a module whose default export (or `spec`) is one. */
export async function loadSpecFile(path: string): Promise<unknown> {
  const full = resolve(path);
  if (/\.json$/i.test(path)) {
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (e) {
      throw new Error(`cannot read spec file '${path}': ${(e as Error).message}`);
    }
    try {
      // A UTF-8 byte-order mark is legal in a file, not in JSON.
      return JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw new Error(`spec file '${path}' is not valid JSON: ${(e as Error).message}`);
    }
  }
  let mod: { default?: unknown; spec?: unknown };
  try {
    mod = await importUserModule(pathToFileURL(full).href, full);
  } catch (e) {
    throw new Error(`cannot load experiment file '${path}': ${(e as Error).message}`);
  }
  const spec = mod.spec ?? mod.default;
  if (spec === undefined)
    throw new Error(`'${path}' exports no experiment spec (export it as 'spec' or as the default export)`);
  return spec;
}

/** Runs a spec with command-line flags applied (the shared path of `nmfinit run` and experiment files). */
export async function runWithFlags(
  spec: unknown,
  flags: RunFlags,
  specModule?: string,
): Promise<ExperimentOutcome> {
  const overrides = overridesFromFlags(flags);
  overrides.plugins = [...BUILTIN_PLUGIN_MODULES, ...(overrides.plugins ?? [])];
  // A TS experiment file may define plugins inline; workers import it to register them.
  overrides.specModule = specModule;
  // Loaded here, not at start: `nmfinit --help` stays fast (see main.ts).
  const { runExperiment } = await import('../experiment/run.ts');
  const outcome = await runExperiment(spec, overrides);
  const minutes = (outcome.seconds / 60).toFixed(1);
  console.log(
    `${outcome.spec.name}: ${outcome.trained.length} trained, ${outcome.skipped.length} reused, ${outcome.failed.length} failed in ${minutes} min; results in ${outcome.dir}`,
  );
  if (outcome.failed.length > 0) process.exitCode = 1;
  return outcome;
}

/** What `runIfMain` does when an experiment file is the program: parse argv, run, exit with the status. */
export async function runSpecFromArgv(spec: unknown, moduleUrl: string): Promise<ExperimentOutcome> {
  const name = (spec as { name?: unknown } | null)?.name ?? 'experiment';
  // The grid flags are those the registered study kinds declare: the built-ins and the
  // `--plugin` modules load first.
  try {
    await loadPluginModules([...BUILTIN_PLUGIN_MODULES, ...pluginModulesOf(hideBin(process.argv))]);
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}`);
    process.exit(1);
  }
  const flags = (await withRunOptions(yargs(hideBin(process.argv)))
    .scriptName(`tsx ${process.argv[1]}`)
    .strict()
    .recommendCommands()
    .help()
    .version(false)
    .fail((message, error) => {
      console.error(`${name}: ${error?.message ?? message}`);
      process.exit(1);
    })
    .parseAsync()) as RunFlags;
  try {
    return await runWithFlags(spec, flags, moduleUrl);
  } catch (e) {
    if ((e as Error).name === 'ExperimentInterruptedError')
      process.exit((e as { exitCode?: number }).exitCode ?? 130);
    console.error(`${name}: ${(e as Error).message}`);
    process.exit(1);
  }
}

export const runCommand: CommandModule<object, RunFlags & { spec: string }> = {
  command: 'run <spec>',
  describe: 'run an experiment from a JSON spec or a TS experiment file',
  builder: (y) =>
    withRunOptions(y).positional('spec', {
      type: 'string',
      demandOption: true,
      describe: 'spec.json or experiment.ts',
    }),
  handler: async (args) => {
    const spec = await loadSpecFile(args.spec);
    await runWithFlags(
      spec,
      args,
      /\.json$/i.test(args.spec) ? undefined : pathToFileURL(resolve(args.spec)).href,
    );
  },
};

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CommandModule } from 'yargs';
import { quickOverrides } from '../experiment/quick.ts';
import { type ExperimentOutcome, runExperiment } from '../experiment/run.ts';
import type { ExperimentSpecInput } from '../experiment/spec.ts';
import { overridesFromFlags, type RunFlags, withRunOptions } from './run-options.ts';

/** Loads a spec from a JSON file or from a module whose default export (or `spec`) is one. */
export async function loadSpecFile(path: string): Promise<ExperimentSpecInput> {
  const full = resolve(path);
  if (/\.json$/i.test(path)) {
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (e) {
      throw new Error(`cannot read spec file '${path}': ${(e as Error).message}`);
    }
    try {
      return JSON.parse(text) as ExperimentSpecInput;
    } catch (e) {
      throw new Error(`spec file '${path}' is not valid JSON: ${(e as Error).message}`);
    }
  }
  const mod = (await import(pathToFileURL(full).href)) as {
    default?: ExperimentSpecInput;
    spec?: ExperimentSpecInput;
  };
  const spec = mod.spec ?? mod.default;
  if (!spec)
    throw new Error(`'${path}' exports no experiment spec (export it as 'spec' or as the default export)`);
  return spec;
}

/** Runs a spec with command-line flags applied (the shared path of `nmfinit run` and experiment files). */
export async function runWithFlags(
  spec: ExperimentSpecInput,
  flags: RunFlags,
  specModule?: string,
): Promise<ExperimentOutcome> {
  const base = overridesFromFlags(flags);
  // A TS experiment file may define plugins inline; workers import it to register them.
  base.specModule = specModule;
  const overrides = flags.quick ? quickOverrides(spec, base) : base;
  const outcome = await runExperiment(spec, overrides);
  const minutes = (outcome.seconds / 60).toFixed(1);
  console.log(
    `${outcome.spec.name}: ${outcome.trained.length} trained, ${outcome.skipped.length} reused, ${outcome.failed.length} failed in ${minutes} min; results in ${outcome.dir}`,
  );
  if (outcome.failed.length > 0) process.exitCode = 1;
  return outcome;
}

export const runCommand: CommandModule<object, RunFlags & { spec: string }> = {
  command: 'run <spec>',
  describe: 'run an experiment from a JSON spec or a TS experiment file',
  builder: (y) =>
    withRunOptions(y).positional('spec', {
      type: 'string',
      demandOption: true,
      describe: 'spec.json or experiment.ts',
    }) as never,
  handler: async (args) => {
    const spec = await loadSpecFile(args.spec);
    await runWithFlags(
      spec,
      args,
      /\.json$/i.test(args.spec) ? undefined : pathToFileURL(resolve(args.spec)).href,
    );
  },
};

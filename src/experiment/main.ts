import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runWithFlags } from '../cli/run-command.ts';
import { type RunFlags, withRunOptions } from '../cli/run-options.ts';
import { ExperimentInterruptedError, type ExperimentOutcome } from './run.ts';
import type { ExperimentSpecInput } from './spec.ts';

/**
 * The one call at the end of an experiment file: when the file is the program being run
 * (`npx tsx experiments/mnist.ts --quick`), parse the command-line flags and run the spec.
 * When the file is imported (by `nmfinit run`, or by a worker registering its plugins) it does
 * nothing, so the file stays a plain declaration.
 */
export async function runIfMain(
  moduleUrl: string,
  spec: ExperimentSpecInput,
): Promise<ExperimentOutcome | undefined> {
  if (!isMainThread || !isEntryModule(moduleUrl)) return undefined;
  const flags = (await withRunOptions(yargs(hideBin(process.argv)))
    .scriptName(`tsx ${process.argv[1]}`)
    .strict()
    .help()
    .version(false)
    .fail((message, error) => {
      console.error(`${spec.name}: ${error?.message ?? message}`);
      process.exit(1);
    })
    .parseAsync()) as RunFlags;
  try {
    return await runWithFlags(spec, flags, moduleUrl);
  } catch (e) {
    if (e instanceof ExperimentInterruptedError) process.exit(130);
    console.error(`${spec.name}: ${(e as Error).message}`);
    process.exit(1);
  }
}

function isEntryModule(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { ExperimentOutcome } from '../experiment/run.ts';

/**
 * The one call at the end of an experiment file: when the file is the program being run
 * (`npx tsx experiments/mnist.ts --quick`), parse the command-line flags and run the spec.
 * When the file is imported (by `nmfinit run`, or by a worker registering its plugins) it does
 * nothing, so the file stays a plain declaration. The terminal side loads only when it runs.
 */
export async function runIfMain(moduleUrl: string, spec: unknown): Promise<ExperimentOutcome | undefined> {
  if (!isMainThread || !isEntryModule(moduleUrl)) return undefined;
  const { runSpecFromArgv } = await import('./run-command.ts');
  return runSpecFromArgv(spec, moduleUrl);
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

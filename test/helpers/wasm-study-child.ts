// Run by test/reliability-caches.test.ts in a child process (kernels are compiled once per
// thread, so each run needs a fresh process): a tiny autoencoder study on the simd backend with
// two workers, its cache directory and output directory from argv; prints each run's losses.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_PLUGIN_MODULES } from '../../src/cli/builtins.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { tinyAutoencoderSpec } from './tiny-studies.ts';

const [cacheDir, out] = process.argv.slice(2);
await runExperiment(
  { ...tinyAutoencoderSpec(out), backend: 'simd?threads=1' },
  { plugins: [...BUILTIN_PLUGIN_MODULES], progress: 'none', workers: 2, cacheDir, log: () => {} },
);
const runs = readdirSync(join(out, 'runs'))
  .sort()
  .map((f) => {
    const stored = JSON.parse(readFileSync(join(out, 'runs', f), 'utf8'));
    return { id: stored.id, loss: stored.result.history.loss, valLoss: stored.result.history.valLoss };
  });
process.stdout.write(`${JSON.stringify(runs)}\n`);

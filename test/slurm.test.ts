import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultsFileSchema } from '../plugins/studies/autoencoder-init/results-schema.ts';
import type { AutoencoderSpecInput } from '../plugins/studies/autoencoder-init/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { type SlurmCluster, startSlurmCluster } from './helpers/slurm-cluster.ts';

// Issue 16: --shard under a real scheduler. A single-node Slurm cluster on localhost runs a
// small study as a 3-task array; one task is cancelled mid-run with scancel; resubmitting
// reuses every stored run, and the merged report has the unsharded run's numbers.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-slurm-'));
const cacheDir = join(root, 'cache');
let cluster: SlurmCluster;
beforeAll(async () => {
  cluster = await startSlurmCluster(join(root, 'cluster'));
}, 240_000);
afterAll(() => {
  cluster?.stop();
  rmSync(root, { recursive: true, force: true });
});

const spec = (dir: string): AutoencoderSpecInput => ({
  name: 'slurm-tiny',
  datasets: [{ name: 'synthetic', params: { height: 8, width: 8, trainCount: 300, testCount: 20 } }],
  model: { sizes: [64, 32, 64] },
  initializers: [{ name: 'glorot-uniform' }, { name: 'glorot-normal' }],
  training: { batchSize: 16, callbacks: [{ name: 'model-checkpoint', every: 2 }] },
  grid: { samples: [{ count: 300, seeds: 3 }], epochs: [30] },
  backend: 'reference',
  outputs: { dir },
});

const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const read = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8') : '');
const numbers = (file: string) =>
  Object.fromEntries(
    resultsFileSchema.parse(JSON.parse(readFileSync(file, 'utf8'))).runs.map((r) => [r.id, r.valLoss]),
  );

describe('nmfinit slurm', () => {
  it('runs the shards as an array, survives a cancelled task on resubmission, and merges to the unsharded numbers', async () => {
    const out = join(root, 'out');
    const file = join(root, 'spec.json');
    writeFileSync(file, JSON.stringify(spec(out)));
    const gen = spawnSync(process.execPath, [bin, 'slurm', file, '--shards', '3', '--cache-dir', cacheDir], {
      encoding: 'utf8',
    });
    expect(gen.stderr).toBe('');
    expect(gen.status).toBe(0);
    const scripts = join(out, 'slurm');
    expect(readFileSync(join(scripts, 'shards.sbatch'), 'utf8')).toContain('#SBATCH --array=1-3');
    const logs = join(scripts, 'logs');
    const submit = () => {
      const m = /shards: job (\d+) .*report: job (\d+)/.exec(cluster.run(join(scripts, 'submit.sh'), []));
      expect(m).not.toBeNull();
      return { shards: m![1], report: m![2] };
    };

    // First submission: cancel task 2 once its first run is stored and its second is under way.
    const first = submit();
    const until = Date.now() + 90_000;
    while (!/\[1\/2\]/.test(read(join(logs, 'shard-2.log')))) {
      if (Date.now() > until)
        throw new Error(`task 2 never finished a run:\n${read(join(logs, 'shard-2.log'))}`);
      await sleep(100);
    }
    cluster.run('scancel', [`${first.shards}_2`]);
    await cluster.waitForJobs([first.shards, first.report], 90_000);
    const stored = (i: number) =>
      readdirSync(join(out, `shard-${i}`, 'runs')).filter((f) => f.endsWith('.json'));
    expect(stored(2)).toHaveLength(1);
    // The report job ran after the array anyway and named what is missing.
    expect(read(join(logs, 'report.log'))).toMatch(/1 run\(s\) of the grid are missing/);

    // Resubmitted: the finished runs are reused, only the cancelled one is trained.
    const second = submit();
    await cluster.waitForJobs([second.shards, second.report], 90_000);
    expect(read(join(logs, 'shard-2.log'))).toContain('1 run(s) to train, 1 already stored (skipped)');
    for (const i of [1, 3])
      expect(read(join(logs, `shard-${i}.log`))).toContain('all 2 run(s) already stored');
    expect(read(join(logs, 'report.log'))).toMatch(/6 runs → .*report\.md/);

    // The unsharded study, in this process: the same numbers, run for run.
    const whole = join(root, 'whole');
    await runExperiment(spec(whole), {
      plugins: [...BUILTIN_PLUGIN_MODULES],
      progress: 'none',
      workers: 2,
      cacheDir,
      log: () => {},
    });
    const merged = numbers(join(out, 'shard-1', 'results.json'));
    expect(Object.keys(merged)).toHaveLength(6);
    expect(merged).toEqual(numbers(join(whole, 'results.json')));
  }, 300_000);
});

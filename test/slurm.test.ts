import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultsFileSchema } from '../plugins/studies/autoencoder-init/results-schema.ts';
import type { AutoencoderSpecInput } from '../plugins/studies/autoencoder-init/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { type SlurmOptions, slurmScripts } from '../src/cli/commands/slurm.ts';
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

  // Issue 21, item 1: every value that reaches a script is refused when it holds a control
  // character (a newline would end the #SBATCH line and run the rest), naming the field.
  it('refuses a control character in every value that reaches the scripts, naming the field', () => {
    const base: SlurmOptions = {
      spec: '/s/spec.json',
      shards: 2,
      out: '/s/out',
      name: 'x',
      partition: 'debug',
      time: '10',
      cpusPerTask: 1,
      mem: '1G',
      runFlags: ['--cache-dir', '/s/cache'],
      plugins: ['/s/plugin.ts'],
      cwd: '/s',
      node: '/usr/bin/node',
      bin: '/s/bin/nmfinit.js',
    };
    expect(() => slurmScripts(base, '/s/out/slurm')).not.toThrow();
    const fields: [keyof SlurmOptions | 'scriptDir', RegExp][] = [
      ['spec', /the spec file path/],
      ['out', /outputs\.dir \(or --out\)/],
      ['name', /the spec's name/],
      ['partition', /--partition/],
      ['time', /--time/],
      ['mem', /--mem/],
      ['cwd', /the working directory/],
      ['node', /the node executable path/],
      ['bin', /the nmfinit bin path/],
      ['runFlags', /a run flag/],
      ['plugins', /--plugin/],
      ['scriptDir', /--script-dir/],
    ];
    for (const bad of ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f']) {
      for (const [field, named] of fields) {
        const value = `a${bad}touch /tmp/pwned`;
        const o: SlurmOptions = { ...base };
        if (field === 'runFlags' || field === 'plugins') o[field] = [value];
        else if (field !== 'scriptDir') (o as unknown as Record<string, string>)[field] = value;
        const run = () => slurmScripts(o, field === 'scriptDir' ? value : '/s/out/slurm');
        expect(run, `${field} with ${JSON.stringify(bad)}`).toThrow(named);
        expect(run).toThrow(/contains a control character/);
      }
    }
  });

  it('refuses a newline in outputs.dir or --partition on the command line, writing no script', () => {
    const out = join(root, 'nl\ntouch pwned-nl');
    const file = join(root, 'nl-spec.json');
    writeFileSync(file, JSON.stringify(spec(out)));
    const gen = spawnSync(process.execPath, [bin, 'slurm', file, '--shards', '2'], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(gen.status).toBe(1);
    expect(gen.stderr).toMatch(/outputs\.dir \(or --out\): .*contains a control character \(U\+000A/);
    expect(existsSync(out)).toBe(false);
    const ok = join(root, 'nl-ok');
    writeFileSync(file, JSON.stringify(spec(ok)));
    const part = spawnSync(
      process.execPath,
      [bin, 'slurm', file, '--shards', '2', '--partition', 'debug\r\n#SBATCH --wrap=touch pwned-nl'],
      { encoding: 'utf8', cwd: root },
    );
    expect(part.status).toBe(1);
    expect(part.stderr).toMatch(/--partition: .*contains a control character \(U\+000D/);
    expect(existsSync(join(ok, 'slurm'))).toBe(false);
  });

  it('under the real cluster, quotes, $(), backticks, ;, # and % in outputs.dir run no payload, and every directive is read', async () => {
    // The payloads would create these files in the jobs' working directory (root) if run.
    const out = join(root, `o'q"d $(touch pwned1) \`touch pwned2\`; touch pwned3 # 100%j`);
    const file = join(root, 'hostile.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...spec(out),
        name: 'slurm-hostile',
        initializers: [{ name: 'glorot-uniform' }],
        training: { batchSize: 16 },
        grid: { samples: [{ count: 300, seeds: 2 }], epochs: [2] },
      }),
    );
    const gen = spawnSync(
      process.execPath,
      [bin, 'slurm', file, '--shards', '2', '--partition', 'debug', '--time', '10', '--cache-dir', cacheDir],
      { encoding: 'utf8', cwd: root },
    );
    expect(gen.stderr).toBe('');
    expect(gen.status).toBe(0);
    const scripts = join(out, 'slurm');
    const m = /shards: job (\d+) .*report: job (\d+)/.exec(cluster.run(join(scripts, 'submit.sh'), []));
    expect(m).not.toBeNull();
    const [shards, report] = [m![1], m![2]];
    const shown = cluster.run('scontrol', ['show', 'job', shards]);
    expect(shown).toContain('JobName=slurm-hostile-shards');
    expect(shown).toContain('Partition=debug');
    expect(shown).toContain('TimeLimit=00:10:00');
    expect(shown).toMatch(/ArrayTaskId=1/);
    await cluster.waitForJobs([shards, report], 120_000);
    // Each task's log is where --output says, % and all: the directive was read whole.
    expect(readdirSync(join(scripts, 'logs')).sort()).toEqual(['report.log', 'shard-1.log', 'shard-2.log']);
    expect(read(join(scripts, 'logs', 'shard-2.log'))).toContain('1 run(s) to train');
    expect(read(join(scripts, 'logs', 'report.log'))).toMatch(/2 runs → .*report\.md/);
    expect(existsSync(join(out, 'shard-1', 'report.md'))).toBe(true);
    for (const marker of ['pwned1', 'pwned2', 'pwned3'])
      for (const where of [root, process.cwd(), scripts]) expect(existsSync(join(where, marker))).toBe(false);
  }, 200_000);
});

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutoencoderSpecInput } from '../plugins/studies/autoencoder-init/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runConfigHash } from '../src/experiment/hash.ts';
import { loadPluginModules } from '../src/experiment/plugins.ts';
import { applyOverrides, runExperiment } from '../src/experiment/run.ts';
import { RunStore } from '../src/experiment/store.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import { STORED_RUN_SCHEMA } from '../src/experiment/study-kind.ts';
import { studyKindOf, validateSpec } from '../src/experiment/validate.ts';

// Issue 21, items 3 and 8 and SIGTERM: one configuration per output directory even when two
// processes start together; a stored run edited after it was stored is named and left out; a
// SIGTERM (Slurm's cancel and time limit) stops a study as Ctrl-C does, with status 143.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-reliability-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
const kindModule = new URL('../experiments/custom-study-kind.ts', import.meta.url).pathname;

/** The README's small study kind: n uniform draws per run; `firstSeed` changes every run's config. */
const means = (dir: string, firstSeed: number, sizes = [1, 2, 3, 4, 5, 6].map((i) => i * 1_500_000)) => ({
  kind: 'uniform-means',
  name: `means-seed${firstSeed}`,
  firstSeed,
  sizes,
  outputs: { dir },
});

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}
function nmfinit(args: string[]): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<Exit>((ok) => child.on('close', (status, signal) => ok({ status, signal, out })));
  return { child, exit };
}

describe('two processes with different specs on one output directory', () => {
  it('are ordered: exactly one runs, the other is refused naming the field that differs; runs/ never mixes', async () => {
    const dir = join(root, 'contested');
    const files = [0, 1].map((seed) => {
      const f = join(root, `means-${seed}.json`);
      writeFileSync(f, JSON.stringify(means(dir, seed)));
      return f;
    });
    const args = (f: string) => [
      'run',
      f,
      '--plugin',
      kindModule,
      '--workers',
      '1',
      '--progress',
      'plain',
      '--cache-dir',
      join(root, 'cache'),
    ];
    // Started together, as in the issue (there half a second apart, both exited 0).
    const [a, b] = await Promise.all(files.map((f) => nmfinit(args(f)).exit));
    const outcomes = [a, b].map((x) => x.status);
    expect(outcomes.sort()).toEqual([0, 1]);
    const [winner, loser] = a.status === 0 ? [0, 1] : [1, 0];
    const refused = [a, b][loser].out;
    // Refused either while the other runs (its live entry) or after it stored its runs.
    if (process.env.NMFINIT_TEST_SHOW) console.log(refused);
    expect(refused).toMatch(/another configuration/);
    expect(refused).toMatch(new RegExp(`seed: ${winner} → ${loser}`));
    expect(refused).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack
    const spec = JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8'));
    expect(spec.firstSeed).toBe(winner);
    const runs = new RunStore(dir).all();
    expect(runs.unreadable).toEqual([]);
    expect(runs.runs).toHaveLength(6);
    for (const r of runs.runs) expect(r.config.seed).toBe(winner);
    expect(readdirSync(join(dir, 'locks'))).toEqual([]);
  }, 120_000);

  it('refuses a live process of another configuration even before it stored a run, with --force too', async () => {
    const dir = join(root, 'live');
    const file = join(root, 'live-0.json');
    // Seconds per run: still running when the second one starts (it is killed after).
    const sizes = Array.from({ length: 8 }, (_, i) => 2e8 + i);
    writeFileSync(file, JSON.stringify(means(dir, 0, sizes)));
    const first = nmfinit([
      'run',
      file,
      '--plugin',
      kindModule,
      '--workers',
      '1',
      '--progress',
      'plain',
      '--cache-dir',
      join(root, 'cache'),
    ]);
    try {
      const until = Date.now() + 60_000;
      while (!/run\(s\) on 1 worker/.test(await peek(first))) {
        if (Date.now() > until) throw new Error('the first study never started');
        await new Promise((r) => setTimeout(r, 50));
      }
      // The same run ids, another seed: every run's config differs.
      const second = means(dir, 1, sizes);
      const err = await runExperiment(second, {
        plugins: [...BUILTIN_PLUGIN_MODULES, kindModule],
        progress: 'none',
        workers: 1,
        cacheDir: join(root, 'cache'),
        force: true,
        log: () => {},
      }).then(
        () => new Error('not refused'),
        (e: Error) => e,
      );
      expect(err.message).toMatch(
        new RegExp(`is in use by pid ${first.child.pid} .*running 'means-seed0' with another configuration`),
      );
      expect(err.message).toMatch(/seed: 0 → 1/);
    } finally {
      first.child.kill('SIGKILL');
      await first.exit;
    }
  }, 120_000);
});

describe("'another configuration'", () => {
  it('names the fields that differ: experiments/quick.ts over the runs of experiments/mnist.ts --quick (issue 22)', async () => {
    await loadPluginModules([...BUILTIN_PLUGIN_MODULES]);
    const { spec: quick } = await import('../experiments/quick.ts');
    const { spec: mnist } = await import('../experiments/mnist.ts');
    const dir = join(root, 'quick-vs-mnist');
    // The runs `mnist.ts --quick --out DIR` stores (their results do not matter to the check).
    const kind = studyKindOf(mnist);
    const runs = kind.expand(
      validateSpec(kind, applyOverrides(kind, mnist, { quick: true, out: dir })),
      'reference',
    );
    const store = new RunStore(dir);
    for (const c of runs)
      store.write({
        schema: STORED_RUN_SCHEMA,
        kind: kind.name,
        id: c.id,
        configHash: runConfigHash(kind.name, kind.resultVersion, c),
        config: c,
        result: {},
        timing: { seconds: 1, startedAt: '', finishedAt: '' },
      });
    const err = await runExperiment(quick, {
      plugins: [...BUILTIN_PLUGIN_MODULES],
      out: dir,
      backend: 'reference',
      cacheDir: join(root, 'cache'),
      progress: 'none',
      log: () => {},
    }).then(
      () => new Error('not refused'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(
      new RegExp(
        `holds ${runs.length} stored run\\(s\\) made with another configuration \\(e\\.g\\. \\S+, stored → this spec: experiment: "mnist" → "quick"\\)`,
      ),
    );
  });
});

const outputs = new WeakMap<ChildProcess, string>();
/** What a child printed so far (collected by a listener added on first look). */
async function peek(p: { child: ChildProcess; exit: Promise<Exit> }): Promise<string> {
  if (!outputs.has(p.child)) {
    outputs.set(p.child, '');
    for (const s of [p.child.stdout!, p.child.stderr!])
      s.on('data', (d) => outputs.set(p.child, outputs.get(p.child) + String(d)));
  }
  return outputs.get(p.child)!;
}

describe('a stored run edited after it was stored', () => {
  const options = {
    plugins: [...BUILTIN_PLUGIN_MODULES, kindModule],
    progress: 'none' as const,
    workers: 1,
    cacheDir: join(root, 'cache'),
  };
  it('is named and left out of the report (refused without --partial); the study trains it again', async () => {
    const dir = join(root, 'edited');
    await runExperiment(means(dir, 0, [1000, 2000, 3000]), { ...options, log: () => {} });
    const file = join(dir, 'runs', 'n2000.json');
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).sha256).toMatch(/^[0-9a-f]{64}$/);
    // One digit of the result, as a hand edit would change it.
    const edited = text.replace(
      /("mean":0\.\d{3})(\d)/,
      (_, head: string, d: string) => `${head}${(Number(d) + 1) % 10}`,
    );
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);

    await expect(writeReport(loadStudy([dir]), { log: () => {} })).rejects.toThrow(
      /1 run\(s\) of the grid are missing .*e\.g\. n2000.*--partial/,
    );
    const warnings: string[] = [];
    const files = await writeReport(loadStudy([dir]), { log: (m) => warnings.push(m), allowPartial: true });
    expect(warnings.join('\n')).toMatch(/skipped .*runs\/n2000\.json: .*checksum mismatch/);
    expect(readFileSync(files.reportMd, 'utf8')).not.toMatch(/\| 2000 \|/);
    expect(readFileSync(files.reportMd, 'utf8')).toMatch(/\| 3000 \|/);

    // The study names it once and trains it again; the report is whole again.
    const log: string[] = [];
    const again = await runExperiment(means(dir, 0, [1000, 2000, 3000]), {
      ...options,
      log: (m) => log.push(m),
    });
    expect(again.trained).toEqual(['n2000']);
    expect(log.filter((m) => m.includes('checksum mismatch'))).toHaveLength(1);
    expect(log.join('\n')).toMatch(/runs\/n2000\.json: checksum mismatch.*trained again/);
    expect(JSON.parse(readFileSync(file, 'utf8')).result).toEqual(JSON.parse(text).result);
  }, 60_000);

  it('a run stored before checksums (no sha256 field) still loads, unchecked', async () => {
    const dir = join(root, 'older');
    await runExperiment(means(dir, 0, [1000, 2000]), { ...options, log: () => {} });
    const file = join(dir, 'runs', 'n1000.json');
    const { sha256: _, ...older } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, `${JSON.stringify(older)}\n`);
    const study = loadStudy([dir]);
    expect(study.unreadable).toEqual([]);
    expect(study.input.runs.map((r) => r.id)).toEqual(['n1000', 'n2000']);
    const again = await runExperiment(means(dir, 0, [1000, 2000]), { ...options, log: () => {} });
    expect(again.trained).toEqual([]);
  }, 60_000);
});

describe('SIGTERM', () => {
  const slow = (dir: string): AutoencoderSpecInput => ({
    name: 'sigterm',
    datasets: [{ name: 'synthetic', params: { height: 8, width: 8, trainCount: 300, testCount: 20 } }],
    model: { sizes: [64, 32, 64] },
    initializers: [{ name: 'glorot-uniform' }],
    training: { batchSize: 16, callbacks: [{ name: 'model-checkpoint', every: 1 }] },
    grid: { samples: [{ count: 300, seeds: 1 }], epochs: [400] },
    backend: 'reference',
    outputs: { dir },
  });
  it('stops like Ctrl-C: says what it interrupted, releases the locks, keeps the checkpoint, exits 143', async () => {
    const dir = join(root, 'sigterm');
    const file = join(root, 'sigterm.json');
    writeFileSync(file, JSON.stringify(slow(dir)));
    const p = nmfinit([
      'run',
      file,
      '--workers',
      '1',
      '--progress',
      'plain',
      '--cache-dir',
      join(root, 'cache'),
    ]);
    const ckpts = () => {
      const d = join(dir, 'checkpoints');
      return existsSync(d)
        ? readdirSync(d).flatMap((id) => readdirSync(join(d, id)).map((f) => `${id}/${f}`))
        : [];
    };
    const locks = () => (existsSync(join(dir, 'locks')) ? readdirSync(join(dir, 'locks')) : []);
    const until = Date.now() + 90_000;
    while (ckpts().filter((f) => f.endsWith('.ckpt')).length === 0 || locks().length === 0) {
      if (Date.now() > until) throw new Error(`no checkpoint after 90 s: ${await peek(p)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(locks()).toContain('synthetic__300__glorot-uniform__seed0.lock');
    p.child.kill('SIGTERM');
    const exit = await p.exit;
    expect({ status: exit.status, signal: exit.signal }).toEqual({ status: 143, signal: null });
    expect(exit.out).toMatch(
      /SIGTERM: interrupted sigterm in .* while running synthetic__300__glorot-uniform__seed0 \(each resumes from its last checkpoint, if it has one\)/,
    );
    expect(locks()).toEqual([]);
    expect(ckpts().filter((f) => f.endsWith('.ckpt')).length).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'failed'))).toBe(false);
  }, 120_000);
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutoencoderSpecInput } from '../plugins/studies/autoencoder-init/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { RunStore } from '../src/experiment/store.ts';

// Issue 16, fault 1: a failing run — whatever the trigger — is recorded with its error, the
// other runs go on, and the report lists it.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-faults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const FAULTS = resolve('test/fixtures/faults/initializers.ts');
const GROUP_KIND = resolve('test/fixtures/faults/group-kind.ts');
const quiet = {
  plugins: [...BUILTIN_PLUGIN_MODULES, FAULTS],
  progress: 'none' as const,
  cacheDir: join(root, 'cache'),
  workers: 1,
  log: () => {},
};

function spec(dir: string, initializers: string[]): AutoencoderSpecInput {
  return {
    name: 'faults',
    datasets: [
      { name: 'synthetic', label: 'blobs', params: { height: 4, width: 4, trainCount: 60, testCount: 12 } },
    ],
    model: { sizes: [16, 4, 16] },
    initializers: initializers.map((name) => ({ name })),
    training: { batchSize: 16 },
    grid: { samples: [{ count: 40, seeds: 1 }], epochs: [1] },
    backend: 'reference',
    outputs: { dir },
  };
}

describe('a run that fails', () => {
  it('is recorded with its error, whatever the trigger; the other runs go on; the report lists it', async () => {
    const dir = join(root, 'faulty');
    const faults: [string, RegExp][] = [
      ['fault-throws', /always throws/],
      ['fault-nan', /layer 0 kernel\[0\] is NaN/],
      ['fault-length', /layer 0 kernel has 63 values, expected 16×4/],
      ['fault-crash', /worker crashed during blobs__40__fault-crash__seed0: .*uncaught in the worker/],
    ];
    // One worker: after the crash a replacement worker must start for the runs queued behind it.
    const names = ['zeros', ...faults.map(([n]) => n), 'glorot-normal'];
    const outcome = await runExperiment(spec(dir, names), quiet);
    const id = (n: string) => `blobs__40__${n}__seed0`;
    expect(outcome.failed.sort()).toEqual(faults.map(([n]) => id(n)).sort());
    expect(outcome.trained.sort()).toEqual([id('glorot-normal'), id('zeros')]);
    const failures = new Map(new RunStore(dir).failures().map((f) => [f.id, f.error]));
    for (const [n, error] of faults) expect(failures.get(id(n))).toMatch(error);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(/Missing runs/i);
    for (const [n] of faults) expect(md).toContain(id(n));
  });

  it('--cache-dir pointing at a file is refused before any training, naming it', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const dir = join(root, 'cachefile');
    await expect(runExperiment(spec(dir, ['zeros']), { ...quiet, cacheDir: file })).rejects.toThrow(
      /cache-dir: '.*not-a-dir' is not a directory/,
    );
    expect(new RunStore(dir).all().runs).toEqual([]);
  });
});

describe('a worker that dies inside a run group', () => {
  it('fails that run alone; a replacement worker computes the rest of its group, each run once, before the queue goes on', async () => {
    const dir = join(root, 'group-crash');
    const outcome = await runExperiment(
      { kind: 'group-demo', name: 'group-crash', groups: { a: 3, b: 2 }, crash: ['a1'], outputs: { dir } },
      { ...quiet, plugins: [...BUILTIN_PLUGIN_MODULES, GROUP_KIND] },
    );
    expect(outcome.failed).toEqual(['a1']);
    expect([...outcome.trained].sort()).toEqual(['a2', 'a3', 'b1', 'b2']);
    expect(new RunStore(dir).failures().map((f) => [f.id, f.error])).toEqual([
      ['a1', expect.stringMatching(/worker crashed during a1: .*a1 crashes its worker/)],
    ]);
    const stored = new Map(
      new RunStore(dir)
        .all()
        .runs.map((r) => [r.id, r.result as { value: number; computedBy: string; thread: number }]),
    );
    // Each run has the value it gets alone. a1's group went on in the replacement worker: a2
    // computed the group there (a1's result died with the first worker) and a3 took its share.
    expect(Object.fromEntries([...stored].map(([id, r]) => [id, r.value]))).toEqual({
      a2: 20,
      a3: 30,
      b1: 10,
      b2: 20,
    });
    expect(stored.get('a2')!.computedBy).toBe('a2');
    expect(stored.get('a3')!.computedBy).toBe('a2');
    expect(stored.get('b2')!.computedBy).toBe('b1');
    expect(stored.get('a3')!.thread).toBe(stored.get('a2')!.thread);
    // The group stayed on its slot: the replacement took a2 and a3 before b1 from the queue.
    expect(stored.get('b1')!.thread).toBe(stored.get('a2')!.thread);
  });
});

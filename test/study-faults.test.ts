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

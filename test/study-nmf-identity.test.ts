import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';

// The second study kind, through the same machinery as the first: validation, workers, store, report.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-nmfid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  workers: 2,
  log: () => {},
};

const spec = (dir: string) => ({
  kind: 'nmf-identity',
  name: 'nmfid',
  sizes: [12, 20],
  ranks: [3, 6, 15],
  solvers: ['cd', 'mu'],
  seeds: 2,
  maxIter: 300,
  outputs: { dir },
});

describe('the nmf-identity study kind', () => {
  it('factors every n × k with k < n, never below the Eckart–Young bound, and reports each', async () => {
    const dir = join(root, 'a');
    const outcome = await runExperiment(spec(dir), { ...options, cacheDir: join(root, 'cache') });
    // k = 15 fits only n = 20: (2 + 3) ranks × 2 solvers × 2 seeds.
    expect(outcome.trained).toHaveLength(20);
    const { input } = loadStudy([dir]);
    for (const r of input.runs) {
      const { error, bound } = r.result as { error: number; bound: number };
      const { n, k } = r.config as unknown as { n: number; k: number };
      expect(bound).toBeCloseTo(Math.sqrt(n - k), 12);
      // No rank-k matrix beats √(n − k); the float64 error estimate is good to ~1e-8·√n.
      expect(error).toBeGreaterThanOrEqual(bound * (1 - 1e-8));
    }
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('| 20 | 15 | cd + random | 2 |');
    expect(existsSync(join(dir, 'nmf-identity_error.png'))).toBe(true);
    expect(existsSync(join(dir, 'nmf-identity_time.svg'))).toBe(true);
  });

  it('rejects a spec with nothing to factor, naming the field, before any run', async () => {
    const dir = join(root, 'b');
    await expect(runExperiment({ ...spec(dir), ranks: [40] }, options)).rejects.toThrow(
      /ranks: every rank is ≥/,
    );
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('rejects the autoencoder grid flags it does not understand', async () => {
    await expect(
      runExperiment(spec(join(root, 'c')), { ...options, grid: { initializers: ['nmf'] } }),
    ).rejects.toThrow(/--initializers: not supported by study kind 'nmf-identity'/);
  });
});

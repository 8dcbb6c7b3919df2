import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spec, uniformMeans } from '../experiments/custom-study-kind.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { studies } from '../src/experiment/kinds.ts';
import { runExperiment } from '../src/experiment/run.ts';

// The README's "Study kinds" example is this file, verbatim; this test keeps it true.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-kind-example-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the README study-kind example', () => {
  it('is quoted verbatim in README.md', () => {
    const source = readFileSync(new URL('../experiments/custom-study-kind.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(source.trim());
  });

  it('registers on import and runs through the shared machinery in worker threads', async () => {
    expect(studies.get('uniform-means')).toBe(uniformMeans);
    const dir = join(root, 'out');
    const outcome = await runExperiment(
      { ...spec, outputs: { dir } },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES],
        specModule: new URL('../experiments/custom-study-kind.ts', import.meta.url).href,
        progress: 'none',
        workers: 2,
        log: () => {},
      },
    );
    expect(outcome.trained.sort()).toEqual(['n10', 'n1000', 'n100000']);
    const { means } = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      means: { mean: number }[];
    };
    // The mean of n uniforms has sd 1/√(12n): 100,000 draws land within 0.005 of 1/2 (5.5 sd).
    expect(Math.abs(means[2].mean - 0.5)).toBeLessThan(0.005);
    for (const m of means) expect(m.mean).toBeGreaterThan(0);
  });
});

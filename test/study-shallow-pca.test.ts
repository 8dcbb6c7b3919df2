import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ShallowPcaResult, ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { shallowPcaSpecSchema } from '../plugins/studies/shallow-pca/spec.ts';
import { summarize, verdicts } from '../plugins/studies/shallow-pca/verdicts.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';

// The shallow-pca kind through the shared machinery: validation, worker, store, report.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-shpca-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  workers: 1,
  log: () => {},
};

const spec = (dir: string, k = 2) => ({
  kind: 'shallow-pca',
  name: 'shpca',
  description: 'tiny',
  datasets: [
    {
      label: 'spiked',
      name: 'spiked-gaussian',
      params: { dim: 12, spikes: [4, 1], trainCount: 3000, testCount: 200 },
      trainCount: 3000,
      testCount: 200,
      k,
      steps: 3000,
      lr: 0.1,
    },
  ],
  model: { activations: ['linear', 'erf'], tied: [true, false], biases: [false] },
  seeds: 2,
  records: 8,
  outputs: { dir },
});

describe('the shallow-pca study kind', () => {
  it('trains every configuration and seed, and its report states the verdicts recomputed from the stored runs', async () => {
    const dir = join(root, 'a');
    const outcome = await runExperiment(spec(dir), { ...options, cacheDir: join(root, 'cache') });
    expect(outcome.trained).toHaveLength(2 * 2 * 2);
    const { input } = loadStudy([dir]);
    const runs = input.runs.map((r) => ({
      config: r.config as unknown as ShallowPcaRun,
      result: r.result as ShallowPcaResult,
    }));
    for (const r of runs) {
      expect(r.result.diverged).toBe(false);
      // Test MSE is measured from step 0 to the last step, at increasing steps.
      const steps = r.result.records.map((x) => x.step);
      expect(steps[0]).toBe(0);
      expect(steps.at(-1)).toBe(3000);
      for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
      for (const x of r.result.records) for (const o of x.subspace) expect(o).toBeLessThanOrEqual(1 + 1e-12);
    }
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const expected = verdicts(summarize(runs, 0.1, 0.5), 0.1, 0.5);
    expect(expected.length).toBeGreaterThan(0);
    for (const v of expected)
      expect(md).toContain(
        `| ${v.claim} | ${v.dataset} | ${v.holds ? 'holds' : 'does not hold'} | ${v.evidence} |`,
      );
    for (const f of ['curves-spiked.png', 'overlap-spiked.png']) expect(existsSync(join(dir, f))).toBe(true);
  });

  it('rejects more hidden units than dimensions, naming the data set, before any run', async () => {
    const dir = join(root, 'b');
    await expect(runExperiment(spec(dir, 20), { ...options, cacheDir: join(root, 'cache') })).rejects.toThrow(
      /datasets\[spiked\]\.k: 20 hidden units exceed the dimension 12/,
    );
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it("reads the bias placements, keeping the earlier specs' booleans (false: none, true: encoder, or both with outputBias)", () => {
    const biases = (model: object) => shallowPcaSpecSchema.parse({ ...spec('unused'), model }).model.biases;
    expect(biases({ biases: [false, true] })).toEqual(['none', 'encoder']);
    expect(biases({ biases: [false, true], outputBias: true })).toEqual(['none', 'both']);
    expect(biases({ biases: ['decoder', 'both', true] })).toEqual(['decoder', 'both', 'encoder']);
    expect(biases({})).toEqual(['none', 'encoder']);
  });

  it('rejects an unknown bias placement, naming the field and the placements there are', async () => {
    const bad = { ...spec(join(root, 'c')), model: { biases: ['output'] } };
    await expect(runExperiment(bad, { ...options, cacheDir: join(root, 'cache') })).rejects.toThrow(
      /model\.biases\[0\].*expected one of 'none', 'encoder', 'decoder', 'both'/s,
    );
  });

  it("sets another stored study's verdicts next to its own, claim by claim (outputs.compareWith)", async () => {
    const today = join(root, 'today');
    await runExperiment(spec(today), { ...options, cacheDir: join(root, 'cache') });
    const authors = { ...spec(join(root, 'authors')), name: 'shpca-authors' };
    authors.outputs = {
      dir: authors.outputs.dir,
      compareWith: { dir: today, title: "today's setup" },
    } as never;
    await runExperiment(authors, { ...options, cacheDir: join(root, 'cache') });
    const report = readFileSync(join(root, 'authors', 'report.md'), 'utf8');
    expect(report).toMatch(/^## Next to today's setup$/m);
    expect(report).toMatch(/\| claim \| this study \| today's setup \|/);
    // Both studies have the same runs here, so each claim reads the same on both sides.
    const section = report.slice(report.indexOf("## Next to today's setup"));
    const rows = section
      .match(/^\| linear autoencoders reach the PCA error.*$/m)?.[0]
      .split('|')
      .map((c) => c.trim());
    expect(rows?.[2]).toMatch(/^spiked: (holds|does not hold)$/);
    expect(rows?.[3]).toBe(rows?.[2]);

    const lost = { ...spec(join(root, 'lost')), name: 'shpca-lost' };
    lost.outputs = {
      dir: lost.outputs.dir,
      compareWith: { dir: join(root, 'nowhere'), title: 'x' },
    } as never;
    await runExperiment(lost, { ...options, cacheDir: join(root, 'cache') });
    expect(readFileSync(join(root, 'lost', 'report.md'), 'utf8')).toMatch(
      /Not drawn: outputs\.compareWith\.dir '.*nowhere' could not be read \(report: .*spec\.json not found/,
    );
  });
});

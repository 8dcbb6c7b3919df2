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

  it('sets a one-at-a-time ablation side by side and names the moves that turn each verdict (outputs.ablation)', async () => {
    const cacheDir = join(root, 'cache');
    const study = (name: string, lr: number) => {
      const s = { ...spec(join(root, name)), name: `shpca-${name}` };
      s.datasets = [{ ...s.datasets[0], lr }];
      return s;
    };
    // The baseline; a move that turns verdicts (a rate at which SGD diverges); a move that changes nothing.
    await runExperiment(study('base', 0.1), { ...options, cacheDir });
    await runExperiment(study('fast', 40), { ...options, cacheDir });
    await runExperiment(study('same', 0.1), { ...options, cacheDir });
    const moved = [
      { dir: join(root, 'fast'), title: 'rate 40' },
      { dir: join(root, 'same'), title: 'nothing' },
      { dir: join(root, 'never-run'), title: 'unrun' },
    ];
    const top = { ...study('top', 0.1) };
    top.outputs = {
      dir: top.outputs.dir,
      ablation: { baseline: { dir: join(root, 'base'), title: 'base' }, moved },
    } as never;
    await runExperiment(top, { ...options, cacheDir });
    const md = readFileSync(join(root, 'top', 'report.md'), 'utf8');
    expect(md).toMatch(/^## One setting at a time$/m);
    expect(md).toMatch(/\| claim \| base \| rate 40 \| nothing \| unrun \| this study \| turned by \|/);
    expect(md).toMatch(/Not read: outputs\.ablation '.*never-run' \(unrun\): /);

    // Each study's verdicts, recomputed here from its stored runs.
    const judged = (name: string) => {
      const runs = loadStudy([join(root, name)]).input.runs.map((r) => ({
        config: r.config as unknown as ShallowPcaRun,
        result: r.result as ShallowPcaResult,
      }));
      return new Map(verdicts(summarize(runs, 0.1, 0.5), 0.1, 0.5).map((v) => [v.claim, v.holds]));
    };
    const [base, fast, same] = [judged('base'), judged('fast'), judged('same')];
    const from = md.indexOf('## One setting at a time');
    const rows = md
      .slice(from, md.indexOf('\n## ', from + 1))
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| claim') && !l.startsWith('| ---'))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.length).toBe(base.size);
    let turned = 0;
    for (const [, claim, b, f, n, unrun, , by] of rows) {
      const say = (h: boolean | undefined) =>
        h === undefined ? '(not judged)' : `spiked: ${h ? 'holds' : 'does not hold'}`;
      expect(b).toBe(say(base.get(claim)));
      expect(f).toBe(say(fast.get(claim)));
      expect(n).toBe(say(same.get(claim)));
      expect(unrun).toBe('not read');
      const fastTurns = fast.has(claim) && fast.get(claim) !== base.get(claim);
      // 'same' repeats the baseline with the same seeds, so it never turns a verdict.
      expect(same.get(claim)).toBe(base.get(claim));
      if (fastTurns) turned++;
      expect(by).toMatch(
        fastTurns ? /^rate 40$/ : /^nothing: the same verdict throughout \(1 moved study not read/,
      );
    }
    // The fast rate diverges, so at least the linear claim turns: the column is not vacuous.
    expect(turned).toBeGreaterThan(0);

    // A study that differs from the baseline where no single move does: it turns only together.
    const together = study('together', 40);
    together.outputs = {
      dir: together.outputs.dir,
      ablation: { baseline: { dir: join(root, 'base'), title: 'base' }, moved: [moved[1]] },
    } as never;
    await runExperiment(together, { ...options, cacheDir });
    const md2 = readFileSync(join(root, 'together', 'report.md'), 'utf8');
    const turnedClaims = [...base].filter(([c, h]) => fast.has(c) && fast.get(c) !== h).map(([c]) => c);
    for (const claim of turnedClaims)
      expect(md2).toContain(`| ${claim} | spiked: ${base.get(claim) ? 'holds' : 'does not hold'} |`);
    expect(md2.match(/\| no single move; it turns with the settings together \|$/gm)?.length).toBe(
      turnedClaims.length,
    );
  });
});

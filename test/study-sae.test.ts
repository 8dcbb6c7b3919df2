import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SaeResult } from '../plugins/studies/sae/run.ts';
import type { SaeRun } from '../plugins/studies/sae/spec.ts';
import { auxVerdicts, dictionaryVerdicts, type StoredSae } from '../plugins/studies/sae/verdicts.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import { formatMeanSd } from '../src/report/format.ts';
import { MIN_PAIRED_SEEDS } from '../src/report/stats.ts';

// The 'sae' study kind end to end on a tiny planted problem: validation, workers, store, resume, report.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-sae-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  workers: 1,
  log: () => {},
};
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const params = { height: 4, width: 4, features: 24, meanActive: 2, trainCount: 512, testCount: 128 };

const spec = (dir: string) => ({
  kind: 'sae',
  name: 'sae-tiny',
  datasets: [
    { name: 'superposition', params, trainSamples: 512, evalSamples: 128 },
    {
      label: 'planted-nmf',
      name: 'superposition',
      params,
      trainSamples: 512,
      evalSamples: 128,
      dictionaries: [{ name: 'sae-nmf', params: { rank: 8, samples: 256, maxIter: 20 } }],
    },
  ],
  latents: [32],
  k: [2],
  seeds: 2,
  epochs: 2,
  batchSize: 64,
  learningRate: 0.003,
  recordEvery: 4,
  atomsShown: 3,
  outputs: { dir },
});

describe('the sae study kind', () => {
  it('trains every run, stores bounded metrics, resumes without retraining, and reports', async () => {
    const dir = join(root, 'a');
    const cacheDir = join(root, 'cache');
    const outcome = await runExperiment(spec(dir), { ...options, cacheDir });
    // 2 entries × 2 aux × 1 dictionary × 2 seeds.
    expect(outcome.trained).toHaveLength(8);
    const { input } = loadStudy([dir]);
    for (const r of input.runs) {
      const res = r.result as SaeResult;
      const c = r.config as unknown as SaeRun;
      expect(res.final.l0).toBeLessThanOrEqual(c.k);
      expect(res.final.deadFraction).toBeGreaterThanOrEqual(0);
      expect(res.final.deadFraction).toBeLessThanOrEqual(1);
      expect(res.recovery).not.toBeNull();
      expect(Math.abs(res.recovery!)).toBeLessThanOrEqual(1 + 1e-6);
      // The histogram accounts for every latent.
      expect(res.histogram.counts.reduce((a, b) => a + b, 0) + res.histogram.neverFired).toBe(c.latents);
      // 512 / 64 = 8 steps per epoch, 2 epochs: records at steps 0, 4, 8, 12, 16.
      expect(res.records.map((x) => x.step)).toEqual([0, 4, 8, 12, 16]);
      expect(res.atoms.most).toHaveLength(c.seed === 0 ? 3 : 0);
    }
    const again = await runExperiment(spec(dir), { ...options, cacheDir });
    expect(again.trained).toHaveLength(0);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('| 32 | 2 | yes | sae-standard | 2 |');
    // Recovery of the planted directions by mean max cosine and by optimal matching, side by side,
    // each the mean ± sd over the seeds' stored results.
    expect(md).toMatch(
      /\| recovery: mean max cosine \| matched cosine \(optimal one-to-one\) \| matched cosine > 0\.9 % \|/,
    );
    const plantedRuns = input.runs.filter((r) => (r.config as unknown as SaeRun).label === 'superposition');
    for (const aux of [true, false]) {
      const here = plantedRuns
        .filter((r) => (r.config as unknown as SaeRun).aux === aux)
        .map((r) => r.result as SaeResult);
      expect(here).toHaveLength(2);
      const cells = [
        formatMeanSd(here.map((r) => r.recovery!)),
        formatMeanSd(here.map((r) => r.matching!.meanCosine)),
        formatMeanSd(
          here.map((r) => 100 * r.matching!.fractionAbove),
          3,
        ),
      ];
      for (const r of here) expect(r.matching!.meanCosine).toBeLessThanOrEqual(r.recovery! + 1e-6);
      expect(md).toContain(`| ${aux ? 'yes' : 'no'} | sae-standard | 2 |`);
      expect(md).toMatch(
        new RegExp(
          `\\| ${aux ? 'yes' : 'no'} \\| sae-standard \\| 2 \\|.*\\| ${literally(cells.join(' | '))} \\|`,
        ),
      );
    }
    expect(md).toContain('the auxiliary loss lowers the dead fraction');
    expect(md).toContain('the NMF dictionary has a lower normalised MSE');
    for (const f of [
      'mse-superposition',
      'dead-superposition',
      'density-superposition',
      'atoms-superposition',
    ])
      expect(existsSync(join(dir, `${f}.png`))).toBe(true);

    // Part of the grid, as a long study stands between sessions: the standard dictionary's runs
    // with AuxK alone, so neither pairing has a pair.
    const partial = join(root, 'a-partial');
    cpSync(dir, partial, { recursive: true });
    for (const f of readdirSync(join(partial, 'runs')))
      if (f.includes('__noaux__') || f.includes('sae-nmf')) rmSync(join(partial, 'runs', f));
    await writeReport(loadStudy([partial]), { log: () => {}, allowPartial: true });
    const partialMd = readFileSync(join(partial, 'report.md'), 'utf8');
    expect(partialMd).toContain('No run has its pair yet');
    expect(partialMd).not.toContain('| claim | entry |');
    expect(partialMd).not.toContain('### Per configuration');
    expect(partialMd).toMatch(/## Missing runs \(6\)/);
  }, 60_000);

  it('rejects an unknown dictionary before any run, naming the field and the nearest name', async () => {
    const dir = join(root, 'b');
    const bad = { ...spec(dir), dictionaries: [{ name: 'sae-standart' }] };
    await expect(runExperiment(bad, options)).rejects.toThrow(
      /dictionaries\[0\]: .*Did you mean 'sae-standard'/,
    );
    await expect(
      runExperiment({ ...spec(dir), dictionaries: [{ name: 'sae-nmf', params: { rank: 0 } }] }, options),
    ).rejects.toThrow(/dictionaries\[0\]: .*params\.rank/);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });
});

describe('the aux-loss verdict', () => {
  const stored = (aux: boolean, seed: number, k: number, dead: number): StoredSae => ({
    config: { label: 'x', latents: 64, k, aux, dictionary: 'sae-standard', seed } as SaeRun,
    result: { final: { deadFraction: dead, normalizedMse: 0.5, l0: k, neverFiredFraction: 0 } } as SaeResult,
  });
  const runs = (sign: number) =>
    [1, 2, 3, 4].flatMap((k) =>
      [0, 1, 2].flatMap((s) => [
        stored(false, s, k, 0.5),
        stored(true, s, k, 0.5 + sign * (0.01 + 0.001 * (s + 3 * k))),
      ]),
    );

  it('holds when AuxK lowers the dead fraction in every pair, is contradicted when it raises it', () => {
    const down = auxVerdicts(runs(-1)).verdicts.find((v) => v.metric === 'deadFraction')!;
    expect(down.pairs).toBe(12);
    expect(down.lower).toBe(12);
    expect(down.status).toBe('holds');
    const up = auxVerdicts(runs(1)).verdicts.find((v) => v.metric === 'deadFraction')!;
    expect(up.status).toBe('contradicted');
    // Equal MSE in every pair: no difference to show.
    expect(auxVerdicts(runs(1)).verdicts.find((v) => v.metric === 'normalizedMse')!.status).toBe('not shown');
  });

  it('judges with the paired t-test only from MIN_PAIRED_SEEDS pairs: fewer print p with its df and are not judged', () => {
    // Every pair lower by a clear, varying amount: t's p is tiny, but 4 pairs are not enough.
    const pairs = (n: number) =>
      Array.from({ length: n }, (_, s) => [
        stored(false, s, 8, 0.5),
        stored(true, s, 8, 0.4 - 0.001 * s),
      ]).flat();
    const four = auxVerdicts(pairs(MIN_PAIRED_SEEDS - 1)).verdicts.find((v) => v.metric === 'deadFraction')!;
    expect(four.pairedTP).toBeLessThan(0.001);
    expect(four.status).toBe('not judged');
    expect(four.text).toContain(`with ${MIN_PAIRED_SEEDS - 2} df`);
    expect(four.text).toContain('not judged');
    const five = auxVerdicts(pairs(MIN_PAIRED_SEEDS)).verdicts.find((v) => v.metric === 'deadFraction')!;
    expect(five.status).toBe('holds');
    // The verdict follows t, not Wilcoxon, whose floor with 5 pairs is 2/2⁵ = 0.0625.
    expect(five.wilcoxonP).toBeGreaterThanOrEqual(0.0625);
    expect(five.text).not.toContain('df');
  });

  it('with one pair (a partial study) runs no test and does not judge, for AuxK and for the dictionary', () => {
    const one = auxVerdicts([stored(false, 0, 8, 0.5), stored(true, 0, 8, 0.4)]).verdicts.find(
      (v) => v.metric === 'deadFraction',
    )!;
    expect(one.status).toBe('not judged');
    expect(one.pairs).toBe(1);
    expect(one.lower).toBe(1);
    expect(Number.isNaN(one.wilcoxonP) && Number.isNaN(one.pairedTP)).toBe(true);
    expect(one.text).toBe(
      'x: over 1 paired run the dead fraction is lower in 1, higher in 0; mean difference -1.00e-1 (one pair: no test): not judged: fewer than 5 pairs.',
    );
    const dict = (name: string, label: string, dead: number): StoredSae => ({
      config: { label, latents: 64, k: 8, aux: false, dictionary: name, seed: 0 } as SaeRun,
      result: {
        final: { deadFraction: dead, normalizedMse: 0.5, l0: 8, neverFiredFraction: 0 },
      } as SaeResult,
    });
    const d = dictionaryVerdicts([dict('sae-standard', 'a', 0.1), dict('sae-nmf', 'b', 0.6)], () => 'mnist');
    expect(d.verdicts.map((v) => v.status)).toEqual(['not judged', 'not judged']);
  });

  it('per configuration, 3 seeds never reach 0.05: the exact sign-flip floor is 0.25', () => {
    const { configs } = auxVerdicts(runs(-1));
    for (const c of configs.filter((x) => x.metric === 'deadFraction')) {
      expect(c.seeds).toBe(3);
      expect(c.signFlipP).toBeCloseTo(0.25, 12);
    }
  });
});

describe('the per-configuration order', () => {
  it('orders n and k as numbers within each entry, as the entries come', async () => {
    const { byConfig } = await import('../plugins/studies/sae/figures.ts');
    const run = (label: string, latents: number, k: number, aux: boolean) =>
      ({
        config: { label, latents, k, aux, dictionary: 'sae-standard', seed: 0 } as SaeRun,
        result: {} as SaeResult,
      }) as StoredSae;
    // As a store lists them, by id: k16 before k2, n1024 before n512.
    const runs = [
      run('mnist', 1024, 16, true),
      run('mnist', 1024, 2, true),
      run('mnist', 512, 4, false),
      run('mnist', 512, 4, true),
      run('planted', 64, 16, true),
      run('planted', 64, 8, true),
    ];
    const order = byConfig(runs).map(
      (g) => `${g[0].config.label} ${g[0].config.latents} ${g[0].config.k} ${g[0].config.aux}`,
    );
    expect(order).toEqual([
      'mnist 512 4 false',
      'mnist 512 4 true',
      'mnist 1024 2 true',
      'mnist 1024 16 true',
      'planted 64 8 true',
      'planted 64 16 true',
    ]);
  });

  it('lists the verdicts per configuration by n and k as numbers, with the pooled verdict unchanged', () => {
    const run = (latents: number, k: number, aux: boolean, seed: number, dead: number) =>
      ({
        config: { label: 'mnist', latents, k, aux, dictionary: 'sae-standard', seed } as SaeRun,
        result: {
          final: { deadFraction: dead, normalizedMse: 0.2, l0: k, neverFiredFraction: 0 },
        } as SaeResult,
      }) as StoredSae;
    // By id, as a store lists them: n4096 before n512, k16 before k8.
    const ids: [number, number][] = [
      [4096, 16],
      [4096, 8],
      [512, 16],
      [512, 8],
    ];
    const stored = ids.flatMap(([n, k], i) =>
      [0, 1].flatMap((s) => [run(n, k, true, s, 0.1 + 0.01 * i + 0.003 * s), run(n, k, false, s, 0.3)]),
    );
    const { configs, verdicts } = auxVerdicts(stored);
    const rows = configs.filter((c) => c.metric === 'deadFraction').map((c) => c.config);
    expect(rows).toEqual([
      'n = 512, k = 8, sae-standard',
      'n = 512, k = 16, sae-standard',
      'n = 4096, k = 8, sae-standard',
      'n = 4096, k = 16, sae-standard',
    ]);
    const dead = verdicts.find((v) => v.metric === 'deadFraction')!;
    expect(dead.pairs).toBe(8);
    expect(dead.lower).toBe(8);
  });
});

/** A stored MNIST run (standard dictionary, AuxK, seed 0) with the given records, for the figure tests. */
const figureRun = (latents: number, k: number, records: Record<string, number>[]) =>
  ({
    config: { label: 'mnist', latents, k, aux: true, dictionary: 'sae-standard', seed: 0 } as SaeRun,
    result: {
      records,
      histogram: { edges: [-3, -2, -1], counts: [1, 2], neverFired: 0 },
    } as unknown as SaeResult,
  }) as StoredSae;

describe('the figures', () => {
  it('put the facets in the order of n and k as numbers, which Vega-Lite would sort as strings', async () => {
    const { curveSpec, densitySpec } = await import('../plugins/studies/sae/figures.ts');
    const record = { step: 1, samples: 256, loss: 1, normalizedMse: 0.5, l0: 8, deadFraction: 0.1 };
    const run = (latents: number, k: number) => figureRun(latents, k, [record]);
    // As a store lists them: by id.
    const runs = [run(1024, 16), run(1024, 32), run(1024, 8), run(512, 16), run(512, 2)];
    for (const spec of [curveSpec('x', runs, 'deadFraction'), densitySpec('x', runs)]) {
      const { facet } = spec as { facet: { row: { sort: string[] }; column: { sort: string[] } } };
      expect(facet.row.sort).toEqual(['n = 512', 'n = 1024']);
      expect(facet.column.sort).toEqual(['k = 2', 'k = 8', 'k = 16', 'k = 32']);
    }
  });
});

describe('the curves of a long run', () => {
  it('drop the per-record points once a curve has too many to stay apart, and label samples in SI units', async () => {
    const { curveSpec } = await import('../plugins/studies/sae/figures.ts');
    const run = (records: number) =>
      figureRun(
        1024,
        8,
        Array.from({ length: records }, (_, i) => ({
          step: i * 20,
          samples: i * 20 * 256,
          loss: 1,
          normalizedMse: 0.5,
          l0: 8,
          deadFraction: 0.1,
        })),
      );
    const layer = (records: number) =>
      (curveSpec('x', [run(records)], 'deadFraction') as { spec: { mark: { point?: unknown } } }).spec;
    expect(layer(20).mark.point).toBeDefined();
    expect(layer(600).mark.point).toBeUndefined();
    const x = (layer(600) as unknown as { encoding: { x: { axis: { format: string } } } }).encoding.x;
    expect(x.axis.format).toBe('~s');
  });
});

describe('the training length a report states', () => {
  it('gives the epochs, or with settle the rule, the range trained and the runs stopped at the cap', async () => {
    const { trainingLength } = await import('../plugins/studies/sae/report.ts');
    const run = (epochsTrained?: number) =>
      ({ config: {}, result: { epochsTrained } }) as unknown as StoredSae;
    const spec = { epochs: 50, batchSize: 256 } as never;
    expect(trainingLength(spec, [run(), run()])).toBe('50 epochs of batches of 256');
    const settling = { epochs: 50, batchSize: 256, settle: { maxEpochs: 200, tolerance: 0.005 } } as never;
    expect(trainingLength(settling, [run(50), run(200), run(73), run(200)])).toBe(
      'batches of 256 for at least 50 epochs, on until the dead fraction is flat (over the last tenth its values after each step differ by ≤ 0.005), at most 200: the runs trained 50–200 epochs, 2 of 4 stopping at the cap, where the dead fraction may not have settled',
    );
    const trend = {
      epochs: 50,
      batchSize: 256,
      settle: { maxEpochs: 200, tolerance: 0.005, rule: 'trend' },
    } as never;
    expect(trainingLength(trend, [run(50), run(61)])).toMatch(
      /on until the dead fraction is flat \(its least-squares trend over the last tenth moves it ≤ 0\.005\), at most 200: the runs trained 50–61 epochs, 0 of 2 stopping/,
    );
    expect(trainingLength(settling, [run(50), run(50)])).toMatch(
      /the runs trained 50 epochs, 0 of 2 stopping at the cap/,
    );
  });
});

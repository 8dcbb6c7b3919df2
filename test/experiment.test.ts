import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_CLAIM } from '../plugins/studies/autoencoder-init/claim.ts';
import { expandResultSets } from '../plugins/studies/autoencoder-init/grid.ts';
import { resultsFileSchema } from '../plugins/studies/autoencoder-init/results-schema.ts';
import {
  type AutoencoderSpecInput,
  autoencoderSpecSchema,
} from '../plugins/studies/autoencoder-init/spec.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { type ExperimentOutcome, runExperiment } from '../src/experiment/run.ts';
import { RunStore } from '../src/experiment/store.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import {
  enoughPairs,
  MIN_PAIRED_SEEDS,
  mean,
  pairedT,
  STATISTICS_POLICY,
  welchT,
} from '../src/report/stats.ts';
import { formatP } from '../src/report/verdict.ts';

// A tiny study end to end, in worker threads: 8×8 synthetic images, an autoencoder
// 64-16-8-16-64, two initializers, two seeds, result sets after 2 and 3 epochs.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-exp-'));
const cacheDir = join(root, 'cache');

function tinySpec(dir: string): AutoencoderSpecInput {
  return {
    name: 'tiny',
    datasets: [
      {
        name: 'synthetic',
        label: 'blobs',
        params: { height: 8, width: 8, trainCount: 200, testCount: 40, classes: 4 },
      },
    ],
    model: { sizes: [64, 16, 8, 16, 64] },
    initializers: [{ name: 'nmf', params: { maxIter: 50 } }, { name: 'glorot-normal' }],
    training: { batchSize: 32 },
    grid: { samples: [{ count: 150, seeds: 2 }], epochs: [2, 3] },
    backend: 'reference',
    outputs: { dir },
  };
}

const quiet = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  cacheDir,
  log: () => {},
};
let first: ExperimentOutcome;
const dirA = join(root, 'a');

beforeAll(async () => {
  first = await runExperiment(tinySpec(dirA), { ...quiet, workers: 2 });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a tiny experiment end to end', () => {
  it('trains every run of the grid once', () => {
    expect(first.trained.sort()).toEqual([
      'blobs__150__glorot-normal__seed0',
      'blobs__150__glorot-normal__seed1',
      'blobs__150__nmf__seed0',
      'blobs__150__nmf__seed1',
    ]);
    expect(first.failed).toEqual([]);
  });

  it('writes a loss plot (PNG + SVG) and a reconstruction grid per result set, with the expected sizes', () => {
    const sets = expandResultSets(autoencoderSpecSchema.parse(tinySpec(dirA)));
    expect(sets.map((s) => `${s.samples}_${s.epochs}`)).toEqual(['150_2', '150_3']);
    for (const s of sets) {
      const base = `blobs_%_${s.samples}_${s.epochs}`;
      const loss = PNG.sync.read(readFileSync(join(dirA, `${base.replace('%', 'loss')}.png`)));
      expect([loss.width, loss.height]).toEqual([1400, 900]);
      expect(readFileSync(join(dirA, `${base.replace('%', 'loss')}.svg`), 'utf8')).toContain('glorot-normal');
      const grid = PNG.sync.read(readFileSync(join(dirA, `${base.replace('%', 'reconstruction')}.png`)));
      // original + 2 initializer rows of 4 images (one per class) at 3× of 8 px: taller than 3 rows of cells.
      expect(grid.height).toBeGreaterThan(3 * 8 * 3);
      expect(grid.width).toBeGreaterThan(4 * 8 * 3);
    }
  });

  it('writes results.json that validates against its schema, with the numbers of the runs', () => {
    const results = resultsFileSchema.parse(JSON.parse(readFileSync(join(dirA, 'results.json'), 'utf8')));
    expect(results.runs).toHaveLength(4);
    expect(results.resultSets).toHaveLength(2);
    for (const run of results.runs) {
      expect(run.valLoss).toHaveLength(3);
      expect(run.initialValLoss).toBeTypeOf('number');
      expect(run.testMse.map((t) => t.epoch)).toEqual([0, 2, 3]);
      expect(run.trainSamples + run.valSamples).toBe(150);
    }
    expect(results.pca[0].valMse).toBeGreaterThan(0);
    expect(results.environment.backends).toEqual(['reference']);
  });

  it('writes report.md with a table per result set and the PCA reference', () => {
    const md = readFileSync(join(dirA, 'report.md'), 'utf8');
    expect(md).toContain('### blobs — 150 training samples, 2 epochs');
    expect(md).toContain('### blobs — 150 training samples, 3 epochs');
    expect(md).toMatch(/\| nmf \| .*±/);
    expect(md).toContain('PCA reference (rank 8');
    expect(md).toContain('first epochs of the 3-epoch runs');
  });

  it('states the claim and a verdict per result set whose numbers the runs reproduce; bold only where p < 0.05 over enough seeds', () => {
    const results = resultsFileSchema.parse(JSON.parse(readFileSync(join(dirA, 'results.json'), 'utf8')));
    const md = readFileSync(join(dirA, 'report.md'), 'utf8');
    expect(results.schema).toBe('nmfinit.results/2');
    expect(md).toContain(`**The seed's claim:** ${SEED_CLAIM.statement}`);
    expect(md).toContain('by the two-sided paired t-test across seeds');
    expect(md).toContain(STATISTICS_POLICY);
    const labels = ['nmf', 'glorot-normal'];
    // Validation MSE of each seed at epoch e, straight from the stored runs (epoch 0 = at init).
    const at = (label: string, e: number) =>
      results.runs
        .filter((r) => r.initializer === label)
        .sort((a, b) => a.seed - b.seed)
        .map((r) => (e === 0 ? r.initialValLoss : r.valLoss[e - 1]) as number);
    for (const set of results.resultSets) {
      const v = set.verdict!;
      expect(v.test).toBe('paired-t');
      // Every reported epoch from 1 to the set's length (the default table epochs ∩ 0..3, less 0).
      expect(v.epochs.map((e) => e.epoch)).toEqual(set.epochs === 2 ? [1, 2] : [1, 2, 3]);
      const section = md
        .split('### ')
        .find((x) => x.startsWith(`blobs — 150 training samples, ${set.epochs} epochs`))!;
      for (const e of v.epochs) {
        const [best, other] = [...labels].sort((a, b) => mean(at(a, e.epoch)) - mean(at(b, e.epoch)));
        expect([e.best, e.runnerUp]).toEqual([best, other]);
        expect(e.margin.absolute).toBeCloseTo(mean(at(other, e.epoch)) - mean(at(best, e.epoch)), 12);
        for (const c of e.comparisons) {
          expect(c.versus).toBe(c.label === best ? other : best);
          expect(c.pairedSeeds).toEqual(['0', '1']);
          expect(c.pValue).toBe(pairedT(at(c.label, e.epoch), at(c.versus, e.epoch)).pValue);
          expect(c.tests!['welch-t'].pValue).toBe(welchT(at(c.label, e.epoch), at(c.versus, e.epoch)).pValue);
        }
        const p = e.pValue!;
        expect(e.sentence).toContain(p < 1e-4 ? 'p < 0.0001' : `p = ${formatP(p)}`);
        expect(section).toContain(e.sentence);
      }
      expect(section).toContain(v.claim.sentence);
      // The table: bold exactly where the verdict's best is significant; never at epoch 0.
      const rows = section
        .split('**Verdict**')[0]
        .split('\n')
        .filter((l) => labels.some((l2) => l.startsWith(`| ${l2} |`)));
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        const cells = row.split('|').map((c) => c.trim());
        const label = cells[1];
        expect(cells[2]).not.toContain('**'); // epoch 0
        for (const e of v.epochs) {
          // Two seeds are fewer than MIN_PAIRED_SEEDS: p is printed, nothing is bold.
          const bold =
            e.best === label &&
            (e.pValue as number) < 0.05 &&
            enoughPairs(e.comparisons[0].pairedSeeds.length);
          expect(cells[2 + e.epoch].startsWith('**')).toBe(bold);
        }
      }
    }
    // The claim once per data set × samples, over the longest set's epochs ≤ 10, with the outcome
    // the recomputed p-values give.
    expect(results.claim.test).toBe('paired-t');
    expect(results.claim.resultSets).toHaveLength(1);
    const claim = results.claim.resultSets[0].verdict;
    expect(claim).toMatchObject({ subject: 'nmf', rivals: ['glorot-normal'] });
    expect(claim.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    for (const e of claim.epochs) {
      const [x, y] = [at('nmf', e.epoch), at('glorot-normal', e.epoch)];
      const p = pairedT(x, y).pValue;
      expect(e.pValue).toBe(p);
      expect(e.outcome).toBe(
        !enoughPairs(x.length) ? 'untested' : p >= 0.05 ? 'undecided' : mean(x) < mean(y) ? 'best' : 'behind',
      );
    }
    const status = claim.epochs.some((e) => e.outcome === 'behind')
      ? 'contradicted'
      : claim.epochs.every((e) => e.outcome === 'best')
        ? 'supported'
        : claim.epochs.every((e) => e.outcome === 'untested')
          ? 'untested'
          : 'inconclusive';
    expect(claim.status).toBe(status);
    expect(md).toContain(`- ${claim.sentence}`);
    expect(md).toContain(
      status === 'untested'
        ? `Not tested: 1 result set with fewer than ${MIN_PAIRED_SEEDS} paired seeds, so no judged p-values.`
        : `Supported in ${status === 'supported' ? 1 : 0} of 1 result sets tested, contradicted in ${status === 'contradicted' ? 1 : 0}`,
    );
  });

  it('re-running skips the stored runs and reproduces the same report numbers', async () => {
    const before = readFileSync(join(dirA, 'results.json'), 'utf8');
    const again = await runExperiment(tinySpec(dirA), { ...quiet, workers: 2 });
    expect(again.trained).toEqual([]);
    expect(again.skipped).toHaveLength(4);
    const strip = (s: string) => JSON.parse(s).runs;
    expect(strip(readFileSync(join(dirA, 'results.json'), 'utf8'))).toEqual(strip(before));
  });

  it('results do not depend on the number of workers', async () => {
    const dirB = join(root, 'b');
    await runExperiment(tinySpec(dirB), { ...quiet, workers: 1 });
    const a = new RunStore(dirA).all().runs;
    const b = new RunStore(dirB).all().runs;
    expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
    expect(b.length).toBe(4);
    const numbers = (r: (typeof a)[number]) => {
      const { history, snapshots } = r.result as { history: unknown; snapshots: unknown };
      return { history, snapshots };
    };
    b.forEach((r, i) => {
      expect(numbers(r)).toEqual(numbers(a[i]));
    });
  });

  it('a changed parameter is refused over stored runs, naming how many differ; --force retrains only those', async () => {
    const spec = tinySpec(dirA);
    spec.initializers[0] = { name: 'nmf', params: { maxIter: 60 } };
    await expect(runExperiment(spec, quiet)).rejects.toThrow(
      // Naming the field that differs, with both values (issue #22).
      /holds 2 stored run\(s\) made with another configuration \(e\.g\. blobs__150__nmf__seed0, stored → this spec: initializer\.params\.maxIter: 50 → 60\); pass --force/,
    );
    const again = await runExperiment(spec, { ...quiet, force: true });
    expect(again.trained.sort()).toEqual([
      'blobs__150__glorot-normal__seed0',
      'blobs__150__glorot-normal__seed1',
      'blobs__150__nmf__seed0',
      'blobs__150__nmf__seed1',
    ]);
  });
});

describe('a run that diverges', () => {
  it('is recorded at its epoch, drawn as ending there, and the other runs continue', async () => {
    const dir = join(root, 'diverge');
    const spec = tinySpec(dir);
    spec.model = { sizes: [64, 16, 64], output: 'linear' };
    // Weights of 1e19 overflow float32 activations to Infinity at the first step; Glorot trains.
    spec.initializers = [{ name: 'constant', params: { value: 1e19 } }, { name: 'glorot-normal' }];
    spec.grid = { samples: [{ count: 150, seeds: 1 }], epochs: [3] };
    const outcome = await runExperiment(spec, quiet);
    expect(new RunStore(dir).failures().map((f) => f.error)).toEqual([]);
    expect(outcome.failed).toEqual([]);
    const results = resultsFileSchema.parse(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')));
    const big = results.runs.find((r) => r.initializer === 'constant')!;
    expect(big.diverged).toEqual({ epoch: 1, batch: 1, loss: null });
    expect(big.valLoss).toEqual([]);
    expect(results.runs.find((r) => r.initializer === 'glorot-normal')!.valLoss).toHaveLength(3);
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain('Run blobs__150__constant__seed0 diverged at epoch 1');
    expect(readFileSync(join(dir, 'blobs_loss_150_3.svg'), 'utf8')).toContain('(diverged @');
  });
});

describe('shards', () => {
  it('two shards train disjoint halves of the grid, and the report merges them', async () => {
    const d1 = join(root, 'shard1');
    const d2 = join(root, 'shard2');
    const s1 = await runExperiment(tinySpec(d1), { ...quiet, shard: { index: 1, count: 2 } });
    const s2 = await runExperiment(tinySpec(d2), { ...quiet, shard: { index: 2, count: 2 } });
    expect(s1.report).toBeNull();
    expect([...s1.trained, ...s2.trained].sort()).toEqual(first.trained.sort());
    expect(s1.trained.filter((id) => s2.trained.includes(id))).toEqual([]);
    const study = loadStudy([d1, d2]);
    expect(study.input.runs.map((r) => r.id).sort()).toEqual(first.trained.sort());
    expect(study.input.missing).toEqual([]);
    await expect(writeReport(loadStudy([d1]), { log: () => {} })).rejects.toThrow(
      /2 run\(s\) of the grid are missing \(0 failed\).*--partial/,
    );
    const files = await writeReport(study, { log: () => {} });
    const merged = resultsFileSchema.parse(JSON.parse(readFileSync(files.resultsJson, 'utf8')));
    const single = resultsFileSchema.parse(JSON.parse(readFileSync(join(dirA, 'results.json'), 'utf8')));
    const byId = (r: typeof merged) => Object.fromEntries(r.runs.map((x) => [x.id, x.valLoss]));
    // Same numbers as the unsharded study, run for run (before the nmf parameter change above).
    expect(byId(merged)['blobs__150__glorot-normal__seed1']).toEqual(
      byId(single)['blobs__150__glorot-normal__seed1'],
    );
  });
});

describe('a bad spec fails before any training, naming the field', () => {
  const bad = async (mutate: (s: AutoencoderSpecInput) => void, message: RegExp) => {
    const dir = join(root, `bad-${Math.random().toString(36).slice(2)}`);
    const spec = tinySpec(dir);
    mutate(spec);
    await expect(runExperiment(spec, quiet)).rejects.toThrow(message);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  };

  it('an unknown key', () =>
    bad((s) => Object.assign(s.training!, { batchsize: 3 }), /training\.batchsize: unknown key/));
  it('a wrong type', () =>
    bad((s) => Object.assign(s.training!, { batchSize: 'big' }), /training\.batchSize: /));
  it('an unknown initializer', () =>
    bad(
      (s) => s.initializers.push({ name: 'glorot-normall' }),
      /initializers\[2\]: .*Did you mean 'glorot-normal'/,
    ));
  it('bad initializer parameters', () =>
    bad(
      (s) => s.initializers.push({ name: 'random-normal', params: { stddev: -1 } }),
      /initializers\[2\].*stddev/,
    ));
  it('an unknown data set', () =>
    bad((s) => (s.datasets[0].name = 'nope'), /datasets\[0\]: unknown dataset 'nope'/));
  it('more samples than the data set has', () =>
    bad((s) => (s.grid.samples[0].count = 5000), /grid\.samples\[0\]\.count: 5000 samples asked/));
  it('a model that does not match the images', () => bad((s) => (s.model.sizes = [784, 32, 784]), /784/));
  it('a mismatched autoencoder', () =>
    bad(
      (s) => (s.model.sizes = [64, 16, 32]),
      /model\.sizes: the output size 32 must equal the input size 64/,
    ));
  it('a model the NMF initializer cannot initialize (not mirrored), with the reason', () =>
    bad((s) => {
      s.model.sizes = [64, 16, 8, 64];
      s.initializers = [{ name: 'glorot-normal' }, { name: 'nmf' }];
    }, /initializers\[1\]: 'nmf' cannot initialize model 64-16-8-64: it needs a mirrored encoder\/decoder network; it has 3 dense layers, expected an even number ≥ 2 \(layer shapes fanIn×fanOut: 64×16, 16×8, 8×64\)/));
  it('an unknown backend', () => bad((s) => (s.backend = 'cuda'), /backend: unknown backend 'cuda'/));
  it('an unwritable output directory', async () => {
    // A directory cannot be made below a regular file.
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const spec = tinySpec(join(file, 'out'));
    await expect(runExperiment(spec, quiet)).rejects.toThrow(/outputs\.dir: cannot write to '.*a-file\/out'/);
  });
});

import { describe, expect, it } from 'vitest';
import { spikedGaussian, spikedGaussianBasis } from '../plugins/datasets/spiked-gaussian.ts';
import { authorsScale, onlineSampler, type PreparedData } from '../plugins/studies/shallow-pca/data.ts';
import { expandRuns } from '../plugins/studies/shallow-pca/run.ts';
import { checkShallowPca, shallowPcaSpecSchema } from '../plugins/studies/shallow-pca/spec.ts';
import { runConfigHash } from '../src/experiment/hash.ts';
import { ShallowAutoencoder } from '../src/shallow/model.ts';
import { bestUnitOverlaps } from '../src/shallow/overlap.ts';
import { trainShallow } from '../src/shallow/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import { specDifferences } from './helpers/spec-diff.ts';

// Issue 23: the shallow autoencoder at the authors' configuration (mariaref/NonLinearShallowAE).

const spiked = { dim: 30, spikes: [4, 2], bulk: 1, trainCount: 400, testCount: 100 };

const spec = (entry: Record<string, unknown> = {}) =>
  shallowPcaSpecSchema.parse({
    kind: 'shallow-pca',
    name: 's',
    datasets: [
      {
        label: 'spiked',
        name: 'spiked-gaussian',
        trainCount: 1000,
        testCount: 100,
        k: 3,
        steps: 1000,
        lr: 0.1,
        ...entry,
      },
    ],
    seeds: 1,
    outputs: { dir: 'x' },
  });

describe('shallow-pca: stored runs keep their identity', () => {
  it('a spec without `online` expands to the hashes of before issue 23 (result version 3)', () => {
    const before = {
      'spiked__linear-tied-nobias__s0': '1a30bc893a7418dcc3edcb6ee9bbe7e834d8098a530350199db1486690a1d2f2',
      'spiked__linear-tied-encbias__s0': '648b4247d5b0d99bef4fb4274b0f750363cfe917877d3ebf57eed265fb9e3bc4',
      'spiked__linear-untied-nobias__s0': '163845cf66aab62a5ece49c337ab82c5def76d17064c2eda91ea70b9bc228ccc',
    };
    const runs = expandRuns(spec(), 'js');
    for (const [id, hash] of Object.entries(before))
      expect(runConfigHash('shallow-pca', 3, runs.find((r) => r.id === id)!)).toBe(hash);
    expect(runs.every((r) => !('online' in r))).toBe(true);
    expect(expandRuns(spec({ online: true }), 'js').every((r) => r.online === true)).toBe(true);
  });

  it("tiedGradient 'encoder' marks the tied runs only, and its absence leaves the hashes above", () => {
    const encoder = (tiedGradient?: 'full' | 'encoder') =>
      expandRuns(shallowPcaSpecSchema.parse({ ...spec(), model: { ...spec().model, tiedGradient } }), 'js');
    const marked = encoder('encoder');
    expect(marked.filter((r) => r.tiedGradient === 'encoder').map((r) => r.id)).toEqual(
      marked.filter((r) => r.tied).map((r) => r.id),
    );
    expect(marked.some((r) => r.tied)).toBe(true);
    expect(encoder('full').every((r) => !('tiedGradient' in r))).toBe(true);
    expect(runConfigHash('shallow-pca', 3, encoder('full')[0])).toBe(
      runConfigHash('shallow-pca', 3, expandRuns(spec(), 'js')[0]),
    );
  });

  it('the authors-setup experiment steps its tied runs as their detached decoder does', async () => {
    const { parts } = await import('../experiments/shallow-authors.ts');
    for (const part of [parts.spiked, parts.fashion]) expect(part.model?.tiedGradient).toBe('encoder');
  });

  it('the fashion-tied-full part moves the tied gradient alone (and keeps one seed), so its untied runs are the fashion part’s', async () => {
    const { parts } = await import('../experiments/shallow-authors.ts');
    const fashion = shallowPcaSpecSchema.parse(parts.fashion);
    const full = shallowPcaSpecSchema.parse(parts['fashion-tied-full']);
    expect(specDifferences(fashion, full)).toEqual(['model.tiedGradient', 'seeds']);
    expect(full.outputs.compareWith?.dir).toBe(fashion.outputs.dir);
    const hashes = (p: typeof fashion) =>
      new Map(expandRuns(p, 'simd').map((r) => [r.id, runConfigHash('shallow-pca', 3, r)]));
    const [a, b] = [hashes(fashion), hashes(full)];
    expect(b.size).toBe(12);
    for (const [id, h] of b) {
      expect(a.has(id), id).toBe(true);
      expect(a.get(id) === h, id).toBe(id.includes('-untied-'));
    }
  });

  it("each ablation part moves exactly one setting of today's spiked set, to the authors' value", async () => {
    const { parts } = await import('../experiments/shallow-authors.ts');
    const { spec: today } = await import('../experiments/shallow-pca.ts');
    const parse = (p: unknown) => shallowPcaSpecSchema.parse(p);
    const ours = parse(parts['ablation-ours']);
    const authors = parse(parts.spiked);
    // The base is today's spiked study as experiments/shallow-pca.ts declares it.
    const todays = parse(today);
    expect(ours.datasets).toEqual([todays.datasets.find((d) => d.label === 'spiked')]);
    expect(specDifferences(ours, { ...todays, datasets: ours.datasets })).toEqual([]);
    const [mine, theirs] = [ours.datasets[0], authors.datasets[0]];
    const expected: Record<string, [string[], (p: typeof ours) => void]> = {
      biases: [['model.biases.2'], (p) => expect(p.model.biases).toEqual(authors.model.biases)],
      records: [['records'], (p) => expect(p.records).toBe(authors.records)],
      spikes: [
        [
          'datasets.0.k',
          'datasets.0.params.spikes.0',
          'datasets.0.params.spikes.1',
          'datasets.0.params.spikes.2',
          'datasets.0.params.spikes.3',
        ],
        (p) => {
          expect(p.datasets[0].params.spikes).toEqual(theirs.params.spikes);
          expect(p.datasets[0].k).toBe(theirs.k);
        },
      ],
      dim: [
        ['datasets.0.params.dim', 'datasets.0.steps'],
        (p) => {
          expect(p.datasets[0].params.dim).toBe(theirs.params.dim);
          // The same time t = steps / D as the base.
          expect(p.datasets[0].steps / 500).toBe(mine.steps / 100);
        },
      ],
      online: [['datasets.0.online'], (p) => expect(p.datasets[0].online).toBe(theirs.online)],
      length: [
        ['datasets.0.steps'],
        (p) => expect(p.datasets[0].steps / 100).toBe(theirs.steps / (theirs.params.dim as number)),
      ],
      'tied-gradient': [
        ['model.tiedGradient'],
        (p) => expect(p.model.tiedGradient).toBe(authors.model.tiedGradient),
      ],
    };
    const moves = Object.keys(parts).filter((k) => k.startsWith('ablation-') && k !== 'ablation-ours');
    expect(moves.map((k) => k.slice('ablation-'.length)).sort()).toEqual(Object.keys(expected).sort());
    for (const [move, [paths, check]] of Object.entries(expected)) {
      const p = parse(parts[`ablation-${move}` as keyof typeof parts]);
      expect(specDifferences(ours, p)).toEqual(paths);
      check(p);
    }
    // The spiked part's report reads every ablation part's results.
    const ablation = authors.outputs.ablation;
    expect(ablation?.baseline.dir).toBe(ours.outputs.dir);
    expect(ablation?.moved.map((m) => m.dir).sort()).toEqual(
      moves.map((k) => parse(parts[k as keyof typeof parts]).outputs.dir).sort(),
    );
  });

  it('online needs a law: refused by name on a data set without one', () => {
    expect(() => checkShallowPca(spec({ name: 'mnist', online: true }))).toThrow(
      /datasets\[0\]\.online: .*not 'mnist'/,
    );
  });
});

describe('shallow-pca at the authors’ configuration', () => {
  it('records the K × K overlap matrix at every step, consistent with the best-unit overlaps', async () => {
    const ds = await spikedGaussian.load({
      split: 'train',
      params: spikedGaussian.params.parse(spiked),
      cacheDir: '/tmp',
    });
    const basis = spikedGaussianBasis(spikedGaussian.params.parse(spiked));
    const comps = Float64Array.from(basis.flatMap((u) => [...u]));
    const model = new ShallowAutoencoder(
      { d: 30, k: 2, activation: 'erf', tied: false, bias: 'none', lr: 0.1 },
      Rng.seeded(2),
    );
    const r = trainShallow(model, {
      train: ds.images,
      trainCount: ds.count,
      test: ds.images,
      testCount: 100,
      steps: 300,
      records: 6,
      components: comps,
      componentCount: 2,
    });
    expect(r.records.length).toBeGreaterThan(3);
    for (const rec of r.records) {
      expect(rec.overlap).toHaveLength(4);
      expect(rec.bestUnit).toEqual(bestUnitOverlaps(rec.overlap!, 2, 2));
    }
    // The last record's matrix is the final one.
    expect(r.records.at(-1)!.overlap).toEqual(r.finalOverlap);
  });

  it('keeps no per-record matrix above K = 10', async () => {
    const d = 12;
    const x = Rng.seeded(1).fillNormal(new Float32Array(20 * d));
    const comps = new Float64Array(11 * d);
    for (let m = 0; m < 11; m++) comps[m * d + m] = 1;
    const model = new ShallowAutoencoder(
      { d, k: 11, activation: 'linear', tied: true, bias: 'none', lr: 0.01 },
      Rng.seeded(2),
    );
    const r = trainShallow(model, {
      train: x,
      trainCount: 20,
      test: x,
      testCount: 20,
      steps: 10,
      records: 3,
      components: comps,
      componentCount: 11,
    });
    expect(r.records.every((rec) => rec.overlap === undefined)).toBe(true);
  });

  it('online: every step draws a fresh sample, from the spiked law (variance spikes·D along u_r, bulk elsewhere)', () => {
    const p = spikedGaussian.params.parse(spiked);
    const basis = spikedGaussianBasis(p);
    const prepared = {
      d: 30,
      law: {
        basis: Float64Array.from(basis.flatMap((u) => [...u])),
        amplitude: [Math.sqrt(4 * 30 - 1), Math.sqrt(2 * 30 - 1)],
        noise: 1,
      },
    } as unknown as PreparedData;
    const draw = onlineSampler(prepared, Rng.seeded(7));
    const n = 20000;
    const x = new Float32Array(30);
    const along = [0, 0];
    let orth = 0;
    const e = new Float64Array(30);
    e[0] = 1;
    // A direction orthogonal to both spikes: e0 minus its projections.
    for (const u of basis) {
      const c = e.reduce((s, v, i) => s + v * u[i], 0);
      for (let i = 0; i < 30; i++) e[i] -= c * u[i];
    }
    const en = Math.hypot(...e);
    for (let s = 0; s < n; s++) {
      draw(x);
      basis.forEach((u, r) => {
        along[r] += x.reduce((a, v, i) => a + v * u[i], 0) ** 2;
      });
      orth += (x.reduce((a, v, i) => a + v * e[i], 0) / en) ** 2;
    }
    // Sample variances within 5% (their standard error is √(2/n) ≈ 1%).
    expect(along[0] / n / 120).toBeGreaterThan(0.95);
    expect(along[0] / n / 120).toBeLessThan(1.05);
    expect(along[1] / n / 60).toBeGreaterThan(0.95);
    expect(along[1] / n / 60).toBeLessThan(1.05);
    expect(orth / n).toBeGreaterThan(0.95);
    expect(orth / n).toBeLessThan(1.05);

    // trainShallow calls it once per step and never reads the training samples.
    let calls = 0;
    const model = new ShallowAutoencoder(
      { d: 30, k: 2, activation: 'erf', tied: false, bias: 'none', lr: 0.1 },
      Rng.seeded(2),
    );
    trainShallow(model, {
      train: new Float32Array(30).fill(Number.NaN),
      trainCount: 1,
      test: new Float32Array(30),
      testCount: 1,
      steps: 50,
      records: 4,
      components: prepared.law!.basis,
      componentCount: 2,
      draw: (out) => {
        calls++;
        draw(out);
      },
    });
    expect(calls).toBe(50);
  });

  it('authors’ preprocessing: each split on its own, overall mean 0 and standard deviation 1/2', () => {
    const rng = Rng.seeded(3);
    const train = Float32Array.from({ length: 4000 }, () => rng.uniform());
    const test = Float32Array.from({ length: 1000 }, () => 3 + 5 * rng.uniform());
    const out = authorsScale(train, test);
    for (const x of [out.train, out.test]) {
      const mean = x.reduce((a, v) => a + v, 0) / x.length;
      const sd = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length);
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(sd).toBeCloseTo(0.5, 5);
    }
  });
});

// The host's side-by-side training of online runs (issue 23: the authors' D = 500 runs): the online
// runs of one seed draw one stream of samples, each sample stepped by every model. These tests
// hold it to each run trained alone, bit for bit, and check that the scheduler keeps a group on
// one worker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spikedGaussianBasis } from '../plugins/datasets/spiked-gaussian.ts';
import { onlineSampler, type PreparedData } from '../plugins/studies/shallow-pca/data.ts';
import { executeRun, expandRuns, runGroup, type ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { shallowPcaSpecSchema } from '../plugins/studies/shallow-pca/spec.ts';
import { getBackend } from '../src/backend/index.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { takeWithGroup } from '../src/experiment/scheduler.ts';
import { loadStudy } from '../src/experiment/study.ts';
import type { RunContext, StudyRun } from '../src/experiment/study-kind.ts';
import { SHALLOW_ACTIVATIONS, ShallowAutoencoder, type ShallowBias } from '../src/shallow/model.ts';
import { PROGRESS_STEPS, trainShallow, trainShallowOnOneStream } from '../src/shallow/train.ts';
import { Rng } from '../src/tensor/rng.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'shallow-one-stream-'));

/** Prepared spiked data (D = d, K = 2) with its law, as prepareAll gives it. */
function spikedData(d: number): PreparedData {
  const variances = [16, 4];
  const basis = spikedGaussianBasis({ dim: d, spikes: variances, seed: 11 });
  const flat = new Float64Array(variances.length * d);
  basis.forEach((u, r) => {
    flat.set(u, r * d);
  });
  const rng = Rng.seeded(9);
  return {
    d,
    k: 2,
    imageShape: [1, d],
    train: rng.fillNormal(new Float32Array(20 * d)),
    trainCount: 20,
    test: rng.fillNormal(new Float32Array(30 * d)),
    testCount: 30,
    components: flat,
    pcaMse: 1,
    pcaMseByRank: [],
    eigenvalues: variances,
    law: { basis: flat, amplitude: variances.map((v) => Math.sqrt(v - 1)), noise: 1 },
  };
}

describe('trainShallowOnOneStream', () => {
  it('gives every model the records it gets alone on the same draws, a diverging one marked while the others go on', () => {
    const p = spikedData(10);
    const configs: {
      activation: (typeof SHALLOW_ACTIVATIONS)[number];
      tied: boolean;
      bias: ShallowBias;
      lr: number;
    }[] = [];
    for (const activation of SHALLOW_ACTIVATIONS)
      for (const tied of [true, false])
        configs.push({ activation, tied, bias: tied ? 'none' : 'both', lr: 0.2 });
    // A rate no run survives: it must diverge here and alone, at the same step.
    configs.push({ activation: 'linear', tied: false, bias: 'none', lr: 400 });
    const build = () =>
      configs.map(
        (c, i) => new ShallowAutoencoder({ d: p.d, k: 2, ...c, initStd: 0.1, cacheDir }, Rng.seeded(100 + i)),
      );
    const measure = {
      test: p.test,
      testCount: p.testCount,
      components: p.components,
      componentCount: 2,
      steps: 3000,
      records: 8,
    };
    const together = trainShallowOnOneStream(build(), {
      ...measure,
      draw: onlineSampler(p, Rng.seeded(5).child('online')),
    });
    const alone = build().map((model) =>
      trainShallow(model, {
        ...measure,
        train: p.train,
        trainCount: p.trainCount,
        draw: onlineSampler(p, Rng.seeded(5).child('online')),
      }),
    );
    expect(together).toEqual(alone);
    expect(together.at(-1)!.diverged).toBe(true);
    expect(together.filter((r) => r.diverged)).toHaveLength(1);
    expect(together[0].records.at(-1)!.step).toBe(3000);
  });

  it('refuses models of different D', () => {
    const models = [5, 6].map(
      (d) =>
        new ShallowAutoencoder(
          { d, k: 2, activation: 'erf', tied: false, bias: 'none', lr: 0.1, cacheDir },
          Rng.seeded(1),
        ),
    );
    const p = spikedData(5);
    expect(() =>
      trainShallowOnOneStream(models, {
        test: p.test,
        testCount: 1,
        components: p.components,
        componentCount: 2,
        steps: 10,
        records: 3,
        draw: () => {},
      }),
    ).toThrow(/D = 6 and 5/);
  });
});

describe('progress between log-spaced records', () => {
  it('comes at most PROGRESS_STEPS steps apart, records included, and changes no record', () => {
    const p = spikedData(4);
    const steps = Math.round(2.5 * PROGRESS_STEPS);
    const model = () =>
      new ShallowAutoencoder(
        { d: 4, k: 1, activation: 'erf', tied: false, bias: 'none', lr: 0.05, cacheDir },
        Rng.seeded(3),
      );
    const base = {
      test: p.test,
      testCount: 5,
      components: p.components,
      componentCount: 1,
      steps,
      records: 3,
    };
    const check = (
      run: (o: { onProgress?: (s: number) => void; onRecord?: (r: { step: number }) => void }) => unknown,
    ) => {
      const marks: [string, number][] = [];
      const heard = run({
        onProgress: (s) => marks.push(['progress', s]),
        onRecord: (r) => marks.push(['record', r.step]),
      });
      expect(heard).toEqual(run({}));
      const at = marks.map(([, s]) => s);
      for (let i = 1; i < at.length; i++) {
        expect(at[i]).toBeGreaterThan(at[i - 1]);
        expect(at[i] - at[i - 1]).toBeLessThanOrEqual(PROGRESS_STEPS);
      }
      expect(marks.filter(([m]) => m === 'progress').length).toBeGreaterThanOrEqual(2);
      expect(at.at(-1)).toBe(steps);
    };
    check((o) => trainShallow(model(), { ...base, ...o, train: p.train, trainCount: p.trainCount }));
    check((o) =>
      trainShallowOnOneStream([model()], {
        ...base,
        ...o,
        draw: onlineSampler(p, Rng.seeded(5).child('online')),
      }),
    );
  }, 60_000);
});

describe('a shallow-pca grid of online runs on the host', () => {
  const spec = shallowPcaSpecSchema.parse({
    name: 'one-stream',
    outputs: { dir: 'unused' },
    datasets: [
      {
        label: 'sp',
        name: 'spiked-gaussian',
        trainCount: 20,
        testCount: 30,
        k: 2,
        steps: 1500,
        lr: 0.2,
        online: true,
      },
    ],
    model: { activations: ['relu', 'erf'], tied: [true, false], biases: ['none'], tiedGradient: 'encoder' },
    seeds: 2,
    records: 6,
  });
  const ctxOf = (run: ShallowPcaRun): RunContext =>
    ({
      cacheDir,
      dir: '',
      rng: Rng.seeded(run.seed),
      backend: getBackend('reference'),
      emit: () => {},
      checkpoints: undefined,
    }) as unknown as RunContext;

  it('gives every run the result it gets alone; the siblings of a seed come from the first run of it', async () => {
    const p = spikedData(12);
    const grid = { ...spec.model, firstSeed: spec.firstSeed, seeds: spec.seeds };
    const runs = expandRuns(spec, 'reference');
    expect(runs).toHaveLength(8);
    const groups = runs.map((r) => runGroup(r, { sp: { ...p, grid } }));
    expect(groups).toEqual(runs.map((r) => `sp__s${r.seed}`));
    const together = [];
    for (const run of runs) {
      // The first run of a seed trains its group; after it, the siblings need no data at all.
      const first = runs.find((r) => r.seed === run.seed) === run;
      const data = first ? { ...p, grid } : { ...p, grid, law: null };
      together.push(await executeRun(run, { sp: data }, ctxOf(run)));
    }
    for (const [i, run] of runs.entries())
      expect(together[i], run.id).toEqual(await executeRun(run, { sp: p }, ctxOf(run)));
    expect(together[0]).not.toEqual(together[1]);
  });

  it('has no group off the online path (data runs train one by one)', () => {
    const p = spikedData(12);
    const grid = { ...spec.model, firstSeed: spec.firstSeed, seeds: spec.seeds };
    const offline = { ...expandRuns(spec, 'reference')[0], online: undefined };
    expect(runGroup(offline, { sp: { ...p, grid } })).toBeUndefined();
    expect(runGroup(expandRuns(spec, 'reference')[0], { sp: p })).toBeUndefined();
  });
});

describe('the scheduler and groups', () => {
  const run = (id: string): StudyRun => ({ id, seed: 0 }) as StudyRun;
  it('hands the rest of a group to the slot that takes its first run, in queue order, and other runs one at a time', () => {
    const queue = ['a1', 'x', 'b1', 'a2', 'b2', 'a3', 'y'].map(run);
    const groupOf = (c: StudyRun) => (/^[ab]/.test(c.id) ? c.id[0] : undefined);
    const own: StudyRun[] = [];
    expect(takeWithGroup(queue, own, groupOf).id).toBe('a1');
    expect(own.map((c) => c.id)).toEqual(['a2', 'a3']);
    expect(queue.map((c) => c.id)).toEqual(['x', 'b1', 'b2', 'y']);
    const other: StudyRun[] = [];
    expect(takeWithGroup(queue, other, groupOf).id).toBe('x');
    expect(other).toEqual([]);
    expect(takeWithGroup(queue, other).id).toBe('b1');
    expect(other).toEqual([]);
    expect(() => takeWithGroup([], [])).toThrow(/empty/);
  });

  it('trains each seed of an online grid once with 2 workers: 3 long runs for 3 seeds, the rest served by them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shallow-one-stream-study-'));
    try {
      const dir = join(root, 'out');
      const outcome = await runExperiment(
        {
          kind: 'shallow-pca',
          name: 'one-stream-study',
          backend: 'simd',
          datasets: [
            {
              label: 'spiked',
              name: 'spiked-gaussian',
              params: { dim: 64, spikes: [6, 2], trainCount: 200, testCount: 100 },
              trainCount: 200,
              testCount: 100,
              k: 2,
              steps: 60000,
              lr: 0.1,
              online: true,
            },
          ],
          model: { activations: ['linear', 'erf'], tied: [true, false], biases: ['none'] },
          seeds: 3,
          records: 6,
          outputs: { dir },
        },
        { plugins: [...BUILTIN_PLUGIN_MODULES], progress: 'none', workers: 2, log: () => {}, cacheDir },
      );
      expect(outcome.failed).toEqual([]);
      expect(outcome.trained).toHaveLength(12);
      const { input } = loadStudy([dir]);
      const seconds = input.runs.map((r) => (r as unknown as { timing: { seconds: number } }).timing.seconds);
      const longest = Math.max(...seconds);
      // Without groups a worker that lacks a seed's results trains that seed's grid again.
      expect(seconds.filter((s) => s > longest / 4)).toHaveLength(3);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import { tmpdir } from 'node:os';
import fc from 'fast-check';
import {
  type DenseLayerSpec,
  forwardLayers,
  getBackend,
  type InitializerPlugin,
  initializerData,
  initializers,
  parseOrThrow,
  Rng,
} from 'nmfinit';
import { checkInitializer, layerSpecs } from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import { RunCheckpoints } from '../src/experiment/checkpoints.ts';
import '../plugins/index.ts';
import { dataDependentInitializer } from '../plugins/initializers/data-dependent.ts';
import { lsuvInitializer, variance } from '../plugins/initializers/lsuv.ts';
import { nmfDataInitializer } from '../plugins/initializers/nmf-data.ts';
import { pcaInitializer } from '../plugins/initializers/pca.ts';
import { expandRuns } from '../plugins/studies/autoencoder-init/grid.ts';
import { executeRun, type RunData } from '../plugins/studies/autoencoder-init/run.ts';
import { autoencoderSpecSchema } from '../plugins/studies/autoencoder-init/spec.ts';

const backend = getBackend('reference');
const DATA_AWARE = [lsuvInitializer, dataDependentInitializer, pcaInitializer, nmfDataInitializer];

describe('data-aware initializers pass checkInitializer', () => {
  for (const plugin of DATA_AWARE) {
    it(plugin.name, async () => {
      // NMF on the reference backend is slow; 30 iterations keep the check in seconds.
      const params = plugin === nmfDataInitializer ? { maxIter: 30 } : {};
      await expect(checkInitializer(plugin, { numRuns: 8, params })).resolves.toBeUndefined();
    });
  }
  it('lsuv and data-dependent on random dense chains too', async () => {
    await checkInitializer(lsuvInitializer, { stacks: 'dense', numRuns: 8 });
    await checkInitializer(dataDependentInitializer, { stacks: 'dense', numRuns: 8 });
  });
});

/** A random relu chain (widths ≥ 4) and a sample of n rows, U[0, 1). */
const chainAndData = fc
  .record({
    sizes: fc.array(fc.integer({ min: 4, max: 40 }), { minLength: 2, maxLength: 6 }),
    rows: fc.integer({ min: 32, max: 96 }),
    seed: fc.integer(),
    tolerance: fc.double({ min: 0.01, max: 0.3, noNaN: true }),
  })
  .map(({ sizes, rows, seed, tolerance }) => {
    const layers = layerSpecs(sizes, 'relu');
    const x = Rng.seeded(seed).fillUniform(new Float32Array(rows * sizes[0]));
    return { layers, x, rows, seed, tolerance };
  });

describe('lsuv', () => {
  it('leaves every layer with output variance 1 within the tolerance on the sample', async () => {
    await fc.assert(
      fc.asyncProperty(chainAndData, async ({ layers, x, rows, seed, tolerance }) => {
        const sample = { x, rows };
        const weights = await lsuvInitializer.init({
          layers,
          params: { tolerance, maxIterations: 10, gain: 1, measure: 'pre' },
          rng: Rng.seeded(seed),
          data: initializerData(backend, layers, sample, { forward: true }),
        });
        // An independent forward pass over the final weights: float64 variance of each layer's pre-activation.
        const outs = forwardLayers(backend, layers, sample, weights);
        for (const out of outs) expect(Math.abs(variance(out.pre) - 1)).toBeLessThan(tolerance);
      }),
      { numRuns: 20 },
    );
  });
});

describe('data-dependent', () => {
  it('gives every unit pre-activation mean β and variance 1 on the sample', async () => {
    await fc.assert(
      fc.asyncProperty(chainAndData, fc.double({ min: -1, max: 1, noNaN: true }), async (c, beta) => {
        const sample = { x: c.x, rows: c.rows };
        const weights = await dataDependentInitializer.init({
          layers: c.layers,
          params: { beta, kernel: 'gaussian' },
          rng: Rng.seeded(c.seed),
          data: initializerData(backend, c.layers, sample, { forward: true }),
        });
        const outs = forwardLayers(backend, c.layers, sample, weights);
        outs.forEach((out, l) => {
          const m = c.layers[l].fanOut;
          for (let i = 0; i < m; i++) {
            const col = Float64Array.from({ length: c.rows }, (_, r) => out.pre[r * m + i]);
            const mean = col.reduce((a, b) => a + b, 0) / c.rows;
            const v = col.reduce((a, b) => a + (b - mean) ** 2, 0) / c.rows;
            if (v === 0) continue; // a unit whose inputs are all dead keeps its weights
            expect(mean).toBeCloseTo(beta, 3);
            expect(v).toBeCloseTo(1, 3);
          }
        });
      }),
      { numRuns: 15 },
    );
  });
});

/** n rows μ + Z·A of rank r (Z n×r, A r×d), so PCA at rank r captures them exactly. */
function plantedRankR(n: number, d: number, r: number, seed: number): Float32Array {
  const rng = Rng.seeded(seed);
  const mean = rng.child('mean').fillUniform(new Float64Array(d), 0.3, 0.7);
  const z = rng.child('z').fillNormal(new Float64Array(n * r));
  const a = rng.child('a').fillNormal(new Float64Array(r * d), 0, 0.1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      let s = mean[j];
      for (let k = 0; k < r; k++) s += z[i * r + k] * a[k * d + j];
      x[i * d + j] = s;
    }
  return x;
}

describe('pca', () => {
  const planted = fc.record({
    d: fc.integer({ min: 6, max: 30 }),
    r: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 0, max: 6 }),
    seed: fc.integer(),
    hidden: fc.constantFrom('linear' as const, 'relu' as const),
  });
  it('at rank r reconstructs a rank-r planted dataset almost exactly at epoch 0 (linear output; linear or relu hidden)', async () => {
    await fc.assert(
      fc.asyncProperty(planted, async ({ d, r, extra, seed, hidden }) => {
        fc.pre(r < d);
        const n = 60;
        const split = hidden === 'relu' ? 2 : 1;
        const width = split * r + extra; // room for r components and some unused units
        const sizes = [d, width, split * r, width, d];
        const layers: DenseLayerSpec[] = layerSpecs(sizes, hidden).map((l, i, all) =>
          i === all.length - 1 ? { ...l, activation: 'linear' } : l,
        );
        const x = plantedRankR(n, d, r, seed);
        const sample = { x, rows: n };
        const weights = await pcaInitializer.init({
          layers,
          params: { rank: r, epsilon: 0.01, restScale: 1 },
          rng: Rng.seeded(seed),
          data: initializerData(backend, layers, sample),
        });
        const out = forwardLayers(backend, layers, sample, weights).at(-1)!.post;
        let worst = 0;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(out[i] - x[i]));
        expect(worst).toBeLessThan(1e-4);
      }),
      { numRuns: 25 },
    );
  });

  it('starts a sigmoid output at the data mean: a sample at the mean is reproduced', async () => {
    const d = 12;
    const layers = layerSpecs([d, 8, 4, 8, d], ['relu', 'relu', 'relu', 'sigmoid']);
    const x = plantedRankR(80, d, 2, 7);
    const weights = await pcaInitializer.init({
      layers,
      params: { rank: 2, epsilon: 0.01, restScale: 1 },
      rng: Rng.seeded(1),
      data: initializerData(backend, layers, { x, rows: 80 }),
    });
    const mean = new Float32Array(d);
    for (let i = 0; i < 80; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / 80;
    const out = forwardLayers(backend, layers, { x: mean, rows: 1 }, weights).at(-1)!.post;
    for (let j = 0; j < d; j++) expect(out[j]).toBeCloseTo(mean[j], 4);
  });
});

describe('the autoencoder kind gives data-aware initializers training rows only', () => {
  const MARKER = 0.987654; // planted in every validation pixel; training pixels lie in [0, 0.5)
  const d = 16;
  const n = 90;
  const images = Rng.seeded(3).fillUniform(new Float32Array(n * d), 0, 0.5);
  const spyOn = (plugin: InitializerPlugin) => {
    const seen: Float32Array[] = [];
    const spy: InitializerPlugin = {
      ...plugin,
      name: `spy-${plugin.name}`,
      init(ctx) {
        // The forward pass runs this same sample, so recording it covers what forward sees too.
        if (ctx.data) seen.push(ctx.data.x.slice());
        return plugin.init(ctx);
      },
    };
    if (!initializers.has(spy.name)) initializers.register(spy);
    return { spy, seen };
  };

  for (const plugin of DATA_AWARE) {
    it(plugin.name, async () => {
      const { spy, seen } = spyOn(plugin);
      const validationSplit = 0.33;
      const trainRows = Math.floor(n * (1 - validationSplit));
      const x = images.slice();
      x.fill(MARKER, trainRows * d);
      const spec = parseOrThrow(
        autoencoderSpecSchema,
        {
          name: 'marker',
          datasets: [{ name: 'synthetic' }],
          model: { sizes: [d, 8, 4, 8, d] },
          initializers: [{ name: spy.name, params: plugin === nmfDataInitializer ? { maxIter: 30 } : {} }],
          training: { batchSize: 16, validationSplit },
          initializerData: { samples: 40 },
          grid: { samples: [{ count: n, seeds: 2 }], epochs: [1] },
          outputs: { dir: '/tmp/unused' },
        },
        'spec',
      );
      const data: RunData = {
        train: { images: x, count: n },
        test: { images: images.slice(0, 10 * d), count: 10 },
        dim: d,
        displayIndices: [0],
      };
      for (const run of expandRuns(spec, 'reference')) {
        await executeRun(run, data, {
          rng: Rng.seeded(run.seed),
          backend,
          cacheDir: '/tmp/nmfinit-test-none',
          dir: tmpdir(),
          checkpoints: new RunCheckpoints(tmpdir(), run.id, 'none', () => {}),
          emit: () => {},
        });
      }
      expect(seen).toHaveLength(2);
      for (const sample of seen) {
        expect(sample.length).toBe(40 * d);
        expect(sample.includes(MARKER)).toBe(false);
        // Every row it saw is a training row, verbatim.
        for (let r = 0; r < 40; r++) {
          const row = sample.subarray(r * d, (r + 1) * d);
          const found = Array.from({ length: trainRows }, (_, i) => i).some((i) =>
            row.every((v, j) => v === x[i * d + j]),
          );
          expect(found).toBe(true);
        }
      }
    });
  }
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  superposition,
  superpositionDirections,
  superpositionParams,
} from '../plugins/datasets/superposition.ts';
import { nmfDictionary, standardDictionary } from '../plugins/sae/dictionaries.ts';
import { getBackend } from '../src/backend/index.ts';
import { SimdBackend } from '../src/backend/simd/backend.ts';
import { DeadLatentTracker } from '../src/sae/dead-latents.ts';
import { densityHistogram, evaluateSae, meanMaxCosine } from '../src/sae/metrics.ts';
import { removeParallelComponent, SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';

const backend = getBackend('simd');

async function planted(overrides: Record<string, unknown> = {}) {
  const params = superpositionParams.parse({
    height: 4,
    width: 4,
    features: 32,
    meanActive: 2,
    trainCount: 4000,
    testCount: 10,
    ...overrides,
  });
  const ds = await superposition.load({ split: 'train', params, cacheDir: '/tmp' });
  return { params, x: ds.images, rows: ds.count, d: 16 };
}

async function standardModel(
  data: { x: Float32Array; rows: number; d: number },
  n: number,
  k: number,
  seed: number,
) {
  const model = new SparseAutoencoder(backend, { inputDim: data.d, latents: n, k });
  const atoms = await standardDictionary.init({
    latents: n,
    inputDim: data.d,
    data,
    params: {},
    rng: Rng.seeded(seed),
  });
  model.setDictionary(atoms, dataMoments(data.x, data.rows, data.d).mean);
  return model;
}

function rowNorms(a: Float32Array, r: number, c: number): number[] {
  return Array.from({ length: r }, (_, i) => Math.hypot(...a.subarray(i * c, (i + 1) * c)));
}

describe('decoder atoms', () => {
  it('have unit norm after every training run, whatever the size, k, α and seed', async () => {
    const data = await planted({ trainCount: 256 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(0, 1 / 32, 1),
        fc.integer({ min: 0, max: 1000 }),
        async (n, kRaw, alpha, seed) => {
          const k = Math.min(kRaw, n);
          const model = await standardModel(data, n, k, seed);
          trainSae(
            model,
            data.x,
            data.rows,
            {
              epochs: 1,
              batchSize: 32,
              auxCoefficient: alpha,
              deadSamples: 32,
              recordEvery: 100,
              learningRate: 0.01,
            },
            Rng.seeded(seed),
          );
          for (const norm of rowNorms(model.decoderKernel.value.data, n, data.d))
            expect(Math.abs(norm - 1)).toBeLessThan(1e-5);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('removing the parallel component leaves each gradient row orthogonal to its unit atom, the rest unchanged', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer(),
        (r, c, seed) => {
          const rng = Rng.seeded(seed);
          const w = Float32Array.from({ length: r * c }, () => rng.normal());
          for (let i = 0; i < r; i++) {
            const s = Math.hypot(...w.subarray(i * c, (i + 1) * c));
            for (let q = 0; q < c; q++) w[i * c + q] /= s;
          }
          const g = Float32Array.from({ length: r * c }, () => rng.normal());
          const before = g.slice();
          removeParallelComponent(g, w, r, c);
          for (let i = 0; i < r; i++) {
            let dot = 0;
            let along = 0;
            for (let q = 0; q < c; q++) {
              dot += g[i * c + q] * w[i * c + q];
              along += before[i * c + q] * w[i * c + q];
            }
            expect(Math.abs(dot)).toBeLessThan(1e-5);
            // What was removed is exactly `along`·w (a float64 reference of the projection).
            for (let q = 0; q < c; q++)
              expect(before[i * c + q] - g[i * c + q]).toBeCloseTo(along * w[i * c + q], 5);
          }
        },
      ),
    );
  });
});

describe('dead latents', () => {
  it('the counter: samples since firing, reset on a value above 1e-3, dead at the threshold', () => {
    const t = new DeadLatentTracker(5, 10);
    // Batch of 4 samples, k = 2: latent 0 fires every batch; latent 1 only in the first; latent 2
    // is kept but at 1e-4 (below the firing threshold); 3 and 4 are never kept.
    const batch = (first: boolean) => ({
      indices: Int32Array.from([0, first ? 1 : 2, 0, 2, 0, 2, 0, 2]),
      values: Float32Array.from([1, first ? 0.5 : 1e-4, 1, 1e-4, 1, 1e-4, 1, 1e-4]),
    });
    for (let b = 0; b < 3; b++) {
      const { indices, values } = batch(b === 0);
      t.update(indices, values, 4);
    }
    expect([...t.samplesSinceFired]).toEqual([0, 8, 12, 12, 12]);
    expect([...t.deadMask().mask]).toEqual([0, 0, 1, 1, 1]);
    t.update(Int32Array.from([0, 3]), Float32Array.from([1, 1]), 1);
    expect([...t.deadMask().mask]).toEqual([0, 0, 1, 0, 1]);
    expect(t.deadFraction()).toBeCloseTo(2 / 5, 12);
  });

  it('through the model: latents that can never enter the top k are exactly the dead ones', async () => {
    const data = await planted({ trainCount: 64 });
    const model = await standardModel(data, 6, 4, 3);
    // Latents 0–3 get a large bias (always kept, always firing); 4 and 5 a hugely negative one.
    model.encoderBias.value.data.set([10, 10, 10, 10, -1000, -1000]);
    const t = new DeadLatentTracker(6, 64);
    const { latents } = model.reconstruct(data.x, data.rows);
    t.update(latents.indices, latents.values, data.rows);
    expect([...t.deadMask().mask]).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('the auxiliary loss (α = 1/32) lowers the dead fraction on a model built to have dead latents', async () => {
    const data = await planted();
    const run = async (alpha: number) => {
      const model = await standardModel(data, 64, 2, 1);
      // Half the encoder columns shrunk 5×: those latents lose every top-k contest, so without the
      // auxiliary loss they get no gradient and stay dead; AuxK's gradient is their only way back.
      const we = model.encoderKernel.value.data;
      for (let q = 0; q < data.d; q++) for (let j = 32; j < 64; j++) we[q * 64 + j] *= 0.2;
      const r = trainSae(
        model,
        data.x,
        data.rows,
        {
          epochs: 5,
          batchSize: 64,
          auxCoefficient: alpha,
          deadSamples: 256,
          recordEvery: 1000,
          learningRate: 0.003,
        },
        Rng.seeded(2),
      );
      return r.records[r.records.length - 1];
    };
    const without = await run(0);
    const withAux = await run(1 / 32);
    // Observed: 0.53 → 0.44 dead, normalised MSE 0.27 → 0.20.
    expect(without.deadFraction).toBeGreaterThan(0.5);
    expect(withAux.deadFraction).toBeLessThan(without.deadFraction - 0.05);
    expect(withAux.normalizedMse).toBeLessThan(without.normalizedMse);
  });
});

describe('the sparse kernels’ order', () => {
  it('training in column order (sparseTraversal) gives the row order’s records and parameters bit for bit', async () => {
    // The AuxK term's entries repeat columns (16 of the few dead latents a row), so 'columns' takes
    // the column order for all three kernels; the two models must not differ in a single bit.
    const data = await planted({ features: 24 });
    const train = async (sparseTraversal: 'rows' | 'columns') => {
      const model = new SparseAutoencoder(new SimdBackend({ sparseTraversal }), {
        inputDim: data.d,
        latents: 48,
        k: 3,
      });
      const atoms = await standardDictionary.init({
        latents: 48,
        inputDim: data.d,
        data,
        params: {},
        rng: Rng.seeded(4),
      });
      model.setDictionary(atoms, dataMoments(data.x, data.rows, data.d).mean);
      const r = trainSae(
        model,
        data.x,
        data.rows,
        { epochs: 2, batchSize: 64, auxCoefficient: 1 / 32, kAux: 16, deadSamples: 128, recordEvery: 10 },
        Rng.seeded(5),
      );
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.slice().buffer));
      const out = {
        records: r.records,
        params: model.parameters.map((p) => bits(p.value.data)),
      };
      model.dispose();
      return out;
    };
    const [rows, columns] = [await train('rows'), await train('columns')];
    expect(rows.records.some((r) => r.deadFraction > 0)).toBe(true);
    expect(columns).toEqual(rows);
  });
});

describe('feature recovery on a planted problem', () => {
  it('24 directions in 16 dimensions, 48 latents, k = 2: mean max cosine above 0.95', async () => {
    const data = await planted({ features: 24 });
    const model = await standardModel(data, 48, 2, 1);
    trainSae(
      model,
      data.x,
      data.rows,
      {
        epochs: 10,
        batchSize: 64,
        auxCoefficient: 1 / 32,
        deadSamples: 512,
        recordEvery: 1000,
        learningRate: 0.003,
      },
      Rng.seeded(2),
    );
    const truth = superpositionDirections(data.params);
    const recovered = meanMaxCosine(model.decoderKernel.value.data, 48, truth, 24, 16);
    // Observed 0.988; random unit atoms score about 0.6 here (checked below), so the bound is informative.
    expect(recovered).toBeGreaterThan(0.95);
    const untrained = await standardModel(data, 48, 2, 1);
    expect(meanMaxCosine(untrained.decoderKernel.value.data, 48, truth, 24, 16)).toBeLessThan(0.8);
  });

  it('the recovery metric is 1 for the truth itself and invariant to atom scale', () => {
    const truth = Float32Array.from([1, 0, 0, 0, 1, 0]);
    expect(meanMaxCosine(truth, 2, truth, 2, 3)).toBeCloseTo(1, 12);
    expect(meanMaxCosine(Float32Array.from([3, 0, 0, 0, 0.5, 0]), 2, truth, 2, 3)).toBeCloseTo(1, 12);
    expect(meanMaxCosine(Float32Array.from([0, 0, 1, 0, 0, 1]), 2, truth, 2, 3)).toBeCloseTo(0, 12);
  });
});

describe('metrics and dictionaries', () => {
  it('normalised MSE is 1 when the model outputs the mean, L0 ≤ k, densities in [0, 1]', async () => {
    const data = await planted({ trainCount: 200 });
    const model = await standardModel(data, 16, 3, 0);
    model.decoderKernel.value.data.fill(0); // x̂ = b_pre = the data mean
    const ev = evaluateSae(model, data.x, data.rows);
    expect(ev.normalizedMse).toBeCloseTo(1, 5);
    expect(ev.l0).toBeLessThanOrEqual(3);
    for (const f of ev.frequencies) expect(f >= 0 && f <= 1).toBe(true);
    const h = densityHistogram(Float64Array.from([0, 1, 0.5, 0.001]), 1000, 10);
    expect(h.neverFired).toBe(1);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('the NMF dictionary gives non-negative unit atoms from the data; negative data is a clear error', async () => {
    const data = await planted({ directions: 'non-negative', trainCount: 300 });
    const atoms = await nmfDictionary.init({
      latents: 12,
      inputDim: 16,
      data,
      params: nmfDictionary.params.parse({ rank: 6, samples: 300, maxIter: 20, jitter: 0 }),
      rng: Rng.seeded(0),
    });
    for (let j = 0; j < 12; j++) {
      const row = atoms.subarray(j * 16, (j + 1) * 16);
      expect(Math.abs(Math.hypot(...row) - 1)).toBeLessThan(1e-5);
      for (const v of row) expect(v).toBeGreaterThanOrEqual(0);
    }
    // Copies beyond the rank repeat the components (jitter 0).
    expect([...atoms.subarray(6 * 16, 7 * 16)]).toEqual([...atoms.subarray(0, 16)]);
    const signed = { x: Float32Array.from([-1, 1, 1, 1]), rows: 2 };
    await expect(async () =>
      nmfDictionary.init({
        latents: 2,
        inputDim: 2,
        data: signed,
        params: nmfDictionary.params.parse({}),
        rng: Rng.seeded(0),
      }),
    ).rejects.toThrow(/non-negative/);
  });

  it('the superposition set is seeded, in [0, 1], and a limit gives the first samples', async () => {
    const a = await planted({ trainCount: 100 });
    const b = await planted({ trainCount: 100 });
    expect([...a.x]).toEqual([...b.x]);
    for (const v of a.x) expect(v >= 0 && v <= 1).toBe(true);
    const limited = await superposition.load({
      split: 'train',
      limit: 10,
      params: a.params,
      cacheDir: '/tmp',
    });
    expect([...limited.images]).toEqual([...a.x.subarray(0, 160)]);
    for (const norm of rowNorms(superpositionDirections(a.params), 32, 16)) expect(norm).toBeCloseTo(1, 5);
  });
});

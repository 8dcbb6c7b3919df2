import { describe, expect, it } from 'vitest';
import { superposition, superpositionParams } from '../plugins/datasets/superposition.ts';
import { standardDictionary } from '../plugins/sae/dictionaries.ts';
import { saeMetrics } from '../plugins/studies/sae/metrics.ts';
import { expandSae, REFERENCE_PRESET, saeSpecSchema } from '../plugins/studies/sae/spec.ts';
import { geometricMedian } from '../src/analysis/geometric-median.ts';
import { getBackend } from '../src/backend/index.ts';
import { runConfigHash } from '../src/experiment/hash.ts';
import { geometricMedianPreBias, rescaleEncoder, untieEncoder } from '../src/sae/init.ts';
import { matchedCosines, meanMaxCosine } from '../src/sae/metrics.ts';
import { normalizeRows, SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, deadFractionFlat, type SaeTrainOptions, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import { specDifferences } from './helpers/spec-diff.ts';

// Issue 23: the reference configuration's settings, each an option that defaults to today's.

const backend = getBackend('simd');

async function data(trainCount = 512) {
  const params = superpositionParams.parse({
    height: 4,
    width: 4,
    features: 32,
    meanActive: 2,
    trainCount,
    testCount: 10,
  });
  const ds = await superposition.load({ split: 'train', params, cacheDir: '/tmp' });
  return { x: ds.images, rows: ds.count, d: 16 };
}

async function model(d: { x: Float32Array; rows: number; d: number }, n = 24, k = 2, seed = 1) {
  const m = new SparseAutoencoder(backend, { inputDim: d.d, latents: n, k });
  const atoms = await standardDictionary.init({
    latents: n,
    inputDim: d.d,
    data: d,
    params: {},
    rng: Rng.seeded(seed),
  });
  m.setDictionary(atoms, dataMoments(d.x, d.rows, d.d).mean);
  return m;
}

const base: SaeTrainOptions = {
  epochs: 1,
  batchSize: 32,
  auxCoefficient: 1 / 32,
  deadSamples: 1,
  recordEvery: 1,
  learningRate: 0.01,
};

const spec = (extra: Record<string, unknown> = {}) =>
  saeSpecSchema.parse({
    kind: 'sae',
    name: 'sae',
    datasets: [
      { name: 'mnist', trainSamples: 20000 },
      { name: 'superposition', trainSamples: 2000, k: [4] },
    ],
    latents: [1024],
    k: [8],
    outputs: { dir: 'x' },
    ...extra,
  });

describe('sae reference options: stored runs keep their identity', () => {
  it('a spec without the new options expands to the configs, and hashes, of before issue 23', () => {
    // Hashes computed on main before the options existed (commit 9a0b05c), result version 1.
    const before: Record<string, string> = {
      mnist__n1024__k8__aux__sae_standard__s0:
        'c40e9a44f28e59cf5d4f9082350badf60a79071332c27085ba833923163e91de',
      mnist__n1024__k8__noaux__sae_standard__s0:
        '41768e76cd7568a343bb58f05633fcd7d2c03620d749a2596561b12f1d1c9388',
      superposition__n1024__k4__aux__sae_standard__s0:
        'c8c761c3e5913fd1cf01cbe1476e9685694da24276071fa9a57012fa1d95368a',
    };
    const runs = expandSae(spec(), 'js');
    for (const [id, hash] of Object.entries(before)) {
      const run = runs.find((r) => r.id === id.replace('sae_standard', 'sae-standard'));
      expect(run, id).toBeDefined();
      expect(runConfigHash('sae', 1, run!)).toBe(hash);
    }
  });

  it('options set to today’s values leave the run config as it was', () => {
    const today = spec({
      adamEpsilon: 6.25e-10,
      preBiasInit: 'mean',
      tiedStart: true,
      encoderRescale: false,
      auxResidual: 'detached',
      auxPreBias: 'once',
      decoderNormalization: 'after-step',
    });
    expect(expandSae(today, 'js')).toEqual(expandSae(spec(), 'js'));
  });

  it('the reference preset sets every setting; explicit fields win over it', () => {
    const run = expandSae(spec({ preset: 'reference' }), 'js')[0];
    expect(run).toMatchObject({
      kAux: 256,
      auxCoefficient: 1 / 32,
      deadSamples: 60000,
      preBiasInit: 'geometric-median',
      encoderRescale: true,
      auxPreBias: 'twice',
      decoderNormalization: 'before-step',
    });
    // Equal to today's, so absent: ε and the tied start and the detached residual.
    expect(run.adamEpsilon).toBeUndefined();
    expect(run.tiedStart).toBeUndefined();
    expect(run.auxResidual).toBeUndefined();
    expect(REFERENCE_PRESET.adamEpsilon).toBe(6.25e-10);
    const over = expandSae(spec({ preset: 'reference', kAux: 512, auxPreBias: 'once' }), 'js')[0];
    expect(over.kAux).toBe(512);
    expect(over.auxPreBias).toBeUndefined();
    expect(over.preBiasInit).toBe('geometric-median');
  });

  it('rejects an unknown preset or setting value by name', () => {
    expect(saeSpecSchema.safeParse({ ...spec(), preset: 'openai' }).success).toBe(false);
    expect(saeSpecSchema.safeParse({ ...spec(), auxPreBias: 'thrice' }).success).toBe(false);
  });
});

describe('sae reference options: what each does', () => {
  it('before-step normalisation: one step equals the after-step one without its final renormalisation', async () => {
    const d = await data();
    const opts = { ...base, auxCoefficient: 0 };
    const a = await model(d);
    const b = await model(d);
    // One step: 32 samples, one batch of the 512 (epochs 1 would be 16 steps; trainSae has no step cap).
    const one = { x: d.x.subarray(0, 32 * d.d), rows: 32 };
    trainSae(a, one.x, one.rows, { ...opts, decoderNormalization: 'after-step' }, Rng.seeded(3));
    trainSae(b, one.x, one.rows, { ...opts, decoderNormalization: 'before-step' }, Rng.seeded(3));
    const wb = b.decoderKernel.value.data;
    const norms = Array.from({ length: 24 }, (_, i) => Math.hypot(...wb.subarray(i * 16, (i + 1) * 16)));
    expect(Math.max(...norms.map((v) => Math.abs(v - 1)))).toBeGreaterThan(1e-6); // left un-normalised
    normalizeRows(wb, 24, 16);
    const wa = a.decoderKernel.value.data;
    for (let i = 0; i < wa.length; i++) expect(wb[i]).toBeCloseTo(wa[i], 6);
  });

  it('b_pre twice: the same loss values, and the aux gradient now moves b_pre', async () => {
    const d = await data();
    const once = await model(d);
    const twice = await model(d);
    const ra = trainSae(once, d.x, d.rows, { ...base, auxPreBias: 'once' }, Rng.seeded(5));
    const rb = trainSae(twice, d.x, d.rows, { ...base, auxPreBias: 'twice' }, Rng.seeded(5));
    // Step 0 has no dead latent (deadSamples 1: dead after one batch without firing); step 1 has.
    expect(rb.records[2].loss).toBeCloseTo(ra.records[2].loss, 6);
    expect(rb.records[2].deadFraction).toBeGreaterThan(0);
    let diff = 0;
    for (let q = 0; q < 16; q++) diff += Math.abs(once.preBias.value.data[q] - twice.preBias.value.data[q]);
    expect(diff).toBeGreaterThan(1e-6);
  });

  it('an attached residual: the same loss values, different weights after the aux steps', async () => {
    const d = await data();
    const det = await model(d);
    const att = await model(d);
    const ra = trainSae(det, d.x, d.rows, { ...base, auxResidual: 'detached' }, Rng.seeded(5));
    const rb = trainSae(att, d.x, d.rows, { ...base, auxResidual: 'attached' }, Rng.seeded(5));
    expect(rb.records[2].loss).toBeCloseTo(ra.records[2].loss, 6);
    let diff = 0;
    const wa = det.encoderKernel.value.data;
    const wb = att.encoderKernel.value.data;
    for (let i = 0; i < wa.length; i++) diff += Math.abs(wa[i] - wb[i]);
    expect(diff).toBeGreaterThan(1e-6);
  });

  it('Adam ε is passed through: a large ε changes the weights', async () => {
    const d = await data(64);
    const a = await model(d);
    const b = await model(d);
    trainSae(a, d.x, d.rows, base, Rng.seeded(2));
    trainSae(b, d.x, d.rows, { ...base, adamEpsilon: 10 }, Rng.seeded(2));
    let diff = 0;
    for (let i = 0; i < a.encoderKernel.value.data.length; i++)
      diff += Math.abs(a.encoderKernel.value.data[i] - b.encoderKernel.value.data[i]);
    expect(diff).toBeGreaterThan(1e-4);
  });

  it('settle: stops at `epochs` once the dead fraction is flat, trains on while it is not', async () => {
    expect(deadFractionFlat([0.5, 0.5, 0.5, 0.5], 0)).toBe(true);
    expect(deadFractionFlat([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.01)).toBe(false);
    expect(deadFractionFlat([0.2], 1)).toBe(false); // one step says nothing
    // A level series with per-step jitter (as a dead count crossing the window's edge): the range
    // rule sees the jitter, the trend rule the level; a steady drift is no flat for either.
    const rng = Rng.seeded(9);
    const jitter = Array.from({ length: 2000 }, () => 0.3 + 0.004 * (rng.uniform() - 0.5) * 2);
    expect(deadFractionFlat(jitter, 0.005, 'range')).toBe(false);
    expect(deadFractionFlat(jitter, 0.005)).toBe(false);
    expect(deadFractionFlat(jitter, 0.005, 'trend')).toBe(true);
    const drift = Array.from({ length: 2000 }, (_, i) => 0.3 + i * 0.00005);
    // The tail (last 200 steps) drifts 199 · 0.00005 = 0.00995: not flat at 0.005, flat at 0.01.
    expect(deadFractionFlat(drift, 0.005, 'trend')).toBe(false);
    expect(deadFractionFlat(drift, 0.0099, 'trend')).toBe(false);
    expect(deadFractionFlat(drift, 0.01, 'trend')).toBe(true);
    expect(deadFractionFlat([0.5, 0.5, 0.5, 0.5], 0, 'trend')).toBe(true);
    expect(deadFractionFlat([0.2], 1, 'trend')).toBe(false);
    const d = await data(64);
    const flat = trainSae(
      await model(d),
      d.x,
      d.rows,
      { ...base, settle: { maxEpochs: 6, tolerance: 1 } },
      Rng.seeded(1),
    );
    expect(flat.epochs).toBe(1);
    const never = trainSae(
      await model(d),
      d.x,
      d.rows,
      { ...base, epochs: 2, settle: { maxEpochs: 4, tolerance: 0 } },
      Rng.seeded(1),
    );
    // With tolerance 0 the dead fraction of a 24-latent model must not move at all over the tail.
    expect(never.epochs).toBeGreaterThanOrEqual(2);
    expect(never.epochs).toBeLessThanOrEqual(4);
    expect(never.steps).toBe(never.epochs * 2);
    const m = await model(d);
    expect(() =>
      trainSae(m, d.x, d.rows, { ...base, epochs: 3, settle: { maxEpochs: 2, tolerance: 0 } }, Rng.seeded(1)),
    ).toThrow(/settle needs an integer maxEpochs ≥ epochs \(3\)/);
  });
});

describe('sae reference start', () => {
  it('the geometric-median b_pre is Weiszfeld’s median of the first ≤ 32,768 samples', async () => {
    const d = await data(300);
    const b = geometricMedianPreBias(d.x, d.rows, d.d);
    const g = geometricMedian(d.x, d.rows, d.d).median;
    for (let q = 0; q < d.d; q++) expect(b[q]).toBeCloseTo(g[q], 6);
  });

  it('the encoder rescale brings the probes’ reconstructions to unit mean norm', async () => {
    const d = await data();
    const m = await model(d);
    rescaleEncoder(m, Rng.seeded(9));
    // TopK with ReLU is positively homogeneous in W_e: the same probes now come back at norm 1.
    expect(rescaleEncoder(m, Rng.seeded(9))).toBeCloseTo(1, 4);
  });

  it('an untied start draws the encoder afresh within U(±1/√d)', async () => {
    const d = await data();
    const m = await model(d);
    untieEncoder(m, Rng.seeded(4));
    const we = m.encoderKernel.value.data;
    const wd = m.decoderKernel.value.data;
    let same = 0;
    for (let j = 0; j < 24; j++) for (let p = 0; p < 16; p++) if (we[p * 24 + j] === wd[j * 16 + p]) same++;
    expect(same).toBe(0);
    expect(Math.max(...we.map(Math.abs))).toBeLessThanOrEqual(1 / 4);
  });
});

describe('recovery by optimal matching', () => {
  it('is 1 for the truth in any order, and lower than mean max cosine when one atom covers two directions', () => {
    const truth = Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const shuffled = Float32Array.from([0, 0, 2, 3, 0, 0, 0, 1, 0]);
    expect(matchedCosines(shuffled, 3, truth, 3, 3).meanCosine).toBeCloseTo(1, 12);
    expect(matchedCosines(shuffled, 3, truth, 3, 3).fractionAbove).toBe(1);
    // Three copies of a direction between e1 and e2: each direction still gets its own copy.
    const s = Math.SQRT1_2;
    const copies = Float32Array.from([s, s, 0, s, s, 0, s, s, 0]);
    const maxCos = meanMaxCosine(copies, 3, truth, 3, 3);
    const matched = matchedCosines(copies, 3, truth, 3, 3);
    expect(maxCos).toBeCloseTo((2 * s) / 3, 6);
    expect(matched.meanCosine).toBeCloseTo((2 * s) / 3, 6); // e3 gets a copy at cosine 0
    // One atom between e1 and e2 and one on e3: max cosine counts the first for both e1 and e2.
    const one = Float32Array.from([s, s, 0, 0, 0, 1]);
    expect(matchedCosines(one, 2, truth, 3, 3).meanCosine).toBeCloseTo((s + 1) / 3, 6);
    expect(meanMaxCosine(one, 2, truth, 3, 3)).toBeCloseTo((2 * s + 1) / 3, 6);
    expect(matchedCosines(one, 2, truth, 3, 3).fractionAbove).toBeCloseTo(1 / 3, 12);
  });
});

describe('sae metrics rows', () => {
  it('carry recovery by max cosine and by matching after the last step, only where there is a truth', () => {
    const result = {
      records: [
        { step: 0, samples: 0, loss: null, normalizedMse: 1, l0: 2, deadFraction: 0 },
        { step: 7, samples: 224, loss: 0.5, normalizedMse: 0.4, l0: 2, deadFraction: 0.1 },
      ],
      recovery: 0.8,
      matching: { meanCosine: 0.7, fractionAbove: 0.25, threshold: 0.9 },
    };
    const config = { label: 'superposition', dictionary: 'sae-standard', seed: 0 };
    const rows = saeMetrics({ runs: [{ id: 'r', config, result }] as never });
    const end = rows.filter((r) => r.metric.startsWith('recovery'));
    expect(end.map((r) => [r.metric, r.value, r.epoch])).toEqual([
      ['recovery_max_cosine', 0.8, 7],
      ['recovery_matched_cosine', 0.7, 7],
      ['recovery_matched_fraction', 0.25, 7],
    ]);
    const none = saeMetrics({
      runs: [{ id: 'r', config, result: { ...result, recovery: null, matching: null } }] as never,
    });
    expect(none.some((r) => r.metric.startsWith('recovery'))).toBe(false);
  });
});

describe('the parts of experiments/sae-reference.ts', () => {
  it('each parses and expands to runs, every part to its own results folder', async () => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const dirs = new Set<string>();
    for (const [name, part] of Object.entries(parts)) {
      const spec = saeSpecSchema.parse(part);
      expect(expandSae(spec, 'simd').length, name).toBeGreaterThan(0);
      dirs.add(spec.outputs.dir);
    }
    expect(dirs.size).toBe(Object.keys(parts).length);
  });

  it('the planted grid differs between today and the reference only in the reference settings and length', async () => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const [today, reference] = [
      saeSpecSchema.parse(parts['planted-today']),
      saeSpecSchema.parse(parts.planted),
    ];
    expect(specDifferences(today, reference)).toEqual(
      ['epochs', 'kAux', 'preset', 'settle.maxEpochs', 'settle.tolerance'].sort(),
    );
    expect(reference.preset).toBe('reference');
    expect(reference.kAux).toBe(REFERENCE_PRESET.kAux);
  });

  it('the NMF-dictionary ablation moves the encoder rescale alone', async () => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const ours = saeSpecSchema.parse(parts['ablation-nmf-ours']);
    const moved = saeSpecSchema.parse(parts['ablation-nmf-encoder-rescale']);
    expect(specDifferences(ours, moved)).toEqual(['encoderRescale']);
    expect(moved.encoderRescale).toBe(REFERENCE_PRESET.encoderRescale);
    // The pairs of today's verdict: the NMF dictionary and the standard one at n = 1,024.
    const runs = expandSae(ours, 'simd');
    expect(new Set(runs.map((r) => r.dictionary))).toEqual(new Set(['sae-standard', 'sae-nmf']));
    expect(new Set(runs.map((r) => r.latents))).toEqual(new Set([1024]));
  });
});

describe('a run without AuxK carries none of its settings', () => {
  it('they cannot change it: k_aux, the coefficient, the residual and b_pre twice leave its training bit for bit', async () => {
    const d = await data();
    const train = async (extra: Partial<SaeTrainOptions>) => {
      const m = await model(d);
      const r = trainSae(m, d.x, d.rows, { ...base, ...extra, auxCoefficient: 0 }, Rng.seeded(2));
      return { records: r.records, decoder: Array.from(m.decoderKernel.value.data) };
    };
    const plain = await train({});
    expect(plain.records.length).toBeGreaterThan(2);
    expect(await train({ kAux: 7, auxResidual: 'attached', auxPreBias: 'twice' })).toEqual(plain);
    // With AuxK on, the same settings do change the training (the comparison above can fail).
    const aux = async (extra: Partial<SaeTrainOptions>) => {
      const m = await model(d);
      return trainSae(m, d.x, d.rows, { ...base, ...extra }, Rng.seeded(2)).records;
    };
    expect(await aux({ kAux: 7, auxPreBias: 'twice' })).not.toEqual(await aux({}));
  });

  it('so the k_aux 256 and 512 parts share every run without AuxK, hash for hash, and none with it', async () => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const hashes = (part: unknown) =>
      new Map(expandSae(saeSpecSchema.parse(part), 'simd').map((r) => [r.id, runConfigHash('sae', 1, r)]));
    const k256 = hashes(parts.reference);
    const k512 = hashes(parts['reference-512']);
    expect([...k512.keys()]).toEqual([...k256.keys()]);
    const shared = [...k256].filter(([id, h]) => k512.get(id) === h).map(([id]) => id);
    expect(shared.length).toBeGreaterThan(0);
    expect(shared).toEqual([...k256.keys()].filter((id) => id.includes('__noaux__')));
    // Likewise the ablation parts that move an AuxK setting share the base's runs without it, and
    // a part that moves a setting that matters without AuxK (the dead window) shares none.
    const ours = hashes(parts['ablation-ours']);
    for (const [name, sharesNoAux] of [
      ['ablation-k-aux', true],
      ['ablation-aux-pre-bias', true],
      ['ablation-dead-window', false],
    ] as const) {
      const moved = hashes(parts[name]);
      for (const [id, h] of ours)
        expect(moved.get(id) === h, `${name} ${id}`).toBe(sharesNoAux && id.includes('__noaux__'));
    }
  });

  it('the settle rule: the MNIST parts read the trend, the planted part the range it ran with; range is left out of a run', async () => {
    const { parts } = await import('../experiments/sae-reference.ts');
    const settleOf = (part: unknown) => expandSae(saeSpecSchema.parse(part), 'simd')[0].settle;
    for (const name of ['reference', 'reference-512', 'ablation-length'] as const)
      expect(settleOf(parts[name]), name).toEqual({ maxEpochs: 200, tolerance: 0.005, rule: 'trend' });
    expect(settleOf(parts.planted)).toEqual({ maxEpochs: 200, tolerance: 0.005 });
    // Writing the default rule out changes no run's hash; the trend rule changes every run's.
    const hashes = (rule?: 'range' | 'trend') =>
      expandSae(
        saeSpecSchema.parse({ ...parts.planted, settle: { maxEpochs: 200, tolerance: 0.005, rule } }),
        'simd',
      ).map((r) => runConfigHash('sae', 1, r));
    expect(hashes('range')).toEqual(hashes(undefined));
    const trend = hashes('trend');
    const range = hashes(undefined);
    expect(trend.filter((h, i) => h === range[i])).toEqual([]);
  });
});

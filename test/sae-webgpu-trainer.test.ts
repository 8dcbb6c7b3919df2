import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type Backend, getBackend, WebGpuBackend } from '../src/backend/index.ts';
import type { SaeTrainerSpec } from '../src/backend/types.ts';
import { isSoftwareAdapter } from '../src/backend/webgpu/backend.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { float32Above, saeTrainerMisfit } from '../src/backend/webgpu/sae-trainer.ts';
import { SAE_STEP_SUMS } from '../src/backend/webgpu/sae-trainer-protocol.ts';
import { FIRING_THRESHOLD } from '../src/sae/dead-latents.ts';
import { hostOnlyChoice } from '../src/sae/device-train.ts';
import { SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, type SaeRecord, type SaeTrainOptions, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

// The device SAE trainer (src/backend/webgpu/sae-trainer.ts) against trainSae on the Tape of the
// reference backend, from the same start and the same shuffles.

const D = 16;
const N = 64;
const K = 4;
const K_AUX = 8;
const BATCH = 32;
const ROWS = 192;
/** One batch without firing makes a latent dead, so the aux term is on from the second step. */
const DEAD_SAMPLES = BATCH;
/**
 * Steps compared: few enough that no top-k or aux selection flips between the two (float32 sums
 * in other orders move pre-activations by ~1e-7; a flip would show as a jump far over the bounds).
 */
const EPOCHS = 1;
/**
 * Bounds on the differences from the reference backend, float32 throughout but summed in other
 * orders (gemm tiles, dense instead of sparse gradients, float32 instead of float64 for the losses,
 * the spread and the atom norms). Measured on llvmpipe: see the test's log line.
 */
const LOSS_TOLERANCE = 1e-5;
const PARAM_TOLERANCE = 1e-5;

const data = (() => {
  const rng = Rng.seeded(7);
  return Float32Array.from({ length: ROWS * D }, () => rng.normal() + (rng.uniform() < 0.3 ? 2 : 0));
})();

function startingModel(backend: Backend): SparseAutoencoder {
  const model = new SparseAutoencoder(backend, { inputDim: D, latents: N, k: K });
  const rng = Rng.seeded(3);
  const atoms = Float32Array.from({ length: N * D }, () => rng.normal());
  model.setDictionary(atoms, dataMoments(data, ROWS, D).mean);
  return model;
}

const OPTIONS: SaeTrainOptions = {
  epochs: EPOCHS,
  batchSize: BATCH,
  auxCoefficient: 1 / 32,
  kAux: K_AUX,
  deadSamples: DEAD_SAMPLES,
  recordEvery: 1,
  learningRate: 1e-3,
};

function run(backend: Backend, options: Partial<SaeTrainOptions> = {}) {
  const model = startingModel(backend);
  const records: SaeRecord[] = [];
  const result = trainSae(model, data, ROWS, { ...OPTIONS, ...options }, Rng.seeded(11), (r) =>
    records.push(r),
  );
  return { model, records, result };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const SPEC: SaeTrainerSpec = {
  inputDim: D,
  latents: N,
  k: K,
  kAux: K_AUX,
  batchSize: BATCH,
  auxCoefficient: 1 / 32,
  mseScale: 1,
  deadSamples: DEAD_SAMPLES,
  firingThreshold: FIRING_THRESHOLD,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 6.25e-10,
};

describe('the device SAE trainer without a device', () => {
  it('leaves the non-default choices to the Tape, by name', () => {
    expect(hostOnlyChoice(OPTIONS)).toBeUndefined();
    expect(hostOnlyChoice({ ...OPTIONS, auxResidual: 'attached' })).toBe("auxResidual 'attached'");
    expect(hostOnlyChoice({ ...OPTIONS, auxPreBias: 'twice' })).toBe("auxPreBias 'twice'");
    expect(hostOnlyChoice({ ...OPTIONS, decoderNormalization: 'before-step' })).toBe(
      "decoderNormalization 'before-step'",
    );
  });

  it("fires exactly where the host's v > threshold does, for float32 v", () => {
    const f = float32Above(FIRING_THRESHOLD);
    expect(f).toBeGreaterThan(FIRING_THRESHOLD);
    // The float32 just below f is not above the threshold: nothing lies between.
    const below = new Float32Array([f]);
    new Uint32Array(below.buffer)[0] -= 1;
    expect(below[0]).toBeLessThanOrEqual(FIRING_THRESHOLD);
    // A threshold that is itself a float32: the next one up.
    expect(float32Above(0.5)).toBe(0.5 + 2 ** -24);
  });

  it('says why a size does not fit', () => {
    expect(saeTrainerMisfit(SPEC, 1e9)).toBeUndefined();
    expect(saeTrainerMisfit(SPEC, BATCH * N - 1)).toMatch(/floats in one binding/);
    expect(saeTrainerMisfit({ ...SPEC, kAux: N + 1 }, 1e9)).toMatch(/k_aux = 65/);
    expect(saeTrainerMisfit({ ...SPEC, deadSamples: 2 ** 25 }, 1e9)).toMatch(/float32 counters/);
    expect(saeTrainerMisfit({ ...SPEC, firingThreshold: Number.NaN }, 1e9)).toMatch(/firing threshold NaN/);
    expect(saeTrainerMisfit({ ...SPEC, inputDim: 40_000 }, 1e12)).toMatch(/row loop/);
    expect(saeTrainerMisfit({ ...SPEC, batchSize: 70_000 }, 1e12)).toMatch(/listing a latent's entries/);
  });
});

const gpu = webgpuForTests('sae-webgpu-trainer.test.ts');

describe.skipIf(gpu.skip)('the device SAE trainer on webgpu (llvmpipe in CI)', () => {
  let channel: DeviceChannel;
  beforeAll(() => {
    channel = gpu.requireDevice();
  });

  it("trains as trainSae on the Tape: each step's loss and the final parameters, with AuxK on", () => {
    const host = run(getBackend('reference'));
    const backend = new WebGpuBackend(channel, { kernels: 'host', chain: false, saeTraining: 'device' });
    const spy = vi.spyOn(backend, 'saeTrainer');
    const dev = run(backend);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.results[0].value).toBeDefined();
    expect(dev.records.map((r) => r.step)).toEqual(host.records.map((r) => r.step));
    expect(dev.result.steps).toBe((ROWS / BATCH) * EPOCHS);
    let lossDiff = 0;
    dev.records.forEach((r, i) => {
      const h = host.records[i];
      if (i > 0) lossDiff = Math.max(lossDiff, Math.abs(r.loss - h.loss) / Math.abs(h.loss));
      expect(r.deadFraction).toBe(h.deadFraction);
      expect(r.l0).toBeCloseTo(h.l0, 5);
      expect(r.normalizedMse).toBeCloseTo(h.normalizedMse, 4);
    });
    expect(lossDiff).toBeLessThan(LOSS_TOLERANCE);
    const params = ['encoderKernel', 'encoderBias', 'decoderKernel', 'preBias'] as const;
    const diffs = params.map((p) => maxAbsDiff(dev.model[p].value.data, host.model[p].value.data));
    for (const diff of diffs) expect(diff).toBeLessThan(PARAM_TOLERANCE);
    // The training moved the parameters well past those bounds.
    const start = startingModel(getBackend('reference'));
    for (const p of params)
      expect(maxAbsDiff(start[p].value.data, host.model[p].value.data)).toBeGreaterThan(
        100 * PARAM_TOLERANCE,
      );
    console.log(
      `sae-webgpu-trainer: ${dev.result.steps} steps, largest relative loss difference ${lossDiff.toExponential(2)}, parameters' largest absolute differences ${diffs.map((x) => x.toExponential(2)).join(', ')} (W_e, b_e, W_d, b_pre)`,
    );
    // AuxK was active: latents were dead before the later steps, and α = 0 gives other losses.
    expect(host.records.slice(1, -1).some((r) => r.deadFraction > 0)).toBe(true);
    const noAux = run(backend, { auxCoefficient: 0 });
    expect(noAux.records[1].loss).toBeCloseTo(dev.records[1].loss, 5); // no dead latent before step 1
    for (let s = 2; s < dev.records.length; s++)
      expect(Math.abs(noAux.records[s].loss - dev.records[s].loss)).toBeGreaterThan(
        LOSS_TOLERANCE * dev.records[s].loss,
      );
  });

  it("moves the parameters by the Tape's gradients, not only their signs (Adam with a large ε, ≈ SGD)", () => {
    // Adam's m/√v hides a gradient's scale; with ε ≫ √v a step is lrT·m/ε, so a gradient off by a
    // factor shows in the parameters.
    const options = { adamEpsilon: 1, learningRate: 1 };
    const host = run(getBackend('reference'), options);
    const dev = run(
      new WebGpuBackend(channel, { kernels: 'host', chain: false, saeTraining: 'device' }),
      options,
    );
    const start = startingModel(getBackend('reference'));
    const params = ['encoderKernel', 'encoderBias', 'decoderKernel', 'preBias'] as const;
    const moved = params.map((p) => maxAbsDiff(start[p].value.data, host.model[p].value.data));
    const diffs = params.map((p) => maxAbsDiff(dev.model[p].value.data, host.model[p].value.data));
    console.log(
      `sae-webgpu-trainer (ε = 1): moved ${moved.map((x) => x.toExponential(2)).join(', ')}; differences ${diffs.map((x) => x.toExponential(2)).join(', ')} (W_e, b_e, W_d, b_pre)`,
    );
    params.forEach((_, i) => {
      expect(diffs[i]).toBeLessThan(1e-3 * moved[i]);
    });
  });

  it('gives the same numbers twice (no float atomics), and settles where the Tape settles', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host', chain: false, saeTraining: 'device' });
    const settle = { maxEpochs: 3, tolerance: 0.05 };
    const a = run(backend, { settle });
    const b = run(backend, { settle });
    expect(b.records).toEqual(a.records);
    expect(b.model.decoderKernel.value.data).toEqual(a.model.decoderKernel.value.data);
    expect(b.model.encoderKernel.value.data).toEqual(a.model.encoderKernel.value.data);
    // settle reads the dead fraction after every step: the device's count, as the host's tracker.
    const host = run(getBackend('reference'), { settle });
    expect(a.result.epochs).toBe(host.result.epochs);
    console.log(`sae-webgpu-trainer: settle ran ${a.result.epochs} epochs (${a.result.steps} steps)`);
    // Past the epochs asked for and short of maxEpochs: settle's own decision, made on the device's counts.
    expect(a.result.epochs).toBeGreaterThan(EPOCHS);
    expect(a.result.epochs).toBeLessThan(settle.maxEpochs);
    expect(a.records.map((r) => r.deadFraction)).toEqual(host.records.map((r) => r.deadFraction));
  });

  it('refuses to go on from a NaN pre-activation, by name', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host', saeTraining: 'device' });
    const model = startingModel(backend);
    model.encoderKernel.value.data[5] = Number.NaN;
    expect(() => trainSae(model, data, ROWS, OPTIONS, Rng.seeded(1))).toThrow(
      /rows of the batch have a NaN pre-activation/,
    );
  });

  it('sends only the row numbers up and reads back 20 bytes a step; the batch itself when the data is over one binding', () => {
    const losses: number[][] = [];
    for (const maxBindingBytes of [undefined, 4 * BATCH * N]) {
      const backend = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes, saeTraining: 'device' });
      const model = startingModel(backend);
      const trainer = backend.saeTrainer!({ ...SPEC, mseScale: 0.5 })!;
      trainer.setState({
        encoderKernel: model.encoderKernel.value.data,
        encoderBias: model.encoderBias.value.data,
        decoderKernel: model.decoderKernel.value.data,
        preBias: model.preBias.value.data,
      });
      trainer.setData(data, ROWS);
      backend.resetTransfers();
      const order = Rng.seeded(5).permutation(ROWS);
      const steps = 3;
      const out: number[] = [];
      for (let s = 0; s < steps; s++)
        out.push(trainer.step(order.subarray(s * BATCH, (s + 1) * BATCH), 1e-3).loss);
      const perRow = maxBindingBytes === undefined ? 4 : 4 * D;
      expect(backend.transfers).toMatchObject({
        calls: steps,
        uploads: steps,
        uploadBytes: steps * BATCH * perRow,
        readbacks: steps,
        readbackBytes: steps * 4 * SAE_STEP_SUMS,
      });
      expect(SAE_STEP_SUMS * 4).toBe(20);
      // The parameters come back only when asked for.
      backend.resetTransfers();
      const state = trainer.getState();
      expect(backend.transfers.readbackBytes).toBe(4 * (2 * D * N + N + D));
      expect(maxAbsDiff(state.decoderKernel, model.decoderKernel.value.data)).toBeGreaterThan(0);
      trainer.dispose();
      losses.push(out);
    }
    // The same numbers either way.
    expect(losses[1]).toEqual(losses[0]);
  });

  it('leaves a non-default choice to the Tape (the device trainer is not asked for)', () => {
    for (const choice of [
      { auxResidual: 'attached' },
      { auxPreBias: 'twice' },
      { decoderNormalization: 'before-step' },
    ] as const) {
      const backend = new WebGpuBackend(channel, { kernels: 'host', chain: false, saeTraining: 'device' });
      const spy = vi.spyOn(backend, 'saeTrainer');
      const host = run(getBackend('reference'), choice);
      const dev = run(backend, choice);
      expect(spy).not.toHaveBeenCalled();
      // Also on the Tape, the webgpu run is the reference's but for float32 gemm order.
      expect(dev.records.at(-1)!.loss).toBeCloseTo(host.records.at(-1)!.loss, 4);
    }
  });

  it('is offered by default on a hardware adapter only, and never with training or saeTraining tape', () => {
    const software = isSoftwareAdapter(channel.info.adapter);
    expect(new WebGpuBackend(channel, { kernels: 'host' }).saeTrainer === undefined).toBe(software);
    expect(new WebGpuBackend(channel, { kernels: 'host', saeTraining: 'device' }).saeTrainer).toBeDefined();
    expect(new WebGpuBackend(channel, { kernels: 'host', saeTraining: 'tape' }).saeTrainer).toBeUndefined();
    expect(
      new WebGpuBackend(channel, { kernels: 'host', training: 'tape', saeTraining: 'device' }).saeTrainer,
    ).toBeUndefined();
    // The same through the registry: webgpu?saeTraining=device|tape|auto.
    expect(getBackend('webgpu?saeTraining=device').saeTrainer).toBeDefined();
    expect(getBackend('webgpu?saeTraining=tape').saeTrainer).toBeUndefined();
    expect(getBackend('webgpu?saeTraining=auto').saeTrainer === undefined).toBe(software);
    expect(() => getBackend('webgpu?saeTraining=gpu')).toThrow(/saeTraining/);
  });

  it('refuses a bad step by name', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host', saeTraining: 'device' });
    const trainer = backend.saeTrainer!(SPEC)!;
    expect(() => trainer.step(new Uint32Array(BATCH), 1e-3)).toThrow(/no training data/);
    trainer.setData(data, ROWS);
    expect(() => trainer.step(new Uint32Array(3), 1e-3)).toThrow(/3 rows, expected the batch of 32/);
    expect(() =>
      trainer.setState({
        encoderKernel: new Float32Array(1),
        encoderBias: new Float32Array(N),
        decoderKernel: new Float32Array(N * D),
        preBias: new Float32Array(D),
      }),
    ).toThrow(/encoderKernel has 1 values, expected 1024/);
    trainer.dispose();
    expect(() => trainer.getState()).toThrow(/after dispose/);
  });
});

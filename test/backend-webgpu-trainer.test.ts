import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  chooseFastest,
  denseTrainingWorkload,
  measureWorkload,
  TRAINER_TIMED_STEPS,
  TRAINER_WARMUP_STEPS,
} from '../src/backend/auto.ts';
import { type Backend, getBackend, WebGpuBackend } from '../src/backend/index.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { denseTrainerMisfit, WebGpuDenseTrainer } from '../src/backend/webgpu/trainer.ts';
import { COLUMN_SUM_MAX_ROWS, GEMM_MAX_K, MSE_CHUNK } from '../src/backend/webgpu/wgsl.ts';
import { SUM_PARTIALS_MAX } from '../src/backend/webgpu/wgsl-trainer.ts';
import {
  Adam,
  autoencoder,
  type Callbacks,
  fit,
  type History,
  Rng,
  Sequential,
  Sgd,
  Tensor,
} from '../src/index.ts';
import { prototypeImages, SEED_SIZES, setNormalWeights } from './helpers/seed-autoencoder.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

const SIZES = SEED_SIZES;
const SAMPLES = 512;
const BATCH = 64;
const SPLIT = 0.25;
/**
 * The device-resident trainer's losses match reference's within this relative difference. Both
 * sum every product in k order in float32; they differ in the MSE (float32 partial sums on the
 * device, float64 on the host) and in a few roundings (lrT and 2/N as float32 uniforms).
 * Measured on llvmpipe: at most 8.56e-8 over the initial, 3 validation and 3 training losses
 * (the agreement test's log line); the bound leaves two orders of magnitude for other devices.
 */
const LOSS_TOLERANCE = 1e-5;

function seedModel(backend: Backend): Sequential {
  const model = autoencoder(backend, SIZES);
  const rng = Rng.seeded(0);
  setNormalWeights(model, rng);
  return model;
}

const DATA = new Tensor(prototypeImages(SAMPLES), [SAMPLES, 784]);

function train(
  backend: Backend,
  options: { epochs?: number; callbacks?: Callbacks; loss?: 'mse' | 'bce' } = {},
): { history: History; model: Sequential; adam: Adam } {
  const model = seedModel(backend);
  const adam = new Adam({}, (n) => model.allocate(n));
  const history = fit(model, DATA, DATA, {
    epochs: options.epochs ?? 3,
    batchSize: BATCH,
    validationSplit: SPLIT,
    rng: Rng.seeded(0),
    optimizer: adam,
    callbacks: options.callbacks,
    loss: options.loss,
  });
  return { history, model, adam };
}

/** Floats in the seed autoencoder's weights and biases. */
const WEIGHT_FLOATS = SIZES.slice(1).reduce((s, u, i) => s + SIZES[i] * u + u, 0);

const gpu = webgpuForTests('backend-webgpu-trainer.test.ts');

describe.skipIf(gpu.skip)('the device-resident trainer on webgpu (llvmpipe in CI)', () => {
  let channel: DeviceChannel;
  beforeAll(() => {
    channel = gpu.requireDevice();
  });

  it('is timed by auto through whole steps (no gemm round trips), and chosen only where it measured fastest', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host' });
    const w = denseTrainingWorkload([20, 10, 20], 16, 'relu', 'sigmoid');
    backend.resetTransfers();
    const rate = measureWorkload(backend, w);
    expect(rate).toBeGreaterThan(0);
    const steps = TRAINER_WARMUP_STEPS + TRAINER_TIMED_STEPS;
    // create, the weights, the data set, each step, dispose: one request each.
    expect(backend.transfers.calls).toBe(3 + steps + 1);
    // Each step: 16 row numbers up, one loss back.
    expect(backend.transfers.readbackBytes).toBe(steps * 4);
    // The real measurement among the candidates: the pick is the fastest measured.
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-trainer-'));
    const choice = chooseFastest(
      ['simd', 'webgpu'],
      (name) => (name === 'webgpu' ? backend : getBackend(name)),
      dir,
      measureWorkload,
      w,
    );
    expect(choice.gflops.webgpu).toBeGreaterThan(0);
    expect(choice.gflops.simd).toBeGreaterThan(0);
    expect(choice.chosen).toBe(choice.gflops.webgpu > choice.gflops.simd ? 'webgpu' : 'simd');
    // A model the device cannot hold (a binding limit of 100 floats) rates 0: never chosen.
    const small = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes: 400 });
    expect(measureWorkload(small, w)).toBe(0);
  });

  it('sends a step only the batch row numbers and reads back only its loss', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host' });
    const model = seedModel(backend);
    const trainer = backend.trainer!({
      inputDim: 784,
      layers: model.layers.map((l) => ({ units: l.units, activation: l.activation })),
      batchSize: BATCH,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
    })!;
    try {
      trainer.setState(
        model.layers.map((l) => ({ kernel: l.kernel.value.data, bias: l.bias.value.data })),
        model.parameters.map(() => null),
      );
      trainer.setData('train', DATA.data, null, SAMPLES);
      const order = Uint32Array.from({ length: SAMPLES }, (_, i) => (i * 37) % SAMPLES);
      trainer.step(order.subarray(0, BATCH), 1e-3); // compiles the pipelines
      backend.resetTransfers();
      const steps = 5;
      const losses: number[] = [];
      for (let s = 1; s <= steps; s++)
        losses.push(trainer.step(order.subarray(s * BATCH, (s + 1) * BATCH), 1e-3));
      expect(backend.transfers).toEqual({
        calls: steps,
        uploads: steps,
        uploadBytes: steps * BATCH * 4,
        readbacks: steps,
        readbackBytes: steps * 4,
        compiles: 0,
      });
      for (const l of losses) expect(l).toBeGreaterThan(0);
      // The last batch of an epoch may be smaller: its own upload, same single readback.
      backend.resetTransfers();
      trainer.step(order.subarray(0, 10), 1e-3);
      expect(backend.transfers).toMatchObject({ calls: 1, uploadBytes: 40, readbacks: 1, readbackBytes: 4 });
    } finally {
      trainer.dispose();
    }
  });

  it('a whole fit() crosses only the weights (in and out), the data set once, row numbers and losses', () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host' });
    const model = seedModel(backend);
    const n = 320; // 5 batches, no validation
    const x = new Tensor(DATA.data.subarray(0, n * 784), [n, 784]);
    fit(model, x, x, { epochs: 2, batchSize: BATCH, rng: Rng.seeded(0), initialEvaluation: false });
    const steps = 2 * (n / BATCH);
    // create, setState, setData, each step, getState (weights + m + v), dispose.
    expect(backend.transfers).toMatchObject({
      calls: steps + 5,
      uploads: 2 * (SIZES.length - 1) + 1 + steps,
      uploadBytes: 4 * (WEIGHT_FLOATS + n * 784 + steps * BATCH),
      readbacks: steps + 6 * (SIZES.length - 1),
      readbackBytes: 4 * (steps + 3 * WEIGHT_FLOATS),
    });
  });

  it(`matches reference's losses within ${LOSS_TOLERANCE} (relative) on the seed autoencoder`, () => {
    const want = train(getBackend('reference'));
    const backend = new WebGpuBackend(channel, { kernels: 'host' });
    const got = train(backend);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    const pairs: [number, number][] = [
      [got.history.initialValLoss!, want.history.initialValLoss!],
      ...got.history.valLoss.map((v, i): [number, number] => [v, want.history.valLoss[i]]),
      ...got.history.loss.map((v, i): [number, number] => [v, want.history.loss[i]]),
    ];
    const worst = Math.max(...pairs.map(([a, b]) => rel(a, b)));
    console.log(
      `device-resident vs reference: validation ${got.history.valLoss.join(', ')} vs ${want.history.valLoss.join(', ')}; worst relative difference of every loss ${worst.toExponential(2)}`,
    );
    expect(got.history.valLoss).toHaveLength(3);
    expect(got.history.valLoss[2]).toBeLessThan(got.history.initialValLoss!);
    expect(worst).toBeLessThanOrEqual(LOSS_TOLERANCE);
    // The weights and Adam's state came back to the host at the end.
    expect(got.adam.iterations).toBe(want.adam.iterations);
    const gw = got.model.getWeights();
    want.model.getWeights().forEach((w, i) => {
      for (let j = 0; j < w.kernel.length; j += 97) expect(gw[i].kernel[j]).toBeCloseTo(w.kernel[j], 5);
    });
    const [m] = got.adam.saveState(got.model.parameters).buffers[0];
    const [mRef] = want.adam.saveState(want.model.parameters).buffers[0];
    expect(m!.some((v) => v !== 0)).toBe(true);
    for (let j = 0; j < m!.length; j += 97) expect(m![j]).toBeCloseTo(mRef![j], 6);
  });

  it('is deterministic: the same seed twice gives identical losses and weights', () => {
    const a = train(new WebGpuBackend(channel, { kernels: 'host' }), { epochs: 2 });
    const b = train(new WebGpuBackend(channel, { kernels: 'host' }), { epochs: 2 });
    expect(b.history.loss).toEqual(a.history.loss);
    expect(b.history.valLoss).toEqual(a.history.valLoss);
    expect(b.model.getWeights()).toEqual(a.model.getWeights());
  });

  /** A 2-epoch fit of the seed model whose epoch-end callback gets the model (to read or change it). */
  function withCallback(backend: Backend, onEpochEnd?: (model: Sequential, epoch: number) => void) {
    const model = seedModel(backend);
    const history = fit(model, DATA, DATA, {
      epochs: 2,
      batchSize: BATCH,
      validationSplit: SPLIT,
      rng: Rng.seeded(0),
      callbacks: onEpochEnd
        ? {
            onEpochEnd: (logs) => {
              onEpochEnd(model, logs.epoch);
              return undefined;
            },
          }
        : undefined,
    });
    return { history, model };
  }

  it('hands epoch-end callbacks the current model, and continues exactly', () => {
    const webgpu = () => new WebGpuBackend(channel, { kernels: 'host' });
    const plain = withCallback(webgpu());
    const seen: Float32Array[] = [];
    const watched = withCallback(webgpu(), (model) => seen.push(model.layers[0].kernel.value.data.slice()));
    const oneEpoch = seedModel(webgpu());
    fit(oneEpoch, DATA, DATA, { epochs: 1, batchSize: BATCH, validationSplit: SPLIT, rng: Rng.seeded(0) });
    // After epoch 1 the callback saw what a one-epoch fit ends with, after epoch 2 the final weights.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(oneEpoch.layers[0].kernel.value.data);
    expect(seen[1]).toEqual(watched.model.layers[0].kernel.value.data);
    expect(seen[1]).not.toEqual(seen[0]);
    // Syncing around the callbacks (weights, Adam's moments and step count) changes nothing.
    expect(watched.history.loss).toEqual(plain.history.loss);
    expect(watched.history.valLoss).toEqual(plain.history.valLoss);
    expect(watched.model.getWeights()).toEqual(plain.model.getWeights());
  });

  it('a callback that changes the weights is heard: training continues from them', () => {
    // Zeroing every weight after epoch 1 makes epoch 2 start from a constant output sigmoid(0) = ½.
    const zeroAfterFirst = (model: Sequential, epoch: number) => {
      if (epoch === 1) for (const p of model.parameters) p.value.data.fill(0);
    };
    const got = withCallback(new WebGpuBackend(channel, { kernels: 'host' }), zeroAfterFirst);
    const want = withCallback(getBackend('reference'), zeroAfterFirst);
    const unchanged = withCallback(getBackend('reference'));
    const rel = Math.abs(got.history.valLoss[1] - want.history.valLoss[1]) / want.history.valLoss[1];
    expect(rel).toBeLessThanOrEqual(LOSS_TOLERANCE);
    // And the change mattered (the check above could not pass by ignoring it).
    expect(Math.abs(unchanged.history.valLoss[1] - want.history.valLoss[1])).toBeGreaterThan(1e-3);
  });

  it('a training set too big for one binding: the batch goes up instead, with the same numbers', () => {
    const small = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes: 4 * 784 * 200 });
    const got = train(small, { epochs: 2 });
    const want = train(new WebGpuBackend(channel, { kernels: 'host' }), { epochs: 2 });
    expect(got.history.loss).toEqual(want.history.loss);
    expect(got.history.valLoss).toEqual(want.history.valLoss);
    small.resetTransfers();
    const model = seedModel(small);
    const n = 320;
    const x = new Tensor(DATA.data.subarray(0, n * 784), [n, 784]);
    fit(model, x, x, { epochs: 1, batchSize: BATCH, rng: Rng.seeded(0), initialEvaluation: false });
    // setState + 5 batches of 64 rows of 784 floats, and no data-set upload.
    expect(small.transfers.uploadBytes).toBe(4 * (WEIGHT_FLOATS + n * 784));
  });

  it('other losses, and models too big to bind, train on the Tape, as with training=tape', () => {
    const device = train(new WebGpuBackend(channel, { kernels: 'host' }), { epochs: 1, loss: 'bce' });
    const tape = train(new WebGpuBackend(channel, { kernels: 'host', training: 'tape' }), {
      epochs: 1,
      loss: 'bce',
    });
    expect(device.history.valLoss).toEqual(tape.history.valLoss);
    // A model with a buffer over the binding limit (64 rows × 784 > 40 × 784 floats) too.
    const narrow = { kernels: 'host', maxBindingBytes: 4 * 784 * 40 } as const;
    const big = new WebGpuBackend(channel, narrow);
    expect(
      big.trainer!({
        inputDim: 784,
        layers: [{ units: 8, activation: 'relu' }],
        batchSize: BATCH,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-7,
      }),
    ).toBeUndefined();
    const split = train(big, { epochs: 1 });
    const splitTape = train(new WebGpuBackend(channel, { ...narrow, training: 'tape' }), { epochs: 1 });
    expect(split.history.valLoss).toEqual(splitTape.history.valLoss);
  });
});

describe('the device-resident trainer, without a device', () => {
  const spec = {
    inputDim: 4,
    layers: [{ units: 3, activation: 'relu' as const }],
    batchSize: 8,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  };
  /** A channel that records the requests instead of sending them. */
  const recorder = () => {
    const calls: number[][] = [];
    return {
      calls,
      channel: {
        call: (_op: string, params: readonly number[]) => {
          calls.push([...params]);
          return [];
        },
      },
    };
  };

  it('refuses bad shapes before sending anything, naming the field and value', () => {
    const { calls, channel } = recorder();
    expect(
      () => new WebGpuDenseTrainer(channel, 1000, { ...spec, layers: [{ units: 0, activation: 'relu' }] }),
    ).toThrow(/layers\[0\]\.units must be a positive integer, got 0/);
    expect(
      () =>
        new WebGpuDenseTrainer(channel, 1000, {
          ...spec,
          layers: [{ units: 3, activation: 'gelu' as never }],
        }),
    ).toThrow(/layers\[0\]\.activation 'gelu' is not one of linear, relu, sigmoid, tanh/);
    expect(() => new WebGpuDenseTrainer(channel, 20, spec)).toThrow(
      /needs 32 floats in one binding; the device allows 20/,
    );
    expect(calls).toEqual([]);
    const t = new WebGpuDenseTrainer(channel, 1000, spec);
    expect(() =>
      t.setState([{ kernel: new Float32Array(11), bias: new Float32Array(3) }], [null, null]),
    ).toThrow(/layer 0 has a kernel of 11 and a bias of 3 values, expected 4×3 and 3/);
    expect(() => t.setData('train', new Float32Array(7), null, 2)).toThrow(/2 rows need 8 inputs, got 7/);
    expect(() => t.step(new Uint32Array(9), 1e-3)).toThrow(/a batch of 9 rows, expected 1 to 8/);
    expect(calls.map((c) => c[0])).toEqual([0]); // only the create
  });

  it("refuses a batch its shaders' loops could not finish on llvmpipe (65,535 iterations an invocation)", () => {
    const roomy = 2 ** 30;
    const at = (batchSize: number, units: number) =>
      denseTrainerMisfit({ ...spec, layers: [{ units, activation: 'relu' }], batchSize }, roomy);
    // The weight gradients' products, summing over the batch, and the layers' own products.
    expect(at(GEMM_MAX_K, 1)).toBeUndefined();
    expect(at(GEMM_MAX_K + 1, 1)).toMatch(
      new RegExp(`summing over ${GEMM_MAX_K + 1} terms is deeper than the ${GEMM_MAX_K}`),
    );
    expect(at(8, GEMM_MAX_K + 1)).toMatch(new RegExp(`summing over ${GEMM_MAX_K + 1} terms`));
    // The bias gradient's column sum over the batch.
    expect(at(COLUMN_SUM_MAX_ROWS + 1, 1)).toMatch(
      new RegExp(`batch ${COLUMN_SUM_MAX_ROWS + 1} is over the ${COLUMN_SUM_MAX_ROWS} rows`),
    );
    // The loss's partial sums, MSE_CHUNK outputs each, added by one invocation.
    const rows = 1024;
    const units = (SUM_PARTIALS_MAX * MSE_CHUNK) / rows;
    expect(at(rows, units)).toBeUndefined();
    expect(at(rows, units + 4)).toMatch(/65536 partial sums of the loss, at most 65535/);
  });

  it('fit() asks for a trainer only for mse with an Adam without multipliers', () => {
    let asked = 0;
    const reference = getBackend('reference');
    const backend: Backend = {
      name: 'asks',
      description: 'reference, with a trainer factory that counts and declines',
      gemm: reference.gemm.bind(reference),
      trainer: () => {
        asked++;
        throw new Error('declined');
      },
    };
    const model = new Sequential(backend, [{ units: 2, activation: 'sigmoid' }], 3);
    const x = new Tensor(new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), [2, 3]);
    const y = new Tensor(new Float32Array([0, 1, 1, 0]), [2, 2]);
    const opts = { epochs: 1, batchSize: 2 };
    fit(model, x, y, { ...opts, loss: 'bce' });
    fit(model, x, y, { ...opts, optimizer: new Sgd({ learningRate: 0.1 }) });
    fit(model, x, y, {
      ...opts,
      optimizer: new Adam({}, undefined, { multipliers: new Map([[model.parameters[0], 0.5]]) }),
    });
    expect(asked).toBe(0);
    expect(() => fit(model, x, y, opts)).toThrow('declined');
    expect(() =>
      fit(model, x, y, { ...opts, optimizer: new Adam({}, undefined, { schedule: () => 0.5 }) }),
    ).toThrow('declined');
    expect(asked).toBe(2);
  });
});

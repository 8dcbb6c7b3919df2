import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type ElementwiseKernels, referenceGemm, WebGpuBackend } from '../src/backend/index.ts';
import { referenceKernels } from '../src/backend/kernels.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { autoencoder, fit, type History, Rng, Tensor } from '../src/index.ts';
import { prototypeImages, SEED_SIZES, setNormalWeights } from './helpers/seed-autoencoder.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

const SIZES = SEED_SIZES;
const SAMPLES = 512;
const EPOCHS = 2;
const BATCH = 64;
const SPLIT = 0.25;
/**
 * Validation losses on webgpu match reference's within this relative difference: the two sum
 * every product in different orders (float32 rounding, 2⁻²⁴ a step), and Adam carries the
 * differences through 12 steps. Measured: see the test's log line.
 */
const LOSS_TOLERANCE = 1e-4;

function train(backend: Backend): History {
  const model = autoencoder(backend, SIZES);
  const rng = Rng.seeded(0);
  setNormalWeights(model, rng);
  const x = prototypeImages(SAMPLES);
  const data = new Tensor(x, [SAMPLES, 784]);
  return fit(model, data, data, { epochs: EPOCHS, batchSize: BATCH, validationSplit: SPLIT, rng });
}

/** The reference backend, recording every gemm's shape and every elementwise kernel call. */
class CountingReference implements Backend {
  readonly name = 'counting-reference';
  readonly description = 'referenceGemm, counted';
  readonly gemms: { m: number; n: number; k: number; accumulate: boolean }[] = [];
  kernelCalls = 0;
  readonly kernels: Partial<ElementwiseKernels>;

  constructor(countKernels: boolean) {
    const counted = (name: 'biasActivation' | 'activationBackward' | 'columnSum' | 'mse' | 'adam') =>
      ((...args: unknown[]) => {
        this.kernelCalls++;
        return (referenceKernels[name] as (...a: unknown[]) => unknown)(...args);
      }) as never;
    this.kernels = countKernels
      ? {
          biasActivation: counted('biasActivation'),
          activationBackward: counted('activationBackward'),
          columnSum: counted('columnSum'),
          mse: counted('mse'),
          adam: counted('adam'),
        }
      : {};
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate = false,
  ): void {
    this.gemms.push({ m, n, k, accumulate });
    referenceGemm(transA, transB, m, n, k, a, b, c, accumulate);
  }
}

const gpu = webgpuForTests('backend-webgpu-training.test.ts');

describe.skipIf(gpu.skip)('the seed autoencoder trained on webgpu (llvmpipe in CI)', () => {
  let channel: DeviceChannel;
  let oracle: CountingReference;
  let expected: History;
  beforeAll(() => {
    channel = gpu.requireDevice();
    oracle = new CountingReference(false);
    expected = train(oracle);
  });

  it(`matches reference's validation losses within ${LOSS_TOLERANCE} (relative), and counts one round trip per gemm`, () => {
    const backend = new WebGpuBackend(channel, { kernels: 'host', training: 'tape' });
    const got = train(backend);
    const rel = got.valLoss.map((v, i) => Math.abs(v - expected.valLoss[i]) / expected.valLoss[i]);
    console.log(
      `webgpu vs reference validation losses: ${got.valLoss.join(', ')} vs ${expected.valLoss.join(', ')}; relative differences ${rel.map((r) => r.toExponential(2)).join(', ')}`,
    );
    expect(got.valLoss).toHaveLength(EPOCHS);
    // It learned: the loss fell from before training.
    expect(got.valLoss[EPOCHS - 1]).toBeLessThan(got.initialValLoss!);
    for (const r of rel) expect(r).toBeLessThanOrEqual(LOSS_TOLERANCE);

    // Transfers, from the oracle's independent record of the same run's gemms.
    const g = oracle.gemms;
    const acc = g.filter((x) => x.accumulate).length;
    expect(backend.transfers).toEqual({
      calls: g.length,
      uploads: 2 * g.length + acc,
      uploadBytes: g.reduce((s, x) => s + 4 * (x.m * x.k + x.k * x.n + (x.accumulate ? x.m * x.n : 0)), 0),
      readbacks: g.length,
      readbackBytes: g.reduce((s, x) => s + 4 * x.m * x.n, 0),
      // This file's fresh channel compiles the one gemm shader, for every shape.
      compiles: 1,
    });
  });

  it('with the elementwise kernels on the device too: same losses, one round trip per gemm or kernel call', () => {
    const counting = new CountingReference(true);
    const want = train(counting);
    const backend = new WebGpuBackend(channel, { kernels: 'gpu', training: 'tape' });
    const got = train(backend);
    got.valLoss.forEach((v, i) => {
      expect(Math.abs(v - want.valLoss[i]) / want.valLoss[i]).toBeLessThanOrEqual(LOSS_TOLERANCE);
    });
    expect(counting.kernelCalls).toBeGreaterThan(0);
    expect(backend.transfers.calls).toBe(counting.gemms.length + counting.kernelCalls);
  });
});

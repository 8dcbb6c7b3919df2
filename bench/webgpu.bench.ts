// The webgpu backend: gemm GFLOP/s with the transfers included (operands on the host, one
// upload + dispatch + readback per call), training samples/s of the seed autoencoder on the Tape
// (a round trip per op) and through the device-resident trainer (a step sends row numbers and
// reads back the loss) next to simd's in the same run, and the transfers a training step makes.
// Where a python3 imports torch, PyTorch runs NMF, SAE training and the autoencoder's training
// beside webgpu (webgpu-torch.ts), on CUDA where torch has it. On a machine without a GPU it runs
// on Mesa llvmpipe through Dawn's OpenGL ES backend (DISPLAY of an Xvfb).
import { autoencoder, fit, getBackend, Rng, Tensor } from 'nmfinit';
import { probeWebGpu, WebGpuBackend } from '../src/backend/index.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';
import { nmfOfDataOnWebGpu } from './webgpu-nmf.ts';
import { saeTrainingOnWebGpu } from './webgpu-sae.ts';
import { saeTopkOnWebGpu } from './webgpu-topk.ts';
import { aeBesideTorch, findTorchPeer, nmfBesideTorch, saeBesideTorch } from './webgpu-torch.ts';

const SIZES = [784, 128, 64, 32, 64, 128, 784];
const BATCH = 256;
const SPLIT = 0.33;
/** Products predicted (from the measured 1024³ rate) to take longer than this are skipped. */
const MAX_PRODUCT_SECONDS = 60;

/** Mixtures of 8 random prototypes in [0, 1]: the GPU's time does not depend on pixel values. */
function images(n: number): Float32Array {
  const rng = Rng.seeded(42);
  const protos = Array.from({ length: 8 }, () => Float32Array.from({ length: 784 }, () => rng.uniform()));
  const x = new Float32Array(n * 784);
  for (let s = 0; s < n; s++) {
    const w = rng.uniform();
    const a = protos[s % 8];
    const b = protos[(s * 5 + 3) % 8];
    for (let j = 0; j < 784; j++) x[s * 784 + j] = w * a[j] + (1 - w) * b[j];
  }
  return x;
}

function model(backend: WebGpuBackend | ReturnType<typeof getBackend>) {
  const m = autoencoder(backend, SIZES);
  const rng = Rng.seeded(0);
  m.setWeights(
    m.layerSpecs().map((l) => ({
      kernel: rng
        .child(`k${l.index}`)
        .fillNormal(new Float32Array(l.fanIn * l.fanOut), 0, 0.05) as Float32Array,
      bias: new Float32Array(l.fanOut),
    })),
  );
  return m;
}

export default defineBench({
  name: 'webgpu',
  description:
    "webgpu backend: NMF of data (mu, chained on the device) fit time and reconstruction_err_ next to simd, the SAE's top-k layer chained and not, SAE training samples/s, gemm GFLOP/s with upload and readback, seed-autoencoder training samples/s, transfers per step; PyTorch (CUDA where it has it) beside NMF, SAE and autoencoder training",
  async run(log) {
    const probe = probeWebGpu();
    if (!('channel' in probe)) {
      log(`webgpu unavailable, nothing measured: ${probe.reason}`);
      return [];
    }
    log(`device: ${probe.channel.info.adapter}`);
    // PyTorch (CUDA where it has it) runs the same three workloads beside webgpu (webgpu-torch.ts).
    const peer = findTorchPeer(log);
    // Resident chains: NMF of data (webgpu-nmf.ts), the SAE's top-k (webgpu-topk.ts) and SAE
    // training (webgpu-sae.ts); WEBGPU_BENCH_ONLY=resident stops after them.
    // WEBGPU_BENCH_ONLY=sae measures SAE training alone.
    const only = process.env.WEBGPU_BENCH_ONLY;
    const nmf = only === 'sae' ? [] : await nmfOfDataOnWebGpu(probe.channel, log);
    const figures: Figure[] = [...nmf, ...(only === 'sae' ? [] : saeTopkOnWebGpu(probe.channel, log))];
    const sae = await saeTrainingOnWebGpu(probe.channel, log);
    figures.push(sae.figure, ...(sae.tapeFigure ? [sae.tapeFigure] : []));
    if (only === 'sae') return figures;
    if (peer) figures.push(...(await nmfBesideTorch(peer, nmf, log)), ...saeBesideTorch(peer, sae, log));
    if (process.env.WEBGPU_BENCH_ONLY === 'resident') return figures;
    const backend = new WebGpuBackend(probe.channel, { kernels: 'host' });
    const rng = Rng.seeded(1);
    let gflops1024: number | undefined;
    for (const [m, k, n, repeats] of [
      [256, 784, 128, 7],
      [1024, 1024, 1024, 3],
      [4096, 4096, 4096, 1],
      [60000, 784, 64, 3],
    ]) {
      const flop = 2 * m * n * k;
      const label = m === k && k === n ? `${m}³` : `${m}×${k}·${k}×${n}`;
      if (gflops1024 !== undefined && flop / (gflops1024 * 1e9) > MAX_PRODUCT_SECONDS) {
        log(
          `gemm ${label}: skipped, predicted ${(flop / (gflops1024 * 1e9)).toFixed(0)} s a product at the measured 1024³ rate (${gflops1024.toFixed(2)} GFLOP/s) > ${MAX_PRODUCT_SECONDS} s`,
        );
        continue;
      }
      const a = rng.fillNormal(new Float32Array(m * k), 0, 1) as Float32Array;
      const b = rng.fillNormal(new Float32Array(k * n), 0, 1) as Float32Array;
      const c = new Float32Array(m * n);
      backend.resetTransfers();
      const times = await timeIt(() => backend.gemm(false, false, m, n, k, a, b, c), repeats, 1);
      const calls = backend.transfers.calls / (repeats + 1);
      const ms = median(times);
      const gflops = flop / (ms / 1000) / 1e9;
      if (m === 1024) gflops1024 = gflops;
      log(`gemm ${label}: ${times.map((t) => t.toFixed(1)).join(', ')} ms; ${calls} dispatch(es) a product`);
      figures.push({
        name: `webgpu gemm ${label} (with upload + readback)`,
        value: gflops,
        unit: 'GFLOP/s',
        details: { ms: times, dispatches: calls },
      });
    }

    // Training: fit() with validation as in train.bench.ts, one epoch, after a short warm-up.
    const samples = 1536;
    const x = images(samples);
    const data = new Tensor(x, [samples, 784]);
    const variants = [
      // The first two train on the Tape (their names kept from before the device-resident trainer).
      { label: 'webgpu?kernels=host', kernels: 'host', training: 'tape' },
      { label: 'webgpu?kernels=gpu', kernels: 'gpu', training: 'tape' },
      { label: 'webgpu?training=device', kernels: 'host', training: 'device' },
    ] as const;
    for (const { label, kernels, training } of variants) {
      const b = new WebGpuBackend(probe.channel, { kernels, training });
      const warm = new Tensor(x.subarray(0, 512 * 784), [512, 784]);
      fit(model(b), warm, warm, { epochs: 1, batchSize: BATCH, validationSplit: SPLIT, rng: Rng.seeded(0) });
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        const h = fit(model(b), data, data, {
          epochs: 1,
          batchSize: BATCH,
          validationSplit: SPLIT,
          rng: Rng.seeded(0),
          initialEvaluation: false,
        });
        runs.push(h.trainSamples / ((performance.now() - t0) / 1000));
      }
      log(`train ${label} runs: ${runs.map((v) => v.toFixed(0)).join(', ')} samples/s`);
      figures.push({
        name: `train ${label}`,
        value: median(runs),
        unit: 'samples/s',
        details: { runs },
      });

      // Transfers per training step: two epochs without validation less one (which takes out the
      // device-resident trainer's setup and teardown: weights and data up, weights and moments
      // back), divided by an epoch's steps.
      const steps = Math.ceil(1024 / BATCH);
      const small = new Tensor(x.subarray(0, 1024 * 784), [1024, 784]);
      const transfersOf = (epochs: number) => {
        b.resetTransfers();
        fit(model(b), small, small, {
          epochs,
          batchSize: BATCH,
          rng: Rng.seeded(0),
          initialEvaluation: false,
        });
        return b.transfers;
      };
      const once = transfersOf(1);
      const t = transfersOf(2);
      for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] -= once[k];
      if (training === 'device')
        log(
          `a fit of one epoch (${label}): ${once.calls} round trips, ${(once.uploadBytes / 2 ** 20).toFixed(2)} MiB up, ${(once.readbackBytes / 2 ** 20).toFixed(2)} MiB back`,
        );
      log(
        `per training step (${label}, batch ${BATCH}): ${t.calls / steps} round trips, ${t.uploads / steps} uploads (${(t.uploadBytes / steps / 2 ** 20).toFixed(2)} MiB, ${t.uploadBytes / steps} bytes), ${t.readbacks / steps} readbacks (${(t.readbackBytes / steps / 2 ** 20).toFixed(2)} MiB, ${t.readbackBytes / steps} bytes)`,
      );
      figures.push({
        name: `transfers per training step ${label}`,
        value: t.calls / steps,
        unit: 'round trips',
        details: {
          uploads: t.uploads / steps,
          uploadBytes: t.uploadBytes / steps,
          readbacks: t.readbacks / steps,
          readbackBytes: t.readbackBytes / steps,
        },
      });
    }
    // The same training on simd in the same run, for scale.
    const simd = getBackend('simd');
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const h = fit(model(simd), data, data, {
        epochs: 1,
        batchSize: BATCH,
        validationSplit: SPLIT,
        rng: Rng.seeded(0),
        initialEvaluation: false,
      });
      runs.push(h.trainSamples / ((performance.now() - t0) / 1000));
    }
    log(`train simd (same run, same data) runs: ${runs.map((v) => v.toFixed(0)).join(', ')} samples/s`);
    figures.push({
      name: 'train simd (same run)',
      value: median(runs),
      unit: 'samples/s',
      details: { runs },
    });

    // Longer fits, where the trainer's setup weighs less: 3 epochs of 6144 samples, validation included.
    const manyX = images(6144);
    const many = new Tensor(manyX, [6144, 784]);
    const device = new WebGpuBackend(probe.channel, { kernels: 'host', training: 'device' });
    for (const [label, backend] of [
      ['webgpu?training=device', device],
      ['simd', simd],
    ] as const) {
      const longRuns: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        const h = fit(model(backend), many, many, {
          epochs: 3,
          batchSize: BATCH,
          validationSplit: SPLIT,
          rng: Rng.seeded(0),
          initialEvaluation: false,
        });
        longRuns.push((3 * h.trainSamples) / ((performance.now() - t0) / 1000));
      }
      log(
        `train ${label}, 3 epochs of 6144 samples, runs: ${longRuns.map((v) => v.toFixed(0)).join(', ')} samples/s`,
      );
      figures.push({
        name: `train ${label} (3 epochs × 6144 samples, same run)`,
        value: median(longRuns),
        unit: 'samples/s',
        details: { runs: longRuns },
      });
      if (peer && backend === device) {
        const run = { samples: 6144, epochs: 3, batch: BATCH, split: SPLIT, webgpu: median(longRuns), label };
        figures.push(...aeBesideTorch(peer, manyX, run, log));
      }
    }
    return figures;
  },
});

// gpu.js on a GL context (gpujs:headlessgl): GFLOP/s at the autoencoder's widest forward product,
// 1024³ and a 16384-row NMF product, each with its max relative error against a float64 product;
// then the host↔GPU traffic (uploads and readbacks, counted in the backend) of one training step of
// the seed autoencoder, and of an NMF mu iteration and a forward pass, each product by product (as
// before the chaining) and chained on resident textures, with their times. Needs headless-gl built and an X display:
// DISPLAY=:99 npm run bench -- gpu   (see README "GPU").

import { GpujsBackend } from '../src/backend/gpujs/index.ts';
import { listBackends } from '../src/backend/index.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import type { Backend } from '../src/backend/types.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { Workspace } from '../src/nmf/data-products.ts';
import { fitMuData } from '../src/nmf/mu.ts';
import { autoencoder } from '../src/nn/autoencoder.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { fit } from '../src/train/fit.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';

const SHAPES = [
  { label: '256×784·784×128', m: 256, n: 128, k: 784, repeats: 5 },
  { label: '1024³', m: 1024, n: 1024, k: 1024, repeats: 1 },
  { label: '16384×784·784×64', m: 16384, n: 64, k: 784, repeats: 1 },
];
const SIZES = [784, 128, 64, 32, 64, 128, 784];
const BATCH = 256;
const NMF_ROWS = 1024;
const NMF_RANK = 64;
const NMF_SHORT = 2;
const NMF_LONG = 5;
const NMF_REPEATS = 3;
const FORWARD_BATCHES = 4;

/** Uniform [0, 1) operands: nonnegative like pixels and NMF factors, so every entry of C is > 0. */
function operand(length: number, seed: number): Float32Array {
  return Rng.seeded(seed).fillUniform(new Float32Array(length)) as Float32Array;
}

/** max_ij |C_ij − E_ij| / |E_ij| with E the float64 product of the same float32 operands. */
function maxRelativeError(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
) {
  let worst = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) row[j] += x * b[bp + j];
    }
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(c[i * n + j] - row[j]) / Math.abs(row[j]));
  }
  return worst;
}

export default defineBench({
  name: 'gpu',
  description:
    'gpujs:headlessgl GFLOP/s and error against float64, and its uploads/readbacks per training step and NMF iteration',
  async run(log) {
    const listing = listBackends().find((b) => b.name === 'gpujs:headlessgl');
    if (!listing?.available) {
      log(`gpujs:headlessgl is not available here: ${listing?.reason ?? 'not registered'}`);
      return [];
    }
    log(listing.detail);
    const figures: Figure[] = [];
    // Chained textures forced on: by default they are off on a software renderer (llvmpipe).
    const gpu = new GpujsBackend('headlessgl', { chain: true });
    log(`chained textures by default here: ${new GpujsBackend('headlessgl').resident ? 'yes' : 'no'}`);
    const simd = new SimdBackend({ threads: 1 });
    for (const s of SHAPES) {
      const a = operand(s.m * s.k, 1);
      const b = operand(s.k * s.n, 2);
      const c = new Float32Array(s.m * s.n);
      const compile0 = performance.now();
      gpu.gemm(false, false, s.m, s.n, s.k, a, b, c); // compiles the kernel
      const firstMs = performance.now() - compile0;
      const ms = await timeIt(() => gpu.gemm(false, false, s.m, s.n, s.k, a, b, c), s.repeats, 0);
      const gflops = (2 * s.m * s.n * s.k) / (median(ms) * 1e6);
      const error = maxRelativeError(s.m, s.n, s.k, a, b, c);
      const simdMs = await timeIt(() => simd.gemm(false, false, s.m, s.n, s.k, a, b, c), 5, 1);
      const simdGflops = (2 * s.m * s.n * s.k) / (median(simdMs) * 1e6);
      log(
        `${s.label}: ${gflops.toFixed(3)} GFLOP/s (median of ${s.repeats}; first call ${firstMs.toFixed(0)} ms with compilation), max rel. error ${error.toExponential(2)}; simd 1 thread ${simdGflops.toFixed(1)} GFLOP/s`,
      );
      figures.push({
        name: `gemm ${s.label} [gpujs:headlessgl]`,
        value: gflops,
        unit: 'GFLOP/s',
        details: { ms, firstMs, maxRelativeError: error, simdGflops, renderer: listing.detail },
      });
      figures.push({ name: `gemm ${s.label} max rel. error [gpujs:headlessgl]`, value: error, unit: '' });
    }

    // One training step: fit() over exactly one batch, one epoch, no validation.
    const model = autoencoder(gpu, SIZES);
    const batch = new Tensor(operand(BATCH * 784, 3), [BATCH, 784]);
    const step = () =>
      fit(model, batch, batch, { epochs: 1, batchSize: BATCH, rng: Rng.seeded(0), initialEvaluation: false });
    step(); // compiles the step's kernels
    gpu.resetTransfers();
    const t0 = performance.now();
    step();
    const stepMs = performance.now() - t0;
    const perStep = gpu.transfers;
    log(
      `training step (batch ${BATCH}, ${SIZES.join('-')}): ${perStep.calls} products, ${perStep.uploads} uploads, ${perStep.readbacks} readbacks, ${stepMs.toFixed(0)} ms (${((BATCH * 1000) / stepMs).toFixed(0)} samples/s)`,
    );
    figures.push({ name: 'uploads per training step [gpujs:headlessgl]', value: perStep.uploads, unit: '' });
    figures.push({
      name: 'readbacks per training step [gpujs:headlessgl]',
      value: perStep.readbacks,
      unit: '',
    });
    figures.push({
      name: 'training samples/s [gpujs:headlessgl]',
      value: (BATCH * 1000) / stepMs,
      unit: 'samples/s',
    });

    // The old path is the same backend seen without its resident storage: every product then
    // uploads its operands and reads its output back, as before the chaining.
    const perProduct: Backend = {
      name: 'gpujs:headlessgl per product',
      description: 'gemm only',
      gemm: gpu.gemm.bind(gpu),
    };
    const paths = [
      { path: 'per product', backend: perProduct },
      { path: 'chained', backend: gpu as Backend },
    ];

    // NMF mu iterations: traffic and time of maxIter NMF_LONG minus those of NMF_SHORT (same
    // init, tol 0), so the setup (X's upload, the first loss) cancels out.
    const x = operand(NMF_ROWS * 784, 4);
    const w0 = operand(NMF_ROWS * NMF_RANK, 5);
    const ht0 = operand(784 * NMF_RANK, 6);
    const none = { l1W: 0, l1H: 0, l2W: 0, l2H: 0 };
    for (const { path, backend } of paths) {
      const data = nmfData(NMF_ROWS, 784, x, backend, 'bench', 'dense');
      const solve = (maxIter: number) => {
        const f = {
          k: NMF_RANK,
          w: Float64Array.from(w0),
          ht: Float64Array.from(ht0),
          w32: Float32Array.from(w0),
          ht32: Float32Array.from(ht0),
        };
        gpu.resetTransfers();
        const t0 = performance.now();
        fitMuData(data, f, 'frobenius', none, { tol: 0, maxIter }, new Workspace(backend));
        return { ms: performance.now() - t0, ...gpu.transfers };
      };
      solve(1); // compiles the kernels
      const short: ReturnType<typeof solve>[] = [];
      const long: ReturnType<typeof solve>[] = [];
      for (let r = 0; r < NMF_REPEATS; r++) {
        short.push(solve(NMF_SHORT));
        long.push(solve(NMF_LONG));
      }
      const iters = NMF_LONG - NMF_SHORT;
      const per = (key: 'uploads' | 'readbacks' | 'calls') => (long[0][key] - short[0][key]) / iters;
      const msPerIter = (median(long.map((t) => t.ms)) - median(short.map((t) => t.ms))) / iters;
      log(
        `NMF mu iteration (${NMF_ROWS}×784, rank ${NMF_RANK}), ${path}: ${per('calls')} kernel calls, ${per('uploads')} uploads, ${per('readbacks')} readbacks, ${msPerIter.toFixed(0)} ms (medians of ${NMF_REPEATS} solves of ${NMF_SHORT} and ${NMF_LONG} iterations); a solve of ${NMF_LONG}: ${long[0].uploads} uploads, ${long[0].readbacks} readbacks`,
      );
      for (const key of ['uploads', 'readbacks'] as const)
        figures.push({
          name: `${key} per NMF mu iteration, ${path} [gpujs:headlessgl]`,
          value: per(key),
          unit: '',
        });
      figures.push({
        name: `ms per NMF mu iteration, ${path} [gpujs:headlessgl]`,
        value: msPerIter,
        unit: 'ms',
      });
    }

    // A forward pass (predict) of the seed autoencoder over FORWARD_BATCHES batches.
    const weights = model.getWeights();
    const input = new Tensor(operand(FORWARD_BATCHES * BATCH * 784, 7), [FORWARD_BATCHES * BATCH, 784]);
    for (const { path, backend } of paths) {
      const net = autoencoder(backend, SIZES);
      net.setWeights(weights);
      net.predict(input, BATCH); // compiles the kernels
      gpu.resetTransfers();
      net.predict(input, BATCH);
      const counted = gpu.transfers;
      const ms = await timeIt(() => net.predict(input, BATCH), 3, 0);
      log(
        `forward pass (predict, ${FORWARD_BATCHES} batches of ${BATCH}), ${path}: ${counted.uploads} uploads, ${counted.readbacks} readbacks, ${median(ms).toFixed(0)} ms (median of 3; ${((FORWARD_BATCHES * BATCH * 1000) / median(ms)).toFixed(0)} samples/s)`,
      );
      for (const key of ['uploads', 'readbacks'] as const)
        figures.push({
          name: `${key} per forward pass of ${FORWARD_BATCHES} batches, ${path} [gpujs:headlessgl]`,
          value: counted[key],
          unit: '',
        });
      figures.push({
        name: `forward samples/s, ${path} [gpujs:headlessgl]`,
        value: (FORWARD_BATCHES * BATCH * 1000) / median(ms),
        unit: 'samples/s',
      });
    }
    gpu.dispose();
    return figures;
  },
});

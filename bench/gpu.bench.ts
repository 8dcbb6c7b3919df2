// gpu.js on a GL context (gpujs:headlessgl): GFLOP/s at the autoencoder's widest forward product,
// 1024³ and a 16384-row NMF product, each with its max relative error against a float64 product;
// then the host↔GPU traffic (uploads and readbacks, counted in the backend) of one training step of
// the seed autoencoder and of one NMF mu iteration. Needs headless-gl built and an X display:
// DISPLAY=:99 npm run bench -- gpu   (see README "GPU").

import { GpujsBackend } from '../src/backend/gpujs/index.ts';
import { listBackends } from '../src/backend/index.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { NMF } from '../src/nmf/estimator.ts';
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
    const gpu = new GpujsBackend('headlessgl');
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
    const x = new Tensor(operand(BATCH * 784, 3), [BATCH, 784]);
    const step = () =>
      fit(model, x, x, { epochs: 1, batchSize: BATCH, rng: Rng.seeded(0), initialEvaluation: false });
    step(); // compiles the step's kernels
    gpu.resetCounters();
    const t0 = performance.now();
    step();
    const stepMs = performance.now() - t0;
    const perStep = { ...gpu.counters };
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

    // One NMF mu iteration: the traffic of maxIter 2 minus that of maxIter 1 (same init).
    const data = nmfData(NMF_ROWS, 784, operand(NMF_ROWS * 784, 4), gpu, 'bench');
    const traffic = (maxIter: number) => {
      gpu.resetCounters();
      new NMF(
        { nComponents: NMF_RANK, solver: 'mu', init: 'nndsvda', maxIter, tol: 0 },
        { backend: gpu },
      ).fit(data);
      return { ...gpu.counters };
    };
    const one = traffic(1);
    const two = traffic(2);
    const perIter = { uploads: two.uploads - one.uploads, readbacks: two.readbacks - one.readbacks };
    log(
      `NMF mu iteration (${NMF_ROWS}×784, rank ${NMF_RANK}): ${two.calls - one.calls} products, ${perIter.uploads} uploads, ${perIter.readbacks} readbacks`,
    );
    figures.push({
      name: 'uploads per NMF mu iteration [gpujs:headlessgl]',
      value: perIter.uploads,
      unit: '',
    });
    figures.push({
      name: 'readbacks per NMF mu iteration [gpujs:headlessgl]',
      value: perIter.readbacks,
      unit: '',
    });
    gpu.dispose();
    return figures;
  },
});

// gemm speed of every available backend at the 784-128-64-32-64-128-784 autoencoder's shapes
// (batch 256): GFLOP/s medians, and how simd compares with gpu.js and the reference; also the
// elementwise kernels that run around them each step (Adam over the 222k parameters, bias + relu,
// bias + sigmoid for the 784-wide output layer, bias + tanh).
// Run: npm run bench -- matmul

import { type Backend, type ElementwiseKernels, getBackend, listBackends } from '../src/backend/index.ts';
import { referenceKernels } from '../src/backend/kernels.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import { Rng } from '../src/tensor/rng.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';

interface GemmShape {
  label: string;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

const SHAPES: GemmShape[] = [
  { label: 'forward 256×784·784×128', transA: false, transB: false, m: 256, n: 128, k: 784 },
  { label: 'forward 256×128·128×784', transA: false, transB: false, m: 256, n: 784, k: 128 },
  { label: 'weight grad (784×256)ᵀ·256×128', transA: true, transB: false, m: 784, n: 128, k: 256 },
  { label: 'input grad 256×128·(784×128)ᵀ', transA: false, transB: true, m: 256, n: 784, k: 128 },
  { label: 'input grad 256×784·(128×784)ᵀ', transA: false, transB: true, m: 256, n: 128, k: 784 },
];

/** Timed calls per shape: the slow backends take ~0.1 s a call, simd ~1 ms. */
function repeatsFor(name: string): { repeats: number; warmup: number } {
  return name === 'simd' ? { repeats: 41, warmup: 20 } : { repeats: 5, warmup: 1 }; // twoThreads is named 'simd' too
}

function operands(backend: Backend, s: GemmShape, inHeap: boolean) {
  const rng = Rng.seeded(1);
  const make = (length: number) => {
    const out = inHeap && backend.alloc ? backend.alloc(length) : new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = rng.uniformRange(-1, 1);
    return out;
  };
  return { a: make(s.m * s.k), b: make(s.k * s.n), c: make(s.m * s.n) };
}

async function gflops(backend: Backend, s: GemmShape, inHeap: boolean) {
  const { a, b, c } = operands(backend, s, inHeap);
  const { repeats, warmup } = repeatsFor(backend.name);
  const ms = await timeIt(() => backend.gemm(s.transA, s.transB, s.m, s.n, s.k, a, b, c), repeats, warmup);
  const value = (2 * s.m * s.n * s.k) / (median(ms) * 1e6);
  return { value, ms };
}

export default defineBench({
  name: 'matmul',
  description: 'gemm GFLOP/s per backend at the autoencoder shapes (one thread), and simd speed-up ratios',
  async run(log) {
    const figures: Figure[] = [];
    const byBackend = new Map<string, number[]>();
    const names = listBackends()
      .filter((b) => b.available)
      .map((b) => b.name);
    for (const name of names) {
      const backend = getBackend(name);
      log(`${name}: ${backend.description}`);
      const values: number[] = [];
      for (const s of SHAPES) {
        const { value, ms } = await gflops(backend, s, true);
        values.push(value);
        figures.push({ name: `${s.label} [${name}]`, value, unit: 'GFLOP/s', details: { ...s, ms } });
      }
      byBackend.set(name, values);
    }
    // The cost of handing simd ordinary Float32Arrays (copied through its scratch memory).
    const simd = getBackend('simd');
    for (const s of SHAPES) {
      const { value, ms } = await gflops(simd, s, false);
      figures.push({
        name: `${s.label} [simd, plain Float32Arrays]`,
        value,
        unit: 'GFLOP/s',
        details: { ...s, ms },
      });
    }
    const simdValues = byBackend.get('simd') ?? [];
    // One gemm split across two threads (an option, off by default): pays only while the other core is idle.
    const twoThreads = new SimdBackend({ threads: 2 });
    log(`simd, threads 2: ${twoThreads.description}`);
    for (const [i, s] of SHAPES.entries()) {
      const { value, ms } = await gflops(twoThreads, s, true);
      figures.push(
        { name: `${s.label} [simd, 2 threads]`, value, unit: 'GFLOP/s', details: { ...s, ms } },
        { name: `simd 2 threads/1 thread ${s.label}`, value: value / simdValues[i], unit: '×' },
      );
    }
    twoThreads.dispose();
    for (const other of ['gpujs', 'reference']) {
      const otherValues = byBackend.get(other);
      if (!otherValues) continue;
      SHAPES.forEach((s, i) => {
        figures.push({ name: `simd/${other} ${s.label}`, value: simdValues[i] / otherValues[i], unit: '×' });
      });
    }
    figures.push(...(await elementwise(simd)));
    return figures;
  },
});

/** Milliseconds per call of simd's Adam and bias+activation kernels against the TypeScript reference. */
async function elementwise(simd: Backend): Promise<Figure[]> {
  const params = 222_384; // weights and biases of 784-128-64-32-64-128-784
  const rng = Rng.seeded(2);
  const buffer = (length: number, lo: number, hi: number) => {
    const out = simd.alloc ? simd.alloc(length) : new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = rng.uniformRange(lo, hi);
    return out;
  };
  const [w, g, m, v] = [
    buffer(params, -1, 1),
    buffer(params, -0.01, 0.01),
    buffer(params, -1e-3, 1e-3),
    buffer(params, 0, 1e-5),
  ];
  const z = buffer(256 * 784, -1, 1);
  const bias = buffer(784, -0.1, 0.1);
  // Applied in place call after call, so sigmoid's inputs settle in (0, 1) ± bias and tanh's in
  // (−1, 1) ± bias; neither implementation's time depends much on the value (simd's not at all).
  const [zSigmoid, zTanh] = [buffer(256 * 784, -6, 6), buffer(256 * 784, -3, 3)];
  const cases: [string, (k: ElementwiseKernels) => void][] = [
    [`adam ${params} parameters`, (k) => k.adam(w, g, m, v, 1e-3, 0.9, 0.999, 1e-7)],
    ['bias + relu 256×784', (k) => k.biasActivation(z, bias, 256, 784, 'relu')],
    ['bias + sigmoid 256×784', (k) => k.biasActivation(zSigmoid, bias, 256, 784, 'sigmoid')],
    ['bias + tanh 256×784', (k) => k.biasActivation(zTanh, bias, 256, 784, 'tanh')],
  ];
  const figures: Figure[] = [];
  for (const [label, run] of cases) {
    const kernels = { ...referenceKernels, ...simd.kernels };
    const simdMs = median(await timeIt(() => run(kernels), 41, 10));
    const referenceMs = median(await timeIt(() => run(referenceKernels), 41, 10));
    figures.push(
      { name: `${label} [simd]`, value: simdMs, unit: 'ms' },
      { name: `${label} [reference]`, value: referenceMs, unit: 'ms' },
      { name: `simd/reference ${label}`, value: referenceMs / simdMs, unit: '×' },
    );
  }
  return figures;
}

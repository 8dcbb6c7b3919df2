import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { covarianceMatrix } from '../src/analysis/covariance.ts';
import { Parameter, Tape } from '../src/autodiff/tape.ts';
import { selectTopK, topkLinear } from '../src/autodiff/topk.ts';
import { ACTIVATIONS } from '../src/backend/activations.ts';
import { chooseFastest, measureWorkload } from '../src/backend/auto.ts';
import {
  autoCandidates,
  autoChoice,
  getBackend,
  nmfMuWorkload,
  trainingStepWorkload,
  WebGpuBackend,
} from '../src/backend/index.ts';
import { hostResident, MU_EPSILON } from '../src/backend/resident.ts';
import type { Backend, ResidentOps } from '../src/backend/types.ts';
import { isSoftwareAdapter } from '../src/backend/webgpu/backend.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { webgpuBackendFactory } from '../src/backend/webgpu/index.ts';
import { GEMM_MAX_K } from '../src/backend/webgpu/wgsl.ts';
import { muUpdateShader, topkShader } from '../src/backend/webgpu/wgsl-resident.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { READBACKS_PER_CHECK } from '../src/nmf/data-mu-resident.ts';
import { Workspace } from '../src/nmf/data-products.ts';
import { fitMuData } from '../src/nmf/mu.ts';
import { Sequential } from '../src/nn/sequential.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

/**
 * The webgpu backend's resident matrices (src/backend/webgpu/resident.ts, worker-resident.ts,
 * wgsl-resident.ts): every op held to the calls or reference kernels it replaces, an NMF mu solve
 * to the host solver, and the transfers of a chain counted exactly.
 */
const U = 2 ** -24;

function random(length: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniformRange(lo, hi);
  return out;
}

describe('resident WGSL text (no device needed)', () => {
  it('keeps every workgroup within 128 invocations and writes 2⁻²³ as the zero-denominator value', () => {
    for (const s of [muUpdateShader(), topkShader()]) {
      const sizes = [...s.matchAll(/@workgroup_size\(([^)]*)\)/g)].map((m) =>
        m[1].split(',').reduce((p, v) => p * Number(v.trim()), 1),
      );
      expect(sizes).toHaveLength(1);
      expect(sizes[0]).toBeLessThanOrEqual(128);
    }
    const literal = /if \(d == 0\.0\) \{ d = ([^;]+); \}/.exec(muUpdateShader())?.[1];
    expect(Number(literal)).toBe(MU_EPSILON);
  });

  it('tells software adapters (chain off by default) from hardware ones', () => {
    expect(isSoftwareAdapter('opengles: llvmpipe-llvm-15-0-6-256-bits- (OpenGL ES 3.2 Mesa 22.3.6)')).toBe(
      true,
    );
    expect(isSoftwareAdapter('vulkan: mesa llvmpipe (lavapipe)')).toBe(true);
    expect(isSoftwareAdapter('vulkan: google SwiftShader Device (Subzero)')).toBe(true);
    expect(isSoftwareAdapter('vulkan: nvidia NVIDIA H200 (590.48)')).toBe(false);
  });
});

const gpu = webgpuForTests('backend-webgpu-resident.test.ts');

describe.skipIf(gpu.skip)('webgpu resident matrices on the device (llvmpipe in CI)', () => {
  let channel: DeviceChannel;
  let backend: WebGpuBackend;
  let ops: ResidentOps;
  beforeAll(() => {
    channel = gpu.requireDevice();
    backend = new WebGpuBackend(channel, { kernels: 'gpu', chain: true });
    ops = backend.resident!;
  });

  it('exist with chain: true, not with chain: false, and by default only on a hardware adapter', () => {
    expect(backend.resident).toBeDefined();
    expect(new WebGpuBackend(channel, { kernels: 'host', chain: false }).resident).toBeUndefined();
    const byDefault = new WebGpuBackend(channel, { kernels: 'host' }).resident !== undefined;
    expect(byDefault).toBe(!isSoftwareAdapter(channel.info.adapter));
    // The same through the registry: webgpu?chain=on|off|auto.
    expect(getBackend('webgpu?chain=on').resident).toBeDefined();
    expect(getBackend('webgpu?chain=off').resident).toBeUndefined();
    expect(getBackend('webgpu').resident !== undefined).toBe(byDefault);
    expect(() => getBackend('webgpu?chain=yes')).toThrow(/chain/);
  });

  it("chain products of every transpose pair to the backend's own gemm, bit for bit", () => {
    const dim = fc.integer({ min: 1, max: 70 });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        dim,
        dim,
        dim,
        fc.integer(),
        (transA, transB, m, n, k, seed) => {
          const rng = Rng.seeded(seed);
          const a = random(m * k, rng);
          const b = random(k * n, rng);
          const want = new Float32Array(m * n);
          backend.gemm(transA, transB, m, n, k, a, b, want);
          const A = ops.upload(a, transA ? k : m, transA ? m : k);
          const B = ops.upload(b, transB ? n : k, transB ? k : n);
          const C = ops.gemm(transA, transB, A, B);
          expect([C.rows, C.cols]).toEqual([m, n]);
          expect(ops.download(C)).toEqual(want);
          // A second product on the first's output, without leaving the device: C·Cᵀ.
          const wantCct = new Float32Array(m * m);
          backend.gemm(false, true, m, m, n, want, want, wantCct);
          const CCt = ops.gemm(false, true, C, C);
          expect(ops.download(CCt)).toEqual(wantCct);
          for (const x of [A, B, C, CCt]) ops.release(x);
        },
      ),
      { numRuns: 12, seed: 25 },
    );
  });

  it("bias+activation: the round-trip kernel's numbers for every activation, bit for bit", () => {
    const rng = Rng.seeded(3);
    const [rows, cols] = [37, 19];
    const z = random(rows * cols, rng, -4, 4);
    const bias = random(cols, rng);
    for (const act of ACTIVATIONS) {
      const want = z.slice();
      backend.kernels.biasActivation!(want, bias, rows, cols, act);
      const Z = ops.upload(z, rows, cols);
      const Bv = ops.upload(bias, 1, cols);
      const out = ops.biasActivation(Z, Bv, act);
      expect(ops.download(out), act).toEqual(want);
      // The input is left alone.
      expect(ops.download(Z)).toEqual(z);
      for (const x of [Z, Bv, out]) ops.release(x);
    }
  });

  it("the multiplicative update: the host version's numbers within 8 float32 units of the larger", () => {
    const host = hostResident(getBackend('reference'));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0, 0.25),
        fc.constantFrom(0, 0.5),
        fc.integer(),
        (rows, cols, l1, l2, seed) => {
          const rng = Rng.seeded(seed);
          const f = random(rows * cols, rng, 0, 2);
          const num = random(rows * cols, rng, 0, 3);
          const den = random(rows * cols, rng, 0.01, 3);
          // Zero denominators (with zero penalties) take the 2⁻²³ path on both sides.
          for (let i = 0; i < den.length; i += 5) den[i] = 0;
          const run = (o: ResidentOps) => {
            const [F, N, D] = [f, num, den].map((v) => o.upload(v, rows, cols));
            const out = o.download(o.multiplicativeUpdate(F, N, D, l1, l2));
            return out;
          };
          const got = run(ops);
          const want = run(host);
          for (let i = 0; i < want.length; i++) {
            const tol = 8 * U * Math.max(Math.abs(want[i]), Math.abs(got[i]));
            expect(Math.abs(got[i] - want[i]), `entry ${i}`).toBeLessThanOrEqual(tol);
          }
        },
      ),
      { numRuns: 10, seed: 7 },
    );
  });

  it("top-k: selectTopK's columns (ties to the earlier one, eligible columns only) and ReLU'd values, exactly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer(),
        fc.boolean(),
        fc.boolean(),
        (rows, cols, seed, ties, masked) => {
          const rng = Rng.seeded(seed);
          // 21 levels force ties (−0 and +0 both at level 0: equal to the reference), also across
          // the 128-column strides.
          const level = () => {
            const v = (Math.floor(rng.uniform() * 21) - 10) / 4;
            return v === 0 && rng.uniform() < 0.5 ? -0 : v;
          };
          const z = Float32Array.from({ length: rows * cols }, () =>
            ties ? level() : rng.uniformRange(-1, 1),
          );
          const eligible = masked
            ? Uint8Array.from({ length: cols }, (_, c) => (c % 3 === 1 ? 0 : 1))
            : undefined;
          const available = eligible ? eligible.reduce((s, f) => s + f, 0) : cols;
          if (available === 0) return;
          const k = 1 + Math.floor(rng.uniform() * available);
          const wantIdx = new Int32Array(rows * k);
          const wantVal = new Float32Array(rows * k);
          selectTopK(z, rows, cols, { k, eligible }, wantIdx, wantVal);
          for (let i = 0; i < wantVal.length; i++) if (!(wantVal[i] > 0)) wantVal[i] = 0;
          const Z = ops.upload(z, rows, cols);
          const { values, indices } = ops.topK!(Z, k, eligible);
          expect([values.rows, values.cols, indices.rows, indices.cols]).toEqual([rows, k, rows, k]);
          expect(Int32Array.from(ops.download(indices))).toEqual(wantIdx);
          expect(ops.download(values)).toEqual(wantVal);
          for (const x of [Z, values, indices]) ops.release(x);
        },
      ),
      { numRuns: 40, seed: 11 },
    );
  });

  it("top-k over 100,000 columns (past llvmpipe's loop limit for one invocation a row): selectTopK's", () => {
    const [rows, cols, k] = [2, 100_000, 40];
    const rng = Rng.seeded(9);
    // Ties at the boundary: 64 levels, so the 40th largest is shared by many columns.
    const z = Float32Array.from({ length: rows * cols }, () => Math.floor(rng.uniform() * 64));
    const wantIdx = new Int32Array(rows * k);
    const wantVal = new Float32Array(rows * k);
    selectTopK(z, rows, cols, { k }, wantIdx, wantVal);
    const Z = ops.upload(z, rows, cols);
    const got = ops.topK!(Z, k);
    expect(Int32Array.from(ops.download(got.indices))).toEqual(wantIdx);
    expect(ops.download(got.values)).toEqual(wantVal);
    for (const m of [Z, got.values, got.indices]) ops.release(m);
    expect(() => ops.topK!({ rows: 1, cols: 2 ** 20 + 1 } as never, 1)).toThrow(/at most 1048576/);
  });

  it('top-k refuses a k the eligible columns cannot give, naming it, and flags a row holding a NaN', () => {
    const Z = ops.upload(new Float32Array(6), 2, 3);
    expect(() => ops.topK!(Z, 3, Uint8Array.of(1, 0, 1))).toThrow(
      'webgpu resident: topK: k = 3 exceeds the 2 eligible columns',
    );
    expect(() => ops.topK!(Z, 0)).toThrow('k must be an integer ≥ 1, got 0');
    ops.release(Z);
    // A row holding a NaN is flagged (index −1 first), the others selected as usual.
    const N = ops.upload(Float32Array.of(1, Number.NaN, 3, 4, 2, 0), 2, 3);
    const { indices } = ops.topK!(N, 2);
    const got = ops.download(indices);
    expect(got[0]).toBe(-1);
    expect(got.subarray(2)).toEqual(Float32Array.of(0, 1));
  });

  it('refuse released or mismatched matrices, and matrices beyond the binding limit, with the reason', () => {
    const small = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes: 4 * 100, chain: true });
    const o = small.resident!;
    expect(o.fits(10, 10)).toBe(true);
    expect(o.fits(10, 11)).toBe(false);
    expect(() => o.upload(new Float32Array(110), 10, 11)).toThrow(
      "webgpu resident: upload (10×11) cannot be held: it needs 1 to 100 floats (the device's storage binding limit)",
    );
    const a = o.upload(new Float32Array(6), 2, 3);
    expect(() => o.gemm(false, false, a, a)).toThrow(/op\(A\) is 2×3 .* but op\(B\) is 2×3/);
    o.release(a);
    o.release(a); // twice is a no-op
    expect(() => o.download(a)).toThrow(/was released/);
  });

  it("sums k past llvmpipe's 65,535 loop iterations an invocation (the NMF's Xᵀ·W over 60,000 samples)", () => {
    const n = 70_000;
    const ones = new Float32Array(n).fill(1);
    const halves = new Float32Array(n).fill(0.5);
    const c = new Float32Array(1);
    backend.gemm(false, false, 1, 1, n, halves, ones, c);
    expect(c[0]).toBe(n / 2);
    const a = ops.upload(ones, n, 1);
    const ata = ops.gemm(true, false, a, a);
    expect(ops.download(ata)).toEqual(Float32Array.of(n));
    ops.release(a);
    ops.release(ata);
    // Deeper than the shader's K-tile loop may run: refused by name, not summed short.
    const deep = ops.upload(new Float32Array(GEMM_MAX_K + 1).fill(1), GEMM_MAX_K + 1, 1);
    expect(() => ops.gemm(true, false, deep, deep)).toThrow(
      new RegExp(`1×${GEMM_MAX_K + 1}·${GEMM_MAX_K + 1}×1 is deeper than the ${GEMM_MAX_K}`),
    );
    ops.release(deep);
  });

  it('a product the device refuses (beyond its buffer size) fails naming the op, and the device works on', () => {
    // A binding limit claimed far above the device's lets the request reach the worker.
    const o = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes: 2 ** 45, chain: true })
      .resident!;
    const n = 60_000;
    const a = o.upload(new Float32Array(n).fill(1), n, 1);
    const b = o.upload(new Float32Array(n).fill(1), 1, n);
    expect(() => o.gemm(false, false, a, b)).toThrow(
      /webgpu residentGemm failed: .*WebGPU (validation|out-of-memory) error/,
    );
    const c = o.gemm(true, false, a, a);
    expect(o.download(c)).toEqual(Float32Array.of(n));
    for (const m of [a, b, c]) o.release(m);
  });

  function muProblem(b: Backend, n: number, d: number, k: number) {
    const rng = Rng.seeded(11);
    const x = nmfData(n, d, random(n * d, rng, 0, 1), b, 'test', 'dense');
    const w = Float64Array.from(random(n * k, rng, 0.1, 1));
    const ht = Float64Array.from(random(d * k, rng, 0.1, 1));
    const f = { k, w, ht, w32: Float32Array.from(w), ht32: Float32Array.from(ht) };
    return { x, f, ws: new Workspace(b), xs: x.values };
  }

  /** ‖X − W·H‖_F in float64 from the float64 factors: an oracle independent of both solvers. */
  function reconstructionError(
    x: Float32Array,
    w: Float64Array,
    ht: Float64Array,
    n: number,
    d: number,
    k: number,
  ) {
    let s = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        let v = 0;
        for (let q = 0; q < k; q++) v += w[i * k + q] * ht[j * k + q];
        s += (x[i * d + j] - v) ** 2;
      }
    return Math.sqrt(s);
  }

  it('an NMF mu solve: no transfer after the start (3 uploads, 2 + 4 a loss check readbacks), the host error to 1e-5', () => {
    const [n, d, k] = [70, 45, 6];
    const pen = { l1W: 0, l1H: 0.01, l2W: 0.01, l2H: 0 };
    const reference = getBackend('reference');
    for (const [tol, maxIter, checks] of [
      [0, 5, 0],
      [0, 25, 0], // 20 more iterations, not one more transfer
      [1e-12, 30, 3], // a loss check every 10 iterations, never met
    ] as const) {
      const b = new WebGpuBackend(channel, { kernels: 'host', chain: true });
      const g = muProblem(b, n, d, k);
      const r = muProblem(reference, n, d, k);
      const stop = { tol, maxIter };
      expect(fitMuData(g.x, g.f, 'frobenius', pen, stop, g.ws)).toBe(maxIter);
      expect(b.transfers.uploads).toBe(3);
      expect(b.transfers.uploadBytes).toBe(4 * (n * d + n * k + d * k));
      expect(b.transfers.readbacks).toBe(2 + READBACKS_PER_CHECK * (1 + checks));
      expect(fitMuData(r.x, r.f, 'frobenius', pen, stop, r.ws)).toBe(maxIter);
      const eg = reconstructionError(g.xs, g.f.w, g.f.ht, n, d, k);
      const er = reconstructionError(r.xs, r.f.w, r.f.ht, n, d, k);
      // float32 products (32-bit sums over ≤ 70 terms) against the host's float64 sums, over ≤ 30 steps.
      expect(Math.abs(eg - er) / er).toBeLessThanOrEqual(1e-5);
      for (let i = 0; i < r.f.w.length; i++)
        expect(Math.abs(g.f.w[i] - r.f.w[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(r.f.w[i])));
    }
  });

  it("the PCA covariance through resident products: the round-trip gemm's covariance, bit for bit", () => {
    const [n, d] = [300, 23];
    const x = random(n * d, Rng.seeded(8), 0, 1);
    const chained = new WebGpuBackend(channel, { kernels: 'host', chain: true });
    const plain = new WebGpuBackend(channel, { kernels: 'host', chain: false });
    const got = covarianceMatrix(x, n, d, { backend: chained, blockRows: 128 });
    const want = covarianceMatrix(x, n, d, { backend: plain, blockRows: 128 });
    expect(got.covariance).toEqual(want.covariance);
    // One upload a block (the block is both operands), one readback a block.
    expect(chained.transfers.uploads).toBe(3);
    expect(chained.transfers.readbacks).toBe(3);
    expect(plain.transfers.uploads).toBe(6);
  });

  it("predict's chained path: the tape forward pass's numbers on the same shaders, bit for bit", () => {
    const sizes = [20, 12, 6, 20];
    const acts = ['relu', 'tanh', 'sigmoid'] as const;
    const make = (b: Backend) => {
      const model = new Sequential(
        b,
        acts.map((activation, i) => ({ units: sizes[i + 1], activation })),
        sizes[0],
      );
      const rng = Rng.seeded(21);
      model.setWeights(
        model
          .layerSpecs()
          .map((l) => ({ kernel: random(l.fanIn * l.fanOut, rng), bias: random(l.fanOut, rng) })),
      );
      return model;
    };
    const chained = new WebGpuBackend(channel, { kernels: 'gpu', chain: true });
    const x = new Tensor(random(50 * 20, Rng.seeded(4), 0, 1), [50, 20]);
    const got = make(chained).predict(x, 16);
    const want = make(new WebGpuBackend(channel, { kernels: 'gpu', chain: false })).predict(x, 16);
    expect(got.data).toEqual(want.data);
    expect(chained.transfers.uploads).toBe(2 * acts.length + Math.ceil(50 / 16));
    expect(chained.transfers.readbacks).toBe(Math.ceil(50 / 16));
  });

  it('auto times webgpu on a chained NMF workload (where it tries it), never on a training step', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-webgpu-'));
    const w = nmfMuWorkload(256, 64, 8, true);
    // auto tries webgpu only where Dawn can reach a GPU through Vulkan (its autoEligible); the
    // timing itself is checked here wherever webgpu runs (llvmpipe in CI), through the chooser auto uses.
    expect(autoCandidates(w).includes('webgpu')).toBe(webgpuBackendFactory.autoEligible?.() === true);
    // auto's own candidates with webgpu added: the same machine key as auto's (webgpu is kept out
    // of it), so the training choice below is stored beside this one.
    const candidates = [...autoCandidates(w).filter((n) => n !== 'webgpu'), 'webgpu'];
    const choose = () =>
      chooseFastest(
        candidates,
        (n) => getBackend(n, { cacheDir: dir }),
        dir,
        measureWorkload,
        w,
        () => {},
      );
    const chained = choose();
    expect(chained.gflops.webgpu).toBeGreaterThan(0);
    const training = autoChoice(dir, trainingStepWorkload([20, 10, 20], 16));
    expect(Object.keys(training.gflops)).not.toContain('webgpu');
    // The chained choice is still stored: asking again measures nothing new and says the same.
    expect(choose()).toEqual(chained);
  });

  /** topkLinear's latents (k, and k_aux among eligible columns) and every gradient, on `b`. */
  function saeStep(b: WebGpuBackend, nanAt?: number) {
    const [m, d, n] = [33, 24, 150];
    const rng = Rng.seeded(5);
    const x = new Parameter('x', new Tensor(random(m * d, rng), [m, d]));
    const w = new Parameter('w', new Tensor(random(d * n, rng), [d, n]));
    const bias = new Parameter('b', new Tensor(random(n, rng, -0.1, 0.1), [n]));
    if (nanAt !== undefined) x.value.data[nanAt] = Number.NaN;
    const eligible = Uint8Array.from({ length: n }, (_, c) => (c % 4 === 0 ? 1 : 0));
    const tape = new Tape(b);
    b.resetTransfers();
    const [main, aux] = topkLinear(tape.param(x), tape.param(w), tape.param(bias), [
      { k: 7 },
      { k: 5, eligible },
    ]);
    const readbacks = b.transfers;
    const cot = (len: number) => new Tensor(random(len, Rng.seeded(len)), [m, len / m]);
    tape.backward(main.values, cot(main.values.value.size));
    return {
      m,
      n,
      readbacks,
      latents: [main, aux].map((s) => ({ values: s.values.value.data.slice(), indices: s.indices.slice() })),
      grads: [x, w, bias].map((p) => p.grad.data.slice()),
    };
  }

  it("topkLinear selects on the device: the host path's latents and gradients bit for bit, m·k values back instead of m·n", () => {
    const chained = saeStep(new WebGpuBackend(channel, { kernels: 'host', chain: true }));
    const host = saeStep(new WebGpuBackend(channel, { kernels: 'host', chain: false }));
    expect(chained.latents).toEqual(host.latents);
    expect(chained.grads).toEqual(host.grads);
    // Values and columns of both selections come back, not the 33×150 pre-activations.
    expect(chained.readbacks.readbacks).toBe(4);
    expect(chained.readbacks.readbackBytes).toBe(4 * chained.m * (7 + 5) * 2);
    expect(host.readbacks.readbackBytes).toBe(4 * host.m * host.n);
  });

  it('topkLinear with a NaN in a row: flagged on the device, selected on the host, as without the chain', () => {
    const chained = saeStep(new WebGpuBackend(channel, { kernels: 'host', chain: true }), 24 * 3 + 2);
    const host = saeStep(new WebGpuBackend(channel, { kernels: 'host', chain: false }), 24 * 3 + 2);
    expect(chained.latents).toEqual(host.latents);
    // The device's selection was refused at the flagged row: the host's gemm read back m·n.
    expect(chained.readbacks.readbackBytes).toBeGreaterThanOrEqual(4 * chained.m * chained.n);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATIONS, activationRule } from '../src/backend/activations.ts';
import { GL_BUILD_COMMAND, headlessGlInfo } from '../src/backend/gpujs/gl-info.ts';
import { GpujsBackend, isSoftwareRenderer } from '../src/backend/gpujs/index.ts';
import { activationFunctionSource } from '../src/backend/gpujs/resident.ts';
import { getBackend, listBackends, referenceGemm } from '../src/backend/index.ts';
import { kernelsOf } from '../src/backend/kernels.ts';
import { hostResident, residentOf } from '../src/backend/resident.ts';
import type { Backend } from '../src/backend/types.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { READBACKS_PER_CHECK } from '../src/nmf/data-mu-resident.ts';
import { Workspace } from '../src/nmf/data-products.ts';
import { fitMuData } from '../src/nmf/mu.ts';
import { Sequential } from '../src/nn/sequential.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';

/**
 * Resident matrices (Backend.resident): products chained without leaving the backend. The host
 * version is held bit for bit to the calls it replaces; gpu.js's textures on a real GL context
 * (Mesa llvmpipe under Xvfb in CI) to the reference within float32 bounds, with their transfers
 * counted exactly for an NMF mu solve and a forward pass.
 */
const listing = listBackends().find((b) => b.name === 'gpujs:headlessgl');
const glAvailable = listing?.available ?? false;
const inCi = process.env.CI === 'true';
if (!glAvailable && !inCi) {
  console.warn(
    `gpujs:headlessgl resident GL tests did NOT run: ${listing?.reason ?? 'not registered'}. To run them: build gl (${GL_BUILD_COMMAND}), start Xvfb :99 and run with DISPLAY=:99.`,
  );
}
const U = 2 ** -24;

function random(length: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniformRange(lo, hi);
  return out;
}

describe('activation kernels generated from the activations table', () => {
  it('are functions computing each rule exactly, for any input', () => {
    for (const act of ACTIVATIONS) {
      const source = activationFunctionSource(act, `activation_${act}`);
      expect(source).toMatch(new RegExp(`^function activation_${act}\\(\\w+\\) \\{`));
      const fn = new Function(`return ${source}`)() as (x: number) => number;
      const rule = activationRule(act);
      fc.assert(
        fc.property(fc.double({ min: -50, max: 50, noNaN: true }), (x) => Object.is(fn(x), rule.forward(x))),
      );
    }
  });
});

describe('where gpu.js chains by default', () => {
  it('not on a software rasteriser (transfers are memory copies there), on any other renderer', () => {
    expect(isSoftwareRenderer('ANGLE (Mesa/X.org llvmpipe (LLVM 15.0.6, 256 bits) OpenGL 4.5 core)')).toBe(
      true,
    );
    expect(isSoftwareRenderer('Google SwiftShader')).toBe(true);
    expect(isSoftwareRenderer('NVIDIA H200/PCIe/SSE2')).toBe(false);
  });
  it.skipIf(!glAvailable)(
    'a headlessgl backend offers resident textures exactly when its renderer is hardware',
    () => {
      const software = isSoftwareRenderer(headlessGlInfo().info?.renderer ?? '');
      expect(new GpujsBackend('headlessgl').resident === undefined).toBe(software);
      expect(new GpujsBackend('headlessgl', { chain: false }).resident).toBeUndefined();
      expect(new GpujsBackend('headlessgl', { chain: true }).resident).toBeDefined();
    },
  );
});

describe('host resident ops', () => {
  for (const name of ['reference', 'simd']) {
    it(`on ${name} give the numbers of the calls they chain, bit for bit`, () => {
      const backend = getBackend(name);
      const ops = hostResident(backend);
      expect(residentOf(backend)).toBe(residentOf(backend));
      const rng = Rng.seeded(3);
      const [m, k, n] = [9, 13, 7];
      const a = random(m * k, rng);
      const b = random(k * n, rng);
      const bias = random(n, rng);
      const A = ops.upload(a, m, k);
      const B = ops.upload(b, k, n);
      const Bias = ops.upload(bias, 1, n);
      for (const act of ACTIVATIONS) {
        const z = new Float32Array(m * n);
        backend.gemm(false, false, m, n, k, a, b, z);
        kernelsOf(backend).biasActivation(z, bias, m, n, act);
        const Z = ops.gemm(false, false, A, B);
        expect(ops.download(ops.biasActivation(Z, Bias, act))).toEqual(z);
      }
      const ata = new Float32Array(k * k);
      backend.gemm(true, false, k, k, m, a, a, ata);
      expect(ops.download(ops.gemm(true, false, A, A))).toEqual(ata);
      expect(() => ops.gemm(false, false, A, A)).toThrow(
        'resident gemm: op(A) is 9×13 (A 9×13) but op(B) is 9×13',
      );
      // The mu update: F ∘ N / (D + l1 + l2·F), a zero D replaced by 2⁻²³.
      const F = ops.upload(Float32Array.from([1, 2, 3, 4]), 2, 2);
      const N = ops.upload(Float32Array.from([1, 1, 2, 0]), 2, 2);
      const D = ops.upload(Float32Array.from([0, 2, 1, 5]), 2, 2);
      expect(Array.from(ops.download(ops.multiplicativeUpdate(F, N, D, 0, 0)))).toEqual([2 ** 23, 1, 6, 0]);
      expect(Array.from(ops.download(ops.multiplicativeUpdate(F, N, D, 1, 0.5)))).toEqual([
        Math.fround(1 / 1.5),
        2 / 4,
        Math.fround(6 / 3.5),
        0,
      ]);
    });
  }

  it("run predict's chained path to the tape forward pass's numbers, bit for bit (simd and reference)", () => {
    for (const name of ['reference', 'simd']) {
      const base = getBackend(name);
      const host = hostResident(base);
      let uploads = 0;
      // The base backend with the host resident ops: predict takes its chained path.
      const backend: Backend = {
        name: `${name} with host resident ops`,
        description: '',
        gemm: base.gemm.bind(base),
        alloc: base.alloc?.bind(base),
        owns: base.owns?.bind(base),
        free: base.free?.bind(base),
        kernels: base.kernels,
        resident: {
          ...host,
          upload: (data, rows, cols) => {
            uploads++;
            return host.upload(data, rows, cols);
          },
        },
      };
      const model = new Sequential(
        backend,
        [
          { units: 11, activation: 'relu' },
          { units: 5, activation: 'tanh' },
          { units: 8, activation: 'sigmoid' },
        ],
        8,
      );
      const rng = Rng.seeded(5);
      model.setWeights(
        model
          .layerSpecs()
          .map((l) => ({ kernel: random(l.fanIn * l.fanOut, rng), bias: random(l.fanOut, rng) })),
      );
      const x = new Tensor(random(23 * 8, rng), [23, 8]);
      const got = model.predict(x, 10);
      expect(uploads).toBe(2 * 3 + 3); // the weights and biases of 3 layers, then 3 batches
      for (let start = 0; start < 23; start += 10) {
        const tape = model.tape(false);
        const y = model.forward(tape, tape.constant(x.rowSlice(start, Math.min(23, start + 10))));
        expect(got.data.subarray(start * 8, start * 8 + y.value.data.length)).toEqual(y.value.data);
        tape.release();
      }
      model.dispose();
    }
  });
});

describe('gpujs:headlessgl in CI', () => {
  it.skipIf(!inCi)('has a GL context for the resident tests (CI must run them, never skip them)', () => {
    expect(glAvailable, `gpujs:headlessgl is unavailable in CI: ${listing?.reason}`).toBe(true);
  });
});

/** |Δ| ≤ 2(k+2)u·Σ|a||b| + slack, the float32 agreement bound of test/helpers/gemm-oracle.ts. */
function expectWithinBound(
  got: Float32Array,
  want: Float32Array,
  magnitude: Float32Array,
  k: number,
  slack = 0,
) {
  for (let i = 0; i < want.length; i++) {
    const bound = 2 * (k + 2) * U * magnitude[i] + slack;
    if (!(Math.abs(got[i] - want[i]) <= bound))
      throw new Error(`entry ${i}: ${got[i]} against ${want[i]}, bound ${bound}`);
  }
}

describe.skipIf(!glAvailable)('gpu.js resident textures on real GL', () => {
  it('chain products of every transpose pair, and bias+activation, within the float32 bound', () => {
    const gpu = new GpujsBackend('headlessgl', { chain: true });
    const ops = gpu.resident!;
    expect(ops).toBeDefined();
    const dim = fc.integer({ min: 1, max: 40 });
    fc.assert(
      fc.property(
        fc.record({ ta: fc.boolean(), tb: fc.boolean(), m: dim, n: dim, k: dim, seed: fc.integer() }),
        ({ ta, tb, m, n, k, seed }) => {
          const rng = Rng.seeded(seed);
          const a = random(m * k, rng);
          const b = random(k * n, rng);
          const c = random(n * k, rng);
          const want = new Float32Array(m * n);
          const magnitude = new Float32Array(m * n);
          referenceGemm(ta, tb, m, n, k, a, b, want);
          referenceGemm(ta, tb, m, n, k, a.map(Math.abs), b.map(Math.abs), magnitude);
          const A = ta ? ops.upload(a, k, m) : ops.upload(a, m, k);
          const B = tb ? ops.upload(b, n, k) : ops.upload(b, k, n);
          const AB = ops.gemm(ta, tb, A, B);
          expectWithinBound(ops.download(AB), want, magnitude, k);
          // A second product on the first's texture: (AB)·C, C n×k, against the reference on AB's download.
          const ab = ops.download(AB);
          const C = ops.upload(c, n, k);
          const want2 = new Float32Array(m * k);
          const magnitude2 = new Float32Array(m * k);
          referenceGemm(false, false, m, k, n, ab, c, want2);
          referenceGemm(false, false, m, k, n, ab.map(Math.abs), c.map(Math.abs), magnitude2);
          expectWithinBound(ops.download(ops.gemm(false, false, AB, C)), want2, magnitude2, n);
          for (const t of [A, B, AB, C]) ops.release(t);
          return true;
        },
      ),
      { numRuns: 6 },
    );
    const rng = Rng.seeded(9);
    const z = random(17 * 6, rng, -4, 4);
    const bias = random(6, rng);
    const Z = ops.upload(z, 17, 6);
    const Bias = ops.upload(bias, 1, 6);
    for (const act of ACTIVATIONS) {
      const want = Float32Array.from(z);
      kernelsOf(getBackend('reference')).biasActivation(want, bias, 17, 6, act);
      const got = ops.download(ops.biasActivation(Z, Bias, act));
      // Exactly the same input; GLSL's exp and tanh are not correctly rounded: a few ulps of 1.
      expectWithinBound(got, want, new Float32Array(want.length), 0, 8 * 2 ** -23);
    }
    gpu.dispose();
  });

  it('refuse a matrix no texture can hold, naming its shape and the limit', () => {
    const gpu = new GpujsBackend('headlessgl', { maxTextureSize: 8, chain: true });
    const ops = gpu.resident!;
    expect(ops.fits(8, 8)).toBe(true);
    expect(ops.fits(9, 2)).toBe(false);
    expect(() => ops.upload(new Float32Array(18), 9, 2)).toThrow(
      "gpujs:headlessgl: upload (9×2) cannot be held as one texture: each side must be 1 to 8, this GL context's maximum texture size",
    );
    gpu.dispose();
  });

  function muProblem(backend: Backend, n: number, d: number, k: number) {
    const rng = Rng.seeded(11);
    const x = nmfData(n, d, random(n * d, rng, 0, 1), backend, 'test', 'dense');
    const w = Float64Array.from(random(n * k, rng, 0.1, 1));
    const ht = Float64Array.from(random(d * k, rng, 0.1, 1));
    const f = { k, w, ht, w32: Float32Array.from(w), ht32: Float32Array.from(ht) };
    return { x, f, ws: new Workspace(backend) };
  }

  it("an NMF mu solve: 3 uploads, 2 readbacks and 4 a loss check, and the reference solver's factors", () => {
    const [n, d, k] = [70, 45, 6];
    const none = { l1W: 0, l1H: 0, l2W: 0.01, l2H: 0.02 };
    for (const [tol, maxIter, checks] of [
      [0, 25, 0], // no loss check but the one at the start
      [1e-12, 30, 3], // a check every 10 iterations, never met
    ] as const) {
      const gpu = new GpujsBackend('headlessgl', { chain: true });
      const g = muProblem(gpu, n, d, k);
      const r = muProblem(getBackend('reference'), n, d, k);
      const stop = { tol, maxIter };
      const seen: number[] = [];
      expect(fitMuData(g.x, g.f, 'frobenius', none, stop, g.ws, true, (i) => seen.push(i))).toBe(maxIter);
      expect(seen).toHaveLength(maxIter);
      expect(gpu.transfers.uploads).toBe(3);
      expect(gpu.transfers.readbacks).toBe(2 + READBACKS_PER_CHECK * (1 + checks));
      expect(fitMuData(r.x, r.f, 'frobenius', none, stop, r.ws)).toBe(maxIter);
      // float32 products against float64 sums: a few 1e-6 per step, compounded over the solve.
      for (const [got, want] of [
        [g.f.w, r.f.w],
        [g.f.ht, r.f.ht],
      ]) {
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(want[i])));
      }
      gpu.dispose();
    }
  });

  it('a forward pass: one upload and one readback a batch (the weights once), and the reference outputs', () => {
    const sizes = [20, 12, 6, 20];
    const acts = ['relu', 'tanh', 'sigmoid'] as const;
    const make = (backend: Backend) => {
      const model = new Sequential(
        backend,
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
    const gpu = new GpujsBackend('headlessgl', { chain: true });
    const x = new Tensor(random(50 * 20, Rng.seeded(4), 0, 1), [50, 20]);
    const got = make(gpu).predict(x, 16);
    const want = make(getBackend('reference')).predict(x, 16);
    expect(gpu.transfers.uploads).toBe(2 * acts.length + Math.ceil(50 / 16));
    expect(gpu.transfers.readbacks).toBe(Math.ceil(50 / 16));
    // The weights and biases once, then the 50 input rows; the 50 output rows back.
    expect(gpu.transfers.uploadBytes).toBe(4 * (20 * 12 + 12 + 12 * 6 + 6 + 6 * 20 + 20 + 50 * 20));
    expect(gpu.transfers.readbackBytes).toBe(4 * 50 * 20);
    // Three float32 layers of at most 20 terms, activations 1-Lipschitz: well inside 1e-5.
    for (let i = 0; i < want.data.length; i++)
      expect(Math.abs(got.data[i] - want.data[i])).toBeLessThanOrEqual(1e-5);
    gpu.dispose();
  });
});

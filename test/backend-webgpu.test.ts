import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTIVATION_RULES, ACTIVATIONS } from '../src/backend/activations.ts';
import { referenceGemm, WebGpuBackend } from '../src/backend/index.ts';
import { referenceKernels } from '../src/backend/kernels.ts';
import { type DeviceChannel, missingPrerequisites } from '../src/backend/webgpu/channel.ts';
import {
  activationBackwardShader,
  activationProbeShader,
  adamShader,
  biasActivationShader,
  COLUMN_SUM_MAX_ROWS,
  columnSumShader,
  GEMM_MAX_K,
  gemmShader,
  mseShader,
  WGSL_ACTIVATIONS,
} from '../src/backend/webgpu/wgsl.ts';
import { Rng } from '../src/tensor/rng.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

const U = 2 ** -24;

describe('webgpu WGSL text (no device needed)', () => {
  it('has a WGSL rule for exactly the activations of the table', () => {
    expect(Object.keys(WGSL_ACTIVATIONS).sort()).toEqual([...ACTIVATIONS].sort());
  });

  it('says what Dawn will lack: the X display, and a Vulkan loader looked for on LD_LIBRARY_PATH too', () => {
    const saved = { DISPLAY: process.env.DISPLAY, LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH };
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-libs-'));
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    try {
      delete process.env.DISPLAY;
      expect(missingPrerequisites(['opengles']).join('; ')).toMatch(/DISPLAY is not set/);
      process.env.DISPLAY = ':98';
      expect(missingPrerequisites(['opengles']).join('; ')).not.toMatch(/DISPLAY/);
      process.env.LD_LIBRARY_PATH = dir;
      expect(missingPrerequisites(['vulkan'])).toEqual([]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('keeps every workgroup within 128 invocations (compatibility adapters)', () => {
    const shaders = [
      gemmShader(),
      columnSumShader(),
      mseShader(),
      adamShader(),
      activationProbeShader(),
      ...ACTIVATIONS.flatMap((a) => [biasActivationShader(a), activationBackwardShader(a)]),
    ];
    for (const s of shaders) {
      const sizes = [...s.matchAll(/@workgroup_size\(([^)]*)\)/g)].map((m) =>
        m[1].split(',').reduce((p, v) => p * Number(v.trim()), 1),
      );
      expect(sizes.length).toBe(1);
      expect(sizes[0]).toBeGreaterThan(0);
      expect(sizes[0]).toBeLessThanOrEqual(128);
    }
  });
});

const gpu = webgpuForTests('backend-webgpu.test.ts');

describe.skipIf(gpu.skip)('webgpu backend on the device (llvmpipe in CI)', () => {
  let channel: DeviceChannel;
  let backend: WebGpuBackend;
  beforeAll(() => {
    channel = gpu.requireDevice();
    backend = new WebGpuBackend(channel, { kernels: 'gpu' });
  });

  /** Worst |Δ| / bound of gemm against referenceGemm, the bound of backend-agreement.test.ts: 2(k+2)u·Σ|terms|. */
  function worstRatio(
    b: WebGpuBackend,
    t: {
      transA: boolean;
      transB: boolean;
      m: number;
      n: number;
      k: number;
      accumulate: boolean;
      seed: number;
    },
  ): number {
    const { transA, transB, m, n, k, accumulate } = t;
    const rng = Rng.seeded(t.seed);
    const fill = (len: number) => Float32Array.from({ length: len }, () => rng.uniformRange(-1, 1));
    const a = fill(m * k);
    const bb = fill(k * n);
    const c = fill(m * n);
    const c0 = c.slice();
    const expected = c.slice();
    b.gemm(transA, transB, m, n, k, a, bb, c, accumulate);
    referenceGemm(transA, transB, m, n, k, a, bb, expected, accumulate);
    let worst = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let mag = accumulate ? Math.abs(c0[i * n + j]) : 0;
        for (let p = 0; p < k; p++)
          mag += Math.abs((transA ? a[p * m + i] : a[i * k + p]) * (transB ? bb[j * k + p] : bb[p * n + j]));
        const bound = 2 * (k + 2) * U * mag;
        const diff = Math.abs(c[i * n + j] - expected[i * n + j]);
        if (!(diff <= bound)) return Number.POSITIVE_INFINITY;
        worst = Math.max(worst, bound > 0 ? diff / bound : 0);
      }
    }
    return worst;
  }

  const caseArb = (dim: fc.Arbitrary<number>) =>
    fc.record({
      transA: fc.boolean(),
      transB: fc.boolean(),
      m: dim,
      n: dim,
      k: dim,
      accumulate: fc.boolean(),
      seed: fc.integer(),
    });

  it('gemm agrees with referenceGemm: random shapes, all transposes, accumulate on/off', () => {
    fc.assert(
      fc.property(caseArb(fc.integer({ min: 0, max: 40 })), (t) => worstRatio(backend, t) <= 1),
      { numRuns: 120 },
    );
  });

  it('gemm agrees across its 64×64 tiles and 16-deep K tiles (shapes 60–200)', () => {
    fc.assert(
      fc.property(caseArb(fc.integer({ min: 60, max: 200 })), (t) => worstRatio(backend, t) <= 1),
      { numRuns: 12 },
    );
  });

  it('gemm splits products larger than a binding into row and depth blocks, with the same results', () => {
    // 1000 floats a binding: every operand here is larger, so every product is split.
    const small = new WebGpuBackend(channel, { kernels: 'host', maxBindingBytes: 4000 });
    fc.assert(
      fc.property(
        caseArb(fc.integer({ min: 1, max: 5 })).chain((t) =>
          fc
            .record({
              m: fc.integer({ min: 40, max: 90 }),
              n: fc.integer({ min: 1, max: 30 }),
              k: fc.integer({ min: 40, max: 90 }),
            })
            .map((s) => ({ ...t, ...s })),
        ),
        (t) => {
          const before = small.transfers.calls;
          const ok = worstRatio(small, t) <= 1;
          const blocks =
            Math.ceil(t.m / Math.floor(1000 / Math.max(Math.min(t.k, Math.floor(1000 / t.n)), t.n))) *
            Math.ceil(t.k / Math.min(t.k, Math.floor(1000 / t.n)));
          return ok && small.transfers.calls - before === blocks && blocks > 1;
        },
      ),
      { numRuns: 15 },
    );
  });

  it('every WGSL activation rule agrees with ACTIVATION_RULES, special values included', () => {
    const rng = Rng.seeded(3);
    const special = [
      0,
      -0,
      1e-8,
      -1e-8,
      0.5,
      -0.5,
      1,
      -1,
      3,
      -3,
      9.9,
      -9.9,
      10,
      -10,
      20,
      -20,
      88,
      -88,
      100,
      -100,
      Infinity,
      -Infinity,
      Number.NaN,
    ];
    const xs = Float32Array.from([...special, ...Array.from({ length: 200 }, () => rng.normal(0, 4))]);
    const count = xs.length;
    // (g, y) pairs: y spans every activation's (finite) range and a little beyond, g a gradient.
    const gy = new Float32Array(2 * count);
    for (let i = 0; i < count; i++) {
      gy[2 * i] = rng.normal(0, 1);
      gy[2 * i + 1] =
        i < special.length && Number.isFinite(special[i])
          ? Math.fround(special[i] / 100)
          : rng.uniformRange(-1.5, 1.5);
    }
    const [f, back] = channel.call('activationProbe', [count], [xs, gy]);
    ACTIVATIONS.forEach((name, a) => {
      const rule = ACTIVATION_RULES[name];
      const tol = name === 'sigmoid' || name === 'tanh' ? 2 ** -22 : 0;
      for (let i = 0; i < count; i++) {
        const want = Math.fround(rule.forward(xs[i]));
        const got = f[a * count + i];
        // Equal values pass first: the infinities' difference is NaN.
        if (Number.isNaN(want)) expect(got, `${name}(${xs[i]})`).toBeNaN();
        else if (got !== want)
          expect(Math.abs(got - want), `${name}(${xs[i]}) = ${got}, want ${want}`).toBeLessThanOrEqual(
            tol * Math.max(1, Math.abs(want)),
          );
        const g = gy[2 * i];
        const y = gy[2 * i + 1];
        const wantB = Math.fround(rule.backward(g, y));
        const gotB = back[a * count + i];
        expect(Math.abs(gotB - wantB), `${name}'(g ${g}, y ${y})`).toBeLessThanOrEqual(
          4 * U * Math.max(Math.abs(wantB), Math.abs(g)),
        );
      }
    });
  });

  it('biasActivation and activationBackward agree with the reference kernels for every activation', () => {
    const rng = Rng.seeded(11);
    for (const act of ACTIVATIONS) {
      for (const [rows, cols] of [
        [1, 1],
        [7, 37],
        [130, 129],
      ]) {
        const z = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 4));
        const bias = Float32Array.from({ length: cols }, () => rng.normal(0, 1));
        const want = z.slice();
        referenceKernels.biasActivation(want, bias, rows, cols, act);
        const got = z.slice();
        backend.kernels.biasActivation!(got, bias, rows, cols, act);
        const tol = act === 'sigmoid' || act === 'tanh' ? 2 ** -22 : 2 * U;
        for (let i = 0; i < got.length; i++)
          expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
        const g = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
        const wantG = g.slice();
        referenceKernels.activationBackward(wantG, want, act);
        const gotG = g.slice();
        backend.kernels.activationBackward!(gotG, want, act);
        for (let i = 0; i < gotG.length; i++)
          expect(Math.abs(gotG[i] - wantG[i])).toBeLessThanOrEqual(4 * U * Math.abs(g[i]));
      }
    }
  });

  it('gemm sums all GEMM_MAX_K terms in one product, and splits deeper ones over k', () => {
    // At the limit the K-tile loop runs 65,535 times: the last tile's terms must still count.
    for (const k of [GEMM_MAX_K, GEMM_MAX_K + 5]) {
      const ones = new Float32Array(k).fill(1);
      const c = new Float32Array(1);
      const before = backend.transfers.calls;
      backend.gemm(false, false, 1, 1, k, ones, ones, c);
      expect(c[0]).toBe(k);
      expect(backend.transfers.calls - before).toBe(k > GEMM_MAX_K ? 2 : 1);
    }
  });

  it('columnSum over more rows than llvmpipe lets one loop run (65,535) sums every row', () => {
    // Looped a row at a time, the shader stopped after 65,535 rows on llvmpipe: column 0 (ones)
    // came out 65,535, not 70,001.
    const rng = Rng.seeded(25);
    const rows = 70_001; // 1,093 whole blocks of 64 and 49 rows after them
    const cols = 3;
    const g = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      g[i * cols] = 1;
      g[i * cols + 1] = i % 7;
      g[i * cols + 2] = rng.normal(0, 1);
    }
    let sevens = 0;
    for (let i = 0; i < rows; i++) sevens += i % 7;
    for (const accumulate of [false, true]) {
      const got = Float32Array.of(5, 5, 5);
      const want = got.slice();
      backend.kernels.columnSum!(g, rows, cols, got, accumulate);
      referenceKernels.columnSum(g, rows, cols, want, accumulate);
      const base = accumulate ? 5 : 0;
      // Integers below 2²⁴: exact in any order.
      expect([got[0], got[1]]).toEqual([base + rows, base + sevens]);
      // In row order, as the reference: equal up to a contracted or reassociated add or two.
      expect(Math.abs(got[2] - want[2])).toBeLessThanOrEqual(rows * U * 4);
    }
  });

  it('columnSum takes COLUMN_SUM_MAX_ROWS rows on the device, and more on the host, in both cases all of them', () => {
    // At the limit the loops run 65,535 iterations: the last block's rows must still count.
    for (const rows of [COLUMN_SUM_MAX_ROWS, COLUMN_SUM_MAX_ROWS + 1]) {
      const g = new Float32Array(rows).fill(1);
      const got = new Float32Array(1);
      backend.kernels.columnSum!(g, rows, 1, got, false);
      expect(got[0]).toBe(rows);
    }
  });

  it('columnSum, mse and adam agree with the reference kernels', () => {
    const rng = Rng.seeded(5);
    const rows = 300;
    const cols = 131;
    const g = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
    for (const accumulate of [false, true]) {
      const start = Float32Array.from({ length: cols }, () => rng.normal(0, 1));
      const want = start.slice();
      const got = start.slice();
      referenceKernels.columnSum(g, rows, cols, want, accumulate);
      backend.kernels.columnSum!(g, rows, cols, got, accumulate);
      // Same order of float32 additions: equal up to a contracted or reassociated add or two.
      for (let j = 0; j < cols; j++) expect(Math.abs(got[j] - want[j])).toBeLessThanOrEqual(rows * U * 4);
    }

    // mse over more than one 4096-element chunk, with and without the gradient.
    const n = 10_000;
    const p = Float32Array.from({ length: n }, () => rng.uniform());
    const t = Float32Array.from({ length: n }, () => rng.uniform());
    const gradWant = new Float32Array(n);
    const gradGot = new Float32Array(n);
    const want = referenceKernels.mse(p, t, gradWant, 0.5);
    const got = backend.kernels.mse!(p, t, gradGot, 0.5);
    // Float32 chunk sums of ≤ 4096 terms (a 128-way tree over 32-term runs): relative error ≤ (32 + 7 + 1)u.
    expect(Math.abs(got - want) / want).toBeLessThanOrEqual(40 * U);
    // c = 2·scale/n is rounded to float32 before the product: up to 2 ulps apart.
    for (let i = 0; i < n; i++)
      expect(Math.abs(gradGot[i] - gradWant[i])).toBeLessThanOrEqual(4 * U * Math.abs(gradWant[i]));
    expect(backend.kernels.mse!(p, t, null, 1)).toBeCloseTo(want, 6);

    const len = 1000;
    const w = Float32Array.from({ length: len }, () => rng.normal(0, 0.1));
    const grad = Float32Array.from({ length: len }, () => rng.normal(0, 1));
    const m = Float32Array.from({ length: len }, () => rng.normal(0, 0.1));
    const v = Float32Array.from({ length: len }, () => rng.uniform() * 0.01);
    const [w1, m1, v1] = [w.slice(), m.slice(), v.slice()];
    const [w2, m2, v2] = [w.slice(), m.slice(), v.slice()];
    referenceKernels.adam(w1, grad, m1, v1, 1e-3, 0.9, 0.999, 1e-7);
    backend.kernels.adam!(w2, grad, m2, v2, 1e-3, 0.9, 0.999, 1e-7);
    for (let i = 0; i < len; i++) {
      expect(Math.abs(m2[i] - m1[i])).toBeLessThanOrEqual(4 * U * (Math.abs(m1[i]) + Math.abs(grad[i])));
      expect(Math.abs(v2[i] - v1[i])).toBeLessThanOrEqual(4 * U * (Math.abs(v1[i]) + grad[i] * grad[i]));
      // The step lr·m/(√v + ε) in float32 against float64: a few ulps of the step, plus w's rounding.
      const step = Math.abs(w[i] - w1[i]);
      expect(Math.abs(w2[i] - w1[i])).toBeLessThanOrEqual(8 * U * step + 2 * U * Math.abs(w1[i]));
    }
  });

  it('counts one upload per operand and one readback per result for each call, and no compile of a known shader', () => {
    const b = new WebGpuBackend(channel, { kernels: 'host' });
    const a = new Float32Array(6 * 5).fill(1);
    const bb = new Float32Array(5 * 4).fill(1);
    const c = new Float32Array(6 * 4);
    // The gemm shader compiled on this channel by another backend: b compiles nothing.
    new WebGpuBackend(channel, { kernels: 'host' }).gemm(false, false, 6, 4, 5, a, bb, c);
    b.gemm(false, false, 6, 4, 5, a, bb, c);
    b.gemm(false, false, 6, 4, 5, a, bb, c, true);
    expect(c[0]).toBe(10);
    expect(b.transfers).toEqual({
      calls: 2,
      uploads: 2 + 3,
      uploadBytes: 4 * (30 + 20 + (30 + 20 + 24)),
      readbacks: 2,
      readbackBytes: 4 * 24 * 2,
      compiles: 0,
    });
    b.resetTransfers();
    expect(b.transfers.calls).toBe(0);
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spikedGaussianBasis } from '../plugins/datasets/spiked-gaussian.ts';
import type { PreparedData } from '../plugins/studies/shallow-pca/data.ts';
import { executeRun, expandRuns, type ShallowPcaRun } from '../plugins/studies/shallow-pca/run.ts';
import { shallowPcaSpecSchema } from '../plugins/studies/shallow-pca/spec.ts';
import { WebGpuBackend } from '../src/backend/index.ts';
import { philox4x32, philoxNormal } from '../src/backend/webgpu/philox.ts';
import {
  SHALLOW_MAX_CHUNK,
  SHALLOW_MAX_K,
  SHALLOW_MAX_REPLICAS,
  SHALLOW_REPLICA_BYTES,
  SHALLOW_UNIFORM_HEADER,
  SHALLOW_WGSL_ACTIVATIONS,
  shallowLayout,
  shallowStepShader,
} from '../src/backend/webgpu/wgsl-shallow.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';
import type { RunContext } from '../src/experiment/study-kind.ts';
import {
  SHALLOW_ACTIVATIONS,
  ShallowAutoencoder,
  type ShallowBias,
  type ShallowOptions,
} from '../src/shallow/model.ts';
import { logSpacedSteps, trainShallow } from '../src/shallow/train.ts';
import { type ShallowLaw, WebGpuShallowTrainer } from '../src/shallow/webgpu-trainer.ts';
import { Rng } from '../src/tensor/rng.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

describe('Philox4x32-10 (the reference of the device draws)', () => {
  it("gives Random123's known answers", () => {
    const hex = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0')).join(' ');
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    const ones = 0xffffffff;
    expect(hex(philox4x32([ones, ones, ones, ones], [ones, ones]))).toBe(
      '408f276d 41c83b0e a20bc7c6 6d5451fd',
    );
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe(
      'd16cfe09 94fdcceb 5001e420 24126ea1',
    );
  });

  it('gives standard normals (mean 0, variance 1, 4th moment 3 over 200,000 draws, within 5 standard errors)', () => {
    const n = 200_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    for (let i = 0; i < n; i++) {
      const z = philoxNormal(7, 9, i >> 4, i & 15);
      s1 += z;
      s2 += z * z;
      s4 += z ** 4;
    }
    // Standard errors: 1/√n, √(2/n), √(96/n) (the variances of z, z², z⁴ are 1, 2, 96).
    expect(Math.abs(s1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });
});

describe('shallow-pca runs on webgpu', () => {
  const spec = shallowPcaSpecSchema.parse({
    name: 'sbs',
    outputs: { dir: 'unused' },
    datasets: [
      { label: 'a', name: 'spiked-gaussian', trainCount: 10, testCount: 10, k: 2, steps: 100, lr: 0.1 },
      { label: 'b', name: 'spiked-gaussian', trainCount: 10, testCount: 10, k: 2, steps: 100, lr: 0.1 },
    ],
    model: { activations: ['linear', 'erf'], tied: [true, false], biases: ['none'] },
    seeds: 2,
  });
  it('are the same runs as on any other backend but for the backend field (a report matches stored runs so)', () => {
    const ofWebgpu = expandRuns(spec, 'webgpu');
    expect(ofWebgpu).toHaveLength(16);
    for (const other of ['simd', ''])
      expect(expandRuns(spec, other).map((r) => ({ ...r, backend: 'webgpu' }))).toEqual(ofWebgpu);
  });
});

describe('the shallow step shader (text)', () => {
  it('keeps its workgroup memory and its uniform within compat mode’s 16 KiB up to SHALLOW_MAX_K and SHALLOW_MAX_REPLICAS', () => {
    const wgsl = shallowStepShader({ d: 784, k: SHALLOW_MAX_K, spikes: 0, replicas: SHALLOW_MAX_REPLICAS });
    expect(wgsl).toContain(`reps: array<Replica, ${SHALLOW_MAX_REPLICAS}>`);
    // The protocol sends activations by index in this order.
    expect([...SHALLOW_WGSL_ACTIVATIONS]).toEqual([...SHALLOW_ACTIVATIONS]);
    // No loop but the one over the steps (llvmpipe's 65,535 iterations an invocation in all).
    expect(wgsl.match(/\bfor \(/g)).toHaveLength(1);
    expect(SHALLOW_UNIFORM_HEADER + SHALLOW_REPLICA_BYTES * SHALLOW_MAX_REPLICAS).toBeLessThanOrEqual(16384);
    const floats = [...wgsl.matchAll(/var<workgroup> \w+: array<f32, (\d+)>/g)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
    expect(floats * 4).toBeLessThanOrEqual(16384);
    expect(wgsl).not.toMatch(/atomic/);
  });
});

const gpu = webgpuForTests('shallow-webgpu.test.ts');

/**
 * The device's parameters match the host's float32 model's within this absolute difference after
 * 3,000 steps on a 32-dimensional set (parameters of size up to ~2.4). The two differ in
 * summation order and in the rates' rounding (the device's a_w = lrW/√D as one float32). Measured
 * on llvmpipe: at most 4.6e-6 over the 16 configurations (the test's log line); the bound leaves
 * an order of magnitude.
 */
const AGREEMENT_TOLERANCE = 5e-5;

const D = 32;
const K = 4;
const ROWS = 64;
const DATA = Rng.seeded(3).fillNormal(new Float32Array(ROWS * D));

function params(m: ShallowAutoencoder): Float32Array[] {
  return [m.w, m.v, m.b, m.c].filter((p) => p !== null).map((p) => Float32Array.from(p));
}

/** A spiked law in D dimensions: spikes along an orthonormal basis, bulk variance `noise²`. */
function law(d: number, variances: number[], noise: number): ShallowLaw {
  const basis = spikedGaussianBasis({ dim: d, spikes: variances, seed: 11 });
  const flat = new Float64Array(variances.length * d);
  basis.forEach((u, r) => {
    flat.set(u, r * d);
  });
  return { basis: flat, amplitude: variances.map((v) => Math.sqrt(v - noise * noise)), noise };
}

describe.skipIf(gpu.skip)('the shallow autoencoder on webgpu (llvmpipe in CI)', () => {
  let backend: WebGpuBackend;
  beforeAll(() => {
    backend = new WebGpuBackend(gpu.requireDevice(), { kernels: 'host' });
  });

  const model = (o: Partial<ShallowOptions>) =>
    new ShallowAutoencoder(
      { d: D, k: K, activation: 'erf', tied: false, bias: 'both', lr: 0.5, ...o },
      Rng.seeded(1),
    );

  it('steps as the host float32 model on a resident training set: every activation, tied and untied, every bias placement, 3,000 steps in chunks of 700', () => {
    const worst: string[] = [];
    const configs: Partial<ShallowOptions>[] = SHALLOW_ACTIVATIONS.flatMap((activation) =>
      [false, true].map((tied) => ({ activation, tied, bias: 'both' as ShallowBias })),
    );
    // The other bias placements, on erf (the authors' g) tied and untied.
    for (const bias of ['none', 'encoder', 'decoder'] as const)
      for (const tied of [false, true]) configs.push({ activation: 'erf', tied, bias });
    // Tied W stepped along its encoder use alone (the authors' detached decoder).
    for (const activation of ['linear', 'erf'] as const)
      configs.push({ activation, tied: true, bias: 'encoder', tiedGradient: 'encoder' });
    // Large initial weights: pre-activations out to a few units, both branches of the shader's erf.
    for (const activation of ['erf', 'sigmoid'] as const)
      configs.push({ activation, tied: false, bias: 'both', initStd: 1, lr: 0.05 });
    for (const config of configs) {
      const { activation, tied, bias } = config;
      const host = model(config);
      const dev = model(config);
      const t = new WebGpuShallowTrainer(backend, dev, { train: DATA, trainCount: ROWS }, { chunk: 700 });
      t.advance(0, 1234);
      t.advance(1234, 3000);
      t.pull();
      t.dispose();
      for (let s = 0; s < 3000; s++) host.step(DATA, (s % ROWS) * D);
      const a = params(host);
      const b = params(dev);
      let diff = 0;
      a.forEach((p, j) => {
        for (let i = 0; i < p.length; i++) diff = Math.max(diff, Math.abs(p[i] - b[j][i]));
      });
      const name = `${activation}/${tied ? 'tied' : 'untied'}/${bias}${config.initStd ? `/init ${config.initStd}` : ''}${config.tiedGradient ? `/${config.tiedGradient}` : ''}`;
      worst.push(`${name} ${diff.toExponential(2)}`);
      expect(diff, name).toBeLessThan(AGREEMENT_TOLERANCE);
      // The run moved the weights far more than the tolerance (not a vacuous agreement).
      const start = params(model(config));
      let moved = 0;
      start.forEach((p, j) => {
        for (let i = 0; i < p.length; i++) moved = Math.max(moved, Math.abs(p[i] - a[j][i]));
      });
      expect(moved).toBeGreaterThan(1000 * AGREEMENT_TOLERANCE);
    }
    console.log(`webgpu vs host float32, max |Δθ| after 3,000 steps: ${worst.join(', ')}`);
  });

  it('gives bit-identical parameters whatever the chunk size and however the steps are split (data and online)', () => {
    const spiked = law(D, [9, 4], 1);
    for (const source of [
      { train: DATA, trainCount: ROWS },
      { law: spiked, seeds: [[5, 6] as const] },
    ]) {
      const runs = [
        { chunk: 3000, cuts: [0, 3000] },
        { chunk: 700, cuts: [0, 1234, 3000] },
        { chunk: 1, cuts: [0, 100, 101, 3000] },
      ].map(({ chunk, cuts }) => {
        const m = model({ bias: 'both', activation: 'relu' });
        const t = new WebGpuShallowTrainer(backend, m, source, { chunk });
        for (let i = 1; i < cuts.length; i++) t.advance(cuts[i - 1], cuts[i]);
        t.pull();
        t.dispose();
        return params(m);
      });
      for (const other of runs.slice(1)) expect(other).toEqual(runs[0]);
    }
  });

  it("keeps a whole chunk of SHALLOW_MAX_CHUNK steps (llvmpipe ends an invocation's loops after 65,535 iterations in all)", () => {
    const steps = SHALLOW_MAX_CHUNK + 100;
    const erf = () => model({ activation: 'erf', tied: false, bias: 'both', lr: 0.05 });
    // A resident set: one chunk of the maximum against the host (a cut loop was 0.34 off here).
    const dev = erf();
    const t = new WebGpuShallowTrainer(
      backend,
      dev,
      { train: DATA, trainCount: ROWS },
      { chunk: SHALLOW_MAX_CHUNK },
    );
    t.advance(0, steps);
    t.pull();
    t.dispose();
    const host = erf();
    for (let s = 0; s < steps; s++) host.step(DATA, (s % ROWS) * D);
    const a = params(host);
    params(dev).forEach((p, j) => {
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - a[j][i])).toBeLessThan(AGREEMENT_TOLERANCE);
    });
    // Online (Philox's rounds and the spikes in the loop too): the maximum chunk against chunks of 5,000.
    const spiked = law(D, [9, 4], 1);
    const online = [SHALLOW_MAX_CHUNK, 5000].map((chunk) => {
      const m = erf();
      const u = new WebGpuShallowTrainer(backend, m, { law: spiked, seeds: [[3, 4]] }, { chunk });
      u.advance(0, steps);
      u.pull();
      u.dispose();
      return params(m);
    });
    expect(online[0]).toEqual(online[1]);
  });

  it('trains models side by side exactly as each alone, whatever their activation, tying, biases and rate (data and online), and refuses different D or K', () => {
    const spiked = law(D, [9, 4], 1);
    const seeds = [
      [5, 6],
      [0xffffffff, 0],
      [123456789, 987654321],
      [1, 1],
    ] as const;
    const settings: Partial<ShallowOptions>[] = [
      { activation: 'erf', tied: false, bias: 'both' },
      { activation: 'relu', tied: true, bias: 'none' },
      { activation: 'sigmoid', tied: false, bias: 'encoder', lr: 0.2 },
      { activation: 'linear', tied: true, bias: 'decoder', lr: 0.1 },
    ];
    const replica = (r: number) =>
      new ShallowAutoencoder(
        { d: D, k: K, activation: 'erf', tied: false, bias: 'both', lr: 0.5, ...settings[r] },
        Rng.seeded(10 + r),
      );
    const all = [0, 1, 2, 3];
    for (const online of [false, true]) {
      const source = (rs: number[]) =>
        online ? { law: spiked, seeds: rs.map((r) => seeds[r]) } : { train: DATA, trainCount: ROWS };
      const together = all.map(replica);
      const t = new WebGpuShallowTrainer(backend, together, source(all), { chunk: 400 });
      t.advance(0, 1500);
      t.pull();
      const drawn = online ? t.draw(77, 3, 2) : null;
      t.dispose();
      for (const r of all) {
        const alone = replica(r);
        const u = new WebGpuShallowTrainer(backend, alone, source([r]), { chunk: 1500 });
        u.advance(0, 1500);
        u.pull();
        if (online && r === 2) expect(u.draw(77, 3)).toEqual(drawn);
        u.dispose();
        expect(params(together[r]), `model ${r}${online ? ' online' : ''}`).toEqual(params(alone));
        // It trained (not a vacuous equality).
        expect(params(alone)).not.toEqual(params(replica(r)));
      }
    }
    const wider = new ShallowAutoencoder(
      { d: D + 1, k: K, activation: 'erf', tied: false, bias: 'both', lr: 0.5 },
      Rng.seeded(1),
    );
    expect(
      () => new WebGpuShallowTrainer(backend, [replica(0), wider], { train: DATA, trainCount: ROWS }),
    ).toThrow(/model 1 has d = 33, model 0 32; models side by side share D and K/);
    expect(
      () => new WebGpuShallowTrainer(backend, [replica(0), replica(1)], { law: spiked, seeds: [[1, 2]] }),
    ).toThrow(/1 seeds for 2 models, expected one each/);
  });

  it('steps alike when the training set sits in blocks (a set over one binding), and refuses one needing more than 3', () => {
    const run = (maxBlockBytes?: number) => {
      const m = model({ activation: 'sigmoid', tied: true });
      const t = new WebGpuShallowTrainer(
        backend,
        m,
        { train: DATA, trainCount: ROWS },
        { chunk: 300, maxBlockBytes },
      );
      t.advance(0, 1000);
      t.pull();
      t.dispose();
      return params(m);
    };
    // 25 rows a block: blocks of 25, 25 and 14 rows; every row is visited 15 times or more.
    expect(run(4 * D * 25)).toEqual(run());
    expect(() => run(4 * D * 10)).toThrow(
      /64 rows of 32 floats need 7 bindings of at most 1280 bytes; the shader takes 3/,
    );
  });

  it("draws the online law's samples on the device as the Philox reference says (float32 rounding apart)", () => {
    const d = 500;
    const spiked = law(d, [289, 81, 25, 9], 1);
    const seed = [12345, 678] as const;
    const m = new ShallowAutoencoder(
      { d, k: 4, activation: 'erf', tied: false, bias: 'none', lr: 0.1 },
      Rng.seeded(1),
    );
    const t = new WebGpuShallowTrainer(backend, m, { law: spiked, seeds: [seed] });
    const x = t.draw(1_000_000, 20);
    t.dispose();
    for (let n = 0; n < 20; n++) {
      const z = spiked.amplitude.map((a, r) => a * philoxNormal(seed[0], seed[1], 1_000_000 + n, d + r));
      for (let i = 0; i < d; i++) {
        let ref = spiked.noise * philoxNormal(seed[0], seed[1], 1_000_000 + n, i);
        z.forEach((zr, r) => {
          ref += zr * spiked.basis[r * d + i];
        });
        // float32 log, cos and sums on a sample of scale up to ~17·|z|.
        expect(Math.abs(x[n * d + i] - ref)).toBeLessThan(1e-4 * (1 + Math.abs(ref)));
      }
    }
  });

  it('draws samples whose mean is 0 and whose covariance is bulk·I + Σ a_r² u_r u_rᵀ (20,000 draws, every entry within 5 standard errors)', () => {
    const d = 12;
    const variances = [16, 4];
    const spiked = law(d, variances, 1);
    const m = new ShallowAutoencoder(
      { d, k: 2, activation: 'linear', tied: true, bias: 'none', lr: 0.1 },
      Rng.seeded(1),
    );
    const t = new WebGpuShallowTrainer(backend, m, { law: spiked, seeds: [[1, 2]] });
    const n = 20_000;
    const x = t.draw(0, n);
    t.dispose();
    // The law's covariance C = I + Σ_r (λ_r − 1) u_r u_rᵀ.
    const c = new Float64Array(d * d);
    for (let i = 0; i < d; i++) c[i * d + i] = 1;
    variances.forEach((v, r) => {
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          c[i * d + j] += (v - 1) * spiked.basis[r * d + i] * spiked.basis[r * d + j];
    });
    const mean = new Float64Array(d);
    const second = new Float64Array(d * d);
    for (let s = 0; s < n; s++)
      for (let i = 0; i < d; i++) {
        mean[i] += x[s * d + i] / n;
        for (let j = 0; j < d; j++) second[i * d + j] += (x[s * d + i] * x[s * d + j]) / n;
      }
    for (let i = 0; i < d; i++) {
      expect(Math.abs(mean[i])).toBeLessThan(5 * Math.sqrt(c[i * d + i] / n));
      for (let j = 0; j < d; j++) {
        // Var of x_i x_j for a zero-mean Gaussian: C_ii C_jj + C_ij².
        const se = Math.sqrt((c[i * d + i] * c[j * d + j] + c[i * d + j] ** 2) / n);
        expect(Math.abs(second[i * d + j] - c[i * d + j]), `C[${i}, ${j}]`).toBeLessThan(5 * se);
      }
    }
    // Along each spike the variance is λ_r (a_r² + bulk); off the spikes it is the bulk's, 1.
    variances.forEach((v, r) => {
      let q = 0;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          q += spiked.basis[r * d + i] * second[i * d + j] * spiked.basis[r * d + j];
      expect(Math.abs(q - v)).toBeLessThan(5 * v * Math.sqrt(2 / n));
    });
  });

  it('reads nothing back for a chunk of steps, and only θ at a record', () => {
    const m = model({ tied: false, bias: 'both' });
    const t = new WebGpuShallowTrainer(backend, m, { train: DATA, trainCount: ROWS }, { chunk: 500 });
    backend.resetTransfers();
    t.advance(0, 2000);
    const run = backend.transfers;
    expect(run).toMatchObject({ calls: 1, uploads: 0, uploadBytes: 0, readbacks: 0, readbackBytes: 0 });
    backend.resetTransfers();
    t.pull();
    const layout = shallowLayout({ d: D, k: K });
    expect(backend.transfers).toMatchObject({
      calls: 1,
      uploads: 0,
      readbacks: 1,
      readbackBytes: 4 * layout.length,
    });
    expect(layout.length).toBe(2 * D * K + K + D);
    t.dispose();
  });

  it('trains through trainShallow: the records match the host run, and a diverging run is marked', () => {
    const test = Rng.seeded(4).fillNormal(new Float32Array(50 * D));
    const components = Rng.seeded(5).fillNormal(new Float64Array(K * D));
    const options = {
      train: DATA,
      trainCount: ROWS,
      test,
      testCount: 50,
      steps: 2000,
      records: 6,
      components,
      componentCount: K,
    };
    const host = trainShallow(model({ lr: 0.2 }), options);
    const m = model({ lr: 0.2 });
    const device = new WebGpuShallowTrainer(backend, m, { train: DATA, trainCount: ROWS });
    const dev = trainShallow(m, { ...options, device });
    device.dispose();
    expect(dev.diverged).toBe(false);
    expect(dev.records.map((r) => r.step)).toEqual(logSpacedSteps(2000, 6));
    dev.records.forEach((r, i) => {
      expect(r.testMse).toBeCloseTo(host.records[i].testMse, 4);
    });
    // Trained: the records moved (and each matches the host's above).
    expect(dev.records.at(-1)!.testMse).not.toBe(dev.records[0].testMse);
    dev.finalOverlap.forEach((o, i) => {
      expect(o).toBeCloseTo(host.finalOverlap[i], 3);
    });

    const wild = model({ lr: 1e4 });
    const wildDevice = new WebGpuShallowTrainer(backend, wild, { train: DATA, trainCount: ROWS });
    const diverged = trainShallow(wild, { ...options, device: wildDevice });
    wildDevice.dispose();
    expect(diverged.diverged).toBe(true);
    expect(diverged.finalOverlap).toEqual([]);
    expect(diverged.records.every((r) => Number.isFinite(r.testMse))).toBe(true);
  });

  it('trains a shallow-pca grid side by side: every run gets the result it gets alone, the siblings without a device call', async () => {
    const d = 16;
    const spiked = law(d, [16, 4], 1);
    const rng = Rng.seeded(9);
    const test = rng.fillNormal(new Float32Array(30 * d));
    const prepared: PreparedData = {
      d,
      k: 2,
      imageShape: [1, d],
      train: rng.fillNormal(new Float32Array(20 * d)),
      trainCount: 20,
      test,
      testCount: 30,
      components: Float64Array.from(spiked.basis),
      pcaMse: 1,
      pcaMseByRank: [],
      eigenvalues: [16, 4],
      law: { basis: Float64Array.from(spiked.basis), amplitude: [...spiked.amplitude], noise: 1 },
    };
    const plain = shallowPcaSpecSchema.parse({
      name: 'sbs',
      outputs: { dir: 'unused' },
      datasets: [
        { label: 'sp', name: 'spiked-gaussian', trainCount: 20, testCount: 30, k: 2, steps: 800, lr: 0.3 },
      ],
      model: { activations: ['relu', 'erf'], tied: [true, false], biases: ['none', 'both'] },
      seeds: 2,
      records: 6,
    });
    const ctxOf = (run: ShallowPcaRun): RunContext =>
      ({
        cacheDir: mkdtempSync(join(tmpdir(), 'shallow-webgpu-')),
        dir: '',
        rng: Rng.seeded(run.seed),
        backend,
        emit: () => {},
        checkpoints: undefined,
      }) as unknown as RunContext;
    // The last case: tied runs step along W's encoder use alone, their siblings not.
    const detached = { ...plain, model: { ...plain.model, tiedGradient: 'encoder' as const } };
    for (const [online, spec] of [
      [false, plain],
      [true, plain],
      [false, detached],
    ] as const) {
      const runs = expandRuns(spec, 'webgpu').map((r) => ({
        ...r,
        ...(online ? { online: true as const } : {}),
      }));
      expect(runs).toHaveLength(16);
      backend.resetTransfers();
      const together = [];
      const grid = { ...spec.model, firstSeed: spec.firstSeed, seeds: spec.seeds };
      for (const run of runs) {
        together.push(await executeRun(run, { sp: { ...prepared, grid } }, ctxOf(run)));
        // Only the first run of the grid uses the device: 6 records, each a run request and a readback.
        if (run === runs[0]) expect(backend.transfers.readbacks).toBe(6);
      }
      expect(backend.transfers.readbacks).toBe(6);
      // Alone: the same runs on data without the grid.
      for (const [i, run] of runs.entries())
        expect(together[i], run.id).toEqual(await executeRun(run, { sp: prepared }, ctxOf(run)));
      expect(together[0]).not.toEqual(together[1]);
      if (spec === detached) {
        // The tied runs took the detached step: not what the same run gets with the full gradient.
        const tiedRun = runs.find((r) => r.tied)!;
        expect(tiedRun.tiedGradient).toBe('encoder');
        const { tiedGradient: _, ...full } = tiedRun;
        expect(await executeRun(full, { sp: prepared }, ctxOf(full))).not.toEqual(
          together[runs.indexOf(tiedRun)],
        );
      }
    }
  });

  it('runs a shallow-pca study on webgpu through the shared machinery (worker, store, report), its grid side by side', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shallow-webgpu-study-'));
    try {
      const dir = join(root, 'out');
      const outcome = await runExperiment(
        {
          kind: 'shallow-pca',
          name: 'shpca-webgpu',
          backend: 'webgpu',
          datasets: [
            {
              label: 'spiked',
              name: 'spiked-gaussian',
              params: { dim: 12, spikes: [4, 1], trainCount: 500, testCount: 100 },
              trainCount: 500,
              testCount: 100,
              k: 2,
              steps: 2000,
              lr: 0.1,
              online: true,
            },
          ],
          model: { activations: ['linear', 'erf'], tied: [true, false], biases: ['none'] },
          seeds: 2,
          records: 6,
          outputs: { dir },
        },
        {
          plugins: [...BUILTIN_PLUGIN_MODULES],
          progress: 'none',
          workers: 1,
          log: () => {},
          cacheDir: join(root, 'cache'),
        },
      );
      expect(outcome.failed).toEqual([]);
      expect(outcome.trained).toHaveLength(8);
      const { input } = loadStudy([dir]);
      expect(input.runs).toHaveLength(8);
      for (const r of input.runs) {
        const config = r.config as unknown as ShallowPcaRun;
        const result = r.result as { diverged: boolean; records: { step: number; testMse: number }[] };
        expect(config.backend).toBe('webgpu');
        expect(result.diverged).toBe(false);
        expect(result.records.map((x) => x.step)).toEqual(logSpacedSteps(2000, 6));
        expect(result.records.at(-1)!.testMse).toBeLessThan(result.records[0].testMse);
      }
      expect(existsSync(join(dir, 'report.md'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is what a shallow-pca run on webgpu trains with: online on the device, reproducible from the seed', async () => {
    const d = 24;
    const spiked = law(d, [25, 9], 1);
    // The test set from the same law, on the host.
    const test = new Float32Array(40 * d);
    const rng = Rng.seeded(8);
    for (let s = 0; s < 40; s++) {
      const z = spiked.amplitude.map((a) => a * rng.normal());
      for (let i = 0; i < d; i++) {
        let v = rng.normal();
        z.forEach((zr, r) => {
          v += zr * spiked.basis[r * d + i];
        });
        test[s * d + i] = v;
      }
    }
    const prepared: PreparedData = {
      d,
      k: 2,
      imageShape: [1, d],
      train: new Float32Array(d),
      trainCount: 1,
      test,
      testCount: 40,
      components: Float64Array.from(spiked.basis),
      pcaMse: 1,
      pcaMseByRank: [],
      eigenvalues: [25, 9],
      law: { basis: Float64Array.from(spiked.basis), amplitude: [...spiked.amplitude], noise: 1 },
    };
    const run: ShallowPcaRun = {
      id: 'spiked__erf-untied-nobias__s1',
      seed: 1,
      backend: 'webgpu',
      dataset: 'spiked',
      activation: 'erf',
      tied: false,
      bias: 'none',
      k: 2,
      steps: 20_000,
      lr: 0.5,
      initStd: 0.1,
      records: 5,
      online: true,
    };
    const ctx = (): RunContext =>
      ({
        cacheDir: mkdtempSync(join(tmpdir(), 'shallow-webgpu-')),
        dir: '',
        rng: Rng.seeded(1),
        backend,
        emit: () => {},
        checkpoints: undefined,
      }) as unknown as RunContext;
    backend.resetTransfers();
    const a = await executeRun(run, { spiked: prepared }, ctx());
    // Five records: each one run request and one θ readback, plus create, θ up, the law up, dispose.
    expect(backend.transfers.readbacks).toBe(5);
    const b = await executeRun(run, { spiked: prepared }, ctx());
    expect(a.diverged).toBe(false);
    expect(a).toEqual(b);
    // Online SGD on the spiked law finds the spikes' span, and nears the PCA-2 line of the law,
    // (D − 2)·bulk/D = 22/24 (the test set's own is within sampling error of it).
    const last = a.records.at(-1)!;
    for (const s of last.subspace) expect(s).toBeGreaterThan(0.9);
    expect(last.testMse).toBeLessThan(1.2 * (22 / 24));
    expect(a.records[0].testMse).toBeGreaterThan(2 * (22 / 24));
  });
});

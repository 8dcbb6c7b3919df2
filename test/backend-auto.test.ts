import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseFastest,
  DEFAULT_WORKLOAD,
  DEVICE_RESIDENT_BACKENDS,
  denseTrainingWorkload,
  measureGemm,
  measureTrainerStep,
  measureWorkload,
  nmfMuWorkload,
  TRAINER_TIMED_STEPS,
  TRAINER_WARMUP_STEPS,
  trainingStepWorkload,
} from '../src/backend/auto.ts';
import { autoBackendName, autoCandidates, getBackend, listBackends } from '../src/backend/index.ts';
import { hostResident } from '../src/backend/resident.ts';
import type {
  Backend,
  DenseTrainer,
  DenseTrainerSpec,
  GemmProduct,
  ResidentMatrix,
  ResidentOps,
} from '../src/backend/types.ts';
import { webgpuBackendFactory } from '../src/backend/webgpu/index.ts';

const fake = (name: string): Backend => ({ name, description: name, gemm: () => {} });

describe('auto backend selection', () => {
  it('picks the candidate measured fastest and remembers it, measuring only once per machine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const rates: Record<string, number> = { a: 3, b: 40, c: 12 };
    const measured: string[] = [];
    const measure = (b: Backend) => {
      measured.push(b.name);
      return rates[b.name];
    };
    const first = chooseFastest(['a', 'b', 'c'], fake, dir, measure);
    expect(first.chosen).toBe('b');
    expect(first.gflops).toEqual(rates);
    rates.a = 100; // a later measurement would differ, but the stored choice is kept
    expect(chooseFastest(['a', 'b', 'c'], fake, dir, measure).chosen).toBe('b');
    expect(measured).toEqual(['a', 'b', 'c']);
  });

  it('measures again when the candidates change or the stored choice is unreadable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const measure = (b: Backend) => ({ a: 1, b: 2, c: 3 })[b.name as 'a'];
    expect(chooseFastest(['a', 'b'], fake, dir, measure).chosen).toBe('b');
    expect(chooseFastest(['a', 'b', 'c'], fake, dir, measure).chosen).toBe('c');
    writeFileSync(join(dir, 'auto-backend.json'), '{ truncated');
    expect(chooseFastest(['a', 'b'], fake, dir, measure, DEFAULT_WORKLOAD, () => {}).chosen).toBe('b');
  });

  it('verifies the stored choice file: corrupt or foreign files are re-measured with one message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const path = join(dir, 'auto-backend.json');
    const rates: Record<string, number> = { a: 1, b: 2 };
    let measured = 0;
    const measure = (b: Backend) => {
      measured++;
      return rates[b.name];
    };
    const choose = (warnings: string[]) =>
      chooseFastest(['a', 'b'], fake, dir, measure, DEFAULT_WORKLOAD, (m) => warnings.push(m));
    const first: string[] = [];
    expect(choose(first).chosen).toBe('b');
    expect(first).toEqual([]);
    const valid = readFileSync(path, 'utf8');
    const bad: [string, RegExp][] = [
      ['{ truncated', /JSON/],
      // the version-1 layout: one choice, no workloads
      [JSON.stringify({ machine: 'x', chosen: 'b', gflops: { b: 2 } }), /version/],
      // a rate that is not a number, and a hand-edited choice of an empty name
      [valid.replace('"b": 2', '"b": "fast"'), /gflops/],
      [valid.replace('"chosen": "b"', '"chosen": ""'), /chosen/],
    ];
    for (const [text, why] of bad) {
      writeFileSync(path, text);
      rates.a = 5; // what a fresh measurement now says
      const warnings: string[] = [];
      const before = measured;
      expect(choose(warnings).chosen).toBe('a');
      expect(measured - before).toBe(2);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(path);
      expect(warnings[0]).toMatch(why);
      rates.a = 1;
      // rewritten valid: the next call uses it without a message or a measurement
      const again: string[] = [];
      expect(choose(again).chosen).toBe('a');
      expect(again).toEqual([]);
      expect(measured - before).toBe(2);
    }
  });

  it('keeps one choice per workload: a training step and NMF products may pick different backends', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const nmf = nmfMuWorkload(60000, 784, 64);
    // 'g' is fast only at the big NMF products, 'c' at the small training products.
    const measure = (b: Backend, w: { label: string }) =>
      (w.label === nmf.label) === (b.name === 'g') ? 10 : 1;
    expect(chooseFastest(['c', 'g'], fake, dir, measure, DEFAULT_WORKLOAD).chosen).toBe('c');
    expect(chooseFastest(['c', 'g'], fake, dir, measure, nmf).chosen).toBe('g');
    const never = () => {
      throw new Error('measured again');
    };
    expect(chooseFastest(['c', 'g'], fake, dir, never, DEFAULT_WORKLOAD).chosen).toBe('c');
    expect(chooseFastest(['c', 'g'], fake, dir, never, nmf).chosen).toBe('g');
  });

  it('times every product of the workload: the seed training step is 17 products', () => {
    const w = trainingStepWorkload([784, 128, 64, 32, 64, 128, 784], 256);
    expect(w.products).toHaveLength(17);
    // forward, then per layer from the last: weight gradient and (not the first layer) input gradient
    expect(w.products[0]).toEqual({ transA: false, transB: false, m: 256, n: 128, k: 784 });
    expect(w.products[6]).toEqual({ transA: true, transB: false, m: 128, n: 784, k: 256 });
    expect(w.products[7]).toEqual({ transA: false, transB: true, m: 256, n: 128, k: 784 });
    expect(w.products[16]).toEqual({ transA: true, transB: false, m: 784, n: 128, k: 256 });
    const calls: GemmProduct[] = [];
    const recorder: Backend = {
      name: 'r',
      description: 'r',
      gemm: (transA, transB, m, n, k) => {
        calls.push({ transA, transB, m, n, k });
      },
    };
    expect(measureWorkload(recorder, w)).toBeGreaterThan(0);
    // each product twice (compile, then timed), then two more timed passes of every product in order
    const twice = w.products.flatMap((p) => [p, p]);
    expect(calls).toEqual([...twice, ...w.products, ...w.products]);
    expect(nmfMuWorkload(100, 784, 8).products.map((p) => 2 * p.m * p.n * p.k)).toEqual([
      2 * 100 * 8 * 784,
      2 * 8 * 8 * 784,
      2 * 100 * 8 * 8,
      2 * 784 * 8 * 100,
      2 * 8 * 8 * 100,
      2 * 784 * 8 * 8,
    ]);
  });

  it('stops timing a candidate as soon as it is slower than the best so far, and never picks it', () => {
    const w = trainingStepWorkload([784, 128, 64, 32, 64, 128, 784], 256);
    let calls = 0;
    const slow: Backend = {
      name: 'slow',
      description: 'slow',
      gemm: () => {
        calls++;
        const until = performance.now() + 3;
        while (performance.now() < until) {
          // busy: 3 ms a product
        }
      },
    };
    const rate = measureWorkload(slow, w, 1);
    expect(calls).toBe(2); // the first product, untimed then timed: 3 ms > 1 ms
    const firstFlops = 2 * 256 * 128 * 784;
    expect(rate).toBeLessThan(firstFlops / (3 * 1e6) + 1e-9);
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const fast: Backend = { ...fake('fast') };
    const choice = chooseFastest(
      ['fast', 'slow'],
      (n) => (n === 'fast' ? fast : slow),
      dir,
      measureWorkload,
      w,
    );
    expect(choice.chosen).toBe('fast');
    expect(choice.gflops.slow).toBeLessThan(choice.gflops.fast);
  });

  it('times a chained workload on resident storage: operands up once, no gemm round trip, the last result read back a pass', () => {
    const w = nmfMuWorkload(30, 20, 4, true);
    expect(w.chained).toBe(true);
    expect(w.label).toBe('nmf mu iteration 30x20 rank 4 chained');
    expect(nmfMuWorkload(30, 20, 4).chained).toBeUndefined();
    const host = hostResident(getBackend('reference'));
    const log: string[] = [];
    const live = new Set<ResidentMatrix>();
    const ops: ResidentOps = {
      ...host,
      upload: (d, r, c) => {
        log.push(`upload ${r}x${c}`);
        const m = host.upload(d, r, c);
        live.add(m);
        return m;
      },
      gemm: (ta, tb, a, b) => {
        const m = host.gemm(ta, tb, a, b);
        log.push(`gemm ${m.rows}x${m.cols}`);
        live.add(m);
        return m;
      },
      download: (m, out) => {
        log.push(`download ${m.rows}x${m.cols}`);
        return host.download(m, out);
      },
      release: (m) => {
        live.delete(m);
        host.release(m);
      },
    };
    const resident: Backend = {
      ...fake('resident'),
      gemm: () => {
        throw new Error('a chained workload must not call gemm');
      },
      resident: ops,
    };
    expect(measureWorkload(resident, w)).toBeGreaterThan(0);
    const uploads = w.products.flatMap((p) => [
      `upload ${p.transA ? `${p.k}x${p.m}` : `${p.m}x${p.k}`}`,
      `upload ${p.transB ? `${p.n}x${p.k}` : `${p.k}x${p.n}`}`,
    ]);
    const pass = [...w.products.map((p) => `gemm ${p.m}x${p.n}`), 'download 20x4'];
    // untimed pass, then three timed passes (each well under a second)
    expect(log).toEqual([...uploads, ...pass, ...pass, ...pass, ...pass]);
    expect(live.size).toBe(0); // every operand and result released
  });

  it('offers a chained-only backend without discarding the stored choices of other workloads', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const chained = nmfMuWorkload(4096, 784, 64, true);
    const rates: Record<string, number> = { c: 2, webgpu: 9 };
    const measured: string[] = [];
    const measure = (b: Backend) => {
      measured.push(b.name);
      return rates[b.name];
    };
    expect(chooseFastest(['c'], fake, dir, measure, DEFAULT_WORKLOAD).chosen).toBe('c');
    expect(chooseFastest(['c', 'webgpu'], fake, dir, measure, chained).chosen).toBe('webgpu');
    // The training step's choice survived: not measured again.
    expect(chooseFastest(['c'], fake, dir, measure, DEFAULT_WORKLOAD).chosen).toBe('c');
    expect(measured).toEqual(['c', 'c', 'webgpu']);
    // Without webgpu among the candidates its stored win is not used: measured again.
    expect(chooseFastest(['c'], fake, dir, measure, chained).chosen).toBe('c');
    expect(measured).toEqual(['c', 'c', 'webgpu', 'c']);
  });

  it('a dense training workload carries its model: layers, activations and batch, under its own label', () => {
    const w = denseTrainingWorkload([6, 4, 6], 8, 'tanh', 'sigmoid');
    expect(w.products).toEqual(trainingStepWorkload([6, 4, 6], 8).products);
    expect(w.model).toEqual({
      inputDim: 6,
      layers: [
        { units: 4, activation: 'tanh' },
        { units: 6, activation: 'sigmoid' },
      ],
      batchSize: 8,
    });
    expect(w.label).toBe('dense training step 6-4-6 batch 8 (tanh, sigmoid output; mse, adam)');
    expect(w.label).not.toBe(trainingStepWorkload([6, 4, 6], 8).label);
  });

  /** A backend whose trainer records what it is sent, each step advancing `clock` by the next of `stepMs`. */
  function trainerBackend(stepMs: number[], hold = true) {
    const clock = { t: 0 };
    const log: string[] = [];
    const specs: DenseTrainerSpec[] = [];
    const trainer: DenseTrainer = {
      setState: (w, m) => log.push(`setState ${w.length} layers, ${m.length} moments`),
      getState: () => ({ weights: [], moments: [] }),
      setData: (which, x, y, rows) => log.push(`setData ${which} ${rows} rows ${x.length} ${y === null}`),
      step: (indices) => {
        log.push(`step ${indices[0]}..${indices[indices.length - 1]}`);
        clock.t += stepMs.shift() ?? Number.NaN;
        return 0.5;
      },
      evaluate: () => 0,
      dispose: () => log.push('dispose'),
    };
    const backend: Backend = {
      ...fake('t'),
      gemm: () => {
        throw new Error('a model workload on a trainer must not call gemm');
      },
      trainer: (spec) => {
        specs.push(spec);
        return hold ? trainer : undefined;
      },
    };
    return { backend, clock, log, specs };
  }

  it('times a model workload through the device trainer: warm-up steps untimed, then the median whole step', () => {
    const w = denseTrainingWorkload([6, 4, 6], 8, 'relu', 'sigmoid');
    const flops = w.products.reduce((s, p) => s + 2 * p.m * p.n * p.k, 0);
    // Two warm-up steps (slow: pipelines compile), then five timed: median 5 ms.
    const t = trainerBackend([900, 800, 9, 5, 1, 7, 3]);
    expect(TRAINER_WARMUP_STEPS).toBe(2);
    expect(TRAINER_TIMED_STEPS).toBe(5);
    const rate = measureTrainerStep(t.backend, w, Number.POSITIVE_INFINITY, () => t.clock.t);
    expect(rate).toBeCloseTo(flops / (5 * 1e6), 12);
    expect(t.specs).toEqual([{ ...w.model, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }]);
    // Targets are the inputs (6 = 6): two batches of rows, stepped in turn.
    expect(t.log).toEqual([
      'setState 2 layers, 4 moments',
      'setData train 16 rows 96 true',
      ...Array.from({ length: 7 }, (_, s) => (s % 2 === 0 ? 'step 0..7' : 'step 8..15')),
      'dispose',
    ]);
    // measureWorkload sends such a workload through the trainer too.
    const again = trainerBackend([1, 1, 2, 2, 2, 2, 2]);
    expect(measureWorkload(again.backend, w)).toBeGreaterThan(0);
    expect(again.log.filter((l) => l.startsWith('step'))).toHaveLength(7);
  });

  it('a trainer slower than the best so far stops after one timed step; one that cannot hold the model rates 0', () => {
    const w = denseTrainingWorkload([6, 4, 3], 8, 'relu', 'linear');
    const flops = w.products.reduce((s, p) => s + 2 * p.m * p.n * p.k, 0);
    const slow = trainerBackend([1, 1, 40, 1, 1, 1, 1]);
    expect(measureTrainerStep(slow.backend, w, 10, () => slow.clock.t)).toBeCloseTo(flops / (40 * 1e6), 12);
    expect(slow.log.filter((l) => l.startsWith('step'))).toHaveLength(3);
    expect(slow.log.at(-1)).toBe('dispose');
    // Outputs (3) unlike inputs (6): separate targets.
    expect(slow.log[1]).toBe('setData train 16 rows 96 false');
    const full = trainerBackend([], false);
    expect(measureTrainerStep(full.backend, w)).toBe(0);
    expect(full.specs).toHaveLength(1);
    expect(() => measureTrainerStep(fake('plain'), w)).toThrow(/backend 'plain' has no trainer for dense/);
  });

  it('picks the device trainer for a model workload only where it measured faster, and measures it when it joins', () => {
    const w = denseTrainingWorkload([784, 128, 784], 256, 'relu', 'sigmoid');
    const measured: string[] = [];
    const chooseWith = (rates: Record<string, number>, candidates: string[], dir: string) =>
      chooseFastest(
        candidates,
        fake,
        dir,
        (b) => {
          measured.push(b.name);
          return rates[b.name];
        },
        w,
      );
    // llvmpipe-like: the trainer slower than simd's products: simd.
    const slowDir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    expect(chooseWith({ simd: 20, webgpu: 2 }, ['simd', 'webgpu'], slowDir).chosen).toBe('simd');
    // A real GPU: the trainer faster: webgpu.
    const fastDir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    expect(chooseWith({ simd: 20, webgpu: 200 }, ['simd', 'webgpu'], fastDir).chosen).toBe('webgpu');
    // A choice stored before webgpu was a candidate (no adapter then) is measured again once it is.
    const joinDir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    measured.length = 0;
    expect(chooseWith({ simd: 20, webgpu: 200 }, ['simd'], joinDir).chosen).toBe('simd');
    expect(chooseWith({ simd: 20, webgpu: 200 }, ['simd', 'webgpu'], joinDir).chosen).toBe('webgpu');
    expect(chooseWith({ simd: 20, webgpu: 200 }, ['simd', 'webgpu'], joinDir).chosen).toBe('webgpu');
    expect(measured).toEqual(['simd', 'simd', 'webgpu']);
    // The machine key is the same with or without it: the stored file keeps one entry per workload.
    const file = JSON.parse(readFileSync(join(joinDir, 'auto-backend.json'), 'utf8'));
    expect(file.machine).not.toContain('webgpu');
    expect(Object.keys(file.workloads)).toEqual([w.label]);
  });

  it('offers webgpu for a model or a chained workload (where it is available), never for bare products', () => {
    // auto tries webgpu only where Dawn could reach a GPU through Vulkan (its autoEligible: a
    // loader and a GPU's device node; test/backend-auto-eligible.test.ts holds the rule).
    const webgpuHere =
      listBackends().some((b) => b.name === 'webgpu' && b.available) &&
      webgpuBackendFactory.autoEligible?.() === true;
    expect(DEVICE_RESIDENT_BACKENDS).toEqual(['webgpu']);
    expect(autoCandidates(trainingStepWorkload([6, 4, 6], 8))).not.toContain('webgpu');
    expect(autoCandidates(denseTrainingWorkload([6, 4, 6], 8, 'relu', 'sigmoid')).includes('webgpu')).toBe(
      webgpuHere,
    );
    expect(autoCandidates(nmfMuWorkload(30, 20, 4, true)).includes('webgpu')).toBe(webgpuHere);
    for (const w of [DEFAULT_WORKLOAD, denseTrainingWorkload([6, 4, 6], 8, 'relu', 'sigmoid')])
      expect(autoCandidates(w)).not.toContain('reference');
  });

  it('a backend that throws while measured is never chosen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-'));
    const broken = (name: string): Backend => ({
      ...fake(name),
      gemm: () => {
        if (name === 'x') throw new Error('no context');
      },
    });
    expect(chooseFastest(['x', 'y'], broken, dir, (b) => (b.name === 'y' ? 1 : measureGemm(b))).chosen).toBe(
      'y',
    );
  });

  it('auto resolves to an available backend, and getBackend("auto") is that backend', () => {
    const name = autoBackendName();
    expect(getBackend('auto')).toBe(getBackend(name));
  });
});

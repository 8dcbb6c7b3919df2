import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  chooseFastest,
  DEFAULT_WORKLOAD,
  measureGemm,
  measureWorkload,
  nmfMuWorkload,
  trainingStepWorkload,
} from '../src/backend/auto.ts';
import { autoBackendName, getBackend } from '../src/backend/index.ts';
import { hostResident } from '../src/backend/resident.ts';
import type { Backend, GemmProduct, ResidentMatrix, ResidentOps } from '../src/backend/types.ts';

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

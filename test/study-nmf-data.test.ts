import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeFloat32, Rng } from 'nmfinit';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { componentGridPng } from '../plugins/studies/nmf-data/component-grid.ts';
import { nmfDataStudy } from '../plugins/studies/nmf-data/index.ts';
import { reconstructionMse } from '../plugins/studies/nmf-data/run.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy } from '../src/experiment/study.ts';
import { inkOnPaper, scaleToOwnRange } from '../src/report/image-grid.ts';

// A tiny 'nmf-data' study end to end, on images the test writes: 8 × 8 PGMs that are non-negative
// mixtures of four planted parts (two horizontal and two vertical bars), so NMF with k = 4 can
// reconstruct them almost exactly.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-nmf-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = {
  plugins: [...BUILTIN_PLUGIN_MODULES],
  progress: 'none' as const,
  workers: 1,
  log: () => {},
};

const S = 8;
const PARTS = [
  (y: number, _x: number) => y >= 1 && y <= 2,
  (y: number, _x: number) => y >= 5 && y <= 6,
  (_y: number, x: number) => x >= 1 && x <= 2,
  (_y: number, x: number) => x >= 5 && x <= 6,
];
const folder = join(root, 'bars');
mkdirSync(folder);
const rng = Rng.seeded(3);
for (let i = 0; i < 60; i++) {
  const c = PARTS.map(() => rng.uniform() * 0.5);
  const px = Buffer.alloc(S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++)
      px[y * S + x] = Math.round(255 * PARTS.reduce((s, p, t) => s + (p(y, x) ? c[t] : 0), 0));
  writeFileSync(
    join(folder, `bars${String(i).padStart(2, '0')}.pgm`),
    Buffer.concat([Buffer.from(`P5 ${S} ${S} 255\n`), px]),
  );
}

const spec = (dir: string) => ({
  kind: 'nmf-data',
  name: 'bars',
  datasets: [{ name: 'image-folder', label: 'bars', params: { dir: folder, testFraction: 0.25 } }],
  grids: [
    { samples: [10, 'all'], ranks: [4], inits: ['nndsvda'] },
    { samples: [10, 20, 'all'], ranks: [4, 2], inits: ['random', 'nndsvda'] },
  ],
  maxIter: 300,
  tol: 1e-6,
  outputs: { dir },
});

describe('the nmf-data study kind', () => {
  it('runs the union of its grids once each, stores components, and recovers planted parts', async () => {
    const dir = join(root, 'a');
    const outcome = await runExperiment(spec(dir), { ...options, cacheDir: join(root, 'cache') });
    // Union: {10, 20, all} × {4, 2} × {random, nndsvda} = 12 runs (the first grid adds none).
    expect(outcome.trained).toHaveLength(12);
    const { input } = loadStudy([dir]);
    for (const r of input.runs) {
      const res = r.result as {
        components: string;
        trainCount: number;
        testCount: number;
        reconstructionErr: number;
        trainMse: number;
        testMse: number;
        hoyer: number;
      };
      const { k, samples } = r.config as unknown as { k: number; samples: number | 'all' };
      expect(res.trainCount).toBe(samples === 'all' ? 45 : samples);
      expect(res.testCount).toBe(15);
      const h = decodeFloat32(res.components);
      expect(h.length).toBe(k * S * S);
      for (const v of h) expect(v).toBeGreaterThanOrEqual(0);
      expect(res.trainMse).toBeCloseTo(res.reconstructionErr ** 2 / (res.trainCount * S * S), 12);
      // Four parts, four components, all 45 images: a near-exact factorization that holds on test
      // images too (byte rounding alone leaves ~1e-6); two components cannot.
      if (k === 4 && samples === 'all') {
        expect(res.testMse).toBeLessThan(1e-3);
        expect(res.hoyer).toBeGreaterThan(0.5); // a bar is 16 of 64 pixels: Hoyer ≈ 0.67
      }
      if (k === 2) expect(res.testMse).toBeGreaterThan(2e-3);
    }
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toContain(
      '| samples | test MSE | train reconstruction_err_ | train MSE | Hoyer | near-zero |',
    );
    expect(md).toContain('### bars, k = 4, nndsvda');
    expect(existsSync(join(dir, 'learning-curve_bars.png'))).toBe(true);
    const grid = PNG.sync.read(readFileSync(join(dir, 'components', 'bars__k4__nndsvda__nall__seed0.png')));
    expect(grid.width).toBeGreaterThan(2 * S);

    // Resumed: nothing is recomputed.
    const again = await runExperiment(spec(dir), { ...options, cacheDir: join(root, 'cache') });
    expect(again.trained).toHaveLength(0);
  }, 60_000);

  it('rejects k larger than a sample count, naming the grid, before any run', async () => {
    const dir = join(root, 'b');
    const bad = { ...spec(dir), grids: [{ samples: [3], ranks: [4] }] };
    await expect(runExperiment(bad, { ...options, cacheDir: join(root, 'cache') })).rejects.toThrow(
      /grids\[0\]: k = 4 exceeds 3 training samples/,
    );
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('quick keeps the pipeline but at most three sample counts up to 1,000 and 50 iterations', () => {
    const q = nmfDataStudy.quick?.({
      ...spec('x'),
      grids: [{ samples: [200, 500, 1000, 2000, 'all'], ranks: [64] }],
    } as never) as unknown as { grids: { samples: unknown[] }[]; maxIter: number };
    expect(q.grids[0].samples).toEqual([200, 500, 1000]);
    expect(q.maxIter).toBe(50);
  });
});

describe('component grids and test MSE', () => {
  it('scales each tile to its own range: min → 0, max → 1, unchanged by a positive affine map', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 2, maxLength: 50 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (xs, a, b) => {
          fc.pre(Math.max(...xs) - Math.min(...xs) > 1e-3);
          const s = scaleToOwnRange(xs);
          expect(Math.min(...s)).toBe(0);
          expect(Math.max(...s)).toBe(1);
          const t = scaleToOwnRange(xs.map((x) => a * x + b));
          for (let i = 0; i < xs.length; i++) expect(t[i]).toBeCloseTo(s[i], 4);
        },
      ),
    );
  });

  it('draws each component as ink on paper: 0 white, its largest black, darker with the value, whatever its scale', () => {
    fc.assert(
      fc.property(
        // Values on a 0.01 grid: distinct values stay distinct in the tile's float32.
        fc.array(
          fc.integer({ min: 0, max: 1000 }).map((v) => v / 100),
          { minLength: 2, maxLength: 50 },
        ),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (xs, a) => {
          fc.pre(Math.max(...xs) > 0);
          const s = inkOnPaper(xs);
          for (let i = 0; i < xs.length; i++) {
            if (xs[i] === 0) expect(s[i]).toBe(1);
            if (xs[i] === Math.max(...xs)) expect(s[i]).toBe(0);
            for (let j = 0; j < xs.length; j++) if (xs[i] < xs[j]) expect(s[i]).toBeGreaterThan(s[j]);
          }
          const t = inkOnPaper(xs.map((x) => a * x));
          for (let i = 0; i < xs.length; i++) expect(t[i]).toBeCloseTo(s[i], 5);
        },
      ),
    );
    // A sparse component: mostly paper, not mostly black (the old drawing's mean was near 0).
    const sparse = new Float32Array(64);
    sparse[10] = 1;
    sparse[11] = 0.25;
    const mean = inkOnPaper(sparse).reduce((t, v) => t + v, 0) / 64;
    expect(mean).toBeGreaterThan(0.95);
  });

  it('lays k = 64 out as 8 × 8 and k = 5 as 3 × 2 (blank padding)', () => {
    const png = (k: number) =>
      PNG.sync.read(componentGridPng(new Float32Array(k * 16).fill(0.5), k, [4, 4], 't'));
    const g64 = png(64);
    const g5 = png(5);
    // Same tile size and gap: 8 columns against 3, 8 rows against 2.
    expect(g64.width / g5.width).toBeGreaterThan(2);
    expect(g64.height / g5.height).toBeGreaterThan(2.5);
  });

  it('computes the test MSE as a float64 reference does, entry by entry', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (m, k, d) => {
          const r = Rng.seeded(m * 100 + k * 10 + d);
          const t = r.fillUniform(new Float32Array(m * d));
          const w = r.fillUniform(new Float64Array(m * k));
          const h = r.fillUniform(new Float64Array(k * d));
          let ref = 0;
          for (let s = 0; s < m; s++)
            for (let j = 0; j < d; j++) {
              let v = 0;
              for (let c = 0; c < k; c++) v += w[s * k + c] * h[c * d + j];
              ref += (t[s * d + j] - v) ** 2;
            }
          expect(reconstructionMse(t, w, h, m, k, d)).toBeCloseTo(ref / (m * d), 12);
        },
      ),
    );
  });
});

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthetic } from '../plugins/datasets/synthetic.ts';
import {
  decodeFactorPairs,
  identityResidual,
  imageShapeOf,
  matrixSlices,
} from '../plugins/studies/autoencoder-init/method-images.ts';
import { nmfFactorsName, nmfFactorsSchema } from '../plugins/studies/autoencoder-init/nmf-factors.ts';
import { pcaComponentsSchema } from '../plugins/studies/autoencoder-init/pca.ts';
import { loadDataset } from '../src/data/load.ts';
import { dirArtifacts } from '../src/experiment/artifacts.ts';
import { decodeNmfResult, nmfCacheKey, nmfCachePath } from '../src/nmf/cache.ts';
import { identityMatrix } from '../src/nmf/matrix.ts';
import { ImageGridSpecError, imageGrid, scaleToOwnRange } from '../src/report/image-grid.ts';
import { Rng } from '../src/tensor/rng.ts';
import { decodeFloat32 } from '../src/util/float32-base64.ts';
import { runTiny } from './helpers/tiny-studies.ts';

// The seed study's images of the method: the NMF factors of each layer pair and the PCA
// components, kept as artifacts at prepare time and drawn by the report from them alone.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-method-'));
const dir = join(root, 'study');
const imageParams = { height: 8, width: 8, trainCount: 90, testCount: 20, classes: 3 };
afterAll(() => rmSync(root, { recursive: true, force: true }));
const spec = {
  kind: 'autoencoder-init',
  name: 'method-tiny',
  description: 'The method images of a tiny study.',
  datasets: [{ name: 'synthetic', label: 'blobs', params: imageParams }],
  model: { sizes: [64, 16, 8, 16, 64] },
  initializers: [{ name: 'nmf' }, { name: 'he-normal' }],
  training: { batchSize: 16 },
  grid: { samples: [{ count: 60, seeds: 1 }], epochs: [1] },
  backend: 'reference',
  outputs: { dir },
};
beforeAll(() => runTiny(spec, root), 60_000);

describe("the autoencoder study's method images", () => {
  it('writes the NMF factor and PCA component figures and links them from report.md and report.html', () => {
    for (const f of ['nmf_factors', 'blobs_pca_components']) {
      for (const ext of ['png', 'svg'])
        expect(existsSync(join(dir, `${f}.${ext}`)), `${f}.${ext}`).toBe(true);
    }
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf("## The method's own images"));
    expect(md).toContain("## The method's own images");
    expect(section).toContain('](nmf_factors.png)');
    expect(section).toContain('](blobs_pca_components.png)');
    // The generated caption quotes each pair's residual against its optimum √(n − k).
    expect(section).toMatch(/64 → 16: ‖I − WH‖_F = [\d.]+, optimum √\(n − k\) = 6\.928/);
    expect(section).toMatch(/16 → 8: ‖I − WH‖_F = [\d.]+, optimum √\(n − k\) = 2\.828/);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/The method(&#39;|&#x27;|')s own images/);
    expect(html).toContain('nmf: the factors I_n ≈ W·H of each layer pair');
    expect(html).toContain('the top 8 PCA components');
  });

  it('keeps exactly the factors of the cache: the H tiles are the rows of H, the W tiles the columns of W', () => {
    const artifact = dirArtifacts(dir).read(nmfFactorsName('nmf'), nmfFactorsSchema);
    const pairs = decodeFactorPairs(artifact);
    expect(pairs.map((p) => [p.n, p.k])).toEqual([
      [64, 16],
      [16, 8],
    ]);
    for (const p of pairs) {
      // The initializer's defaults: init 'random', randomState 0 → the stream Rng.seeded(0).child('nmf').
      const x = identityMatrix(p.n);
      const options = { rank: p.k, init: 'random' as const };
      const key = nmfCacheKey(x, options, Rng.seeded(0).child('nmf'));
      const path = nmfCachePath(join(root, 'cache'), key, p.n, p.n, p.k);
      const cached = decodeNmfResult(readFileSync(path), path, key);
      expect(p.W).toEqual(Float32Array.from(cached.W));
      expect(p.H).toEqual(Float32Array.from(cached.H));
      const rows = matrixSlices(p.H, p.k, p.n, 'rows');
      const columns = matrixSlices(p.W, p.n, p.k, 'columns');
      expect(rows).toHaveLength(p.k);
      expect(columns).toHaveLength(p.k);
      for (let a = 0; a < p.k; a++) {
        for (let j = 0; j < p.n; j++) {
          expect(rows[a][j]).toBe(Math.fround(cached.H[a * p.n + j]));
          expect(columns[a][j]).toBe(Math.fround(cached.W[j * p.k + a]));
        }
        // Each tile is its row mapped affinely onto [0, 1]: min → 0, max → 1, order kept.
        const tile = scaleToOwnRange(rows[a]);
        const lo = Math.min(...rows[a]);
        const hi = Math.max(...rows[a]);
        if (hi > lo) {
          expect(Math.min(...tile)).toBe(0);
          expect(Math.max(...tile)).toBeCloseTo(1, 6);
          for (let j = 0; j < p.n; j++) expect(lo + tile[j] * (hi - lo)).toBeCloseTo(rows[a][j], 5);
        }
      }
    }
  });

  it('gives ‖I − WH‖_F as a direct float64 loop does, never below √(n − k) (Eckart–Young)', () => {
    const pairs = decodeFactorPairs(dirArtifacts(dir).read(nmfFactorsName('nmf'), nmfFactorsSchema));
    for (const { W, H, n, k } of pairs) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let wh = 0;
          for (let a = 0; a < k; a++) wh += W[i * k + a] * H[a * n + j];
          sum += ((i === j ? 1 : 0) - wh) ** 2;
        }
      }
      const residual = identityResidual(W, H, n, k);
      expect(residual).toBeCloseTo(Math.sqrt(sum), 9);
      expect(residual).toBeGreaterThanOrEqual(Math.sqrt(n - k) * (1 - 1e-9));
    }
  });

  it('keeps orthonormal PCA components whose variance shares are sorted, sum ≤ 1 and match the data', async () => {
    const artifacts = dirArtifacts(dir);
    const [file] = artifacts.list('pca/components');
    const c = artifacts.read(file, pcaComponentsSchema);
    expect([c.rank, c.d, c.trainSamples]).toEqual([8, 64, 40]);
    const v = decodeFloat32(c.components);
    expect(v).toHaveLength(c.rank * c.d);
    for (let a = 0; a < c.rank; a++) {
      for (let b = 0; b < c.rank; b++) {
        let dot = 0;
        for (let j = 0; j < c.d; j++) dot += v[a * c.d + j] * v[b * c.d + j];
        expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
    const shares = c.explainedVarianceRatio;
    expect(shares).toHaveLength(c.rank);
    for (let i = 1; i < shares.length; i++) expect(shares[i]).toBeLessThanOrEqual(shares[i - 1]);
    expect(shares.every((s) => s >= 0)).toBe(true);
    expect(shares.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-12);
    // Independently: a component's share is the variance of the training part along it over the total.
    const train = await loadDataset(synthetic, {
      split: 'train',
      limit: 60,
      params: imageParams,
      cacheDir: join(root, 'cache'),
    });
    const n = c.trainSamples;
    const x = train.images.subarray(0, n * c.d);
    const mean = new Float64Array(c.d);
    for (let i = 0; i < n; i++) for (let j = 0; j < c.d; j++) mean[j] += x[i * c.d + j] / n;
    let total = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < c.d; j++) total += (x[i * c.d + j] - mean[j]) ** 2;
    for (let a = 0; a < c.rank; a++) {
      let along = 0;
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let j = 0; j < c.d; j++) t += (x[i * c.d + j] - mean[j]) * v[a * c.d + j];
        along += t * t;
      }
      expect(shares[a]).toBeCloseTo(along / total, 4);
    }
  });

  it('knows images by a data set shape or a perfect square, and nothing else', () => {
    const display = new Map([
      ['wide', { imageShape: [4, 6] as [number, number], originals: [], columnLabels: [] }],
    ]);
    expect(imageShapeOf(24, display)).toEqual([4, 6]);
    expect(imageShapeOf(784, new Map())).toEqual([28, 28]);
    expect(imageShapeOf(10, new Map())).toBeNull();
    expect(imageShapeOf(1, new Map())).toBeNull();
    // A data set of 64 features that are not pixels: its shape says so, the square count does not count.
    const flat = new Map([
      ['flat', { imageShape: [1, 64] as [number, number], originals: [], columnLabels: [] }],
    ]);
    expect(imageShapeOf(64, flat)).toBeNull();
  });

  it('checks per-cell labels of an image grid, naming the field', () => {
    const images = [new Float32Array(4), new Float32Array(4)];
    const grid = imageGrid({ rows: [{ images }], imageShape: [2, 2], cellLabels: [['a', 'b']] });
    expect(grid.svg).toContain('>a</text>');
    expect(() => imageGrid({ rows: [{ images }], imageShape: [2, 2], cellLabels: [['a']] })).toThrow(
      ImageGridSpecError,
    );
    expect(() => imageGrid({ rows: [{ images }], imageShape: [2, 2], cellLabels: [['a']] })).toThrow(
      /cellLabels\[0\]|cellLabels\.0/,
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spikedGaussian, spikedGaussianBasis } from '../plugins/datasets/spiked-gaussian.ts';
import { fitPca, pcaReconstructionMse } from '../src/analysis/pca.ts';
import { ShallowAutoencoder } from '../src/shallow/model.ts';
import { bestUnitOverlaps, overlapMatrix, subspaceOverlaps } from '../src/shallow/overlap.ts';
import { trainShallow } from '../src/shallow/train.ts';
import { Rng } from '../src/tensor/rng.ts';

describe('overlap summaries', () => {
  it('are invariant to the sign of each w^k and to permuting the hidden units', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer(),
        (d, k, seed) => {
          const rng = Rng.seeded(seed);
          const w = Array.from({ length: k }, () => rng.fillNormal(new Float64Array(d)));
          const comps = Float64Array.from(
            spikedGaussianBasis({ dim: d, spikes: [1, 1], seed }).flatMap((u) => [...u]),
          );
          const signs = Array.from({ length: k }, () => (rng.uniform() < 0.5 ? -1 : 1));
          const perm = rng.permutation(k);
          const w2 = Array.from(perm, (p, i) => w[p].map((x) => x * signs[i]));
          const o1 = overlapMatrix(w, comps, 2);
          const o2 = overlapMatrix(w2, comps, 2);
          perm.forEach((p, i) => {
            for (let m = 0; m < 2; m++) expect(o2[i * 2 + m]).toBeCloseTo(o1[p * 2 + m], 12);
          });
          const b1 = bestUnitOverlaps(o1, k, 2);
          const b2 = bestUnitOverlaps(o2, k, 2);
          const s1 = subspaceOverlaps(w, comps, 2);
          const s2 = subspaceOverlaps(w2, comps, 2);
          for (let m = 0; m < 2; m++) {
            expect(b2[m]).toBeCloseTo(b1[m], 12);
            expect(s2[m]).toBeCloseTo(s1[m], 10);
            // The span contains at least the best unit's direction: ‖P u‖ ≥ max_k |cos|.
            expect(s1[m]).toBeGreaterThanOrEqual(b1[m] - 1e-12);
            expect(s1[m]).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('equal 1 for a component that is one of the units (up to sign and scale)', () => {
    const [u, v] = spikedGaussianBasis({ dim: 20, spikes: [1, 1], seed: 3 });
    const comps = Float64Array.from([...u, ...v]);
    const w = [u.map((x) => -3 * x), Rng.seeded(1).fillNormal(new Float64Array(20))];
    expect(bestUnitOverlaps(overlapMatrix(w, comps, 2), 2, 2)[0]).toBeCloseTo(1, 12);
    expect(subspaceOverlaps(w, comps, 2)[0]).toBeCloseTo(1, 12);
  });
});

describe('spiked-gaussian', () => {
  it('has the planted eigenvectors and eigenvalues (sample covariance, 20k samples)', async () => {
    const params = spikedGaussian.params.parse({
      dim: 30,
      spikes: [3, 1],
      trainCount: 20000,
      testCount: 10,
      seed: 5,
    });
    const ds = await spikedGaussian.load({ split: 'train', params, cacheDir: '' });
    const pca = fitPca(ds.images, ds.count, 30, 2);
    const basis = spikedGaussianBasis(params);
    basis.forEach((u, r) => {
      let dot = 0;
      for (let i = 0; i < 30; i++) dot += u[i] * pca.components[r * 30 + i];
      expect(Math.abs(dot)).toBeGreaterThan(0.99);
      // Sampling error of an eigenvalue λ from n samples: about λ·√(2/n) = 1% of λ here.
      expect(pca.eigenvalues[r] / (params.spikes[r] * 30)).toBeGreaterThan(0.95);
      expect(pca.eigenvalues[r] / (params.spikes[r] * 30)).toBeLessThan(1.05);
    });
    expect(pca.eigenvalues[2]).toBeLessThan(1.2); // the bulk (1) plus its Marchenko–Pastur spread
  });
});

describe('linear tied autoencoder', () => {
  it('reaches the PCA-K error on planted spiked data and aligns with the planted eigenvectors', async () => {
    for (const seed of [0, 1]) {
      const params = spikedGaussian.params.parse({
        dim: 40,
        spikes: [4, 2],
        trainCount: 20000,
        testCount: 500,
        seed,
      });
      const train = await spikedGaussian.load({ split: 'train', params, cacheDir: '' });
      const test = await spikedGaussian.load({ split: 'test', params, cacheDir: '' });
      const pca = fitPca(train.images, train.count, 40, 2);
      const pcaMse = pcaReconstructionMse(pca, test.images, test.count, 40);
      const model = new ShallowAutoencoder(
        { d: 40, k: 2, activation: 'linear', tied: true, bias: 'none', lr: 0.05 },
        Rng.seeded(seed),
      );
      const planted = Float64Array.from(spikedGaussianBasis(params).flatMap((u) => [...u]));
      const r = trainShallow(model, {
        train: train.images,
        trainCount: train.count,
        test: test.images,
        testCount: test.count,
        steps: 20000,
        records: 5,
        components: planted,
        componentCount: 2,
      });
      const last = r.records.at(-1)!;
      // Constant-η SGD hovers above the optimum by O(η); 5% covers it here, and an untrained model is at ~6×.
      expect(last.testMse / pcaMse).toBeLessThan(1.05);
      expect(last.testMse / pcaMse).toBeGreaterThan(0.97);
      for (const o of last.subspace) expect(o).toBeGreaterThan(0.95);
      expect(r.records[0].testMse / pcaMse).toBeGreaterThan(3);
    }
  });
});

describe('trainShallow', () => {
  it('marks a run whose weights blow up as diverged and keeps only finite measurements', () => {
    const d = 20;
    const x = Rng.seeded(3).fillNormal(new Float32Array(200 * d), 0, 30);
    const model = new ShallowAutoencoder(
      { d, k: 2, activation: 'relu', tied: true, bias: 'both', lr: 50 },
      Rng.seeded(1),
    );
    const comps = Float64Array.from(
      spikedGaussianBasis({ dim: d, spikes: [1, 1], seed: 1 }).flatMap((u) => [...u]),
    );
    const r = trainShallow(model, {
      train: x,
      trainCount: 200,
      test: x,
      testCount: 200,
      steps: 2000,
      records: 12,
      components: comps,
      componentCount: 2,
    });
    expect(r.diverged).toBe(true);
    expect(r.records.at(-1)!.step).toBeLessThan(2000);
    for (const rec of r.records) {
      expect(Number.isFinite(rec.testMse)).toBe(true);
      for (const o of [...rec.subspace, ...rec.bestUnit]) expect(Number.isFinite(o)).toBe(true);
    }
    expect(r.finalOverlap).toEqual([]);
  });

  it("marks a ReLU run diverged when a unit's weights are NaN, though the unit outputs 0 and the test MSE stays finite", () => {
    const d = 12;
    const x = Rng.seeded(4).fillNormal(new Float32Array(100 * d));
    const comps = Float64Array.from(
      spikedGaussianBasis({ dim: d, spikes: [1, 1], seed: 1 }).flatMap((u) => [...u]),
    );
    const model = () =>
      new ShallowAutoencoder(
        { d, k: 2, activation: 'relu', tied: false, bias: 'both', lr: 0.01 },
        Rng.seeded(2),
      );
    const poisoned = model();
    for (let i = 0; i < d; i++) poisoned.w[i * poisoned.k] = Number.NaN; // unit 0's w
    // The case: the loss cannot see it.
    expect(Number.isFinite(poisoned.meanSquaredError(x, 100))).toBe(true);
    expect(poisoned.isFinite()).toBe(false);
    expect(model().isFinite()).toBe(true);
    const options = {
      train: x,
      trainCount: 100,
      test: x,
      testCount: 100,
      steps: 50,
      records: 5,
      components: comps,
      componentCount: 2,
    };
    const r = trainShallow(poisoned, options);
    expect(r.diverged).toBe(true);
    expect(r.records).toEqual([]);
    expect(r.finalOverlap).toEqual([]);
    // A healthy model of the same kind is measured at every record.
    expect(trainShallow(model(), options).records).toHaveLength(5);
  });
});

import fc from 'fast-check';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { covarianceMatrix, PcaInputError } from '../src/analysis/covariance.ts';
import {
  fitPca,
  type Pca,
  pcaReconstruct,
  pcaReconstructionMse,
  pcaTrainMseFromEigenvalues,
} from '../src/analysis/pca.ts';
import { Rng } from '../src/tensor/rng.ts';

// Property tests run on the reference backend (exact float32 loops, fast at these sizes); one test
// checks that 'auto' agrees. Tolerances: inputs and the gemm products are float32 (relative
// rounding ~6e-8 per operation, sums of ≤ 40 terms), everything else float64, so agreement to
// ~1e-5 of the data's scale is expected and anything off by a real mistake is far outside it.
const opts = { backend: 'reference', blockRows: 7 } as const; // 7: several blocks and a partial last one

interface Data {
  x: Float32Array;
  n: number;
  d: number;
}

/** n×d samples: a random mean, correlated features of varied scale (Z·A with Z normal). */
function randomData(seed: number, n: number, d: number, offset = 0.5): Data {
  const rng = Rng.seeded(seed);
  const a = rng.child('mix').fillNormal(new Float64Array(d * d));
  const mu = rng.child('mean').fillUniform(new Float64Array(d), -offset, offset);
  const z = rng.child('z').fillNormal(new Float64Array(n * d));
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let s = mu[j];
      for (let k = 0; k < d; k++) s += z[i * d + k] * a[k * d + j] * 0.3 ** k;
      x[i * d + j] = s;
    }
  }
  return { x, n, d };
}

const arbData = fc
  .record({ seed: fc.integer(), d: fc.integer({ min: 1, max: 8 }), extra: fc.integer({ min: 0, max: 30 }) })
  .map(({ seed, d, extra }) => randomData(seed, d + 2 + extra, d));

/** Float64 two-pass oracle: mean, then (1/n)·Σ(x − μ)(x − μ)ᵀ by plain loops. */
function oracleCovariance({ x, n, d }: Data): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) cov[p * d + q] += ((x[i * d + p] - mean[p]) * (x[i * d + q] - mean[q])) / n;
    }
  }
  return { mean, cov };
}

const totalVariance = (data: Data) => {
  const { cov } = oracleCovariance(data);
  let t = 0;
  for (let j = 0; j < data.d; j++) t += cov[j * data.d + j];
  return t;
};

/** Float64 mean squared distance of the samples from their projection onto mean + span(rows of `basis`). */
function projectionMse({ x, n, d }: Data, mean: Float64Array, basis: Float64Array[]): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const r = Float64Array.from({ length: d }, (_, j) => x[i * d + j] - mean[j]);
    for (const b of basis) {
      const dot = r.reduce((s, v, j) => s + v * b[j], 0);
      for (let j = 0; j < d; j++) r[j] -= dot * b[j];
    }
    sum += r.reduce((s, v) => s + v * v, 0);
  }
  return sum / (n * d);
}

const componentRows = (pca: Pca) =>
  Array.from({ length: pca.rank }, (_, r) => pca.components.subarray(r * pca.d, (r + 1) * pca.d));

describe('covarianceMatrix', () => {
  it('equals a float64 two-pass oracle, also for data far from the origin', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0.5, 1000),
        (seed, d, offset) => {
          const data = randomData(seed, d + 15, d, offset);
          const { mean, covariance } = covarianceMatrix(data.x, data.n, d, opts);
          const oracle = oracleCovariance(data);
          const scale = Math.max(...oracle.cov.map(Math.abs));
          for (let j = 0; j < d; j++)
            expect(Math.abs(mean[j] - oracle.mean[j])).toBeLessThan(1e-9 * (offset + 1));
          // A centring mistake (E[xxᵀ] − μμᵀ in float32) is off by ~offset²·6e-8 — 0.06 at offset 1000.
          for (let k = 0; k < d * d; k++)
            expect(Math.abs(covariance[k] - oracle.cov[k])).toBeLessThan(1e-5 * scale);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('fitPca', () => {
  it('has orthonormal components and eigenvalues equal to σ²/n of the centred data (SVD oracle)', () => {
    fc.assert(
      fc.property(arbData, fc.nat(), (data, r) => {
        const rank = r % (data.d + 1);
        const pca = fitPca(data.x, data.n, data.d, rank, opts);
        expect(pca.components).toHaveLength(rank * data.d);
        const rows = componentRows(pca);
        for (let a = 0; a < rank; a++) {
          for (let b = 0; b < rank; b++) {
            const dot = rows[a].reduce((s, v, j) => s + v * rows[b][j], 0);
            expect(Math.abs(dot - (a === b ? 1 : 0))).toBeLessThan(1e-9);
          }
        }
        const { mean } = oracleCovariance(data);
        const centred = new Matrix(data.n, data.d);
        for (let i = 0; i < data.n; i++)
          for (let j = 0; j < data.d; j++) centred.set(i, j, data.x[i * data.d + j] - mean[j]);
        const sigma = new SingularValueDecomposition(centred, { computeLeftSingularVectors: false }).diagonal;
        const scale = totalVariance(data);
        for (let k = 0; k < data.d; k++) {
          expect(Math.abs(pca.eigenvalues[k] - sigma[k] ** 2 / data.n)).toBeLessThan(1e-5 * scale);
          if (k > 0) expect(pca.eigenvalues[k]).toBeLessThanOrEqual(pca.eigenvalues[k - 1]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reconstruction error on the training data equals the discarded eigenvalues / d, falls with rank and is 0 at rank d', () => {
    fc.assert(
      fc.property(arbData, (data) => {
        const scale = totalVariance(data) / data.d;
        let previous = Number.POSITIVE_INFINITY;
        for (let rank = 0; rank <= data.d; rank++) {
          const pca = fitPca(data.x, data.n, data.d, rank, opts);
          const mse = pcaReconstructionMse(pca, data.x, data.n, data.d, opts);
          expect(Math.abs(mse - pcaTrainMseFromEigenvalues(pca))).toBeLessThan(1e-5 * scale);
          // An independent float64 projection onto the fitted subspace gives the same error.
          expect(Math.abs(mse - projectionMse(data, pca.mean, componentRows(pca)))).toBeLessThan(
            1e-5 * scale,
          );
          expect(mse).toBeLessThanOrEqual(previous + 1e-6 * scale);
          previous = mse;
          if (rank === 0) expect(Math.abs(mse - scale)).toBeLessThan(1e-5 * scale);
          if (rank === data.d) expect(mse).toBeLessThan(1e-10 * scale);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('finds an r-dimensional affine subspace exactly: rank r error ≈ 0, rank r − 1 error > 0', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (seed, r, extraD) => {
          const d = r + extraD;
          const n = 3 * d + 5;
          const rng = Rng.seeded(seed);
          const basis = rng.child('basis').fillNormal(new Float64Array(r * d));
          const mu = rng.child('mean').fillUniform(new Float64Array(d), 0, 1);
          const z = rng.child('z').fillNormal(new Float64Array(n * r));
          const x = new Float32Array(n * d);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < d; j++) {
              let s = mu[j];
              for (let k = 0; k < r; k++) s += z[i * r + k] * basis[k * d + j];
              x[i * d + j] = s;
            }
          }
          const data = { x, n, d };
          const scale = totalVariance(data) / d;
          const exact = fitPca(x, n, d, r, opts);
          // float32 storage of x puts it within ~1e-7 relative of the subspace: error ~1e-14·scale.
          const exactMse = pcaReconstructionMse(exact, x, n, d, opts);
          expect(exactMse).toBeLessThan(1e-9 * scale);
          // Dropping a direction leaves its variance, far above float32's floor. A random basis
          // can make that variance small (seed 2147483639, r 4, d 5: 9e-7 of the total), so the
          // bound is against the floor, not a fixed share of the total.
          const short = fitPca(x, n, d, r - 1, opts);
          const shortMse = pcaReconstructionMse(short, x, n, d, opts);
          expect(shortMse).toBeGreaterThan(1e-10 * scale);
          expect(shortMse).toBeGreaterThan(100 * exactMse);
          // And the reconstructions of the exact fit are the samples themselves.
          const xHat = pcaReconstruct(exact, x, n, d, opts);
          for (let k = 0; k < n * d; k++)
            expect(Math.abs(xHat[k] - x[k])).toBeLessThan(1e-4 * Math.sqrt(scale) + 1e-5);
        },
      ),
      { numRuns: 30, examples: [[2147483639, 4, 1]] },
    );
  });

  it('beats every other subspace of the same dimension through the mean (Eckart–Young)', () => {
    fc.assert(
      fc.property(arbData, fc.nat(), fc.integer(), (data, r, seed) => {
        const rank = 1 + (r % data.d);
        const pca = fitPca(data.x, data.n, data.d, rank, opts);
        // A random orthonormal basis of the same dimension (Gram–Schmidt of normal vectors).
        const rng = Rng.seeded(seed);
        const basis: Float64Array[] = [];
        while (basis.length < rank) {
          const v = rng.fillNormal(new Float64Array(data.d)) as Float64Array;
          for (const b of basis) {
            const dot = v.reduce((s, x, j) => s + x * b[j], 0);
            for (let j = 0; j < data.d; j++) v[j] -= dot * b[j];
          }
          const norm = Math.hypot(...v);
          if (norm > 1e-6) basis.push(v.map((x) => x / norm));
        }
        const scale = totalVariance(data) / data.d;
        const other = projectionMse(data, pca.mean, basis);
        expect(pcaReconstructionMse(pca, data.x, data.n, data.d, opts)).toBeLessThanOrEqual(
          other + 1e-5 * scale,
        );
      }),
      { numRuns: 40 },
    );
  });

  it('does not depend on the order of the samples', () => {
    fc.assert(
      fc.property(arbData, fc.integer(), (data, seed) => {
        const perm = Rng.seeded(seed).permutation(data.n);
        const shuffled = new Float32Array(data.x.length);
        for (let to = 0; to < data.n; to++) {
          shuffled.set(data.x.subarray(perm[to] * data.d, (perm[to] + 1) * data.d), to * data.d);
        }
        const rank = Math.ceil(data.d / 2);
        const a = fitPca(data.x, data.n, data.d, rank, opts);
        const b = fitPca(shuffled, data.n, data.d, rank, opts);
        const scale = totalVariance(data);
        for (let k = 0; k < data.d; k++) {
          expect(Math.abs(a.eigenvalues[k] - b.eigenvalues[k])).toBeLessThan(1e-5 * scale);
          expect(Math.abs(a.mean[k] - b.mean[k])).toBeLessThan(1e-9 * (1 + Math.abs(a.mean[k])));
        }
        const mseA = pcaReconstructionMse(a, data.x, data.n, data.d, opts);
        const mseB = pcaReconstructionMse(b, shuffled, data.n, data.d, opts);
        expect(Math.abs(mseA - mseB)).toBeLessThan(1e-5 * (scale / data.d));
      }),
      { numRuns: 30 },
    );
  });

  it('gives the same answer on the auto-selected backend as on the reference', () => {
    const data = randomData(7, 50, 6);
    const ref = fitPca(data.x, data.n, data.d, 3, opts);
    const auto = fitPca(data.x, data.n, data.d, 3, { blockRows: 16 });
    const scale = totalVariance(data);
    for (let k = 0; k < data.d; k++)
      expect(Math.abs(auto.eigenvalues[k] - ref.eigenvalues[k])).toBeLessThan(1e-5 * scale);
    const mseRef = pcaReconstructionMse(ref, data.x, data.n, data.d, opts);
    const mseAuto = pcaReconstructionMse(auto, data.x, data.n, data.d);
    expect(Math.abs(mseAuto - mseRef)).toBeLessThan(1e-5 * mseRef);
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      'x of the wrong length',
      () => fitPca(new Float32Array(5), 2, 3, 1),
      /fitPca: x has 5 values, expected n·d = 2·3 = 6/,
    ],
    [
      'a NaN sample',
      () => fitPca(Float32Array.from([0, 1, 2, 3, Number.NaN, 5]), 2, 3, 1),
      /fitPca: x\[4\] \(sample 1, feature 1\) is NaN/,
    ],
    [
      'rank above d',
      () => fitPca(new Float32Array(6), 2, 3, 4),
      /fitPca: rank must be an integer in 0\.\.d = 0\.\.3, got 4/,
    ],
    [
      'a fractional n',
      () => fitPca(new Float32Array(6), 1.5, 4, 1),
      /fitPca: n must be a positive integer, got 1\.5/,
    ],
    [
      'a bad block size',
      () => fitPca(new Float32Array(6), 2, 3, 1, { blockRows: 0 }),
      /blockRows must be a positive integer, got 0/,
    ],
    [
      'data of another width',
      () => pcaReconstructionMse(fitPca(new Float32Array(6), 2, 3, 1, opts), new Float32Array(8), 2, 4),
      /pcaReconstructionMse: x has d = 4 features, but the PCA was fitted with d = 3/,
    ],
    [
      'an eigenvalue rank out of range',
      () => pcaTrainMseFromEigenvalues(fitPca(new Float32Array(6), 2, 3, 1, opts), -1),
      /rank must be an integer in 0\.\.3, got -1/,
    ],
  ])('rejects %s with an error naming it', (_, call, message) => {
    expect(call).toThrow(PcaInputError);
    expect(call).toThrow(message);
  });
});

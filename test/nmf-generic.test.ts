// NMF of any non-negative matrix: the generic path, the inits, the SVD under nndsvd, validation.
// Oracles: products and norms by ml-matrix, its full SVD, and the identity fast path compared with
// the same identity handled as a plain dense matrix.
import fc from 'fast-check';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import {
  denseMatrix,
  fitCoordinateDescent,
  fitMultiplicativeUpdate,
  identityMatrix,
  initializeNmf,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  type NmfFactors,
  type NmfMatrix,
  nmf,
  Rng,
} from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { orthonormalColumns } from '../src/nmf/linalg.ts';
import { randomizedSvd, truncatedSvd } from '../src/nmf/svd.ts';

const combos = NMF_SOLVERS.flatMap((solver) => NMF_INIT_METHODS.map((init) => ({ solver, init })));
const seeds = fc.integer({ min: -0x80000000, max: 0x7fffffff });

/** A random non-negative m × n matrix (about a quarter zeros) with a rank k ≤ min(m, n). */
const problems = fc
  .record({ m: fc.integer({ min: 2, max: 16 }), n: fc.integer({ min: 2, max: 16 }), seed: seeds })
  .chain(({ m, n, seed }) =>
    fc.integer({ min: 1, max: Math.min(m, n) }).map((k) => {
      const rng = Rng.seeded(seed).child('data');
      const data = Float64Array.from({ length: m * n }, () => (rng.uniform() < 0.25 ? 0 : rng.uniform() * 3));
      return { m, n, k, data, seed };
    }),
  );

function distance(x: NmfMatrix, f: NmfFactors): number {
  const dense = x.toDense();
  const wh = Matrix.from1DArray(f.rows, f.rank, f.W).mmul(Matrix.from1DArray(f.rank, f.cols, f.H));
  return Matrix.from1DArray(dense.rows, dense.cols, dense.data).sub(wh).norm('frobenius');
}

describe.each(combos)(
  'NMF of a random non-negative matrix, solver $solver, init $init',
  ({ solver, init }) => {
    it('keeps the factors non-negative and lowers the error from the init, which it reports truly', () => {
      fc.assert(
        fc.property(problems, ({ m, n, k, data, seed }) => {
          const x = denseMatrix(m, n, data);
          const r = nmf(x, { rank: k, solver, init, maxIter: 30 }, Rng.seeded(seed));
          expect([r.W.length, r.H.length]).toEqual([m * k, k * n]);
          for (const v of [...r.W, ...r.H]) expect(v >= 0 && Number.isFinite(v)).toBe(true);
          // errors[0] is the error of the init, which `initializeNmf` reproduces from the same stream.
          const start = initializeNmf(x, k, init, Rng.seeded(seed).child('init'));
          // The errors come from Gram matrices, so they resolve ‖X − WH‖ to about √ε·‖X‖ (a near-exact
          // fit can read as 0), not to ε·‖X‖ like a direct difference.
          const resolution = 1e-7 * Math.sqrt(x.squaredNorm);
          expect(Math.abs(r.errors[0] - distance(x, start))).toBeLessThan(resolution);
          expect(Math.abs(r.errors[r.iterations] - distance(x, r))).toBeLessThan(resolution);
          // Not above the init, to the resolution of the reported errors.
          expect(r.errors[r.iterations]).toBeLessThanOrEqual(r.errors[0] + resolution);
        }),
        { numRuns: 15 },
      );
    });

    it('takes the identity fast path to exactly the numbers of the generic path on X = I', () => {
      const fit = solver === 'cd' ? fitCoordinateDescent : fitMultiplicativeUpdate;
      const sizes = fc
        .integer({ min: 2, max: 24 })
        .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n })));
      fc.assert(
        fc.property(sizes, seeds, ([n, k], seed) => {
          const start = initializeNmf(identityMatrix(n), k, init, Rng.seeded(seed));
          const fast = fit(identityMatrix(n), start, { maxIter: 20, tol: 0 });
          const generic = fit(denseMatrix(n, n, identityMatrix(n).toDense().data), start, {
            maxIter: 20,
            tol: 0,
          });
          expect(fast.W).toEqual(generic.W);
          expect(fast.H).toEqual(generic.H);
          expect(fast.errors).toEqual(generic.errors);
        }),
        { numRuns: 10 },
      );
    });
  },
);

/**
 * The textbook alternating loop, dense and unoptimized, as scikit-learn writes it: HALS sweeps
 * column by column (_update_cdnmf_fast), MU with float32 ε for zero denominators. The solvers'
 * sparse index lists, row-wise order and Gram tricks must not change what it computes.
 */
function referenceFit(x: NmfMatrix, start: NmfFactors, solver: 'cd' | 'mu', iterations: number) {
  const dense = x.toDense();
  const X = Matrix.from1DArray(dense.rows, dense.cols, dense.data);
  const W = Matrix.from1DArray(start.rows, start.rank, start.W);
  const Ht = Matrix.from1DArray(start.rank, start.cols, start.H).transpose();
  const update = (F: Matrix, G: Matrix, T: Matrix) => {
    const k = F.columns;
    if (solver === 'cd') {
      for (let t = 0; t < k; t++) {
        for (let i = 0; i < F.rows; i++) {
          let grad = -T.get(i, t);
          for (let s = 0; s < k; s++) grad += F.get(i, s) * G.get(t, s);
          if (G.get(t, t) !== 0) F.set(i, t, Math.max(F.get(i, t) - grad / G.get(t, t), 0));
        }
      }
    } else {
      const denominator = F.mmul(G);
      for (let i = 0; i < F.rows; i++) {
        for (let t = 0; t < k; t++) {
          const d = denominator.get(i, t);
          F.set(i, t, F.get(i, t) * (T.get(i, t) / (d === 0 ? 2 ** -23 : d)));
        }
      }
    }
  };
  for (let it = 0; it < iterations; it++) {
    update(W, Ht.transpose().mmul(Ht), X.mmul(Ht));
    update(Ht, W.transpose().mmul(W), X.transpose().mmul(W));
  }
  return { W, H: Ht.transpose() };
}

describe.each(NMF_SOLVERS)('solver %s against a plain dense reference', (solver) => {
  const fit = solver === 'cd' ? fitCoordinateDescent : fitMultiplicativeUpdate;
  const near = (actual: Float64Array, expected: Matrix) => {
    const e = expected.to1DArray();
    const scale = Math.max(...e.map(Math.abs), 1e-300);
    for (let i = 0; i < e.length; i++) expect(Math.abs(actual[i] - e[i])).toBeLessThanOrEqual(1e-9 * scale);
  };

  it('gives the same factors on random matrices', () => {
    fc.assert(
      fc.property(problems, fc.constantFrom(...NMF_INIT_METHODS), ({ m, n, k, data, seed }, init) => {
        const x = denseMatrix(m, n, data);
        const start = initializeNmf(x, k, init, Rng.seeded(seed));
        const r = fit(x, start, { maxIter: 12, tol: 0 });
        const expected = referenceFit(x, start, solver, r.iterations); // fewer than 12 after an exact fit
        near(r.W, expected.W);
        near(r.H, expected.H);
      }),
      { numRuns: 20 },
    );
  });

  it('gives the same factors on the identity, where they turn sparse', () => {
    const sizes = fc
      .integer({ min: 2, max: 40 })
      .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n })));
    fc.assert(
      fc.property(sizes, seeds, fc.constantFrom(...NMF_INIT_METHODS), ([n, k], seed, init) => {
        const x = identityMatrix(n);
        const start = initializeNmf(x, k, init, Rng.seeded(seed));
        const r = fit(x, start, { maxIter: 15, tol: 0 });
        const expected = referenceFit(x, start, solver, r.iterations);
        near(r.W, expected.W);
        near(r.H, expected.H);
      }),
      { numRuns: 20 },
    );
  });
});

describe('NMF inits', () => {
  it('nndsvda and nndsvdar equal nndsvd wherever nndsvd is non-zero, and fill its zeros', () => {
    fc.assert(
      fc.property(problems, ({ m, n, k, data, seed }) => {
        const x = denseMatrix(m, n, data);
        const base = initializeNmf(x, k, 'nndsvd', Rng.seeded(seed));
        const a = initializeNmf(x, k, 'nndsvda', Rng.seeded(seed));
        const ar = initializeNmf(x, k, 'nndsvdar', Rng.seeded(seed));
        for (const [f, fa, far] of [
          [base.W, a.W, ar.W],
          [base.H, a.H, ar.H],
        ]) {
          for (let i = 0; i < f.length; i++) {
            if (f[i] !== 0) {
              expect(fa[i]).toBe(f[i]);
              expect(far[i]).toBe(f[i]);
            } else {
              expect(fa[i]).toBe(x.mean);
              expect(far[i]).toBeGreaterThanOrEqual(0);
            }
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  it("nndsvd's leading component is the leading singular pair, scaled so that W·H ≈ σ₁·u₁·v₁ᵀ", () => {
    fc.assert(
      fc.property(problems, ({ m, n, data, seed }) => {
        const x = denseMatrix(m, n, data);
        const f = initializeNmf(x, 1, 'nndsvd', Rng.seeded(seed));
        const svd = new SingularValueDecomposition(Matrix.from1DArray(m, n, data));
        const sigma = svd.diagonal[0];
        // ‖w‖·‖h‖ = σ₁ and |⟨w, u₁⟩| = ‖w‖ (same direction), up to the 1e-6 zeroing.
        const w = Matrix.columnVector(Array.from(f.W));
        const u = svd.leftSingularVectors.getColumnVector(0);
        expect(w.norm() * Matrix.rowVector(Array.from(f.H)).norm()).toBeCloseTo(sigma, 4);
        expect(Math.abs(w.transpose().mmul(u).get(0, 0))).toBeCloseTo(w.norm(), 4);
      }),
      { numRuns: 20 },
    );
  });

  it("'random' draws |N(0, 1)|·√(mean(X)/k): mean entry √(mean/k)·√(2/π)", () => {
    const f = initializeNmf(identityMatrix(784), 128, 'random', Rng.seeded(11));
    const values = [...f.W, ...f.H];
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const expected = Math.sqrt(1 / 784 / 128) * Math.sqrt(2 / Math.PI);
    // 200 704 draws of a half-normal: the standard error of the mean is 0.13% of it.
    expect(Math.abs(mean / expected - 1)).toBeLessThan(0.01);
    expect(values.every((v) => v >= 0)).toBe(true);
  });
});

describe('the truncated SVD under nndsvd', () => {
  it('randomized SVD recovers an exactly rank-r matrix and its singular values (ml-matrix oracle)', () => {
    const cases = fc.record({
      m: fc.integer({ min: 3, max: 40 }),
      n: fc.integer({ min: 3, max: 40 }),
      r: fc.integer({ min: 1, max: 3 }),
      seed: seeds,
    });
    fc.assert(
      fc.property(cases, ({ m, n, r, seed }) => {
        const rng = Rng.seeded(seed);
        const a = Matrix.from1DArray(
          m,
          r,
          Float64Array.from({ length: m * r }, () => rng.uniform()),
        );
        const b = Matrix.from1DArray(
          r,
          n,
          Float64Array.from({ length: r * n }, () => rng.uniform()),
        );
        const x = a.mmul(b);
        const k = Math.min(r + 1, m, n);
        const svd = randomizedSvd(denseMatrix(m, n, Float64Array.from(x.to1DArray())), k, rng.child('svd'));
        const reference = new SingularValueDecomposition(x).diagonal;
        for (let j = 0; j < k; j++) expect(svd.s[j]).toBeCloseTo(reference[j], 8);
        const u = Matrix.from1DArray(m, k, svd.u);
        const v = Matrix.from1DArray(n, k, svd.v);
        const rebuilt = u.mmul(Matrix.diag(Array.from(svd.s))).mmul(v.transpose());
        expect(Matrix.sub(x, rebuilt).norm('frobenius')).toBeLessThan(1e-8 * x.norm('frobenius'));
      }),
      { numRuns: 25 },
    );
  });

  it('for the identity draws an orthonormal basis: U = V with UᵀU = I_k, singular values 1', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 80 })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }))),
        seeds,
        ([n, k], seed) => {
          const { u, s, v } = truncatedSvd(identityMatrix(n), k, Rng.seeded(seed));
          expect(v).toEqual(u);
          expect([...s]).toEqual(new Array(k).fill(1));
          const q = Matrix.from1DArray(n, k, u);
          const gramError = q.transpose().mmul(q).sub(Matrix.eye(k));
          expect(Math.max(gramError.max(), -gramError.min())).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('orthonormalColumns gives A = Q·R, R upper triangular with a positive diagonal, also for rank-deficient A', () => {
    const cases = fc.record({
      rows: fc.integer({ min: 2, max: 60 }),
      colsFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      duplicate: fc.boolean(),
      seed: seeds,
    });
    fc.assert(
      fc.property(cases, ({ rows, colsFraction, duplicate, seed }) => {
        const k = Math.max(1, Math.round(colsFraction * rows));
        const rng = Rng.seeded(seed);
        const a = rng.fillNormal(new Float64Array(rows * k)) as Float64Array;
        if (duplicate && k > 1) for (let i = 0; i < rows; i++) a[i * k + k - 1] = a[i * k]; // rank k − 1
        const q = Matrix.from1DArray(rows, k, orthonormalColumns(a, rows, k));
        const gramError = q.transpose().mmul(q).sub(Matrix.eye(k));
        expect(Math.max(gramError.max(), -gramError.min())).toBeLessThan(1e-10);
        if (!duplicate) {
          const r = q.transpose().mmul(Matrix.from1DArray(rows, k, a));
          for (let i = 0; i < k; i++) {
            expect(r.get(i, i)).toBeGreaterThan(0);
            for (let j = 0; j < i; j++)
              expect(Math.abs(r.get(i, j))).toBeLessThan(1e-9 * r.norm('frobenius'));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('NMF parameter validation', () => {
  const x = identityMatrix(6);
  const rng = Rng.seeded(1);

  it.each([
    [{ rank: 0 }, /rank/],
    [{ rank: 2.5 }, /rank/],
    [{ rank: 2, solver: 'als' }, /solver/],
    [{ rank: 2, init: 'svd' }, /init/],
    [{ rank: 2, tol: -1 }, /tol/],
    [{ rank: 2, maxIter: 0 }, /maxIter/],
    [{ rank: 2, maxiter: 10 }, /maxiter/],
    [{ rank: 7, init: 'nndsvd' }, /rank 7 .*min\(rows, cols\) = 6.*'random'/],
  ])('rejects %j naming the parameter', (options, message) => {
    expect(() => nmf(x, options as never, rng)).toThrow(message);
  });

  it("falls back to scikit-learn's 'random' init when k > min(rows, cols) and no init is given", () => {
    const r = nmf(denseMatrix(2, 3, [1, 0, 2, 0, 3, 1]), { rank: 4, maxIter: 5 }, rng);
    expect([r.W.length, r.H.length]).toEqual([8, 12]);
  });

  it('rejects matrices with negative or non-finite entries, naming the entry', () => {
    expect(() => denseMatrix(2, 2, [1, 0, -1, 2])).toThrow(/\[1, 0\] is -1/);
    expect(() => denseMatrix(2, 2, [1, Number.NaN, 1, 2])).toThrow(/\[0, 1\] is NaN/);
    expect(() => denseMatrix(2, 2, [1, 2, 3])).toThrow(/3 entries, expected rows·cols = 2·2 = 4/);
  });

  it('rejects initial factors of the wrong shape or sign', () => {
    const start = initializeNmf(x, 2, 'nndsvda', rng);
    expect(() => fitCoordinateDescent(identityMatrix(5), start)).toThrow(/6 × 6 matrix, X is 5 × 5/);
    const negative = { ...start, W: start.W.map((v, i) => (i === 3 ? -v : v)) };
    expect(() => fitMultiplicativeUpdate(x, negative)).toThrow(/initial W: entry 3/);
    expect(() => fitCoordinateDescent(x, start, { maxIter: -1 } as never)).toThrow(/maxIter/);
  });
});

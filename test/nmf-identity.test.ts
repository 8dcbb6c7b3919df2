// NMF of the identity I_n ≈ W·H, the main use. The oracles are closed-form facts about this
// problem, checked on factors multiplied out by ml-matrix (independent of the solvers' Gram tricks):
// - Eckart–Young: no rank-k matrix is closer to I_n than √(n − k);
// - a stationary point of ‖X − WH‖² over W, H ≥ 0 has ⟨X − WH, WH⟩ = 0 (W → αW is feasible, so the
//   loss is flat in α at α = 1), hence ‖I − WH‖² = n − ‖WH‖² there;
// - both solvers are descent methods: the error never increases.
import fc from 'fast-check';
import { Matrix } from 'ml-matrix';
import {
  identityMatrix,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  type NmfInitMethod,
  type NmfResult,
  type NmfSolverName,
  nmf,
  Rng,
} from 'nmfinit';
import { describe, expect, it } from 'vitest';

const combos = NMF_SOLVERS.flatMap((solver) => NMF_INIT_METHODS.map((init) => ({ solver, init })));

/** n in [2, 64], k in [1, n − 1]. */
const sizes = fc
  .integer({ min: 2, max: 64 })
  .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n - 1 })));
const seeds = fc.integer({ min: -0x80000000, max: 0x7fffffff });

/** W·H as an ml-matrix, from the row-major factors. */
function product(r: NmfResult): Matrix {
  return Matrix.from1DArray(r.rows, r.rank, r.W).mmul(Matrix.from1DArray(r.rank, r.cols, r.H));
}

function distanceToIdentity(wh: Matrix): number {
  return Matrix.eye(wh.rows).sub(wh).norm('frobenius');
}

function run(n: number, k: number, solver: NmfSolverName, init: NmfInitMethod, seed: number, stop: object) {
  return nmf(identityMatrix(n), { rank: k, solver, init, ...stop }, Rng.seeded(seed));
}

describe.each(combos)('NMF of I_n, solver $solver, init $init', ({ solver, init }) => {
  it('gives finite non-negative W (n×k) and H (k×n) no closer to I than √(n − k) (Eckart–Young)', () => {
    fc.assert(
      fc.property(sizes, seeds, ([n, k], seed) => {
        const r = run(n, k, solver, init, seed, { maxIter: 15, tol: 0 });
        expect([r.rows, r.cols, r.rank, r.W.length, r.H.length]).toEqual([n, n, k, n * k, k * n]);
        for (const v of [...r.W, ...r.H]) expect(v >= 0 && Number.isFinite(v)).toBe(true);
        const error = distanceToIdentity(product(r));
        expect(error).toBeGreaterThanOrEqual(Math.sqrt(n - k) * (1 - 1e-12));
        // The error the solver reports (from Gram matrices) is the true one.
        expect(r.errors[r.errors.length - 1]).toBeCloseTo(error, 9);
      }),
      { numRuns: 12 },
    );
  });

  it('never increases the error from one iteration to the next', () => {
    fc.assert(
      fc.property(sizes, seeds, ([n, k], seed) => {
        const { errors } = run(n, k, solver, init, seed, { maxIter: 25, tol: 0 });
        expect(errors.length).toBe(26);
        for (let i = 1; i < errors.length; i++)
          expect(errors[i]).toBeLessThanOrEqual(errors[i - 1] + 1e-10 * errors[0]);
      }),
      { numRuns: 12 },
    );
  });

  it('converges to a stationary point: ‖I − WH‖² = n − ‖WH‖²', () => {
    fc.assert(
      fc.property(sizes, seeds, ([n, k], seed) => {
        const r = run(n, k, solver, init, seed, { maxIter: 3000, tol: 1e-7 });
        expect(r.converged).toBe(true);
        const wh = product(r);
        const squaredError = distanceToIdentity(wh) ** 2;
        expect(Math.abs(squaredError - (n - wh.norm('frobenius') ** 2))).toBeLessThanOrEqual(1e-6 * n);
      }),
      { numRuns: 6 },
    );
  });

  it('is deterministic: the same seed gives identical factors and errors', () => {
    fc.assert(
      fc.property(sizes, seeds, ([n, k], seed) => {
        const a = run(n, k, solver, init, seed, { maxIter: 5 });
        const b = run(n, k, solver, init, seed, { maxIter: 5 });
        expect(b.W).toEqual(a.W);
        expect(b.H).toEqual(a.H);
        expect(b.errors).toEqual(a.errors);
      }),
      { numRuns: 5 },
    );
  });
});

// Reaching the global optimum is not guaranteed: NMF is non-convex, and both solvers have fixed
// points where two components cover the same coordinates, so the fit has effectively rank k − 1 and
// ‖I − WH‖² = n − k + 1 exactly (scikit-learn's HALS has the same fixed points). Sampling n ≤ 64,
// k ≤ n/2, 1500 seeds each (tol 1e-7), 'cd' from nndsvda stopped there in 11 runs, from nndsvd and
// nndsvdar in 1, from 'random' in none; 'mu' never did (its factors stay dense longer). For k close
// to n it happens more often (see the stationary-point law above, which holds regardless), and for
// I_784 with k = 128, 'cd' from nndsvda stops there for 2 of 20 seeds. So the optimum is asserted
// where it was never seen to fail, over a fixed sample of cases.
describe('NMF of I_n reaches the optimum √(n − k)', () => {
  const reliable = [
    ...NMF_INIT_METHODS.map((init) => ({ solver: 'mu' as const, init })),
    { solver: 'cd' as const, init: 'random' as const },
  ];
  const halfSizes = fc
    .integer({ min: 2, max: 64 })
    .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: Math.max(1, Math.floor(n / 2)) })));

  it.each(reliable)('within 0.1% for k ≤ n/2, solver $solver, init $init', ({ solver, init }) => {
    fc.assert(
      fc.property(halfSizes, seeds, ([n, k], seed) => {
        const r = run(n, k, solver, init, seed, { maxIter: 3000, tol: 1e-7 });
        expect(distanceToIdentity(product(r))).toBeLessThanOrEqual(1.001 * Math.sqrt(n - k));
      }),
      { numRuns: 8, seed: 20240601 },
    );
  });

  it('and stops at the target error when one is given', () => {
    const target = 1.001 * Math.sqrt(40 - 10);
    const r = nmf(
      identityMatrix(40),
      { rank: 10, tol: 0, maxIter: 1000, targetError: target },
      Rng.seeded(3),
    );
    expect(r.converged).toBe(true);
    expect(r.errors[r.iterations]).toBeLessThanOrEqual(target);
    expect(r.errors[r.iterations - 1]).toBeGreaterThan(target);
  });
});

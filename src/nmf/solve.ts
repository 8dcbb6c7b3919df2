// The NMF driver: initial factors, then alternating W and H half-steps of one solver until the
// error stops decreasing, reaches a target, or the iteration budget is spent.

import { parseOrThrow } from '../registry/parse.ts';
import type { Rng } from '../tensor/rng.ts';
import { coordinateDescentRow } from './cd.ts';
import { type FactorPair, initialFactors } from './init.ts';
import {
  frobeniusFromProducts,
  frobeniusInner,
  gramOfColumns,
  gramScratch,
  rowScratch,
  transpose,
  updateRows,
} from './linalg.ts';
import type { NmfMatrix } from './matrix.ts';
import { multiplicativeRow } from './mu.ts';
import {
  defaultInitMethod,
  NmfError,
  type NmfInitMethod,
  type NmfOptionsInput,
  type NmfSolverName,
  type NmfStopping,
  type NmfStoppingInput,
  nmfOptionsSchema,
  nmfStoppingSchema,
} from './options.ts';
import { DecreaseCheck } from './stopping.ts';

/** Non-negative factors of X (rows × cols) ≈ W·H, row-major float64. */
export interface NmfFactors {
  readonly rows: number;
  readonly cols: number;
  readonly rank: number;
  /** rows × rank */
  readonly W: Float64Array;
  /** rank × cols */
  readonly H: Float64Array;
}

export interface NmfResult extends NmfFactors {
  /**
   * ‖X − WH‖_F after each iteration: errors[0] is at the initial factors, errors[i] after iteration i.
   * Computed from Gram matrices (see `iterate`), so accurate to about 1e-8·‖X‖_F absolute.
   */
  readonly errors: Float64Array;
  /** Iterations done (each updates W, then H). */
  readonly iterations: number;
  /** True when it stopped on `tol` or `targetError`, false when it ran out of `maxIter`. */
  readonly converged: boolean;
}

/** Initial factors by one of scikit-learn's methods, validated against X's shape. */
export function initializeNmf(x: NmfMatrix, rank: number, method: NmfInitMethod, rng: Rng): NmfFactors {
  checkRank(x, rank, method);
  const { w, ht } = initialFactors(x, rank, method, rng);
  return { rows: x.rows, cols: x.cols, rank, W: w, H: transpose(ht, x.cols, rank) };
}

/** Factors X with the chosen solver and init; `rng` seeds the init (the solvers are deterministic). */
export function nmf(x: NmfMatrix, options: NmfOptionsInput, rng: Rng): NmfResult {
  const o = parseOrThrow(nmfOptionsSchema, options ?? {}, 'nmf: invalid parameters', { error: NmfError });
  const method = o.init ?? defaultInitMethod(o.rank, x.rows, x.cols);
  checkRank(x, o.rank, method);
  const start = initialFactors(x, o.rank, method, rng.child('init'));
  return iterate(x, o.rank, start, o, o.solver);
}

/** A solver from given initial factors (which are copied, not modified). */
export type NmfFit = (x: NmfMatrix, initial: NmfFactors, stopping?: NmfStoppingInput) => NmfResult;

/** The 'cd' solver from given initial factors (which are copied, not modified). */
export const fitCoordinateDescent: NmfFit = (x, initial, stopping = {}) =>
  fitFrom(x, initial, stopping, 'cd');

/** The 'mu' solver from given initial factors (which are copied, not modified). */
export const fitMultiplicativeUpdate: NmfFit = (x, initial, stopping = {}) =>
  fitFrom(x, initial, stopping, 'mu');

function fitFrom(
  x: NmfMatrix,
  initial: NmfFactors,
  stopping: NmfStoppingInput,
  solver: NmfSolverName,
): NmfResult {
  const where = solver === 'cd' ? 'fitCoordinateDescent' : 'fitMultiplicativeUpdate';
  const s = parseOrThrow(nmfStoppingSchema, stopping ?? {}, `${where}: invalid parameters`, {
    error: NmfError,
  });
  const { rank, W, H } = initial;
  if (initial.rows !== x.rows || initial.cols !== x.cols) {
    throw new NmfError(
      `${where}: initial factors are for a ${initial.rows} × ${initial.cols} matrix, X is ${x.rows} × ${x.cols}`,
    );
  }
  checkFactor(`${where}: initial W`, W, x.rows * rank);
  checkFactor(`${where}: initial H`, H, rank * x.cols);
  return iterate(x, rank, { w: W.slice(), ht: transpose(H, rank, x.cols) }, s, solver);
}

/**
 * The alternating loop. The error comes from k × k Gram matrices instead of forming W·H:
 *   ‖X − WH‖² = ‖X‖² − 2⟨W, X·Hᵀ⟩ + ⟨WᵀW, H·Hᵀ⟩,
 * and H·Hᵀ and X·Hᵀ are exactly what the next W half-step needs, so it costs O(rows·k) extra.
 */
function iterate(
  x: NmfMatrix,
  k: number,
  start: FactorPair,
  stop: NmfStopping,
  solver: NmfSolverName,
): NmfResult {
  const { rows, cols } = x;
  const { w, ht } = start;
  const hht = new Float64Array(k * k);
  const wtw = new Float64Array(k * k);
  const gramWork = gramScratch(Math.max(rows, cols), k);
  const scratch = rowScratch(k);
  const xhtScratch = new Float64Array(x.kind === 'identity' ? 0 : rows * k);
  const xtwScratch = new Float64Array(x.kind === 'identity' ? 0 : cols * k);
  const update = solver === 'cd' ? coordinateDescentRow : multiplicativeRow;
  const halfStep = (f: Float64Array, g: Float64Array, t: Float64Array, n: number) =>
    updateRows(update, f, g, t, n, k, scratch);

  const errors: number[] = [];
  let iterations = 0;
  let converged = false;
  const check = new DecreaseCheck(stop.tol, stop.checkEvery);
  gramOfColumns(w, rows, k, wtw, gramWork);
  for (;;) {
    gramOfColumns(ht, cols, k, hht, gramWork);
    const xht = x.timesTransposed(ht, k, xhtScratch);
    const wDotXht = frobeniusInner(w, xht, rows * k);
    const error = frobeniusFromProducts(x.squaredNorm, wDotXht, frobeniusInner(wtw, hht, k * k));
    errors.push(error);
    if (iterations === 0) check.start(error);
    const reached = error === 0 || (stop.targetError !== undefined && error <= stop.targetError);
    if (reached || (check.due(iterations) && check.stalled(error))) {
      converged = true;
      break;
    }
    if (iterations === stop.maxIter) break;

    halfStep(w, hht, xht, rows);
    gramOfColumns(w, rows, k, wtw, gramWork);
    halfStep(ht, wtw, x.transposeTimes(w, k, xtwScratch), cols);
    iterations++;
  }
  return {
    rows,
    cols,
    rank: k,
    W: w,
    H: transpose(ht, cols, k),
    errors: Float64Array.from(errors),
    iterations,
    converged,
  };
}

/** scikit-learn's constraint: the nndsvd inits need k ≤ min(rows, cols) singular pairs. */
function checkRank(x: NmfMatrix, rank: number, method: NmfInitMethod): void {
  if (!Number.isInteger(rank) || rank < 1)
    throw new NmfError(`nmf: rank must be a positive integer, got ${rank}`);
  if (method !== 'random' && rank > Math.min(x.rows, x.cols)) {
    throw new NmfError(
      `nmf: rank ${rank} is larger than min(rows, cols) = ${Math.min(x.rows, x.cols)}; init '${method}' needs rank ≤ min(rows, cols) (use init 'random')`,
    );
  }
}

function checkFactor(what: string, f: Float64Array, length: number): void {
  if (!(f instanceof Float64Array) || f.length !== length) {
    throw new NmfError(`${what}: expected a Float64Array of ${length} entries, got ${f?.length ?? f}`);
  }
  for (let i = 0; i < f.length; i++) {
    if (!(f[i] >= 0) || !Number.isFinite(f[i]))
      throw new NmfError(`${what}: entry ${i} is ${f[i]}; factors must be finite and ≥ 0`);
  }
}

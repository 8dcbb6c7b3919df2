// Property tests for NMF of the identity, I_n ≈ W·H, for the built-in solvers and for a user's own
// factorization. The laws are facts about the problem, checked on W·H multiplied out here
// (independent of a solver's own error bookkeeping):
// - W is n × k and H is k × n, finite and ≥ 0;
// - Eckart–Young: no rank-k matrix is closer to I_n than √(n − k), so ‖I − WH‖_F ≥ √(n − k);
// - optionally, within a stated relative tolerance of that bound;
// - the same random state gives bit-identical factors;
// - optionally, a cached version of the factorization hands back the same factors, every time.
import fc from 'fast-check';
import { squaredDistanceToProduct } from '../nmf/linalg.ts';
import { identityMatrix, type NmfMatrix } from '../nmf/matrix.ts';
import {
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  type NmfInitMethod,
  type NmfOptionsInput,
  type NmfSolverName,
  type NmfStoppingInput,
} from '../nmf/options.ts';
import { Rng } from '../tensor/rng.ts';

/** One NMF-of-the-identity problem: factor I_n with rank k, these options, from this seed. */
export interface NmfIdentityProblem {
  readonly n: number;
  readonly k: number;
  /** What `nmf(identityMatrix(n), options, Rng.seeded(seed))` gets: rank k, solver, init, stopping. */
  readonly options: NmfOptionsInput & { readonly rank: number };
  readonly seed: number;
}

/** A solver and an init, as `nmf` takes them. */
export interface NmfMethod {
  readonly solver: NmfSolverName;
  readonly init: NmfInitMethod;
}

export interface NmfIdentityProblemOptions {
  /** Smallest n (default 2). */
  readonly minN?: number;
  /** Largest n (default 32). */
  readonly maxN?: number;
  /** k is drawn from [1, max(1, ⌊maxRankFraction · n⌋)], and never above n − 1 (default 1: k ≤ n − 1). */
  readonly maxRankFraction?: number;
  /** Solver/init pairs drawn from (default every solver with every init). */
  readonly methods?: readonly NmfMethod[];
  /** Stopping options for every problem (default { tol: 1e-7, maxIter: 3000 }: run to convergence). */
  readonly stopping?: NmfStoppingInput;
}

/** Every built-in solver with every built-in init. */
export const ALL_NMF_METHODS: readonly NmfMethod[] = NMF_SOLVERS.flatMap((solver) =>
  NMF_INIT_METHODS.map((init) => ({ solver, init })),
);

/**
 * The solver/init pairs that reach the optimum √(n − k) for k ≤ n/2: 'mu' from any init, 'cd' from
 * 'random'. ('cd' from the nndsvd inits sometimes stops at a fixed point where two components
 * cover the same coordinates, ‖I − WH‖² = n − k + 1: a true stationary point, not a bug.)
 */
export const NEAR_OPTIMAL_NMF_METHODS: readonly NmfMethod[] = [
  ...NMF_INIT_METHODS.map((init) => ({ solver: 'mu' as const, init })),
  { solver: 'cd', init: 'random' },
];

/**
 * The stated tolerance of the built-in solvers on `nearOptimalIdentityProblems()` (n ≤ 32, k ≤ n/2,
 * tol 1e-7, maxIter 3000): ‖I − WH‖_F ≤ (1 + NMF_OPTIMUM_TOLERANCE) · √(n − k), i.e. within 0.1%.
 * test/nmf-identity-harness.test.ts holds the solvers to it.
 */
export const NMF_OPTIMUM_TOLERANCE = 1e-3;

/** Random identity problems: n, k ≤ n − 1, a solver/init pair, stopping options and a 32-bit seed. */
export function nmfIdentityProblems(
  options: NmfIdentityProblemOptions = {},
): fc.Arbitrary<NmfIdentityProblem> {
  const minN = options.minN ?? 2;
  const maxN = options.maxN ?? 32;
  const fraction = options.maxRankFraction ?? 1;
  const methods = options.methods ?? ALL_NMF_METHODS;
  const stopping = options.stopping ?? { tol: 1e-7, maxIter: 3000 };
  if (!Number.isInteger(minN) || minN < 2 || !Number.isInteger(maxN) || maxN < minN) {
    throw new RangeError(
      `nmfIdentityProblems: need integers 2 ≤ minN ≤ maxN, got minN ${minN}, maxN ${maxN}`,
    );
  }
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`nmfIdentityProblems: maxRankFraction must be in (0, 1], got ${fraction}`);
  }
  if (methods.length === 0) throw new RangeError('nmfIdentityProblems: methods is empty; give at least one');
  return fc.integer({ min: minN, max: maxN }).chain((n) =>
    fc
      .record({
        k: fc.integer({ min: 1, max: Math.min(n - 1, Math.max(1, Math.floor(fraction * n))) }),
        method: fc.constantFrom(...methods),
        seed: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      })
      .map(({ k, method, seed }) => ({
        n,
        k,
        options: { rank: k, solver: method.solver, init: method.init, ...stopping },
        seed,
      })),
  );
}

/** The problems on which the built-in solvers are held to NMF_OPTIMUM_TOLERANCE: k ≤ n/2, near-optimal methods. */
export function nearOptimalIdentityProblems(
  options: Omit<NmfIdentityProblemOptions, 'methods' | 'maxRankFraction'> = {},
): fc.Arbitrary<NmfIdentityProblem> {
  return nmfIdentityProblems({ ...options, methods: NEAR_OPTIMAL_NMF_METHODS, maxRankFraction: 0.5 });
}

/** W (n × k) and H (k × n), row-major: a Float64Array, Float32Array or plain array each. */
export interface NmfIdentityFactors {
  readonly W: ArrayLike<number>;
  readonly H: ArrayLike<number>;
}

/** A factorization with `nmf`'s signature: `nmf` itself, or a user's own. */
export type NmfFactorization = (
  x: NmfMatrix,
  options: NmfOptionsInput & { readonly rank: number },
  rng: Rng,
) => NmfIdentityFactors | Promise<NmfIdentityFactors>;

export interface CheckNmfIdentityOptions {
  /** The problems tried (default `nmfIdentityProblems()`). */
  readonly problems?: fc.Arbitrary<NmfIdentityProblem>;
  /**
   * Also require ‖I − WH‖_F ≤ (1 + optimumTolerance) · √(n − k). Off by default: NMF is
   * non-convex, so only some solvers, inits and ranks reach the optimum (see NMF_OPTIMUM_TOLERANCE).
   */
  readonly optimumTolerance?: number;
  /**
   * A cached version of the same factorization (e.g. `cachedNmf` with a cache directory): called
   * twice per problem, after `factorize`; both calls must give `factorize`'s factors bit for bit.
   */
  readonly cached?: NmfFactorization;
  /** Problems tried (default 20). */
  readonly numRuns?: number;
  /** fast-check seed and path, from a failure message, to replay it. */
  readonly seed?: number;
  readonly path?: string;
  /** How messages name the factorization (default its function name). */
  readonly name?: string;
}

/** Thrown by `checkNmfIdentity`: names the factorization, the law, the problem and the replay seed. */
export class NmfIdentityCheckError extends Error {
  override name = 'NmfIdentityCheckError';
}

class Violation extends Error {
  constructor(
    readonly law: string,
    readonly detail: string,
  ) {
    super(`${law}: ${detail}`);
  }
}

/**
 * Property-tests a factorization of the identity over random problems (see the laws at the top of
 * this file). Resolves when every law holds on every problem; rejects with an
 * `NmfIdentityCheckError` otherwise. Use inside a test: `await checkNmfIdentity(nmf)`.
 */
export async function checkNmfIdentity(
  factorize: NmfFactorization,
  options: CheckNmfIdentityOptions = {},
): Promise<void> {
  const label = `factorization '${options.name ?? (factorize.name || 'anonymous')}'`;
  if (typeof factorize !== 'function') {
    throw new NmfIdentityCheckError(
      `checkNmfIdentity: factorize must be a function, got ${typeof factorize}`,
    );
  }
  const tolerance = options.optimumTolerance;
  if (tolerance !== undefined && !(tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new NmfIdentityCheckError(
      `checkNmfIdentity: optimumTolerance must be a finite number ≥ 0, got ${tolerance}`,
    );
  }
  const cached = options.cached;
  const property = fc.asyncProperty(options.problems ?? nmfIdentityProblems(), async (problem) => {
    const { n, k, seed } = problem;
    // A fresh matrix, options object and stream per call: the laws compare calls, not shared state.
    const call = async (f: NmfFactorization, who: string) => {
      let factors: NmfIdentityFactors;
      try {
        factors = await f(identityMatrix(n), structuredClone(problem.options), Rng.seeded(seed));
      } catch (e) {
        throw new Violation(
          `${who} returns factors`,
          `it threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
        );
      }
      checkFactors(factors, n, k, who);
      return factors;
    };
    const first = await call(factorize, 'factorize');

    const error = distanceToIdentity(first, n, k);
    const bound = Math.sqrt(n - k);
    if (!(error >= bound * (1 - 1e-12))) {
      throw new Violation(
        'Eckart–Young: ‖I − WH‖_F ≥ √(n − k)',
        `‖I − WH‖_F = ${error}, below √(${n} − ${k}) = ${bound}; no rank-${k} product can be that close`,
      );
    }
    if (tolerance !== undefined && error > (1 + tolerance) * bound) {
      throw new Violation(
        `within ${tolerance} of the optimum √(n − k)`,
        `‖I − WH‖_F = ${error}, ${((error / bound - 1) * 100).toPrecision(3)}% above √(${n} − ${k}) = ${bound}`,
      );
    }

    const again = await call(factorize, 'factorize');
    const changed = firstDifference(first, again);
    if (changed) {
      throw new Violation(
        'the same random state gives the same factors',
        `${changed}, between two calls with Rng.seeded(${seed})`,
      );
    }

    if (cached) {
      for (const which of ['first', 'second']) {
        const fromCache = await call(cached, `cached (${which} call)`);
        const differs = firstDifference(first, fromCache);
        if (differs) {
          throw new Violation(
            'the cache returns the same factors',
            `${differs}: factorize against the ${which} call of cached`,
          );
        }
      }
    }
  });

  const details = await fc.check(property, {
    numRuns: options.numRuns ?? 20,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  if (details.failed) throw new NmfIdentityCheckError(failureMessage(label, details));
}

/** ‖I_n − W·H‖_F, multiplied out in float64 (O(n²k)). */
export function distanceToIdentity(factors: NmfIdentityFactors, n: number, k: number): number {
  const identity = (i: number, j: number) => (i === j ? 1 : 0);
  return Math.sqrt(squaredDistanceToProduct(identity, factors.W, factors.H, n, k, n));
}

function checkFactors(factors: NmfIdentityFactors, n: number, k: number, who: string): void {
  if (typeof factors !== 'object' || factors === null) {
    throw new Violation('W is n × k and H is k × n', `${who} returned ${factors}, expected { W, H }`);
  }
  const shapes: [string, ArrayLike<number>, number, number][] = [
    ['W', factors.W, n, k],
    ['H', factors.H, k, n],
  ];
  for (const [name, f, rows, cols] of shapes) {
    if (typeof f?.length !== 'number') {
      throw new Violation('W is n × k and H is k × n', `${who} returned no array as ${name}`);
    }
    if (f.length !== rows * cols) {
      throw new Violation(
        'W is n × k and H is k × n',
        `${who}'s ${name} has ${f.length} entries, expected ${rows} × ${cols} = ${rows * cols}`,
      );
    }
  }
  for (const [name, f, , cols] of shapes) {
    for (let i = 0; i < f.length; i++) {
      const v = f[i];
      if (!(v >= 0) || !Number.isFinite(v)) {
        throw new Violation(
          'factors are finite and ≥ 0',
          `${who}'s ${name}[${Math.floor(i / cols)}, ${i % cols}] = ${v}`,
        );
      }
    }
  }
}

/** Where two results differ bit for bit (Object.is per entry), or null. */
function firstDifference(a: NmfIdentityFactors, b: NmfIdentityFactors): string | null {
  for (const name of ['W', 'H'] as const) {
    for (let i = 0; i < a[name].length; i++) {
      if (!Object.is(a[name][i], b[name][i])) return `${name}[${i}] is ${a[name][i]}, then ${b[name][i]}`;
    }
  }
  return null;
}

function failureMessage(label: string, details: fc.RunDetails<[NmfIdentityProblem]>): string {
  const replay = `replay with options { seed: ${details.seed}, path: '${details.counterexamplePath}' }`;
  const problem = details.counterexample?.[0];
  const where = problem
    ? `  problem n = ${problem.n}, k = ${problem.k}, options ${JSON.stringify(problem.options)}, seed ${problem.seed}`
    : '  (no problem recorded)';
  const error = details.errorInstance;
  const head =
    error instanceof Violation
      ? `${label} breaks "${error.law}": ${error.detail}`
      : `${label} failed: ${error instanceof Error ? error.message : String(error ?? 'no error recorded')}`;
  return [head, where, `  ${replay}`].join('\n');
}

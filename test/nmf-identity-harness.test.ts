import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { Matrix } from 'ml-matrix';
import {
  fitCoordinateDescent,
  fitMultiplicativeUpdate,
  identityMatrix,
  initializeNmf,
  type NmfInitMethod,
  nmf,
  Rng,
} from 'nmfinit';
import {
  ALL_NMF_METHODS,
  checkNmfIdentity,
  distanceToIdentity,
  NEAR_OPTIMAL_NMF_METHODS,
  type NmfFactorization,
  NmfIdentityCheckError,
  nmfIdentityProblems,
} from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';

// checkNmfIdentity is only worth something if it can fail: each factorization below breaks one law.

const quick = nmfIdentityProblems({ maxN: 16, stopping: { maxIter: 20 } });

describe('checkNmfIdentity passes the built-in solvers and inits', () => {
  it('the inits alone (random, nndsvd, nndsvda, nndsvdar): shapes, sign, Eckart–Young, determinism', async () => {
    const initOnly: NmfFactorization = (x, o, rng) => initializeNmf(x, o.rank, o.init as NmfInitMethod, rng);
    await checkNmfIdentity(initOnly, { problems: quick, numRuns: 40 });
  });

  it('cd and mu from given initial factors', async () => {
    for (const fit of [fitCoordinateDescent, fitMultiplicativeUpdate]) {
      const fromInit: NmfFactorization = (x, o, rng) =>
        fit(x, initializeNmf(x, o.rank, 'random', rng), { maxIter: 30 });
      await checkNmfIdentity(fromInit, { problems: quick, numRuns: 15, name: fit.name });
    }
  });

  it('nmf with every solver/init pair', async () => {
    await checkNmfIdentity(nmf, { problems: quick, numRuns: 40 });
  });
});

describe('checkNmfIdentity fails, naming the law and the problem, on broken factorizations', () => {
  const fromNmf =
    (
      edit: (
        W: Float64Array,
        H: Float64Array,
        n: number,
        k: number,
      ) => { W: ArrayLike<number>; H: ArrayLike<number> },
    ) =>
    (x: Parameters<NmfFactorization>[0], o: Parameters<NmfFactorization>[1], rng: Rng) => {
      const r = nmf(x, { ...o, maxIter: 5 }, rng);
      return edit(r.W.slice(), r.H.slice(), x.rows, o.rank);
    };
  const cases: [string, NmfFactorization, RegExp][] = [
    [
      'negative',
      fromNmf((W, H) => {
        W[W.length - 1] = -0.25;
        return { W, H };
      }),
      /'negative' breaks "factors are finite and ≥ 0": factorize's W\[\d+, \d+\] = -0\.25/,
    ],
    [
      'nan',
      fromNmf((W, H) => {
        H[0] = Number.NaN;
        return { W, H };
      }),
      /'nan' breaks "factors are finite and ≥ 0": factorize's H\[0, 0\] = NaN/,
    ],
    [
      'transposed',
      fromNmf((W, H, n, k) => ({ W, H: H.subarray(0, k * n - 1) })),
      /'transposed' breaks "W is n × k and H is k × n": factorize's H has \d+ entries, expected \d+ × \d+ = \d+/,
    ],
    [
      'nondeterministic',
      fromNmf((W, H) => {
        W[0] += Math.random();
        return { W, H };
      }),
      /'nondeterministic' breaks "the same random state gives the same factors": W\[0\] is .*, then .*, between two calls with Rng\.seeded\(-?\d+\)/,
    ],
    [
      'throws',
      () => {
        throw new RangeError('rank too large for me');
      },
      /'throws' breaks "factorize returns factors": it threw RangeError: rank too large for me/,
    ],
  ];
  for (const [name, factorize, message] of cases) {
    it(name, async () => {
      const failure = checkNmfIdentity(factorize, { problems: quick, name });
      await expect(failure).rejects.toBeInstanceOf(NmfIdentityCheckError);
      await expect(failure).rejects.toThrow(message);
      await expect(failure).rejects.toThrow(
        /\n {2}problem n = \d+, k = \d+, options \{"rank":\d+,.*\}, seed -?\d+\n/,
      );
      await expect(failure).rejects.toThrow(/replay with options \{ seed: -?\d+, path: '[\d:]+' \}/);
    });
  }

  it('a factorization that stops far from the optimum fails the tolerance law, and only with it', async () => {
    const oneStep: NmfFactorization = (x, o, rng) =>
      nmf(x, { ...o, init: 'random', maxIter: 1, tol: 0 }, rng);
    const problems = nmfIdentityProblems({ minN: 8, maxN: 16, maxRankFraction: 0.5 });
    await expect(checkNmfIdentity(oneStep, { problems, numRuns: 10 })).resolves.toBeUndefined();
    await expect(checkNmfIdentity(oneStep, { problems, optimumTolerance: 1e-3 })).rejects.toThrow(
      /'oneStep' breaks "within 0\.001 of the optimum √\(n − k\)": ‖I − WH‖_F = [\d.]+, [\d.]+% above √\(\d+ − \d+\)/,
    );
  });

  it('a cache that hands back other factors fails the cache law', async () => {
    const otherSeed: NmfFactorization = (x, o) => nmf(x, o, Rng.seeded(12345));
    await expect(checkNmfIdentity(nmf, { problems: quick, cached: otherSeed })).rejects.toThrow(
      /'nmf' breaks "the cache returns the same factors": [WH]\[\d+\] is .*: factorize against the first call of cached/,
    );
  });

  it('rejects a bad tolerance up front', async () => {
    await expect(checkNmfIdentity(nmf, { optimumTolerance: -1 })).rejects.toThrow(
      /optimumTolerance must be a finite number ≥ 0, got -1/,
    );
  });

  it('replays a failure from the reported seed and path', async () => {
    const negative = cases[0][1];
    const message = (options: object) =>
      checkNmfIdentity(negative, { problems: quick, name: 'negative', ...options }).then(
        () => 'passed',
        (e: Error) => e.message,
      );
    const first = await message({});
    const [, seed, path] = /seed: (-?\d+), path: '([\d:]+)'/.exec(first)!;
    expect(await message({ seed: Number(seed), path })).toBe(first);
  });
});

describe('the pieces', () => {
  it('distanceToIdentity is ‖I − WH‖_F (oracle: ml-matrix), and never below √(n − k) (Eckart–Young)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            k: fc.integer({ min: 1, max: n }),
            seed: fc.integer(),
          }),
        ),
        ({ n, k, seed }) => {
          const rng = Rng.seeded(seed);
          const W = rng.fillUniform(new Float64Array(n * k)) as Float64Array;
          const H = rng.fillUniform(new Float64Array(k * n)) as Float64Array;
          const oracle = Matrix.eye(n)
            .sub(Matrix.from1DArray(n, k, W).mmul(Matrix.from1DArray(k, n, H)))
            .norm('frobenius');
          const d = distanceToIdentity({ W, H }, n, k);
          expect(d).toBeCloseTo(oracle, 10);
          expect(d).toBeGreaterThanOrEqual(Math.sqrt(n - k) * (1 - 1e-12));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('problems: 2 ≤ n ≤ maxN, 1 ≤ k ≤ min(n − 1, fraction·n), options carry rank k and a listed method', () => {
    const methods = NEAR_OPTIMAL_NMF_METHODS;
    fc.assert(
      fc.property(nmfIdentityProblems({ maxN: 40, maxRankFraction: 0.5, methods }), (p) => {
        expect(p.n).toBeGreaterThanOrEqual(2);
        expect(p.n).toBeLessThanOrEqual(40);
        expect(p.k).toBeGreaterThanOrEqual(1);
        expect(p.k).toBeLessThanOrEqual(Math.max(1, Math.min(p.n - 1, Math.floor(p.n / 2))));
        expect(p.options.rank).toBe(p.k);
        expect(methods).toContainEqual({ solver: p.options.solver, init: p.options.init });
        expect(Number.isInteger(p.seed)).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(ALL_NMF_METHODS).toHaveLength(8);
  });

  it('problems reject bad bounds, naming them', () => {
    expect(() => nmfIdentityProblems({ minN: 1 })).toThrow(/2 ≤ minN ≤ maxN, got minN 1/);
    expect(() => nmfIdentityProblems({ maxRankFraction: 0 })).toThrow(
      /maxRankFraction must be in \(0, 1\], got 0/,
    );
    expect(() => nmfIdentityProblems({ methods: [] })).toThrow(/methods is empty/);
  });

  it('the identity the harness factors is the identity', () => {
    expect([...identityMatrix(3).toDense().data]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});

describe('the README recipe', () => {
  it('is test/nmf-identity-recipe.test.ts, quoted verbatim in README.md', () => {
    const source = readFileSync(new URL('./nmf-identity-recipe.test.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(source.trim());
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Backend, getBackend, listBackends, referenceGemm } from '../src/backend/index.ts';
import { Rng } from '../src/tensor/rng.ts';

/**
 * Every backend available here must agree with referenceGemm. Both sides round every product and
 * partial sum to float32 (unit roundoff u = 2⁻²⁴) but may sum in different orders, so each is within
 * γ·(|C₀| + Σ_p |a_ip||b_pj|) of the exact result, with γ ≈ (k+1)·u (Higham, Accuracy and Stability,
 * §3.1, one extra term for the product rounding and one for C₀). Their difference is then at most
 * twice that; we allow 2·(k+2)·u.
 */
const U = 2 ** -24;

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  owned: boolean;
  seed: number;
}

function caseArb(maxDim: number): fc.Arbitrary<Case> {
  const dim = fc.integer({ min: 0, max: maxDim });
  return fc.record({
    transA: fc.boolean(),
    transB: fc.boolean(),
    m: dim,
    n: dim,
    k: dim,
    accumulate: fc.boolean(),
    owned: fc.boolean(),
    seed: fc.integer(),
  });
}

/** The 1×1, k = 0 and empty edges, each with every transpose pair. */
const EDGES: Case[] = [
  [1, 1, 1],
  [1, 1, 0],
  [3, 5, 0],
  [0, 4, 3],
  [4, 0, 3],
].flatMap(([m, n, k]) =>
  [false, true].flatMap((transA) =>
    [false, true].map((transB) => ({
      transA,
      transB,
      m,
      n,
      k,
      accumulate: k === 0,
      owned: false,
      seed: m + n + k,
    })),
  ),
);

function fill(backend: Backend, owned: boolean, length: number, rng: Rng): Float32Array {
  const out = owned && backend.alloc ? backend.alloc(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniformRange(-1, 1);
  return out;
}

/** Runs one case on `backend` and returns the worst ratio |Δ| / bound over C (must be ≤ 1). */
function worstRatio(backend: Backend, t: Case): number {
  const { transA, transB, m, n, k, accumulate } = t;
  const rng = Rng.seeded(t.seed);
  const a = fill(backend, t.owned, m * k, rng);
  const b = fill(backend, t.owned, k * n, rng);
  const c = fill(backend, t.owned, m * n, rng);
  const c0 = Float32Array.from(c);
  const expected = Float32Array.from(c);
  backend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
  referenceGemm(transA, transB, m, n, k, a, b, expected, accumulate);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let magnitude = accumulate ? Math.abs(c0[i * n + j]) : 0;
      for (let p = 0; p < k; p++) {
        magnitude += Math.abs(
          (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]),
        );
      }
      const bound = 2 * (k + 2) * U * magnitude;
      const diff = Math.abs(c[i * n + j] - expected[i * n + j]);
      if (!(diff <= bound)) return Number.POSITIVE_INFINITY; // also catches NaN
      worst = Math.max(worst, bound > 0 ? diff / bound : 0);
    }
  }
  return worst;
}

const available = listBackends().filter((b) => b.available);

describe('every available backend agrees with referenceGemm', () => {
  it('lists the reference, a gpu.js mode and simd as available here', () => {
    const names = available.map((b) => b.name);
    expect(names).toContain('reference');
    expect(names.some((n) => n.startsWith('gpujs'))).toBe(true);
    expect(names).toContain('simd');
  });

  for (const { name } of available) {
    // gpu.js compiles and runs slowly even for tiny sizes: keep its cases small and few.
    const slow = name.startsWith('gpujs');
    it(`${name}: random shapes, all transposes, accumulate on/off`, () => {
      const backend = getBackend(name);
      fc.assert(
        fc.property(caseArb(slow ? 9 : 37), (t) => worstRatio(backend, t) <= 1),
        // fast-check counts the examples in numRuns, so add them to the random runs.
        { numRuns: EDGES.length + (slow ? 20 : 150), examples: EDGES.map((e) => [e]) },
      );
    });
  }

  it('simd: shapes crossing its cache blocks (kc 256, mc 120) and tile edges', () => {
    const backend = getBackend('simd');
    const dim = fc.integer({ min: 100, max: 290 });
    fc.assert(
      fc.property(
        caseArb(1).chain((t) =>
          fc.record({ m: dim, n: fc.integer({ min: 1, max: 40 }), k: dim }).map((s) => ({ ...t, ...s })),
        ),
        (t) => worstRatio(backend, t) <= 1,
      ),
      { numRuns: 12 },
    );
  });
});

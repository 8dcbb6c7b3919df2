import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getBackend, listBackends } from '../src/backend/index.ts';
import { type GemmCase, worstRatio } from './helpers/gemm-oracle.ts';

/** Every backend available here must agree with referenceGemm, within the bound of helpers/gemm-oracle.ts. */
type Case = GemmCase;

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

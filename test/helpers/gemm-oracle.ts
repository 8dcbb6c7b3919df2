import type { Backend } from '../../src/backend/index.ts';
import { referenceGemm } from '../../src/backend/index.ts';
import { Rng } from '../../src/tensor/rng.ts';

/**
 * The agreement bound of two float32 gemms. Both round every product and partial sum to float32
 * (unit roundoff u = 2⁻²⁴) but may sum in different orders, so each is within
 * γ·(|C₀| + Σ_p |a_ip||b_pj|) of the exact result, with γ ≈ (k+1)·u (Higham, Accuracy and
 * Stability, §3.1, one extra term for the product rounding and one for C₀). Their difference is
 * then at most twice that; we allow 2·(k+2)·u.
 */
export const U = 2 ** -24;

export interface GemmCase {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  accumulate: boolean;
  owned: boolean;
  seed: number;
}

type Gemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate?: boolean,
) => void;

function fill(backend: Backend, owned: boolean, length: number, rng: Rng): Float32Array {
  const out = owned && backend.alloc ? backend.alloc(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.uniformRange(-1, 1);
  return out;
}

/**
 * Runs one case on `backend` and returns the worst ratio |Δ| / bound over C (must be ≤ 1;
 * Infinity for a NaN). `oracle` computes the expected product and, on |A| and |B|, the magnitudes
 * Σ_p |a_ip||b_pj| of the bound: referenceGemm by default; a fast backend already held to the
 * reference (simd) for the big shapes, where the reference would take minutes.
 */
export function worstRatio(backend: Backend, t: GemmCase, oracle: Gemm = referenceGemm): number {
  const { transA, transB, m, n, k, accumulate } = t;
  const rng = Rng.seeded(t.seed);
  const a = fill(backend, t.owned, m * k, rng);
  const b = fill(backend, t.owned, k * n, rng);
  const c = fill(backend, t.owned, m * n, rng);
  const c0 = Float32Array.from(c);
  const expected = Float32Array.from(c);
  backend.gemm(transA, transB, m, n, k, a, b, c, accumulate);
  oracle(transA, transB, m, n, k, a, b, expected, accumulate);
  const magnitude = new Float32Array(m * n);
  oracle(transA, transB, m, n, k, a.map(Math.abs), b.map(Math.abs), magnitude);
  let worst = 0;
  for (let i = 0; i < m * n; i++) {
    // The magnitude is itself rounded: (1 + (k+1)u) covers that.
    const mag = (magnitude[i] * (1 + (k + 1) * U) + (accumulate ? Math.abs(c0[i]) : 0)) as number;
    const bound = 2 * (k + 2) * U * mag;
    const diff = Math.abs(c[i] - expected[i]);
    if (!(diff <= bound)) return Number.POSITIVE_INFINITY; // also catches NaN
    worst = Math.max(worst, bound > 0 ? diff / bound : 0);
  }
  return worst;
}

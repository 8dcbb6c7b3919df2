import type { Backend } from './types.ts';

/** Backend.gemm: C ← op(A)·op(B) (+ C when `accumulate`), see {@link Backend}. */
export type Gemm = Backend['gemm'];

/** A backend's own product, called by {@link checkedGemm} with checked sizes, m, n, k > 0 and `accumulate` given. */
export type GemmBody = (...args: Required<Parameters<Gemm>>) => void;

/** Throws a RangeError naming the first of `counts` (sizes, in order) that is not a non-negative integer. */
export function checkCounts(kernel: string, counts: Record<string, number>): void {
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${kernel}: ${name} must be a non-negative integer, got ${v}`);
  }
}

/**
 * Every backend's gemm around its own product: the sizes checked against the buffers (a RangeError
 * naming what is wrong), nothing done for an empty C (m·n = 0), C zeroed (unless accumulating)
 * for an empty sum (k = 0). The body sees only products with m, n, k > 0, so no backend repeats
 * these cases.
 */
export function checkedGemm(body: GemmBody): Gemm {
  return (transA, transB, m, n, k, a, b, c, accumulate = false) => {
    checkCounts('gemm', { m, n, k });
    if (a.length < m * k)
      throw new RangeError(`gemm: A has ${a.length} elements, needs m·k = ${m}·${k} = ${m * k}`);
    if (b.length < k * n)
      throw new RangeError(`gemm: B has ${b.length} elements, needs k·n = ${k}·${n} = ${k * n}`);
    if (c.length < m * n)
      throw new RangeError(`gemm: C has ${c.length} elements, needs m·n = ${m}·${n} = ${m * n}`);
    if (m * n === 0) return;
    if (k === 0) {
      if (!accumulate) c.fill(0, 0, m * n);
      return;
    }
    body(transA, transB, m, n, k, a, b, c, accumulate);
  };
}

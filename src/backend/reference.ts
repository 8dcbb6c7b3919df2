import { z } from 'zod';
import type { Backend, BackendFactory } from './types.ts';

/**
 * The reference gemm: plain loops in the i-p-j order so the inner loop walks rows of B and C
 * contiguously. Slow but obviously correct; every other backend is tested against it.
 */
export function referenceGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate = false,
): void {
  checkGemmArgs(m, n, k, a, b, c);
  if (!accumulate) c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      if (aip === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) c[cRow + j] += aip * b[j * k + p];
      } else {
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
      }
    }
  }
}

/** Validates gemm sizes against buffer lengths, naming what is wrong. */
export function checkGemmArgs(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  for (const [name, v] of [
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  if (a.length < m * k)
    throw new RangeError(`gemm: A has ${a.length} elements, needs m·k = ${m}·${k} = ${m * k}`);
  if (b.length < k * n)
    throw new RangeError(`gemm: B has ${b.length} elements, needs k·n = ${k}·${n} = ${k * n}`);
  if (c.length < m * n)
    throw new RangeError(`gemm: C has ${c.length} elements, needs m·n = ${m}·${n} = ${m * n}`);
}

export const referenceBackendFactory: BackendFactory = {
  name: 'reference',
  description: 'plain TypeScript loops; the correctness oracle for the other backends',
  params: z.object({}).strict(),
  priority: 0,
  isAvailable: () => true,
  create: (): Backend => ({
    name: 'reference',
    description: referenceBackendFactory.description,
    gemm: referenceGemm,
  }),
};

import { z } from 'zod';
import { checkedGemm, type Gemm } from './gemm-args.ts';
import type { Backend, BackendFactory } from './types.ts';

/**
 * The reference gemm: plain loops in the i-p-j order so the inner loop walks rows of B and C
 * contiguously. Slow but obviously correct; every other backend is tested against it.
 */
export const referenceGemm: Gemm = checkedGemm((transA, transB, m, n, k, a, b, c, accumulate) => {
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
});

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

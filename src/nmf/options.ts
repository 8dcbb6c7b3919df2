// NMF parameters, declared and validated up front (like scikit-learn's _parameter_constraints).
// Defaults are scikit-learn's NMF defaults (sklearn/decomposition/_nmf.py, v1.1 and later):
// solver='cd', tol=1e-4, max_iter=200, init=None meaning 'nndsvda' when k ≤ min(rows, cols), else
// 'random'.
import { z } from 'zod';

export const NMF_SOLVERS = ['cd', 'mu'] as const;
export const NMF_INIT_METHODS = ['random', 'nndsvd', 'nndsvda', 'nndsvdar'] as const;
/** 'cd': coordinate descent (fast HALS); 'mu': Lee & Seung multiplicative updates (Frobenius loss). */
export type NmfSolverName = (typeof NMF_SOLVERS)[number];
export type NmfInitMethod = (typeof NMF_INIT_METHODS)[number];

/** Bad NMF input or parameters; the message names the parameter and what was expected. */
export class NmfError extends Error {
  override name = 'NmfError';
}

const stoppingShape = {
  tol: z
    .number()
    .min(0)
    .default(1e-4)
    .describe('stop when (error at the previous check − error) / error at init < tol; 0 disables'),
  maxIter: z
    .number()
    .int()
    .min(1)
    .default(200)
    .describe('iterations at most (one iteration updates W, then H)'),
  checkEvery: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe('iterations between tol checks (scikit-learn: 10)'),
  targetError: z.number().min(0).optional().describe('also stop as soon as ‖X − WH‖_F ≤ targetError'),
};

/** When a solver stops. */
export const nmfStoppingSchema = z.strictObject(stoppingShape);
export type NmfStopping = z.output<typeof nmfStoppingSchema>;
export type NmfStoppingInput = z.input<typeof nmfStoppingSchema>;

/** Everything `nmf` needs besides X and the random stream. */
export const nmfOptionsSchema = z.strictObject({
  rank: z.number().int().min(1).describe('k, the inner dimension of W (rows × k) and H (k × cols)'),
  solver: z.enum(NMF_SOLVERS).default('cd'),
  init: z
    .enum(NMF_INIT_METHODS)
    .optional()
    .describe("default: 'nndsvda' when k ≤ min(rows, cols), else 'random'"),
  ...stoppingShape,
});
export type NmfOptions = z.output<typeof nmfOptionsSchema>;
export type NmfOptionsInput = z.input<typeof nmfOptionsSchema>;

/** scikit-learn's init=None rule. */
export function defaultInitMethod(rank: number, rows: number, cols: number): NmfInitMethod {
  return rank <= Math.min(rows, cols) ? 'nndsvda' : 'random';
}

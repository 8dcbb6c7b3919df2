// The parameters of NMF, declared and validated up front (like scikit-learn's _parameter_constraints),
// for both of its uses: `nmf` (solve.ts: any NmfMatrix, the identity's fast path among them) and the
// estimator `NMF` (estimator.ts: data on a matmul backend). Every parameter is declared once in
// `parameters` below; each use's schema picks the ones it takes. Defaults are scikit-learn 1.2's NMF
// (sklearn/decomposition/_nmf.py): solver='cd', tol=1e-4, max_iter=200, beta_loss='frobenius',
// alpha_W=0, alpha_H='same', l1_ratio=0, and init=None meaning 'nndsvda' when
// k ≤ min(n_samples, n_features), else 'random' (the estimator requires k ≤ min, so it is always
// 'nndsvda' there). One difference is kept on purpose: `nmf` stops both solvers on the relative
// decrease of ‖X − WH‖_F every `checkEvery` iterations (and optionally on `targetError`), which is
// what the cached factors of the identity were computed with; the estimator stops 'cd' on
// scikit-learn's projected-gradient violation and 'mu' on the loss every 10 iterations.
import { z } from 'zod';

export const NMF_SOLVERS = ['cd', 'mu'] as const;
export const NMF_INIT_METHODS = ['random', 'nndsvd', 'nndsvda', 'nndsvdar'] as const;
export const NMF_BETA_LOSSES = ['frobenius', 'kullback-leibler'] as const;
/** 'cd': coordinate descent (fast HALS); 'mu': Lee & Seung multiplicative updates. */
export type NmfSolverName = (typeof NMF_SOLVERS)[number];
export type NmfInitMethod = (typeof NMF_INIT_METHODS)[number];

/** Bad NMF input or parameters; the message names the parameter and what was expected. */
export class NmfError extends Error {
  override name = 'NmfError';
}

const rank = z.number().int().min(1);

/** Every NMF parameter, once. */
const parameters = {
  rank: rank.describe('k, the inner dimension of W (rows × k) and H (k × cols)'),
  nComponents: rank.describe('k: W is samples × k, H is k × pixels'),
  solver: z.enum(NMF_SOLVERS).default('cd'),
  init: z
    .enum(NMF_INIT_METHODS)
    .optional()
    .describe("default: 'nndsvda' when k ≤ min(rows, cols), else 'random'"),
  betaLoss: z.enum(NMF_BETA_LOSSES).default('frobenius').describe("'kullback-leibler' needs solver 'mu'"),
  tol: z
    .number()
    .min(0)
    .default(1e-4)
    .describe(
      "convergence tolerance, 0 disables: nmf stops when (error at the previous check − error) / error at init < tol; the estimator's 'cd' when the violation ≤ tol × the first's",
    ),
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
  alphaW: z.number().min(0).default(0).describe('penalty on W, times d (pixels)'),
  alphaH: z
    .union([z.number().min(0), z.literal('same')])
    .default('same')
    .describe("penalty on H, times n (samples); 'same' takes alphaW"),
  l1Ratio: z
    .number()
    .min(0)
    .max(1)
    .default(0)
    .describe('share of L1 in the penalty (1: pure L1, 0: pure L2)'),
};

type Parameters = typeof parameters;

/** The schema of the parameters named, in that order, unknown keys rejected. */
function schemaOf<K extends keyof Parameters>(...names: K[]) {
  const shape = Object.fromEntries(names.map((name) => [name, parameters[name]]));
  return z.strictObject(shape as Pick<Parameters, K>);
}

/** The parameters each use takes, in order: `nmf`, its stop rule alone, and the estimator NMF. */
const USES = {
  nmf: ['rank', 'solver', 'init', 'tol', 'maxIter', 'checkEvery', 'targetError'],
  stopping: ['tol', 'maxIter', 'checkEvery', 'targetError'],
  estimator: ['nComponents', 'solver', 'init', 'betaLoss', 'tol', 'maxIter', 'alphaW', 'alphaH', 'l1Ratio'],
} as const;

/** When `nmf`'s solvers stop. */
export const nmfStoppingSchema = schemaOf(...USES.stopping);
export type NmfStopping = z.output<typeof nmfStoppingSchema>;
export type NmfStoppingInput = z.input<typeof nmfStoppingSchema>;

/** Everything `nmf` needs besides X and the random stream. */
export const nmfOptionsSchema = schemaOf(...USES.nmf);
export type NmfOptions = z.output<typeof nmfOptionsSchema>;
export type NmfOptionsInput = z.input<typeof nmfOptionsSchema>;

/** The estimator NMF's parameters (scikit-learn's NMF constructor, camelCase). */
export const nmfDataOptionsSchema = schemaOf(...USES.estimator);
export type NmfDataOptions = z.output<typeof nmfDataOptionsSchema>;
export type NmfDataOptionsInput = z.input<typeof nmfDataOptionsSchema>;

/** The L1 and L2 penalties on W and H that the estimator's solvers add. */
export interface Penalties {
  readonly l1W: number;
  readonly l1H: number;
  readonly l2W: number;
  readonly l2H: number;
}

/** scikit-learn's _compute_regularization (v1.2): W's terms scale with d, H's with n. */
export function penalties(o: NmfDataOptions, n: number, d: number): Penalties {
  const alphaH = o.alphaH === 'same' ? o.alphaW : o.alphaH;
  return {
    l1W: d * o.alphaW * o.l1Ratio,
    l1H: n * alphaH * o.l1Ratio,
    l2W: d * o.alphaW * (1 - o.l1Ratio),
    l2H: n * alphaH * (1 - o.l1Ratio),
  };
}

/** scikit-learn's init=None rule. */
export function defaultInitMethod(rank: number, rows: number, cols: number): NmfInitMethod {
  return rank <= Math.min(rows, cols) ? 'nndsvda' : 'random';
}

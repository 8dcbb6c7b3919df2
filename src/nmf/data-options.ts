// The parameters of NMF of data (the estimator in estimator.ts), with scikit-learn's NMF defaults
// (v1.2): solver 'cd', init None → 'nndsvda' (k ≤ min(n, d) is required here), beta_loss
// 'frobenius', tol 1e-4, max_iter 200, alpha_W 0, alpha_H 'same', l1_ratio 0.
import { z } from 'zod';
import { NMF_INIT_METHODS, NMF_SOLVERS } from './options.ts';

export const NMF_BETA_LOSSES = ['frobenius', 'kullback-leibler'] as const;

export const nmfDataOptionsSchema = z.strictObject({
  nComponents: z.number().int().min(1).describe('k: W is samples × k, H is k × pixels'),
  solver: z.enum(NMF_SOLVERS).default('cd'),
  init: z.enum(NMF_INIT_METHODS).optional().describe("default 'nndsvda'"),
  betaLoss: z.enum(NMF_BETA_LOSSES).default('frobenius').describe("'kullback-leibler' needs solver 'mu'"),
  tol: z.number().min(0).default(1e-4),
  maxIter: z.number().int().min(1).default(200),
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
});
export type NmfDataOptions = z.output<typeof nmfDataOptionsSchema>;
export type NmfDataOptionsInput = z.input<typeof nmfDataOptionsSchema>;

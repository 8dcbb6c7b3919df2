import { bce, mse } from '../autodiff/ops.ts';
import type { Var } from '../autodiff/tape.ts';

export type LossName = 'mse' | 'bce';

export const LOSSES: Record<LossName, (pred: Var, target: Var) => Var> = { mse, bce };

export function lossByName(name: string): (pred: Var, target: Var) => Var {
  const f = LOSSES[name as LossName];
  if (!f) throw new RangeError(`unknown loss '${name}'; expected one of ${Object.keys(LOSSES).join(', ')}`);
  return f;
}

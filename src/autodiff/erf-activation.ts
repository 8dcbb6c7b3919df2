import { erfScaled, erfScaledDerivative } from '../backend/erf.ts';
import type { Var } from './tape.ts';

/**
 * g(x) = erf(x/√2) elementwise. Its derivative needs the input (see erfScaledDerivative), so
 * the backward rule reads x, not the output as the table's activations do.
 */
export function erfActivation(x: Var): Var {
  const tape = x.tape;
  const out = tape.alloc(x.shape);
  const xs = x.value.data;
  const ys = out.data;
  for (let i = 0; i < ys.length; i++) ys[i] = erfScaled(xs[i]);
  const node = tape.record(out, 'erf', [x], () => {
    const g = node.grad!.data;
    const gx = x.gradData();
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * erfScaledDerivative(xs[i]);
  });
  return node;
}

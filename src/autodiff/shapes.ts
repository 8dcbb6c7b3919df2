import { formatShape, ShapeError } from '../tensor/tensor.ts';
import type { Var } from './tape.ts';

/** v's [rows, cols], or a ShapeError naming `what` when v is not 2-D. */
export function expect2d(what: string, v: Var): [number, number] {
  if (v.shape.length !== 2)
    throw new ShapeError(`${what}: expected a 2-D tensor, got shape ${formatShape(v.shape)}`);
  return [v.shape[0], v.shape[1]];
}

/**
 * The sizes of x·W + b, x (m × k), W (k × n, fanIn × fanOut), b (n), or a ShapeError naming `op`
 * and the operand that does not fit.
 */
export function linearShapes(op: string, x: Var, w: Var, b: Var): { m: number; k: number; n: number } {
  const [m, k] = expect2d(`${op} input`, x);
  const [k2, n] = expect2d(`${op} kernel`, w);
  if (k !== k2) {
    throw new ShapeError(
      `${op}: input ${formatShape(x.shape)} does not match kernel ${formatShape(w.shape)}`,
    );
  }
  if (b.shape.length !== 1 || b.shape[0] !== n) {
    throw new ShapeError(`${op}: bias ${formatShape(b.shape)} does not match kernel ${formatShape(w.shape)}`);
  }
  return { m, k, n };
}

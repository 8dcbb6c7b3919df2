import { formatShape, ShapeError } from '../tensor/tensor.ts';
import type { Var } from './tape.ts';

/**
 * xᵀ for a 2-D x. Tied weights are one parameter used as W and as transpose(W): the tape hands out
 * one Var per parameter, and every backward rule adds (+=) into it, so the two contributions sum.
 */
export function transpose(x: Var): Var {
  if (x.shape.length !== 2)
    throw new ShapeError(`transpose: expected a 2-D tensor, got ${formatShape(x.shape)}`);
  const [m, n] = x.shape;
  const tape = x.tape;
  const out = tape.alloc([n, m]);
  const src = x.value.data;
  const dst = out.data;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dst[j * m + i] = src[i * n + j];
  const node = tape.record(out, 'transpose', [x], () => {
    const g = node.grad!.data;
    const gx = x.gradData();
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) gx[i * n + j] += g[j * m + i];
  });
  return node;
}

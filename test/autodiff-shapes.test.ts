import { describe, expect, it } from 'vitest';
import { dense } from '../src/autodiff/ops.ts';
import { Tape } from '../src/autodiff/tape.ts';
import { topkLinear } from '../src/autodiff/topk.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { Tensor } from '../src/tensor/tensor.ts';

// dense and topkLinear check x (m × k), W (k × n) and b (n) through one helper
// (src/autodiff/shapes.ts): each names its op and the operand that does not fit.
const tape = new Tape(referenceBackendFactory.create({}));
const v = (...shape: number[]) => tape.constant(Tensor.zeros(shape));
type V = ReturnType<typeof v>;
/** Each op's output as [rows, cols]. */
const ops: Record<string, (x: V, w: V, b: V) => readonly number[]> = {
  dense: (x, w, b) => dense(x, w, b, 'relu').shape,
  topkLinear: (x, w, b) => {
    const [s] = topkLinear(x, w, b, [{ k: 1 }]);
    return [s.rows, s.cols];
  },
};

describe.each(Object.entries(ops))('%s shape checks', (name, op) => {
  it('accepts x (m×k), W (k×n), b (n) and gives an m×n result', () => {
    expect(op(v(3, 4), v(4, 5), v(5))).toEqual([3, 5]);
  });

  it('names a non-2-D input or kernel', () => {
    expect(() => op(v(12), v(4, 5), v(5))).toThrow(`${name} input: expected a 2-D tensor, got shape [12]`);
    expect(() => op(v(3, 4), v(4, 5, 1), v(5))).toThrow(
      `${name} kernel: expected a 2-D tensor, got shape [4×5×1]`,
    );
  });

  it('names a kernel whose rows do not match the input, and a bias of the wrong length', () => {
    expect(() => op(v(3, 4), v(6, 5), v(5))).toThrow(`${name}: input [3×4] does not match kernel [6×5]`);
    expect(() => op(v(3, 4), v(4, 5), v(4))).toThrow(`${name}: bias [4] does not match kernel [4×5]`);
    expect(() => op(v(3, 4), v(4, 5), v(1, 5))).toThrow(`${name}: bias [1×5] does not match kernel [4×5]`);
  });
});

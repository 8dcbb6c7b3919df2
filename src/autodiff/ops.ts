import ndarray from 'ndarray';
import ndops from 'ndarray-ops';
import { applyActivation } from '../backend/activations.ts';
import type { ActivationName } from '../backend/types.ts';
import { assertSameShape, formatShape, ShapeError } from '../tensor/tensor.ts';
import { expect2d, linearShapes } from './shapes.ts';
import type { Var } from './tape.ts';

// Every op computes its value, then records a closure that adds its gradient contribution into
// the parents that need one. Gradients always accumulate (+=), so a value used twice is right.

function tapeOf(...vars: Var[]) {
  const tape = vars[0].tape;
  for (const v of vars) if (v.tape !== tape) throw new Error('operands belong to different tapes');
  return tape;
}

/** a·b for a (m×k) and b (k×n). */
export function matmul(a: Var, b: Var): Var {
  const tape = tapeOf(a, b);
  const [m, k] = expect2d('matmul', a);
  const [k2, n] = expect2d('matmul', b);
  if (k !== k2)
    throw new ShapeError(
      `matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)}`,
    );
  const out = tape.alloc([m, n]);
  tape.backend.gemm(false, false, m, n, k, a.value.data, b.value.data, out.data);
  const node = tape.record(out, 'matmul', [a, b], () => {
    const g = node.grad!.data;
    if (a.requiresGrad) tape.backend.gemm(false, true, m, k, n, g, b.value.data, a.gradData(), true); // dA = dC·Bᵀ
    if (b.requiresGrad) tape.backend.gemm(true, false, k, n, m, a.value.data, g, b.gradData(), true); // dB = Aᵀ·dC
  });
  return node;
}

// The generic elementwise ops run on ndarray-ops' compiled loops over the tensors' ndarrays;
// the training hot path (dense, mse) uses the backend's fused kernels instead.

function sameShapeOperands(name: string, a: Var, b: Var) {
  const tape = tapeOf(a, b);
  assertSameShape(name, a.shape, b.shape);
  return tape;
}

/** The gradient buffer of `v` as an ndarray of its shape, for ndarray-ops. */
const gradArray = (v: Var) => ndarray(v.gradData(), v.shape.slice());

/** a ± b, elementwise: the gradient flows to a unchanged and to b with the sign. */
function plusOrMinus(name: 'add' | 'sub', a: Var, b: Var): Var {
  const tape = sameShapeOperands(name, a, b);
  const out = tape.alloc(a.shape);
  ndops[name](out.array, a.value.array, b.value.array);
  const node = tape.record(out, name, [a, b], () => {
    const g = node.grad!.array;
    if (a.requiresGrad) ndops.addeq(gradArray(a), g);
    if (b.requiresGrad) (name === 'add' ? ndops.addeq : ndops.subeq)(gradArray(b), g);
  });
  return node;
}

/** a + b, elementwise. */
export const add = (a: Var, b: Var): Var => plusOrMinus('add', a, b);

/** a − b, elementwise. */
export const sub = (a: Var, b: Var): Var => plusOrMinus('sub', a, b);

/** a ⊙ b, elementwise: d/da = b, d/db = a. */
export function mul(a: Var, b: Var): Var {
  const tape = sameShapeOperands('mul', a, b);
  const out = tape.alloc(a.shape);
  ndops.mul(out.array, a.value.array, b.value.array);
  const node = tape.record(out, 'mul', [a, b], () => {
    const g = node.grad!.array;
    const product = tape.alloc(a.shape).array;
    if (a.requiresGrad) {
      ndops.mul(product, g, b.value.array);
      ndops.addeq(gradArray(a), product);
    }
    if (b.requiresGrad) {
      ndops.mul(product, g, a.value.array);
      ndops.addeq(gradArray(b), product);
    }
  });
  return node;
}

/** x (m×n) + bias (n), the bias broadcast over rows. */
export function biasAdd(x: Var, bias: Var): Var {
  const tape = tapeOf(x, bias);
  const [m, n] = expect2d('biasAdd', x);
  if (bias.shape.length !== 1 || bias.shape[0] !== n) {
    throw new ShapeError(
      `biasAdd: bias ${formatShape(bias.shape)} does not match the columns of ${formatShape(x.shape)}`,
    );
  }
  const out = tape.alloc(x.shape);
  out.data.set(x.value.data);
  tape.kernels.biasActivation(out.data, bias.value.data, m, n, 'linear');
  const node = tape.record(out, 'biasAdd', [x, bias], () => {
    const g = node.grad!.data;
    if (x.requiresGrad) {
      const gx = x.gradData();
      for (let i = 0; i < g.length; i++) gx[i] += g[i];
    }
    if (bias.requiresGrad) tape.kernels.columnSum(g, m, n, bias.gradData(), true);
  });
  return node;
}

/** An activation applied elementwise; its derivative is expressed through the output. */
export function activation(x: Var, act: ActivationName): Var {
  const tape = x.tape;
  const out = tape.alloc(x.shape);
  const xs = x.value.data;
  const ys = out.data;
  for (let i = 0; i < ys.length; i++) ys[i] = applyActivation(xs[i], act);
  const node = tape.record(out, act, [x], () => {
    const g = tape.alloc(x.shape).data;
    g.set(node.grad!.data);
    tape.kernels.activationBackward(g, ys, act);
    const gx = x.gradData();
    for (let i = 0; i < g.length; i++) gx[i] += g[i];
  });
  return node;
}

export const relu = (x: Var): Var => activation(x, 'relu');
export const sigmoid = (x: Var): Var => activation(x, 'sigmoid');
export const tanh = (x: Var): Var => activation(x, 'tanh');
export const identity = (x: Var): Var => activation(x, 'linear');

/** c·x for a constant c. */
export function scale(x: Var, c: number): Var {
  const tape = x.tape;
  const out = tape.alloc(x.shape);
  ndops.muls(out.array, x.value.array, c);
  const node = tape.record(out, 'scale', [x], () => {
    const scaled = tape.alloc(x.shape).array;
    ndops.muls(scaled, node.grad!.array, c);
    ndops.addeq(gradArray(x), scaled);
  });
  return node;
}

/** Sum of all elements (float64 accumulation), a scalar. */
export function sum(x: Var): Var {
  return reduceAll('sum', x, 1);
}

/** Mean of all elements, a scalar. */
export function mean(x: Var): Var {
  if (x.value.size === 0) throw new ShapeError('mean of an empty tensor');
  return reduceAll('mean', x, 1 / x.value.size);
}

function reduceAll(name: string, x: Var, factor: number): Var {
  const tape = x.tape;
  const out = tape.alloc([]);
  out.data[0] = ndops.sum(x.value.array) * factor; // summed in float64
  const node = tape.record(out, name, [x], () => {
    ndops.addseq(gradArray(x), node.grad!.data[0] * factor);
  });
  return node;
}

/** Mean squared error over all elements, a scalar (Keras: mean over features, then over the batch). */
export function mse(pred: Var, target: Var): Var {
  const tape = tapeOf(pred, target);
  assertSameShape('mse', pred.shape, target.shape);
  if (pred.value.size === 0) throw new ShapeError('mse of empty tensors');
  const out = tape.alloc([]);
  // The gradient 2(p − t)/N is computed in the same pass as the loss when it will be needed.
  const dPred =
    tape.gradEnabled && (pred.requiresGrad || target.requiresGrad) ? tape.alloc(pred.shape).data : null;
  out.data[0] = tape.kernels.mse(pred.value.data, target.value.data, dPred, 1);
  const node = tape.record(out, 'mse', [pred, target], () => {
    const g = node.grad!.data[0];
    const d = dPred!;
    if (pred.requiresGrad) {
      const gp = pred.gradData();
      for (let i = 0; i < d.length; i++) gp[i] += g * d[i];
    }
    if (target.requiresGrad) {
      const gt = target.gradData();
      for (let i = 0; i < d.length; i++) gt[i] -= g * d[i];
    }
  });
  return node;
}

/** Keras clips probabilities to [ε, 1 − ε] before taking logs. */
export const BCE_EPSILON = 1e-7;

/** Binary cross-entropy −mean[t·log p + (1 − t)·log(1 − p)] with p clipped as Keras does. */
export function bce(pred: Var, target: Var): Var {
  const tape = tapeOf(pred, target);
  assertSameShape('bce', pred.shape, target.shape);
  const n = pred.value.size;
  if (n === 0) throw new ShapeError('bce of empty tensors');
  const p = pred.value.data;
  const t = target.value.data;
  const lo = BCE_EPSILON;
  const hi = 1 - BCE_EPSILON;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const q = Math.min(hi, Math.max(lo, p[i]));
    s -= t[i] * Math.log(q) + (1 - t[i]) * Math.log(1 - q);
  }
  const out = tape.alloc([]);
  out.data[0] = s / n;
  const node = tape.record(out, 'bce', [pred, target], () => {
    const g = node.grad!.data[0] / n;
    if (pred.requiresGrad) {
      const gp = pred.gradData();
      for (let i = 0; i < n; i++) {
        const q = p[i];
        // The clip has zero derivative outside (ε, 1 − ε).
        if (q > lo && q < hi) gp[i] += (g * (q - t[i])) / (q * (1 - q));
      }
    }
    if (target.requiresGrad) {
      const gt = target.gradData();
      for (let i = 0; i < n; i++) {
        const q = Math.min(hi, Math.max(lo, p[i]));
        gt[i] -= g * (Math.log(q) - Math.log(1 - q));
      }
    }
  });
  return node;
}

/**
 * A dense layer in one op: act(x·W + b), with x (m×k), W (k×n, Keras orientation), b (n).
 * Fusing saves two passes over the activations forward and backward, and skips the input
 * gradient entirely when x needs none (the first layer).
 */
export function dense(x: Var, kernel: Var, bias: Var, act: ActivationName): Var {
  const tape = tapeOf(x, kernel, bias);
  const { m, k, n } = linearShapes('dense', x, kernel, bias);
  const out = tape.alloc([m, n]);
  tape.backend.gemm(false, false, m, n, k, x.value.data, kernel.value.data, out.data);
  tape.kernels.biasActivation(out.data, bias.value.data, m, n, act);
  const node = tape.record(out, `dense:${act}`, [x, kernel, bias], () => {
    const dz = tape.alloc([m, n]).data;
    dz.set(node.grad!.data);
    tape.kernels.activationBackward(dz, out.data, act);
    if (kernel.requiresGrad)
      tape.backend.gemm(true, false, k, n, m, x.value.data, dz, kernel.gradData(), true);
    if (bias.requiresGrad) tape.kernels.columnSum(dz, m, n, bias.gradData(), true);
    if (x.requiresGrad) tape.backend.gemm(false, true, m, k, n, dz, kernel.value.data, x.gradData(), true);
  });
  return node;
}

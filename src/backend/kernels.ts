import { activationRule } from './activations.ts';
import { referenceRowKernels } from './row-kernels.ts';
import { referenceSparseKernels } from './sparse-kernels.ts';
import type { Backend, ElementwiseKernels } from './types.ts';

/**
 * TypeScript reference versions of the elementwise kernels. Backends may replace any of them
 * (see Backend.kernels); tests hold every replacement to these.
 */
export const referenceKernels: ElementwiseKernels = {
  ...referenceSparseKernels,
  ...referenceRowKernels,

  biasActivation(z, bias, rows, cols, act) {
    const { forward } = activationRule(act);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) z[o + j] = forward(z[o + j] + bias[j]);
    }
  },

  activationBackward(g, y, act) {
    const { backward } = activationRule(act);
    for (let i = 0; i < g.length; i++) g[i] = backward(g[i], y[i]);
  },

  columnSum(g, rows, cols, out, accumulate) {
    if (!accumulate) out.fill(0, 0, cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      for (let j = 0; j < cols; j++) out[j] += g[o + j];
    }
  },

  mse(p, t, grad, scale) {
    const n = p.length;
    let sum = 0;
    const c = (2 * scale) / n;
    for (let i = 0; i < n; i++) {
      const d = p[i] - t[i];
      sum += d * d;
      if (grad) grad[i] = c * d;
    }
    return sum / n;
  },

  adam(w, g, m, v, lrT, beta1, beta2, epsilon) {
    const a1 = 1 - beta1;
    const a2 = 1 - beta2;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const mi = m[i] + (gi - m[i]) * a1;
      const vi = v[i] + (gi * gi - v[i]) * a2;
      m[i] = mi;
      v[i] = vi;
      w[i] -= (lrT * mi) / (Math.sqrt(vi) + epsilon);
    }
  },
};

const resolved = new WeakMap<Backend, ElementwiseKernels>();

/**
 * A backend's complete kernel set: its own kernels, the reference for the rest. Resolved once per
 * backend instance, not on every tape or step.
 */
export function kernelsOf(backend: Backend): ElementwiseKernels {
  let kernels = resolved.get(backend);
  if (!kernels) {
    kernels = { ...referenceKernels, ...backend.kernels };
    resolved.set(backend, kernels);
  }
  return kernels;
}

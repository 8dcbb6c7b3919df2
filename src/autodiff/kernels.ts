import type { ActivationName, ElementwiseKernels } from '../backend/types.ts';

/**
 * TypeScript reference versions of the elementwise kernels. Backends may replace any of them
 * (see Backend.kernels); tests hold every replacement to these.
 */
export const referenceKernels: ElementwiseKernels = {
  biasActivation(z, bias, rows, cols, act) {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      switch (act) {
        case 'linear':
          for (let j = 0; j < cols; j++) z[o + j] += bias[j];
          break;
        case 'relu':
          for (let j = 0; j < cols; j++) {
            const v = z[o + j] + bias[j];
            z[o + j] = Math.max(v, 0); // NaN stays NaN, so divergence is seen
          }
          break;
        case 'sigmoid':
          for (let j = 0; j < cols; j++) z[o + j] = sigmoid(z[o + j] + bias[j]);
          break;
        case 'tanh':
          for (let j = 0; j < cols; j++) z[o + j] = Math.tanh(z[o + j] + bias[j]);
          break;
        default:
          throw unknownActivation(act);
      }
    }
  },

  activationBackward(g, y, act) {
    const n = g.length;
    switch (act) {
      case 'linear':
        return;
      case 'relu':
        for (let i = 0; i < n; i++) if (!(y[i] > 0)) g[i] = 0;
        return;
      case 'sigmoid':
        for (let i = 0; i < n; i++) g[i] *= y[i] * (1 - y[i]);
        return;
      case 'tanh':
        for (let i = 0; i < n; i++) g[i] *= 1 - y[i] * y[i];
        return;
      default:
        throw unknownActivation(act);
    }
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

/** Numerically stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function applyActivation(x: number, act: ActivationName): number {
  switch (act) {
    case 'linear':
      return x;
    case 'relu':
      return Math.max(x, 0);
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return Math.tanh(x);
    default:
      throw unknownActivation(act);
  }
}

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh'];

function unknownActivation(act: string): Error {
  return new RangeError(`unknown activation '${act}'; expected one of ${ACTIVATIONS.join(', ')}`);
}

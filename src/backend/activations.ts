import type { ActivationName } from './types.ts';

/**
 * One activation: its name, its value, and its derivative written through the activation's
 * output y (so a backward pass needs only the stored output). Every backend implements every
 * entry; test/backend-activations.test.ts holds each backend to this table.
 */
export interface ActivationRule {
  readonly name: ActivationName;
  forward(x: number): number;
  /** The incoming gradient g times act'(x), where y = act(x). */
  backward(g: number, y: number): number;
}

/** Numerically stable logistic function. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * The one table of activations the engine knows.
 *
 * Why erf(x/√2) is not in it (it lives in src/backend/erf.ts, used by src/autodiff/erf-activation.ts
 * and the shallow model's own loops): every entry here is part of the Backend contract, so every
 * backend fuses it into `biasActivation` and differentiates it in `activationBackward(g, y)` from
 * the stored output alone. erf's derivative √(2/π)·e^{−x²/2} needs the pre-activation; through y it
 * would be √(2/π)·exp(−erfinv(y)²), which loses all precision as |y| → 1. Admitting erf would mean
 * a new backward signature taking x, dense ops that keep their pre-activations, and a WebAssembly
 * erf in the SIMD backend: not a small change, and only the shallow autoencoder uses erf.
 */
export const ACTIVATION_RULES: { readonly [A in ActivationName]: ActivationRule } = {
  linear: { name: 'linear', forward: (x) => x, backward: (g) => g },
  // NaN stays NaN in both directions, so divergence is seen.
  relu: { name: 'relu', forward: (x) => Math.max(x, 0), backward: (g, y) => (y > 0 ? g : 0) },
  sigmoid: { name: 'sigmoid', forward: sigmoid, backward: (g, y) => g * (y * (1 - y)) },
  tanh: { name: 'tanh', forward: Math.tanh, backward: (g, y) => g * (1 - y * y) },
};

export const ACTIVATIONS = Object.keys(ACTIVATION_RULES) as readonly ActivationName[];

/** The rule of an activation, or a RangeError that lists the known ones. */
export function activationRule(name: string): ActivationRule {
  const rule = (ACTIVATION_RULES as Record<string, ActivationRule | undefined>)[name];
  if (!rule) throw new RangeError(`unknown activation '${name}'; expected one of ${ACTIVATIONS.join(', ')}`);
  return rule;
}

export function applyActivation(x: number, act: ActivationName): number {
  return activationRule(act).forward(x);
}

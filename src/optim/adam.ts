import type { Parameter } from '../autodiff/tape.ts';
import { referenceKernels } from '../backend/kernels.ts';
import type { ElementwiseKernels } from '../backend/types.ts';
import { BufferedOptimizer, checkPositive, checkUnitInterval, type OptimizerSetup } from './optimizer.ts';

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam as Keras implements it (Kingma & Ba, the "ε̂" form at the end of their Section 2):
 *   m ← m + (g − m)(1 − β1),  v ← v + (g² − v)(1 − β2),
 *   w ← w − lr·√(1 − β2ᵗ)/(1 − β1ᵗ) · m / (√v + ε).
 * Defaults are Keras': lr 1e-3, β1 0.9, β2 0.999, ε 1e-7.
 */
export class Adam extends BufferedOptimizer {
  readonly name = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamOptions = {}, ...setup: OptimizerSetup) {
    super('Adam', options.learningRate ?? 1e-3, 2, ...setup);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    checkUnitInterval('Adam', 'beta1', this.beta1);
    checkUnitInterval('Adam', 'beta2', this.beta2);
    checkPositive('Adam', 'epsilon', this.epsilon);
  }

  step(params: readonly Parameter[], kernels: ElementwiseKernels = referenceKernels): void {
    const lr = this.currentLearningRate;
    this.t += 1;
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    const multipliers = this.control.multipliers;
    for (const p of params) {
      const [m, v] = this.buffersOf(p);
      // A multiplier of 0 freezes the values but still updates the moments, as a zero rate would.
      const scale = multipliers?.get(p) ?? 1;
      kernels.adam(p.value.data, p.grad.data, m, v, lrT * scale, this.beta1, this.beta2, this.epsilon);
    }
  }

  config() {
    return {
      name: this.name,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}

import type { Parameter } from '../autodiff/tape.ts';
import { BufferedOptimizer, checkUnitInterval, type OptimizerSetup } from './optimizer.ts';

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum as Keras implements it: v ← μ·v − lr·g; w ← w + v
 * (Nesterov: w ← w + μ·v − lr·g). Keras defaults: lr 0.01, μ 0.
 */
export class Sgd extends BufferedOptimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(options: SgdOptions = {}, ...setup: OptimizerSetup) {
    super('SGD', options.learningRate ?? 0.01, 1, ...setup);
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    checkUnitInterval('SGD', 'momentum', this.momentum);
  }

  step(params: readonly Parameter[]): void {
    const base = this.currentLearningRate;
    this.t += 1;
    const mu = this.momentum;
    for (const p of params) {
      const lr = base * (this.control.multipliers?.get(p) ?? 1);
      const w = p.value.data;
      const g = p.grad.data;
      if (mu === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= lr * g[i];
        continue;
      }
      // The velocity, allocated only with momentum.
      const [v] = this.buffersOf(p);
      for (let i = 0; i < w.length; i++) {
        const vi = mu * v[i] - lr * g[i];
        v[i] = vi;
        w[i] += this.nesterov ? mu * vi - lr * g[i] : vi;
      }
    }
  }

  config() {
    return {
      name: this.name,
      learningRate: this.learningRate,
      momentum: this.momentum,
      nesterov: this.nesterov,
    };
  }
}

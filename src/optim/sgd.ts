import type { Parameter } from '../autodiff/tape.ts';
import {
  checkPositive,
  checkUnitInterval,
  type Optimizer,
  type OptimizerState,
  restoreBuffers,
  type StateAllocator,
} from './optimizer.ts';
import { checkRateControl, type RateControl } from './schedule.ts';

export interface SgdOptions {
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum as Keras implements it: v ← μ·v − lr·g; w ← w + v
 * (Nesterov: w ← w + μ·v − lr·g). Keras defaults: lr 0.01, μ 0.
 */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  private t = 0;
  private readonly velocity = new Map<Parameter, Float32Array>();

  constructor(
    options: SgdOptions = {},
    private readonly allocate: StateAllocator = (n) => new Float32Array(n),
    /** A schedule and per-parameter multipliers on top of learningRate (default: neither). */
    private readonly control: RateControl = {},
  ) {
    checkRateControl('SGD', control);
    this.learningRate = options.learningRate ?? 0.01;
    this.momentum = options.momentum ?? 0;
    this.nesterov = options.nesterov ?? false;
    checkPositive('SGD', 'learningRate', this.learningRate);
    checkUnitInterval('SGD', 'momentum', this.momentum);
  }

  get iterations(): number {
    return this.t;
  }

  /** The rate of the next update before group multipliers. */
  get currentLearningRate(): number {
    return this.learningRate * (this.control.schedule?.(this.t) ?? 1);
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
      let v = this.velocity.get(p);
      if (!v) {
        v = this.allocate(w.length).fill(0);
        this.velocity.set(p, v);
      }
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

  saveState(params: readonly Parameter[]): OptimizerState {
    return {
      iterations: this.t,
      buffers: params.map((p) => [this.velocity.get(p)?.slice() ?? null]),
    };
  }

  loadState(params: readonly Parameter[], state: OptimizerState): void {
    const restored = restoreBuffers('SGD.loadState', params, state, 1, this.allocate);
    this.velocity.clear();
    params.forEach((p, i) => {
      const r = restored[i];
      if (r) this.velocity.set(p, r[0]);
    });
    this.t = state.iterations;
  }
}

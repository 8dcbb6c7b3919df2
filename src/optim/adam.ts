import type { Parameter } from '../autodiff/tape.ts';
import { referenceKernels } from '../backend/kernels.ts';
import type { ElementwiseKernels } from '../backend/types.ts';
import {
  checkPositive,
  checkUnitInterval,
  type Optimizer,
  type OptimizerState,
  restoreBuffers,
  type StateAllocator,
} from './optimizer.ts';
import { checkRateControl, type RateControl } from './schedule.ts';

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
export class Adam implements Optimizer {
  readonly name = 'adam';
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private t = 0;
  private readonly state = new Map<Parameter, { m: Float32Array; v: Float32Array }>();

  constructor(
    options: AdamOptions = {},
    private readonly allocate: StateAllocator = (n) => new Float32Array(n),
    /** A schedule and per-parameter multipliers on top of learningRate (default: neither). */
    private readonly control: RateControl = {},
  ) {
    checkRateControl('Adam', control);
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    checkPositive('Adam', 'learningRate', this.learningRate);
    checkUnitInterval('Adam', 'beta1', this.beta1);
    checkUnitInterval('Adam', 'beta2', this.beta2);
    checkPositive('Adam', 'epsilon', this.epsilon);
  }

  get iterations(): number {
    return this.t;
  }

  /** The rate of the next update before bias correction and group multipliers. */
  get currentLearningRate(): number {
    return this.learningRate * (this.control.schedule?.(this.t) ?? 1);
  }

  step(params: readonly Parameter[], kernels: ElementwiseKernels = referenceKernels): void {
    const lr = this.currentLearningRate;
    this.t += 1;
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    const multipliers = this.control.multipliers;
    for (const p of params) {
      let s = this.state.get(p);
      if (!s) {
        const n = p.value.size;
        s = { m: this.allocate(n).fill(0), v: this.allocate(n).fill(0) };
        this.state.set(p, s);
      }
      // A multiplier of 0 freezes the values but still updates the moments, as a zero rate would.
      const scale = multipliers?.get(p) ?? 1;
      kernels.adam(p.value.data, p.grad.data, s.m, s.v, lrT * scale, this.beta1, this.beta2, this.epsilon);
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

  saveState(params: readonly Parameter[]): OptimizerState {
    return {
      iterations: this.t,
      buffers: params.map((p) => {
        const s = this.state.get(p);
        return s ? [s.m.slice(), s.v.slice()] : [null, null];
      }),
    };
  }

  loadState(params: readonly Parameter[], state: OptimizerState): void {
    const restored = restoreBuffers('Adam.loadState', params, state, 2, this.allocate);
    this.state.clear();
    params.forEach((p, i) => {
      const r = restored[i];
      if (r) this.state.set(p, { m: r[0], v: r[1] });
    });
    this.t = state.iterations;
  }
}

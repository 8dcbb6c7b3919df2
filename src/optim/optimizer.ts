import type { Parameter } from '../autodiff/tape.ts';
import type { ElementwiseKernels } from '../backend/types.ts';
import { checkRateControl, type RateControl } from './schedule.ts';

/** Updates parameters from their gradients (`p.grad`), keeping its own state per parameter. */
export interface Optimizer {
  readonly name: string;
  /** Steps taken so far. */
  readonly iterations: number;
  step(params: readonly Parameter[], kernels?: ElementwiseKernels): void;
  /** The hyper-parameters, for results files. */
  config(): Record<string, number | string | boolean>;
  /** Everything `step` has accumulated for `params` (in their order), for a checkpoint. */
  saveState(params: readonly Parameter[]): OptimizerState;
  /** Puts back what `saveState` saved, so the next step is the one an uninterrupted run takes. */
  loadState(params: readonly Parameter[], state: OptimizerState): void;
}

/** An optimizer's state: its step count and its buffers per parameter (null: none yet). */
export interface OptimizerState {
  iterations: number;
  buffers: (Float32Array | null)[][];
}

/** Copies saved buffers into fresh ones (allocated where the optimizer keeps them), checking lengths. */
export function restoreBuffers(
  where: string,
  params: readonly Parameter[],
  state: OptimizerState,
  perParam: number,
  allocate: StateAllocator,
): (Float32Array[] | null)[] {
  if (state.buffers.length !== params.length)
    throw new RangeError(
      `${where}: state for ${state.buffers.length} parameters, the model has ${params.length}`,
    );
  return state.buffers.map((bufs, i) => {
    if (bufs.every((b) => b === null)) return null;
    if (bufs.length !== perParam)
      throw new RangeError(`${where}: parameter ${i} has ${bufs.length} buffers, expected ${perParam}`);
    return bufs.map((b, j) => {
      if (b?.length !== params[i].value.size)
        throw new RangeError(
          `${where}: parameter ${i} buffer ${j} has ${b?.length} values, expected ${params[i].value.size}`,
        );
      const out = allocate(b.length);
      out.set(b);
      return out;
    });
  });
}

/** Allocates optimizer state next to the parameters (e.g. in a backend's memory). */
export type StateAllocator = (length: number) => Float32Array;

export function checkPositive(where: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0))
    throw new RangeError(`${where}: ${name} must be a positive number, got ${v}`);
}

export function checkUnitInterval(where: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0 && v < 1))
    throw new RangeError(`${where}: ${name} must be in [0, 1), got ${v}`);
}

/**
 * Where an optimizer keeps its state (default: plain Float32Arrays) and what controls its rate
 * on top of learningRate: a schedule and per-parameter multipliers (default: neither).
 */
export type OptimizerSetup = [allocate?: StateAllocator, control?: RateControl];

/**
 * What Adam and SGD share: the step count, the learning rate under its schedule, and `slots`
 * zero-filled buffers per parameter, allocated on first use, that saveState/loadState copy.
 */
export abstract class BufferedOptimizer implements Optimizer {
  abstract readonly name: string;
  readonly learningRate: number;
  protected t = 0;
  private readonly buffers = new Map<Parameter, Float32Array[]>();

  /** `where` names the optimizer in errors (e.g. 'Adam'); checks the rate control and learningRate. */
  constructor(
    private readonly where: string,
    learningRate: number,
    private readonly slots: number,
    private readonly allocate: StateAllocator = (n) => new Float32Array(n),
    protected readonly control: RateControl = {},
  ) {
    checkRateControl(where, control);
    this.learningRate = learningRate;
    checkPositive(where, 'learningRate', learningRate);
  }

  get iterations(): number {
    return this.t;
  }

  /** The schedule and per-parameter multipliers applied on top of learningRate. */
  get rateControl(): RateControl {
    return this.control;
  }

  /** The rate of the next update under the schedule, before group multipliers (and any correction). */
  get currentLearningRate(): number {
    return this.learningRate * (this.control.schedule?.(this.t) ?? 1);
  }

  /** `p`'s buffers, zero-filled on first use. */
  protected buffersOf(p: Parameter): Float32Array[] {
    let bufs = this.buffers.get(p);
    if (!bufs) {
      bufs = Array.from({ length: this.slots }, () => this.allocate(p.value.size).fill(0));
      this.buffers.set(p, bufs);
    }
    return bufs;
  }

  abstract step(params: readonly Parameter[], kernels?: ElementwiseKernels): void;
  abstract config(): Record<string, number | string | boolean>;

  saveState(params: readonly Parameter[]): OptimizerState {
    return {
      iterations: this.t,
      buffers: params.map(
        (p) => this.buffers.get(p)?.map((b) => b.slice()) ?? Array<null>(this.slots).fill(null),
      ),
    };
  }

  loadState(params: readonly Parameter[], state: OptimizerState): void {
    const restored = restoreBuffers(`${this.where}.loadState`, params, state, this.slots, this.allocate);
    this.buffers.clear();
    params.forEach((p, i) => {
      const r = restored[i];
      if (r) this.buffers.set(p, r);
    });
    this.t = state.iterations;
  }
}

import type { Parameter } from '../autodiff/tape.ts';
import type { ElementwiseKernels } from '../backend/types.ts';

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

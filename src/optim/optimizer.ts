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

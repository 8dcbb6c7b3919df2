import { dense } from '../autodiff/ops.ts';
import { Parameter, type Tape, type Var } from '../autodiff/tape.ts';
import { ACTIVATIONS } from '../backend/activations.ts';
import type { ActivationName } from '../backend/types.ts';
import { Tensor } from '../tensor/tensor.ts';

/** Allocates parameter storage (a backend's own memory, so its kernels read it without copying). */
export type Allocator = (length: number) => Float32Array;

/** A fully connected layer: act(x·kernel + bias), kernel inputDim × units (Keras orientation). */
export class Dense {
  readonly kernel: Parameter;
  readonly bias: Parameter;

  constructor(
    readonly inputDim: number,
    readonly units: number,
    readonly activation: ActivationName,
    readonly name: string,
    allocate: Allocator = (n) => new Float32Array(n),
  ) {
    for (const [what, v] of [
      ['inputDim', inputDim],
      ['units', units],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new RangeError(`${name}: ${what} must be a positive integer, got ${v}`);
    }
    if (!ACTIVATIONS.includes(activation)) {
      throw new RangeError(
        `${name}: unknown activation '${activation}'; expected one of ${ACTIVATIONS.join(', ')}`,
      );
    }
    const param = (suffix: string, shape: number[]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return new Parameter(
        `${name}/${suffix}`,
        new Tensor(allocate(size).fill(0), shape),
        new Tensor(allocate(size).fill(0), shape),
      );
    };
    this.kernel = param('kernel', [inputDim, units]);
    this.bias = param('bias', [units]);
  }

  forward(tape: Tape, x: Var): Var {
    return dense(x, tape.param(this.kernel), tape.param(this.bias), this.activation);
  }

  get parameters(): Parameter[] {
    return [this.kernel, this.bias];
  }
}

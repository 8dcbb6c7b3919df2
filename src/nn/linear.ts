import { erfActivation } from '../autodiff/erf-activation.ts';
import { activation, biasAdd, matmul, scale } from '../autodiff/ops.ts';
import { Parameter, type Tape, type Var } from '../autodiff/tape.ts';
import { transpose } from '../autodiff/transpose.ts';
import type { ActivationName } from '../backend/types.ts';
import { Tensor } from '../tensor/tensor.ts';

/** The activations of the shallow-autoencoder layers: the engine's table plus erf(·/√2). */
export type LayerActivation = ActivationName | 'erf';

export interface LinearOptions {
  /** A trainable bias; false gives a layer without one (default true). */
  bias?: boolean;
  /** Multiplies x·W before the bias, e.g. 1/√D for the paper's λ = w·x/√D (default 1). */
  scale?: number;
  activation?: LayerActivation;
}

function applyLayerActivation(z: Var, act: LayerActivation): Var {
  return act === 'erf' ? erfActivation(z) : act === 'linear' ? z : activation(z, act);
}

function parameter(name: string, shape: number[]): Parameter {
  return new Parameter(name, Tensor.zeros(shape));
}

/**
 * act(scale·x·W + b) with W inputDim × units (Keras orientation) and b optional: the general
 * layer of the shallow autoencoder, composed from tape ops (the reference the fast path is
 * tested against, not the training hot path).
 */
export class Linear {
  readonly kernel: Parameter;
  readonly bias: Parameter | null;
  readonly scale: number;
  readonly activation: LayerActivation;

  constructor(
    readonly inputDim: number,
    readonly units: number,
    readonly name: string,
    options: LinearOptions = {},
  ) {
    if (!Number.isInteger(inputDim) || inputDim <= 0 || !Number.isInteger(units) || units <= 0) {
      throw new RangeError(
        `${name}: inputDim and units must be positive integers, got ${inputDim}, ${units}`,
      );
    }
    this.kernel = parameter(`${name}/kernel`, [inputDim, units]);
    this.bias = (options.bias ?? true) ? parameter(`${name}/bias`, [units]) : null;
    this.scale = options.scale ?? 1;
    this.activation = options.activation ?? 'linear';
  }

  forward(tape: Tape, x: Var): Var {
    return this.apply(tape, x, tape.param(this.kernel));
  }

  /** The layer with another kernel Var in place of its own (a tied layer passes Wᵀ). */
  protected apply(tape: Tape, x: Var, kernel: Var): Var {
    let z = matmul(x, kernel);
    if (this.scale !== 1) z = scale(z, this.scale);
    if (this.bias) z = biasAdd(z, tape.param(this.bias));
    return applyLayerActivation(z, this.activation);
  }

  get parameters(): Parameter[] {
    return this.bias ? [this.kernel, this.bias] : [this.kernel];
  }
}

/**
 * A layer whose kernel is the transpose of another layer's (tied weights): it owns only its
 * optional bias. Both layers' gradient contributions land in the one shared kernel parameter.
 */
export class TiedLinear extends Linear {
  constructor(
    readonly source: Linear,
    name: string,
    options: LinearOptions = {},
  ) {
    super(source.units, source.inputDim, name, options);
  }

  override forward(tape: Tape, x: Var): Var {
    return this.apply(tape, x, transpose(tape.param(this.source.kernel)));
  }

  override get parameters(): Parameter[] {
    return this.bias ? [this.bias] : [];
  }
}

import type { Parameter, Tape, Var } from '../autodiff/tape.ts';
import type { ActivationName, Backend, ResidentMatrix } from '../backend/types.ts';
import type { DenseLayerSpec, LayerWeights } from '../initializers/types.ts';
import { firstNonFinite, formatShape, ShapeError, Tensor } from '../tensor/tensor.ts';
import { BackendModel } from './backend-model.ts';
import { Dense } from './dense.ts';

/**
 * A stack of dense layers that lives on one backend: its parameters are allocated in the
 * backend's memory, and its forward/backward passes use the backend's kernels.
 */
export class Sequential extends BackendModel {
  readonly layers: Dense[];

  constructor(
    backend: Backend,
    specs: readonly { units: number; activation: ActivationName }[],
    readonly inputDim: number,
  ) {
    super(backend);
    if (specs.length === 0) throw new RangeError('a Sequential model needs at least one layer');
    const allocate = (n: number) => this.allocate(n);
    let dim = inputDim;
    this.layers = specs.map((s, i) => {
      const layer = new Dense(dim, s.units, s.activation, `dense_${i}`, allocate);
      dim = s.units;
      return layer;
    });
  }

  get outputDim(): number {
    return this.layers[this.layers.length - 1].units;
  }

  get parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters);
  }

  forward(tape: Tape, x: Var): Var {
    if (x.shape.length !== 2 || x.shape[1] !== this.inputDim) {
      throw new ShapeError(`model expects input of shape [n×${this.inputDim}], got ${formatShape(x.shape)}`);
    }
    let h = x;
    for (const layer of this.layers) h = layer.forward(tape, h);
    return h;
  }

  /** The layer shapes an initializer sees. */
  layerSpecs(): DenseLayerSpec[] {
    return this.layers.map((l, index) => ({
      index,
      fanIn: l.inputDim,
      fanOut: l.units,
      activation: l.activation,
    }));
  }

  /** Copies initial weights in, checking every shape and value. */
  setWeights(weights: readonly LayerWeights[], source = 'weights'): void {
    if (weights.length !== this.layers.length) {
      throw new ShapeError(
        `${source}: got weights for ${weights.length} layers, the model has ${this.layers.length}`,
      );
    }
    this.layers.forEach((layer, i) => {
      const { kernel, bias } = weights[i];
      const expectK = layer.inputDim * layer.units;
      if (kernel?.length !== expectK) {
        throw new ShapeError(
          `${source}: layer ${i} kernel has ${kernel?.length} values, expected ${layer.inputDim}×${layer.units} = ${expectK}`,
        );
      }
      if (bias?.length !== layer.units) {
        throw new ShapeError(
          `${source}: layer ${i} bias has ${bias?.length} values, expected ${layer.units}`,
        );
      }
      for (const [what, values] of [
        ['kernel', kernel],
        ['bias', bias],
      ] as const) {
        const bad = firstNonFinite(values);
        if (bad >= 0)
          throw new RangeError(
            `${source}: layer ${i} ${what}[${bad}] is ${values[bad]}, expected a finite number`,
          );
      }
      layer.kernel.value.data.set(kernel);
      layer.bias.value.data.set(bias);
    });
  }

  /** Copies of the current weights. */
  getWeights(): LayerWeights[] {
    return this.layers.map((l) => ({ kernel: l.kernel.value.data.slice(), bias: l.bias.value.data.slice() }));
  }

  /**
   * Forward pass without gradients, in batches; returns a new (plain memory) tensor. On a backend
   * with resident storage (gpu.js on a GL GPU) the layer chain stays there, so a batch is one
   * upload and one readback (the weights go up once a call). Elsewhere it runs on tapes: the host
   * version of the resident ops gives the same numbers but copies every input and output.
   */
  predict(x: Tensor, batchSize = 256): Tensor {
    if (x.shape.length !== 2 || x.shape[1] !== this.inputDim) {
      throw new ShapeError(`model expects input of shape [n×${this.inputDim}], got ${formatShape(x.shape)}`);
    }
    const n = x.rows;
    const out = new Float32Array(n * this.outputDim);
    const ops = this.backend.resident;
    const rows = Math.min(batchSize, n);
    if (
      !ops ||
      !this.layers.every(
        (l) => ops.fits(rows, l.inputDim) && ops.fits(rows, l.units) && ops.fits(l.inputDim, l.units),
      )
    )
      return this.predictOnTape(x, batchSize, out);
    const held: ResidentMatrix[] = [];
    const hold = (m: ResidentMatrix) => {
      held.push(m);
      return m;
    };
    try {
      const weights = this.layers.map((l) => ({
        kernel: hold(ops.upload(l.kernel.value.data, l.inputDim, l.units)),
        bias: hold(ops.upload(l.bias.value.data, 1, l.units)),
        activation: l.activation,
      }));
      for (let start = 0; start < n; start += batchSize) {
        const end = Math.min(n, start + batchSize);
        let h = ops.upload(x.rowSlice(start, end).data, end - start, this.inputDim);
        for (const w of weights) {
          const z = ops.gemm(false, false, h, w.kernel);
          ops.release(h);
          h = ops.biasActivation(z, w.bias, w.activation);
          ops.release(z);
        }
        ops.download(h, out.subarray(start * this.outputDim, end * this.outputDim));
        ops.release(h);
      }
    } finally {
      for (const m of held) ops.release(m);
    }
    return new Tensor(out, [n, this.outputDim]);
  }

  /** `predict` through tapes, for shapes the backend's resident storage cannot hold. */
  private predictOnTape(x: Tensor, batchSize: number, out: Float32Array): Tensor {
    const n = x.rows;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      const tape = this.tape(false);
      try {
        const y = this.forward(tape, tape.constant(x.rowSlice(start, end)));
        out.set(y.value.data, start * this.outputDim);
      } finally {
        tape.release();
      }
    }
    return new Tensor(out, [n, this.outputDim]);
  }
}

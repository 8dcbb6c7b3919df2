import { ACTIVATIONS } from '../activations.ts';
import type { DenseTrainer, DenseTrainerSpec, DenseWeights } from '../types.ts';
import type { Op } from './protocol.ts';
import { TrainerOp, TrainerSlot } from './trainer-protocol.ts';
import { COLUMN_SUM_MAX_ROWS, GEMM_MAX_K, MSE_CHUNK } from './wgsl.ts';
import { SUM_PARTIALS_MAX } from './wgsl-trainer.ts';

/** What the trainer needs of the webgpu backend: its counted round trip. */
export interface TrainerChannel {
  call(op: Op, params: readonly number[], inputs: readonly Float32Array[]): Float32Array[];
}

let nextId = 1;

/** Why one of the stack's buffers would not fit in one storage binding, or undefined when all fit. */
export function denseTrainerMisfit(spec: DenseTrainerSpec, maxBindingFloats: number): string | undefined {
  // The shaders' loops stay within llvmpipe's 65,535 iterations an invocation: the bias
  // gradients' column sums over the batch, and the one-invocation sum of MSE's partial sums.
  if (spec.batchSize > COLUMN_SUM_MAX_ROWS)
    return `batch ${spec.batchSize} is over the ${COLUMN_SUM_MAX_ROWS} rows a bias gradient's column sum takes`;
  // The weight gradients' products sum over the batch; the others over a layer's width.
  const deepest = Math.max(spec.batchSize, spec.inputDim, ...spec.layers.map((l) => l.units));
  if (deepest > GEMM_MAX_K)
    return `a product summing over ${deepest} terms is deeper than the ${GEMM_MAX_K} the gemm shader takes`;
  const outputDim = spec.layers[spec.layers.length - 1]?.units ?? 0;
  const partials = Math.ceil((spec.batchSize * outputDim) / MSE_CHUNK);
  if (partials > SUM_PARTIALS_MAX)
    return `batch ${spec.batchSize} × ${outputDim} outputs is ${partials} partial sums of the loss, at most ${SUM_PARTIALS_MAX}`;
  let din = spec.inputDim;
  for (const l of spec.layers) {
    const biggest = Math.max(din * l.units, spec.batchSize * Math.max(din, l.units));
    if (biggest > maxBindingFloats)
      return `a ${din}×${l.units} layer at batch ${spec.batchSize} needs ${biggest} floats in one binding; the device allows ${maxBindingFloats}`;
    din = l.units;
  }
  return undefined;
}

/**
 * The webgpu backend's device-resident trainer (main-thread side; the worker side is
 * worker-trainer.ts). Resident on the device for the trainer's life: the weights and biases,
 * their gradients, Adam's m and v, every layer's activations and gradients, and the training
 * and validation sets when each fits in one storage binding.
 *
 * What crosses, each counted in the backend's `transfers`:
 * - a step: the batch's row numbers (4 bytes a row) up, the batch's sum of squared errors
 *   (4 bytes) back; a training set too big for one binding instead sends the batch itself
 *   (x, and y unless the targets are x);
 * - an evaluation: one float per batch back (a set too big for one binding goes up in blocks);
 * - setData: the data set, once; setState/getState: the weights and moments (a fit's start and
 *   end, and around epoch-end callbacks).
 * The learning rate goes in a request's parameters (the uniforms), as every op's shapes do.
 */
export class WebGpuDenseTrainer implements DenseTrainer {
  private readonly id = nextId++;
  private readonly outputDim: number;
  private readonly host: { x: Float32Array; y: Float32Array | null; rows: number }[] = [];
  /** Which data set each device slot holds (the other slot may also hold a block of a big set). */
  private readonly slots: ('train' | 'validation' | 'block' | null)[] = [null, null];
  private disposed = false;

  constructor(
    private readonly channel: TrainerChannel,
    private readonly maxBindingFloats: number,
    private readonly spec: DenseTrainerSpec,
  ) {
    const { inputDim, layers, batchSize } = spec;
    if (layers.length === 0) throw new RangeError('webgpu trainer: a dense stack needs at least one layer');
    for (const [what, v] of [
      ['inputDim', inputDim],
      ['batchSize', batchSize],
      ...layers.map((l, i) => [`layers[${i}].units`, l.units] as const),
    ] as const)
      if (!(Number.isInteger(v) && v > 0))
        throw new RangeError(`webgpu trainer: ${what} must be a positive integer, got ${v}`);
    const acts = layers.map((l, i) => {
      const a = ACTIVATIONS.indexOf(l.activation);
      if (a < 0)
        throw new RangeError(
          `webgpu trainer: layers[${i}].activation '${l.activation}' is not one of ${ACTIVATIONS.join(', ')}`,
        );
      return a;
    });
    this.outputDim = layers[layers.length - 1].units;
    const why = denseTrainerMisfit(spec, maxBindingFloats);
    if (why) throw new RangeError(`webgpu trainer: ${why}`);
    this.call(TrainerOp.create, [
      batchSize,
      inputDim,
      layers.length,
      ...layers.map((l) => l.units),
      ...acts,
      spec.beta1,
      spec.beta2,
      spec.epsilon,
    ]);
  }

  private call(op: number, params: readonly number[], inputs: readonly Float32Array[] = []): Float32Array[] {
    if (this.disposed) throw new Error('webgpu trainer: used after dispose()');
    return this.channel.call('trainer', [op, this.id, ...params], inputs);
  }

  setState(
    weights: readonly DenseWeights[],
    moments: readonly ([Float32Array, Float32Array] | null)[],
  ): void {
    const { layers, inputDim } = this.spec;
    if (weights.length !== layers.length)
      throw new RangeError(
        `webgpu trainer setState: weights for ${weights.length} layers, expected ${layers.length}`,
      );
    const values: Float32Array[] = [];
    let din = inputDim;
    weights.forEach((w, i) => {
      const units = layers[i].units;
      if (w.kernel.length !== din * units || w.bias.length !== units)
        throw new RangeError(
          `webgpu trainer setState: layer ${i} has a kernel of ${w.kernel.length} and a bias of ${w.bias.length} values, expected ${din}×${units} and ${units}`,
        );
      values.push(w.kernel, w.bias);
      din = units;
    });
    if (moments.length !== values.length)
      throw new RangeError(
        `webgpu trainer setState: moments for ${moments.length} parameters, expected ${values.length}`,
      );
    const withMoments = moments.some((m) => m !== null);
    const inputs = [...values];
    if (withMoments)
      moments.forEach((m, i) => {
        const n = values[i].length;
        if (m && (m[0].length !== n || m[1].length !== n))
          throw new RangeError(`webgpu trainer setState: parameter ${i}'s moments are not of ${n} values`);
        inputs.push(m?.[0] ?? new Float32Array(n), m?.[1] ?? new Float32Array(n));
      });
    this.call(TrainerOp.setParams, [+withMoments], inputs);
  }

  getState(): { weights: DenseWeights[]; moments: [Float32Array, Float32Array][] } {
    const out = this.call(TrainerOp.getParams, []);
    const P = 2 * this.spec.layers.length;
    return {
      weights: this.spec.layers.map((_, l) => ({ kernel: out[2 * l], bias: out[2 * l + 1] })),
      moments: Array.from({ length: P }, (_, i) => [out[P + 2 * i], out[P + 2 * i + 1]]),
    };
  }

  setData(which: 'train' | 'validation', x: Float32Array, y: Float32Array | null, rows: number): void {
    const { inputDim } = this.spec;
    if (
      !(Number.isInteger(rows) && rows > 0) ||
      x.length < rows * inputDim ||
      (y && y.length < rows * this.outputDim)
    )
      throw new RangeError(
        `webgpu trainer setData(${which}): ${rows} rows need ${rows * inputDim} inputs${y ? ` and ${rows * this.outputDim} targets` : ''}, got ${x.length}${y ? ` and ${y.length}` : ''}`,
      );
    // Row numbers travel as float32: exact below 2²⁴.
    if (which === 'train' && rows >= 2 ** 24)
      throw new RangeError(`webgpu trainer setData(train): ${rows} rows, at most ${2 ** 24 - 1}`);
    const slot = which === 'train' ? TrainerSlot.train : TrainerSlot.other;
    this.host[slot] = { x, y, rows };
    this.slots[slot] = null;
    if (this.fits(rows)) this.upload(slot, which);
  }

  private fits(rows: number): boolean {
    return rows * Math.max(this.spec.inputDim, this.outputDim) <= this.maxBindingFloats;
  }

  /** Puts data set `which` (held on the host in `slot`) on the device in that slot. */
  private upload(slot: number, which: 'train' | 'validation'): void {
    this.sendData(slot, this.host[slot], 0, this.host[slot].rows);
    this.slots[slot] = which;
  }

  private sendData(
    slot: number,
    set: { x: Float32Array; y: Float32Array | null },
    from: number,
    rows: number,
  ): void {
    const d = this.spec.inputDim;
    const o = this.outputDim;
    const inputs = [set.x.subarray(from * d, (from + rows) * d)];
    if (set.y) inputs.push(set.y.subarray(from * o, (from + rows) * o));
    this.call(TrainerOp.setData, [slot, rows, set.y ? 1 : 0], inputs);
  }

  step(indices: Uint32Array, lrT: number): number {
    const rows = indices.length;
    if (!(rows > 0 && rows <= this.spec.batchSize))
      throw new RangeError(
        `webgpu trainer step: a batch of ${rows} rows, expected 1 to ${this.spec.batchSize}`,
      );
    const train = this.host[TrainerSlot.train];
    if (!train) throw new Error('webgpu trainer step: no training data (call setData first)');
    let out: Float32Array[];
    if (this.slots[TrainerSlot.train] === 'train') {
      out = this.call(TrainerOp.step, [rows, 0, lrT], [Float32Array.from(indices)]);
    } else {
      const gather = (src: Float32Array, cols: number) => {
        const b = new Float32Array(rows * cols);
        for (let r = 0; r < rows; r++)
          b.set(src.subarray(indices[r] * cols, (indices[r] + 1) * cols), r * cols);
        return b;
      };
      const inputs = [gather(train.x, this.spec.inputDim)];
      if (train.y) inputs.push(gather(train.y, this.outputDim));
      out = this.call(TrainerOp.step, [rows, 1, lrT], inputs);
    }
    return out[0][0] / (rows * this.outputDim);
  }

  evaluate(which: 'train' | 'validation', batchSize: number): number {
    if (!(Number.isInteger(batchSize) && batchSize > 0 && batchSize <= this.spec.batchSize))
      throw new RangeError(
        `webgpu trainer evaluate: batchSize ${batchSize}, expected 1 to ${this.spec.batchSize}`,
      );
    const slot = which === 'train' ? TrainerSlot.train : TrainerSlot.other;
    const set = this.host[slot];
    if (!set) throw new Error(`webgpu trainer evaluate: no ${which} data (call setData first)`);
    let sum = 0;
    if (this.fits(set.rows)) {
      if (this.slots[slot] !== which) this.upload(slot, which);
      for (const s of this.call(TrainerOp.evaluate, [slot, batchSize])[0]) sum += s;
    } else {
      // Too big for one binding: blocks of whole batches through the other slot.
      const block =
        Math.floor(this.maxBindingFloats / Math.max(this.spec.inputDim, this.outputDim) / batchSize) *
        batchSize;
      for (let from = 0; from < set.rows; from += block) {
        const rows = Math.min(block, set.rows - from);
        this.sendData(TrainerSlot.other, set, from, rows);
        this.slots[TrainerSlot.other] = 'block';
        for (const s of this.call(TrainerOp.evaluate, [TrainerSlot.other, batchSize])[0]) sum += s;
      }
    }
    return sum / (set.rows * this.outputDim);
  }

  dispose(): void {
    if (this.disposed) return;
    this.call(TrainerOp.dispose, []);
    this.disposed = true;
  }
}

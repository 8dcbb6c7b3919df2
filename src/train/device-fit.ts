import type { DenseTrainer } from '../backend/types.ts';
import type { Sequential } from '../nn/sequential.ts';
import { Adam } from '../optim/adam.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import type { Tensor } from '../tensor/tensor.ts';
import type { LossName } from './losses.ts';

/**
 * fit()'s device-resident path: the model, its gradients and Adam's state live on the backend's
 * device (Backend.trainer, webgpu) for the whole fit, and a step sends the batch's row numbers
 * and gets its loss back. Used when the backend has a trainer that can hold the model, the loss
 * is 'mse' and the optimizer is an Adam without per-parameter rate multipliers (a schedule is
 * fine); anything else trains on the Tape. The model and optimizer on the host are brought up to date before
 * epoch-end callbacks (which may read or change them; the device takes them back afterwards) and
 * when the fit ends. One difference from the Tape path: the step whose loss is not finite has
 * already been applied when the fit stops (the loss comes back with the updated weights).
 */
export class DeviceFit {
  /** Steps taken (the optimizer's iterations), counted here while the optimizer's own copy waits. */
  private t: number;
  /** The host's model and optimizer hold the current state (the device's may be stale or ahead). */
  private hostCurrent = false;
  /** The host's state may have changed since toHost(): send it before the next step. */
  private hostChanged = false;

  private constructor(
    private readonly model: Sequential,
    private readonly adam: Adam,
    private readonly trainer: DenseTrainer,
  ) {
    this.t = adam.iterations;
  }

  /** The device path for this fit, or undefined when the Tape must train (see the class comment). */
  static open(
    model: Sequential,
    optimizer: Optimizer,
    loss: LossName,
    batchSize: number,
    train: { x: Tensor; y: Tensor },
    val: { x: Tensor; y: Tensor } | undefined,
  ): DeviceFit | undefined {
    const factory = model.backend.trainer;
    if (!factory || loss !== 'mse' || !(optimizer instanceof Adam)) return undefined;
    if (optimizer.rateControl.multipliers) return undefined;
    const trainer = factory.call(model.backend, {
      inputDim: model.inputDim,
      layers: model.layers.map((l) => ({ units: l.units, activation: l.activation })),
      batchSize,
      beta1: optimizer.beta1,
      beta2: optimizer.beta2,
      epsilon: optimizer.epsilon,
    });
    if (!trainer) return undefined;
    const fit = new DeviceFit(model, optimizer, trainer);
    try {
      fit.fromHost();
      const targets = (s: { x: Tensor; y: Tensor }) =>
        s.x === s.y || s.x.data === s.y.data ? null : s.y.data;
      trainer.setData('train', train.x.data, targets(train), train.x.rows);
      if (val) trainer.setData('validation', val.x.data, targets(val), val.x.rows);
    } catch (e) {
      trainer.dispose();
      throw e;
    }
    return fit;
  }

  /** One Adam step on the rows order[start … start + rows); returns the batch's loss. */
  step(order: Uint32Array, start: number, rows: number): number {
    if (this.hostChanged) this.fromHost();
    const a = this.adam;
    const lr = a.learningRate * (a.rateControl.schedule?.(this.t) ?? 1);
    this.t += 1;
    // As Adam.step computes it.
    const lrT = (lr * Math.sqrt(1 - a.beta2 ** this.t)) / (1 - a.beta1 ** this.t);
    this.hostCurrent = false;
    return this.trainer.step(order.subarray(start, start + rows), lrT);
  }

  evaluate(which: 'train' | 'validation', batchSize: number): number {
    if (this.hostChanged) this.fromHost();
    return this.trainer.evaluate(which, batchSize);
  }

  /** Brings the host's model and optimizer up to date, for callbacks that read or change them. */
  toHost(): void {
    if (!this.hostCurrent) {
      const { weights, moments } = this.trainer.getState();
      this.model.layers.forEach((l, i) => {
        l.kernel.value.data.set(weights[i].kernel);
        l.bias.value.data.set(weights[i].bias);
      });
      this.adam.loadState(this.model.parameters, { iterations: this.t, buffers: moments });
      this.hostCurrent = true;
    }
    this.hostChanged = true;
  }

  /** Ends the device path: the host gets the final state (unless it already has it), the device lets go. */
  close(): void {
    try {
      if (!this.hostCurrent) this.toHost();
    } finally {
      this.trainer.dispose();
    }
  }

  private fromHost(): void {
    const params = this.model.parameters;
    const state = this.adam.saveState(params);
    this.t = state.iterations;
    this.trainer.setState(
      this.model.layers.map((l) => ({ kernel: l.kernel.value.data, bias: l.bias.value.data })),
      state.buffers.map((b) => (b[0] && b[1] ? [b[0], b[1]] : null)),
    );
    this.hostCurrent = true;
    this.hostChanged = false;
  }
}

import type { Sequential } from '../nn/sequential.ts';
import { Adam } from '../optim/adam.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { Rng } from '../tensor/rng.ts';
import { firstNonFinite, formatShape, ShapeError, type Tensor } from '../tensor/tensor.ts';
import { DeviceFit } from './device-fit.ts';
import { type LossName, lossByName } from './losses.ts';

export interface EpochLogs {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches, weighted by batch size (as Keras reports it). */
  loss: number;
  valLoss?: number;
  seconds: number;
}

export interface TrainBeginInfo {
  trainSamples: number;
  valSamples: number;
  batchesPerEpoch: number;
  epochs: number;
}

export interface Callbacks {
  onTrainBegin?(info: TrainBeginInfo): void;
  onBatchEnd?(epoch: number, batch: number, loss: number): void;
  /** Return 'stop' to end training after this epoch. `state` is what a checkpoint needs beyond the model, optimizer and rng. */
  onEpochEnd?(logs: EpochLogs, history: History, state: FitEpochState): 'stop' | undefined;
}

/** The loop's own state at the end of an epoch: the sample order the next shuffle starts from. */
export interface FitEpochState {
  order: Uint32Array;
}

/**
 * Where a resumed fit starts: after `epoch`, with the sample order and history saved then. With
 * the model weights, optimizer state and rng restored too, it continues exactly as the
 * uninterrupted fit would have.
 */
export interface FitResume {
  epoch: number;
  order: Uint32Array;
  history: Pick<History, 'loss' | 'valLoss' | 'initialLoss' | 'initialValLoss'>;
}

export interface FitOptions {
  epochs: number;
  /** Samples per gradient step (Keras default 32); the last batch of an epoch may be smaller. */
  batchSize?: number;
  /** Reshuffle the training samples every epoch from `rng` (default true). */
  shuffle?: boolean;
  /** Fraction of the given samples held out for validation: the last ones, taken before shuffling (Keras). */
  validationSplit?: number;
  /** Explicit validation data; overrides validationSplit. */
  validationData?: { x: Tensor; y: Tensor };
  optimizer?: Optimizer;
  loss?: LossName;
  /** The shuffle stream (default: seed 0). */
  rng?: Rng;
  callbacks?: Callbacks | readonly Callbacks[];
  /** Evaluate before the first step and record it as epoch 0 (default true). */
  initialEvaluation?: boolean;
  /** Continue a fit from a checkpoint instead of starting at epoch 1. */
  resume?: FitResume;
}

export interface History {
  /** Training loss per epoch (index 0 is epoch 1). */
  loss: number[];
  /** Validation loss per epoch, when there is validation data. */
  valLoss: number[];
  /** Epoch-0 losses, before any training. */
  initialLoss?: number;
  initialValLoss?: number;
  trainSamples: number;
  valSamples: number;
  seconds: number;
}

/** Training stopped because a loss became NaN or infinite; the history up to the last good epoch is kept. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    readonly epoch: number,
    /** The batch whose training loss diverged, or null when the validation loss after `epoch` did. */
    readonly batch: number | null,
    readonly loss: number,
    readonly history: History,
  ) {
    super(
      batch === null
        ? `training diverged: the validation loss became ${loss} after epoch ${epoch}`
        : `training diverged: the loss became ${loss} at epoch ${epoch}, batch ${batch}`,
    );
  }
}

/** Keras' validation_split: the first floor(n·(1 − split)) samples train, the rest validate. */
export function validationSplitIndex(n: number, split: number): number {
  if (!(Number.isFinite(split) && split >= 0 && split < 1)) {
    throw new RangeError(`validationSplit must be in [0, 1), got ${split}`);
  }
  if (split === 0) return n;
  const at = Math.floor(n * (1 - split));
  if (at === 0 || at === n) {
    throw new RangeError(
      `validationSplit ${split} leaves ${at === 0 ? 'no training' : 'no validation'} samples out of ${n}; use more data or another split`,
    );
  }
  return at;
}

/** Trains `model` on (x, y) and returns the loss history. Deterministic for a given rng and backend. */
export function fit(model: Sequential, x: Tensor, y: Tensor, options: FitOptions): History {
  const epochs = options.epochs;
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new RangeError(`epochs must be a non-negative integer, got ${epochs}`);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  checkData(model, x, y, 'training');
  const lossFn = lossByName(options.loss ?? 'mse');
  const optimizer = options.optimizer ?? new Adam({}, (n) => model.allocate(n));
  const rng = options.rng ?? Rng.seeded(0);
  const shuffle = options.shuffle ?? true;
  const callbacks = options.callbacks === undefined ? [] : ([] as Callbacks[]).concat(options.callbacks);

  let train = { x, y };
  let val: { x: Tensor; y: Tensor } | undefined;
  if (options.validationData) {
    checkData(model, options.validationData.x, options.validationData.y, 'validation');
    val = options.validationData;
  } else if (options.validationSplit !== undefined) {
    const at = validationSplitIndex(x.rows, options.validationSplit ?? 0);
    if (at < x.rows) {
      train = { x: x.rowSlice(0, at), y: y.rowSlice(0, at) };
      val = { x: x.rowSlice(at, x.rows), y: y.rowSlice(at, x.rows) };
    }
  }

  const n = train.x.rows;
  const batches = Math.ceil(n / batchSize);
  const resume = options.resume;
  if (resume && (resume.order.length !== n || !Number.isInteger(resume.epoch) || resume.epoch < 0))
    throw new RangeError(
      `resume: a checkpoint of ${resume.order.length} training samples at epoch ${resume.epoch} does not fit ${n} samples`,
    );
  const history: History = {
    loss: [...(resume?.history.loss ?? [])],
    valLoss: [...(resume?.history.valLoss ?? [])],
    initialLoss: resume?.history.initialLoss,
    initialValLoss: resume?.history.initialValLoss,
    trainSamples: n,
    valSamples: val?.x.rows ?? 0,
    seconds: 0,
  };
  const started = performance.now();
  for (const c of callbacks)
    c.onTrainBegin?.({ trainSamples: n, valSamples: history.valSamples, batchesPerEpoch: batches, epochs });

  // The device-resident path where the backend has one for this model, loss and optimizer.
  const device = DeviceFit.open(model, optimizer, options.loss ?? 'mse', batchSize, train, val);
  try {
    if (!resume && (options.initialEvaluation ?? true)) {
      history.initialLoss = device
        ? device.evaluate('train', batchSize)
        : evaluate(model, train.x, train.y, { batchSize, loss: options.loss });
      if (val)
        history.initialValLoss = device
          ? device.evaluate('validation', batchSize)
          : evaluate(model, val.x, val.y, { batchSize, loss: options.loss });
    }

    const params = model.parameters;
    const d = train.x.cols;
    const dOut = train.y.cols;
    const sameXY = train.x === train.y || train.x.data === train.y.data;
    // Shuffles permute the previous epoch's order in place, so a resume needs the saved order.
    const order = resume ? resume.order.slice() : new Uint32Array(n);
    if (!resume) for (let i = 0; i < n; i++) order[i] = i;

    for (let epoch = (resume?.epoch ?? 0) + 1; epoch <= epochs; epoch++) {
      const epochStart = performance.now();
      if (shuffle) rng.shuffle(order);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batchSize;
        const rows = Math.min(batchSize, n - start);
        if (device) {
          const value = device.step(order, start, rows);
          if (!Number.isFinite(value)) {
            history.seconds = (performance.now() - started) / 1000;
            throw new TrainingDivergedError(epoch, b + 1, value, history);
          }
          lossSum += value * rows;
          for (const c of callbacks) c.onBatchEnd?.(epoch, b + 1, value);
          continue;
        }
        const tape = model.tape();
        try {
          const xb = tape.alloc([rows, d]);
          gatherRows(train.x.data, d, order, start, rows, xb.data);
          let yb = xb;
          if (!sameXY) {
            yb = tape.alloc([rows, dOut]);
            gatherRows(train.y.data, dOut, order, start, rows, yb.data);
          }
          const out = model.forward(tape, tape.constant(xb));
          const loss = lossFn(out, tape.constant(yb));
          const value = loss.item();
          if (!Number.isFinite(value)) {
            history.seconds = (performance.now() - started) / 1000;
            throw new TrainingDivergedError(epoch, b + 1, value, history);
          }
          tape.backward(loss);
          optimizer.step(params, tape.kernels);
          lossSum += value * rows;
          for (const c of callbacks) c.onBatchEnd?.(epoch, b + 1, value);
        } finally {
          tape.release();
        }
      }
      const logs: EpochLogs = { epoch, loss: lossSum / n, seconds: 0 };
      if (val) {
        logs.valLoss = device
          ? device.evaluate('validation', batchSize)
          : evaluate(model, val.x, val.y, { batchSize, loss: options.loss });
        if (!Number.isFinite(logs.valLoss)) {
          history.seconds = (performance.now() - started) / 1000;
          throw new TrainingDivergedError(epoch, null, logs.valLoss, history);
        }
        history.valLoss.push(logs.valLoss);
      }
      history.loss.push(logs.loss);
      logs.seconds = (performance.now() - epochStart) / 1000;
      history.seconds = (performance.now() - started) / 1000;
      let stop = false;
      // Callbacks may read or change the model and optimizer (checkpoints, early stopping).
      if (device && callbacks.some((c) => c.onEpochEnd)) device.toHost();
      for (const c of callbacks) if (c.onEpochEnd?.(logs, history, { order }) === 'stop') stop = true;
      if (stop) break;
    }
  } finally {
    device?.close();
  }
  history.seconds = (performance.now() - started) / 1000;
  return history;
}

/** Mean loss over all samples, computed in batches without gradients. */
export function evaluate(
  model: Sequential,
  x: Tensor,
  y: Tensor,
  options: { batchSize?: number; loss?: LossName } = {},
): number {
  checkData(model, x, y, 'evaluation');
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const lossFn = lossByName(options.loss ?? 'mse');
  let sum = 0;
  for (let start = 0; start < x.rows; start += batchSize) {
    const end = Math.min(x.rows, start + batchSize);
    const tape = model.tape(false);
    try {
      const out = model.forward(tape, tape.constant(x.rowSlice(start, end)));
      sum += lossFn(out, tape.constant(y.rowSlice(start, end))).item() * (end - start);
    } finally {
      tape.release();
    }
  }
  return sum / x.rows;
}

function gatherRows(
  src: Float32Array,
  cols: number,
  order: Uint32Array,
  start: number,
  rows: number,
  out: Float32Array,
) {
  for (let r = 0; r < rows; r++) {
    const i = order[start + r];
    out.set(src.subarray(i * cols, (i + 1) * cols), r * cols);
  }
}

function checkData(model: Sequential, x: Tensor, y: Tensor, what: string): void {
  if (x.shape.length !== 2 || y.shape.length !== 2) {
    throw new ShapeError(
      `${what} data must be 2-D (samples × features), got x ${formatShape(x.shape)}, y ${formatShape(y.shape)}`,
    );
  }
  if (x.rows === 0) throw new RangeError(`${what} data is empty (0 samples)`);
  if (x.rows !== y.rows) {
    throw new ShapeError(
      `${what} data: x has ${x.rows} samples but y has ${y.rows} (shapes ${formatShape(x.shape)}, ${formatShape(y.shape)})`,
    );
  }
  if (x.cols !== model.inputDim) {
    throw new ShapeError(
      `${what} data: x ${formatShape(x.shape)} does not match the model input of ${model.inputDim} features`,
    );
  }
  if (y.cols !== model.outputDim) {
    throw new ShapeError(
      `${what} data: y ${formatShape(y.shape)} does not match the model output of ${model.outputDim} features`,
    );
  }
  const checks: [string, Tensor][] =
    x === y
      ? [['x', x]]
      : [
          ['x', x],
          ['y', y],
        ];
  for (const [name, t] of checks) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) {
      const c = t.cols;
      throw new RangeError(
        `${what} data: ${name}[${Math.floor(bad / c)}, ${bad % c}] is ${t.data[bad]}; inputs must be finite`,
      );
    }
  }
}

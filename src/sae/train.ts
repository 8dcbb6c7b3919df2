import * as ops from '../autodiff/ops.ts';
import { sparseMatmul } from '../autodiff/topk.ts';
import { kernelsOf } from '../backend/kernels.ts';
import { Adam } from '../optim/adam.ts';
import type { Rng } from '../tensor/rng.ts';
import { Tensor } from '../tensor/tensor.ts';
import { DeadLatentTracker } from './dead-latents.ts';
import { type DeviceSaeRun, openDeviceSaeRun } from './device-train.ts';
import { type DensityHistogram, densityHistogram, evaluateSae } from './metrics.ts';
import type { SparseAutoencoder } from './model.ts';

// Training as in openai/sparse_autoencoder (train.py) with these stated choices:
// - loss = mse(x̂, x)/σ² + α·L_aux. mse is (1/(m·d))Σ‖x − x̂‖², i.e. (1/d)‖x − x̂‖² averaged over
//   the batch; σ² = (1/(N·d))Σ‖x − mean‖² over the training data, the reference's `mse_scale`
//   (a constant: it sets the main term's scale against α·L_aux, not its optimum).
// - L_aux = ‖e − ê‖² normalised as the reference's `normalized_mse` does: the batch's
//   mse(ê, e) / mse(ē, e), with e = x − x̂ held constant, ē its batch mean and ê = W_d·z, z the
//   ReLU'd top k_aux dead latents' pre-activations. A batch with no dead latent, or with
//   mse(ē, e) = 0, has no aux term (the reference's nan_to_num(0)). The reference adds b_pre to
//   both ê and e; it cancels in the value, and we let no aux gradient reach b_pre through it.
// - The dead set used by a step's aux term is the one before that step's batch (the reference
//   updates its counters from the same batch first; the difference is one batch).
// - Decoder atoms: the gradient's component along each (unit) atom is removed before the Adam
//   step, and atoms are renormalised right after it, so they have unit norm after every step
//   (the reference renormalises just before the next step instead).
// - Adam with ε = 6.25e-10 (the reference's); lr by default 2e-4/√(n/2¹⁴), Gao et al.'s scaling.
// The options below move one of these choices to another implementation's (the defaults are the
// choices above); the sae study's spec (REFERENCE_PRESET) lists what the reference does, file by file.
// With the defaults, on a backend with a device SAE trainer (webgpu), the whole step runs there
// (device-train.ts); the non-default choices train on the Tape on every backend.

export interface SaeTrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Default 2e-4 / √(n / 16384) (Gao et al. 2024). */
  readonly learningRate?: number;
  /** α, the auxiliary loss's weight; 0 turns the auxiliary loss off. */
  readonly auxCoefficient: number;
  /** k_aux, dead latents used by the auxiliary loss; default 2k. */
  readonly kAux?: number;
  /** Samples without firing after which a latent is dead. */
  readonly deadSamples: number;
  /** Record metrics every this many steps (and after the last step). */
  readonly recordEvery: number;
  /** Samples the metrics are computed on (rows × d); default the first ≤ 1000 training samples. */
  readonly evalSet?: { readonly x: Float32Array; readonly rows: number };
  readonly histogramBins?: number;
  /** Adam's ε; default 6.25e-10 (the reference's train.py Config.eps). */
  readonly adamEpsilon?: number;
  /**
   * The AuxK target e = x − x̂: 'detached' (default; the reference's recons.detach()) is a
   * constant, 'attached' lets the auxiliary loss's gradient reach x̂ and through it the main path.
   */
  readonly auxResidual?: 'detached' | 'attached';
  /**
   * 'once' (default): the auxiliary prediction is W_d·z and no aux gradient reaches b_pre.
   * 'twice': as the reference's loss, ê = W_d·z + b_pre (b_pre with its gradient) against
   * e + b_pre (b_pre detached): the same value, and the aux term's gradient also moves b_pre.
   */
  readonly auxPreBias?: 'once' | 'twice';
  /**
   * 'after-step' (default): the parallel gradient is removed and the atoms renormalised right
   * after each Adam step. 'before-step': the reference's order (training_loop_): after backward,
   * normalise the atoms, remove the parallel gradient, step, and leave the atoms as the step left
   * them until the next backward (the forward pass sees atoms of norm slightly ≠ 1).
   */
  readonly decoderNormalization?: 'after-step' | 'before-step';
  /**
   * Train past `epochs` until the dead fraction is flat: stop at the first epoch end where it
   * moved by ≤ `tolerance` over the last tenth of the steps (`rule`, see deadFractionFlat), or at
   * `maxEpochs`.
   */
  readonly settle?: { readonly maxEpochs: number; readonly tolerance: number; readonly rule?: SettleRule };
}

export interface SaeRecord {
  readonly step: number;
  readonly samples: number;
  readonly loss: number;
  readonly normalizedMse: number;
  readonly l0: number;
  readonly deadFraction: number;
}

export interface SaeTrainResult {
  readonly records: SaeRecord[];
  /** Firing frequencies on the evaluation set after training. */
  readonly frequencies: Float64Array;
  readonly histogram: DensityHistogram;
  readonly steps: number;
  /** Epochs trained (more than asked for when `settle` extended the training). */
  readonly epochs: number;
  readonly seconds: number;
}

/**
 * How "moved by ≤ tolerance over the last tenth" is read from the dead fraction after each step:
 * - 'range' (default): its largest minus its smallest value there. A per-step count jitters as
 *   latents cross the dead window's edge, by a few latents, so at 0.005 this ends on chance: a
 *   run of n = 4,096 without AuxK, level at 30% dead, went on from epoch 50 to past 80.
 * - 'trend': the least-squares line through it, from the tail's first step to its last: how far
 *   it drifted, with the jitter averaged out.
 */
export type SettleRule = 'range' | 'trend';

/** Whether the dead fraction moved by ≤ tolerance over the last tenth of the steps (at least 2 steps). */
export function deadFractionFlat(
  history: readonly number[],
  tolerance: number,
  rule: SettleRule = 'range',
): boolean {
  const tail = history.slice(history.length - Math.max(2, Math.ceil(history.length / 10)));
  if (tail.length < 2) return false;
  if (rule === 'range') return Math.max(...tail) - Math.min(...tail) <= tolerance;
  return Math.abs(leastSquaresSlope(tail) * (tail.length - 1)) <= tolerance;
}

/** The slope of the least-squares line through (i, y[i]), in double. */
function leastSquaresSlope(y: readonly number[]): number {
  const n = y.length;
  const meanX = (n - 1) / 2;
  let meanY = 0;
  for (const v of y) meanY += v;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * (y[i] - meanY);
    sxx += (i - meanX) ** 2;
  }
  return sxy / sxx;
}

export function defaultLearningRate(latents: number): number {
  return 2e-4 / Math.sqrt(latents / 2 ** 14);
}

/** Mean per coordinate and σ² = mean squared deviation from it, in float64. */
export function dataMoments(
  x: Float32Array,
  rows: number,
  d: number,
): { mean: Float32Array; variance: number } {
  const mean = new Float64Array(d);
  for (let i = 0; i < rows; i++) for (let q = 0; q < d; q++) mean[q] += x[i * d + q];
  for (let q = 0; q < d; q++) mean[q] /= rows;
  let v = 0;
  for (let i = 0; i < rows; i++) for (let q = 0; q < d; q++) v += (x[i * d + q] - mean[q]) ** 2;
  return { mean: Float32Array.from(mean), variance: v / (rows * d) };
}

/**
 * Trains `model` (its dictionary already set) on x (rows × d). Shuffles every epoch from
 * `rng.child('shuffle/<epoch>')`; deterministic for a seed and backend.
 */
export function trainSae(
  model: SparseAutoencoder,
  x: Float32Array,
  rows: number,
  options: SaeTrainOptions,
  rng: Rng,
  onRecord?: (r: SaeRecord) => void,
): SaeTrainResult {
  const t0 = performance.now();
  const { inputDim: d, latents: n, k } = model;
  if (x.length !== rows * d)
    throw new RangeError(`trainSae: ${x.length} values are not ${rows} rows of ${d}`);
  const batch = options.batchSize;
  if (!(Number.isInteger(batch) && batch >= 1 && batch <= rows)) {
    throw new RangeError(`trainSae: batchSize must be an integer in 1..${rows}, got ${batch}`);
  }
  const kAux = options.kAux ?? 2 * k;
  const settle = options.settle;
  if (
    settle &&
    !(Number.isInteger(settle.maxEpochs) && settle.maxEpochs >= options.epochs && settle.tolerance >= 0)
  )
    throw new RangeError(
      `trainSae: settle needs an integer maxEpochs ≥ epochs (${options.epochs}) and a tolerance ≥ 0, got ${JSON.stringify(settle)}`,
    );
  const attached = (options.auxResidual ?? 'detached') === 'attached';
  const twice = (options.auxPreBias ?? 'once') === 'twice';
  const beforeStep = (options.decoderNormalization ?? 'after-step') === 'before-step';
  const { variance } = dataMoments(x, rows, d);
  const mseScale = variance > 0 ? 1 / variance : 1;
  const evalSet = options.evalSet ?? {
    x: x.subarray(0, Math.min(rows, 1000) * d),
    rows: Math.min(rows, 1000),
  };
  const tracker = new DeadLatentTracker(n, options.deadSamples);
  const optimizer = new Adam(
    {
      learningRate: options.learningRate ?? defaultLearningRate(n),
      epsilon: options.adamEpsilon ?? 6.25e-10,
    },
    (len) => model.allocate(len),
  );
  const params = model.parameters;
  const wd = model.decoderKernel;
  const atomKernels = kernelsOf(model.backend);
  const xBuf = model.allocate(batch * d);
  const eBuf = new Float32Array(batch * d);
  const records: SaeRecord[] = [];
  const stepsPerEpoch = Math.floor(rows / batch);
  const maxEpochs = settle?.maxEpochs ?? options.epochs;
  const totalSteps = stepsPerEpoch * maxEpochs;
  const deadHistory: number[] = [];
  let step = 0;
  let lastLoss = Number.NaN;
  const device = openDeviceSaeRun(model, x, rows, options, { kAux, mseScale, optimizer });
  /** The step whose parameters the model holds (the device run's are copied back on demand). */
  let synced = 0;
  const sync = (run: DeviceSaeRun | undefined) => {
    if (run && synced !== step) run.sync();
    synced = step;
  };
  const deadFraction = () => device?.deadFraction() ?? tracker.deadFraction();

  const record = () => {
    sync(device);
    const ev = evaluateSae(model, evalSet.x, evalSet.rows);
    const r: SaeRecord = {
      step,
      samples: step * batch,
      loss: lastLoss,
      normalizedMse: ev.normalizedMse,
      l0: ev.l0,
      deadFraction: deadFraction(),
    };
    records.push(r);
    onRecord?.(r);
  };
  record();

  let epoch = 0;
  const more = () =>
    epoch < options.epochs ||
    (settle !== undefined &&
      epoch < settle.maxEpochs &&
      !deadFractionFlat(deadHistory, settle.tolerance, settle.rule));
  try {
    for (; more(); epoch++) {
      const order = rng.child(`shuffle/${epoch}`).permutation(rows);
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (device) {
          lastLoss = device.step(order.subarray(s * batch, (s + 1) * batch));
          if (settle) deadHistory.push(device.deadFraction());
          step++;
          if (step % options.recordEvery === 0 && step < totalSteps) record();
          continue;
        }
        for (let i = 0; i < batch; i++) {
          const src = order[s * batch + i] * d;
          xBuf.set(x.subarray(src, src + d), i * d);
        }
        const tape = model.tape();
        const xv = tape.constant(new Tensor(xBuf, [batch, d]));
        const dead = options.auxCoefficient > 0 ? tracker.deadMask() : { mask: undefined, count: 0 };
        const aux = dead.count > 0 ? { k: Math.min(kAux, dead.count), eligible: dead.mask } : undefined;
        const out = model.forward(tape, xv, aux);
        let loss = ops.scale(ops.mse(out.recon, xv), mseScale);
        if (out.auxLatents) {
          // e = x − x̂, a constant target; the normaliser is mse(ē, e) over the batch.
          const r = out.recon.value.data;
          const mean = new Float64Array(d);
          for (let e = 0; e < batch * d; e++) {
            eBuf[e] = xBuf[e] - r[e];
            mean[e % d] += eBuf[e];
          }
          let spread = 0;
          for (let e = 0; e < batch * d; e++) spread += (eBuf[e] - mean[e % d] / batch) ** 2;
          spread /= batch * d;
          if (spread > 0) {
            let eHat = sparseMatmul(out.auxLatents, out.decoder);
            // The normaliser stays the constant above whichever way the target is taken.
            let target = attached ? ops.sub(xv, out.recon) : tape.constant(new Tensor(eBuf, [batch, d]));
            if (twice) {
              eHat = ops.biasAdd(eHat, out.preBias);
              target = ops.biasAdd(target, tape.constant(new Tensor(model.preBias.value.data.slice(), [d])));
            }
            const auxLoss = ops.mse(eHat, target);
            loss = ops.add(loss, ops.scale(auxLoss, options.auxCoefficient / spread));
          }
        }
        lastLoss = loss.item();
        tape.backward(loss);
        if (beforeStep) atomKernels.normalizeRows(wd.value.data, n, d);
        atomKernels.removeParallelComponent(wd.grad.data, wd.value.data, n, d);
        optimizer.step(params, tape.kernels);
        if (!beforeStep) atomKernels.normalizeRows(wd.value.data, n, d);
        tracker.update(out.latents.indices, out.latents.values.value.data, batch);
        if (settle) deadHistory.push(tracker.deadFraction());
        tape.release();
        step++;
        if (step % options.recordEvery === 0 && step < totalSteps) record();
      }
    }
    if (records[records.length - 1].step !== step) record();
    sync(device);
  } finally {
    device?.dispose();
  }
  const final = evaluateSae(model, evalSet.x, evalSet.rows);
  return {
    records,
    frequencies: final.frequencies,
    histogram: densityHistogram(final.frequencies, evalSet.rows, options.histogramBins ?? 20),
    steps: step,
    epochs: epoch,
    seconds: (performance.now() - t0) / 1000,
  };
}

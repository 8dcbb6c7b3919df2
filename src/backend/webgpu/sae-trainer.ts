import { TOPK_MAX_COLUMNS } from '../resident.ts';
import type { SaeParameters, SaeTrainer, SaeTrainerSpec } from '../types.ts';
import { SaeSum, SaeTrainerOp } from './sae-trainer-protocol.ts';
import type { TrainerChannel } from './trainer.ts';
import { COLUMN_SUM_MAX_ROWS, GEMM_MAX_K, MSE_CHUNK } from './wgsl.ts';
import { SAE_MAX_LOOP } from './wgsl-sae.ts';
import { SUM_PARTIALS_MAX } from './wgsl-trainer.ts';

let nextId = 1;

/** Float32 counts and row numbers are exact below this. */
const F32_EXACT = 2 ** 24;

/** Why the device cannot train an SAE of this spec, or undefined when it can. */
export function saeTrainerMisfit(spec: SaeTrainerSpec, maxBindingFloats: number): string | undefined {
  const { inputDim: d, latents: n, k, kAux, batchSize: m, deadSamples } = spec;
  for (const [what, v] of [
    ['inputDim', d],
    ['latents', n],
    ['k', k],
    ['kAux', kAux],
    ['batchSize', m],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1)) return `${what} must be an integer ≥ 1, got ${v}`;
  if (k > n || kAux > n) return `k = ${k} and k_aux = ${kAux} must not exceed the ${n} latents`;
  if (n > TOPK_MAX_COLUMNS) return `${n} latents are over the ${TOPK_MAX_COLUMNS} the top-k shader takes`;
  if (m > COLUMN_SUM_MAX_ROWS) return `batch ${m} is over the ${COLUMN_SUM_MAX_ROWS} rows a column sum takes`;
  const deepest = Math.max(m, d, n);
  if (deepest > GEMM_MAX_K)
    return `a product summing over ${deepest} terms is deeper than the ${GEMM_MAX_K} the gemm shader takes`;
  // One invocation loops over a row of W_d twice (removing the parallel gradient, renormalising),
  // over k or k_aux kept entries (the decode), over n/128 and m/128 (the dead count), and over
  // the m rows (a latent's list of entries).
  if (2 * d > SAE_MAX_LOOP) return `d = ${d}: a row loop of 2d is over llvmpipe's ${SAE_MAX_LOOP}`;
  if (m > SAE_MAX_LOOP)
    return `batch ${m}: listing a latent's entries loops over the batch, over llvmpipe's ${SAE_MAX_LOOP}`;
  if (m * Math.max(k, kAux) >= F32_EXACT)
    return `batch ${m} × ${Math.max(k, kAux)} kept entries: entry numbers travel as float32, exact below ${F32_EXACT}`;
  const partials = Math.ceil((m * d) / MSE_CHUNK);
  if (partials > SUM_PARTIALS_MAX)
    return `batch ${m} × d ${d} is ${partials} partial sums, at most ${SUM_PARTIALS_MAX}`;
  const biggest = Math.max(m * n, d * n, m * d);
  if (biggest > maxBindingFloats)
    return `a ${Math.max(m, d)}×${n} matrix needs ${biggest} floats in one binding; the device allows ${maxBindingFloats}`;
  if (!(deadSamples >= 1 && Math.ceil(deadSamples) < F32_EXACT))
    return `dead after ${deadSamples} samples: the device's float32 counters take 1 to ${F32_EXACT - 1}`;
  if (!(Number.isFinite(spec.firingThreshold) && spec.firingThreshold >= 0))
    return `firing threshold ${spec.firingThreshold}: expected a finite value ≥ 0`;
  if (!(Number.isFinite(spec.mseScale) && Number.isFinite(spec.auxCoefficient) && spec.auxCoefficient >= 0))
    return `mseScale ${spec.mseScale} and auxCoefficient ${spec.auxCoefficient} must be finite (α ≥ 0)`;
  return undefined;
}

/** The smallest float32 above t: for a float32 v, v > t exactly when v ≥ it. */
export function float32Above(t: number): number {
  const f = Math.fround(t);
  if (f > t) return f;
  const bits = new Uint32Array(new Float32Array([f]).buffer);
  // One ulp towards +∞ (t ≥ 0 here: the firing threshold).
  if (f >= 0) bits[0] += 1;
  else bits[0] -= 1;
  return new Float32Array(bits.buffer)[0];
}

/**
 * The webgpu backend's device SAE trainer (main-thread side; the worker side is
 * worker-sae-trainer.ts). A step computes what trainSae (src/sae/train.ts) computes with its
 * default choices, in float32 on the device:
 *   x̂ = TopK((x − b_pre)·W_e + b_e)·W_d + b_pre (the top-k radix select of wgsl-resident.ts),
 *   loss = mseScale·mse(x̂, x) + α·mse(ê, e)/mse(ē, e), e = x − x̂ detached, ê the top k_aux dead
 *   latents decoded (no aux term without dead latents or with mse(ē, e) = 0),
 * the gradient sparse and deterministic (each selection's entries listed by latent in row order,
 * then the weight gradients summed over a latent's list: m·k·d work, no float atomics; see
 * wgsl-sae.ts), the atoms' parallel gradient removed, Keras-form Adam, the atoms
 * renormalised, the dead counters updated (the aux term uses the dead set before the step).
 *
 * What crosses, each counted in the backend's `transfers`: a step sends the batch's row numbers
 * (4 bytes a row; the batch itself, 4·d bytes a row, when the training set is over one binding)
 * and reads back five floats (20 bytes, SAE_STEP_SUMS); setState/getState move the parameters.
 */
export class WebGpuSaeTrainer implements SaeTrainer {
  private readonly id = nextId++;
  private host: { x: Float32Array; rows: number } | null = null;
  private resident = false;
  /** Dead latents after the last step (the aux selection's size for the next). */
  private dead = 0;
  private disposed = false;

  constructor(
    private readonly channel: TrainerChannel,
    private readonly maxBindingFloats: number,
    private readonly spec: SaeTrainerSpec,
  ) {
    const why = saeTrainerMisfit(spec, maxBindingFloats);
    if (why) throw new RangeError(`webgpu SAE trainer: ${why}`);
    const s = spec;
    this.call(SaeTrainerOp.create, [
      s.batchSize,
      s.inputDim,
      s.latents,
      s.k,
      s.kAux,
      s.auxCoefficient,
      s.mseScale,
      Math.ceil(s.deadSamples),
      float32Above(s.firingThreshold),
      s.beta1,
      s.beta2,
      s.epsilon,
    ]);
  }

  private call(op: number, params: readonly number[], inputs: readonly Float32Array[] = []): Float32Array[] {
    if (this.disposed) throw new Error('webgpu SAE trainer: used after dispose()');
    return this.channel.call('saeTrainer', [op, this.id, ...params], inputs);
  }

  setState(p: SaeParameters): void {
    const { inputDim: d, latents: n } = this.spec;
    const expected: [string, Float32Array, number][] = [
      ['encoderKernel', p.encoderKernel, d * n],
      ['encoderBias', p.encoderBias, n],
      ['decoderKernel', p.decoderKernel, n * d],
      ['preBias', p.preBias, d],
    ];
    for (const [name, a, len] of expected)
      if (a.length !== len)
        throw new RangeError(`webgpu SAE trainer setState: ${name} has ${a.length} values, expected ${len}`);
    this.call(
      SaeTrainerOp.setParams,
      [],
      expected.map(([, a]) => a),
    );
    this.dead = 0;
  }

  getState(): SaeParameters {
    const [encoderKernel, encoderBias, decoderKernel, preBias] = this.call(SaeTrainerOp.getParams, []);
    return { encoderKernel, encoderBias, decoderKernel, preBias };
  }

  setData(x: Float32Array, rows: number): void {
    const d = this.spec.inputDim;
    if (!(Number.isInteger(rows) && rows >= 1) || x.length < rows * d)
      throw new RangeError(
        `webgpu SAE trainer setData: ${rows} rows need ${rows * d} values, got ${x.length}`,
      );
    if (rows >= F32_EXACT)
      throw new RangeError(`webgpu SAE trainer setData: ${rows} rows, at most ${F32_EXACT - 1}`);
    this.host = { x, rows };
    this.resident = rows * d <= this.maxBindingFloats;
    if (this.resident) this.call(SaeTrainerOp.setData, [rows], [x.subarray(0, rows * d)]);
  }

  step(indices: Uint32Array, lrT: number): { loss: number; dead: number } {
    const { batchSize: m, inputDim: d, kAux, auxCoefficient: alpha, mseScale } = this.spec;
    if (indices.length !== m)
      throw new RangeError(`webgpu SAE trainer step: ${indices.length} rows, expected the batch of ${m}`);
    const set = this.host;
    if (!set) throw new Error('webgpu SAE trainer step: no training data (call setData first)');
    const kAuxNow = alpha > 0 && this.dead > 0 ? Math.min(kAux, this.dead) : 0;
    let input: Float32Array;
    if (this.resident) input = Float32Array.from(indices);
    else {
      input = new Float32Array(m * d);
      for (let r = 0; r < m; r++) input.set(set.x.subarray(indices[r] * d, (indices[r] + 1) * d), r * d);
    }
    const sums = this.call(SaeTrainerOp.step, [this.resident ? 0 : 1, lrT, kAuxNow], [input])[0];
    if (sums[SaeSum.refusedRows] > 0)
      throw new Error(
        `webgpu SAE trainer step: ${sums[SaeSum.refusedRows]} rows of the batch have a NaN pre-activation (training diverged)`,
      );
    const md = m * d;
    let loss = (sums[SaeSum.mainSquares] / md) * mseScale;
    const spread = sums[SaeSum.spread];
    if (kAuxNow > 0 && spread > 0) loss += (alpha * sums[SaeSum.auxSquares]) / spread;
    this.dead = sums[SaeSum.dead];
    return { loss, dead: this.dead };
  }

  dispose(): void {
    if (this.disposed) return;
    this.call(SaeTrainerOp.dispose, []);
    this.disposed = true;
  }
}

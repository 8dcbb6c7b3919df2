import type { Backend } from '../backend/types.ts';
import { WebGpuBackend } from '../backend/webgpu/backend.ts';
import type { Op } from '../backend/webgpu/protocol.ts';
import { ShallowOp } from '../backend/webgpu/shallow-protocol.ts';
import {
  SHALLOW_MAX_CHUNK,
  SHALLOW_MAX_K,
  SHALLOW_MAX_REPLICAS,
  SHALLOW_WGSL_ACTIVATIONS,
  shallowLayout,
} from '../backend/webgpu/wgsl-shallow.ts';
import type { Rng } from '../tensor/rng.ts';
import type { ShallowAutoencoder } from './model.ts';

/** What the trainer needs of the webgpu backend: its counted round trip (WebGpuBackend.call). */
export interface ShallowDeviceChannel {
  call(op: Op, params: readonly number[], inputs: readonly Float32Array[]): Float32Array[];
}

/** The online law x = noise·ξ + Σ_r amplitude_r·z_r·u_r (basis: the u_r, spikes × D row-major). */
export interface ShallowLaw {
  basis: ArrayLike<number>;
  amplitude: readonly number[];
  noise: number;
}

/**
 * Where the device's steps take their samples: a resident training set (step s: row s mod n), or
 * the online law, with each model's two Philox seed words (philoxSeed).
 */
export type ShallowDeviceSource =
  | { train: Float32Array; trainCount: number }
  | { law: ShallowLaw; seeds: readonly (readonly [number, number])[] };

/** How trainShallow drives a model whose steps run elsewhere: steps from … to − 1, then the parameters back into the model. */
export interface ShallowStepper {
  advance(from: number, to: number): void;
  pull(): void;
}

/** Steps a dispatch runs by default: 5·10⁷ steps are ~3,000 dispatches. */
export const SHALLOW_DEFAULT_CHUNK = 16_384;

export interface WebGpuShallowOptions {
  /** Consecutive steps one dispatch runs (default SHALLOW_DEFAULT_CHUNK, at most SHALLOW_MAX_CHUNK). */
  chunk?: number;
  /** A smaller block size for the training set than the device's binding limit, so tests reach the blocked path cheaply. */
  maxBlockBytes?: number;
}

/**
 * Model-steps one run request takes at most (2¹⁸; R models side by side: 2¹⁸/R steps). A device
 * request must answer within the channel's 10 minutes; llvmpipe, which runs the models one after
 * another, measured 7,421 steps/s at D = 784, K = 4 (bench shallow-webgpu): ~35 s a request there.
 * On a GPU the round trip between requests is negligible.
 */
export const REQUEST_STEPS = 2 ** 18;

let nextId = 1;

/** Two u32 seed words for the device's Philox draws, from the run's stream. */
export function philoxSeed(rng: Rng): [number, number] {
  return [rng.int(2 ** 32), rng.int(2 ** 32)];
}

/** What models trained side by side must share (one shader's sizes). */
const SHARED = ['d', 'k'] as const;

/**
 * The shallow autoencoder's SGD on the webgpu device (worker side: worker-shallow.ts, shaders:
 * wgsl-shallow.ts), for one model or several trained side by side, one workgroup each (a GPU runs
 * them in the time of one). Models side by side share D and K and the source; activation, tying,
 * biases and rates are each one's own. The constructor uploads the parameters and
 * the source once; `advance` runs steps in dispatches of `chunk` consecutive steps and reads
 * nothing back; `pull` reads θ back into the models' own buffers, so the host code measures them
 * (test MSE, overlaps) as ever.
 *
 * Determinism: same seed, same device → same numbers, whatever the chunk and whatever the other
 * replicas (each step's sample is a function of (seed, step, coordinate), and the reductions have
 * a fixed order). The online draws are Philox4x32-10 normals (philox.ts), not the host's stream,
 * so an online run on webgpu and the same run on a CPU backend see different samples; a data-set
 * run sees the same samples and differs from the host's float32 steps only by rounding
 * (summation order, float32 rates).
 */
export class WebGpuShallowTrainer implements ShallowStepper {
  private readonly id = nextId++;
  private readonly layout: ReturnType<typeof shallowLayout>;
  private readonly chunk: number;
  private readonly models: readonly ShallowAutoencoder[];
  private disposed = false;

  constructor(
    private readonly channel: ShallowDeviceChannel,
    models: ShallowAutoencoder | readonly ShallowAutoencoder[],
    source: ShallowDeviceSource,
    options: WebGpuShallowOptions = {},
  ) {
    this.models = Array.isArray(models) ? models : [models as ShallowAutoencoder];
    const model = this.models[0];
    if (!model) throw new RangeError('webgpu shallow trainer: no models');
    this.models.forEach((m, r) => {
      for (const key of SHARED)
        if (m[key] !== model[key])
          throw new RangeError(
            `webgpu shallow trainer: model ${r} has ${key} = ${m[key]}, model 0 ${model[key]}; models side by side share D and K`,
          );
    });
    const replicas = this.models.length;
    if (replicas > SHALLOW_MAX_REPLICAS)
      throw new RangeError(
        `webgpu shallow trainer: ${replicas} models, at most ${SHALLOW_MAX_REPLICAS} side by side`,
      );
    const chunk = options.chunk ?? SHALLOW_DEFAULT_CHUNK;
    this.chunk = chunk;
    const { d, k } = model;
    if (k > SHALLOW_MAX_K)
      throw new RangeError(`webgpu shallow trainer: K = ${k} hidden units, at most ${SHALLOW_MAX_K}`);
    if (!(Number.isInteger(chunk) && chunk >= 1 && chunk <= SHALLOW_MAX_CHUNK))
      throw new RangeError(
        `webgpu shallow trainer: chunk ${chunk}, expected an integer 1 to ${SHALLOW_MAX_CHUNK}`,
      );
    this.layout = shallowLayout({ d, k });
    const online = 'law' in source;
    const spikes = online ? source.law.amplitude.length : 0;
    if (online) {
      if (spikes === 0) throw new RangeError('webgpu shallow trainer: the online law has no spikes');
      if (source.law.basis.length !== spikes * d)
        throw new RangeError(
          `webgpu shallow trainer: the law's basis has ${source.law.basis.length} values, expected ${spikes} × ${d}`,
        );
      if (source.seeds.length !== replicas)
        throw new RangeError(
          `webgpu shallow trainer: ${source.seeds.length} seeds for ${replicas} models, expected one each`,
        );
    } else if (
      !(
        Number.isInteger(source.trainCount) &&
        source.trainCount > 0 &&
        source.train.length >= source.trainCount * d
      )
    ) {
      throw new RangeError(
        `webgpu shallow trainer: trainCount ${source.trainCount} rows of ${d} need ${source.trainCount * d} values, got ${source.train.length}`,
      );
    }
    const invD = 1 / d;
    const invSqrtD = 1 / Math.sqrt(d);
    const settings = this.models.flatMap((m, r) => [
      SHALLOW_WGSL_ACTIVATIONS.indexOf(m.activation),
      +m.tied,
      +(m.b !== null),
      +(m.c !== null),
      m.lrW * invSqrtD,
      // a_e: the decoder's use of a tied W; 0 where W steps along its encoder use alone.
      m.tied && m.tiedGradient === 'encoder' ? 0 : m.lrW * invD,
      m.lrV * invD,
      m.lrC * invD,
      m.lrB,
      ...(online ? source.seeds[r].map((w) => w >>> 0) : [0, 0]),
    ]);
    this.call(ShallowOp.create, [d, k, spikes, replicas, invSqrtD, invD, ...settings]);
    this.call(ShallowOp.setParams, [], [this.pack()]);
    if (online) {
      const { law } = source;
      const data = new Float32Array(spikes * d + spikes);
      for (let i = 0; i < spikes * d; i++) data[i] = law.basis[i];
      data.set(law.amplitude, spikes * d);
      this.call(ShallowOp.setSource, [0, law.noise, 0], [data]);
    } else {
      const rows = source.trainCount;
      this.call(
        ShallowOp.setSource,
        [rows, 0, options.maxBlockBytes ?? 0],
        [source.train.subarray(0, rows * d)],
      );
    }
  }

  private call(op: number, params: readonly number[], inputs: readonly Float32Array[] = []): Float32Array[] {
    if (this.disposed) throw new Error('webgpu shallow trainer: used after dispose()');
    return this.channel.call('shallow', [op, this.id, ...params], inputs);
  }

  /** Each model's θ = [W | V | b | c], float32, one after another. */
  private pack(): Float32Array {
    const { layout } = this;
    const theta = new Float32Array(this.models.length * layout.length);
    this.models.forEach((m, r) => {
      const at = r * layout.length;
      theta.set(m.w, at + layout.w);
      if (m.v) theta.set(m.v, at + layout.v);
      if (m.b) theta.set(m.b, at + layout.b);
      if (m.c) theta.set(m.c, at + layout.c);
    });
    return theta;
  }

  /** Runs steps from … to − 1 of every model on the device (requests of REQUEST_STEPS model-steps; nothing comes back). */
  advance(from: number, to: number): void {
    if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= 2 ** 32))
      throw new RangeError(
        `webgpu shallow trainer advance: steps ${from} to ${to}, expected 0 ≤ from ≤ to ≤ 2³²`,
      );
    const most = Math.max(1, Math.floor(REQUEST_STEPS / this.models.length));
    for (let s = from; s < to; s += most) this.call(ShallowOp.run, [s, Math.min(most, to - s), this.chunk]);
  }

  /** Reads θ back into every model's W, V, b, c. */
  pull(): void {
    const { layout } = this;
    const [theta] = this.call(ShallowOp.getParams, []);
    this.models.forEach((m, r) => {
      const at = r * layout.length;
      const { d, k } = m;
      m.w.set(theta.subarray(at + layout.w, at + layout.w + d * k));
      m.v?.set(theta.subarray(at + layout.v, at + layout.v + k * d));
      m.b?.set(theta.subarray(at + layout.b, at + layout.b + k));
      m.c?.set(theta.subarray(at + layout.c, at + layout.c + d));
    });
  }

  /** The samples steps from … from + count − 1 of model `replica` train on, as the device draws them (count × D; for checks). */
  draw(from: number, count: number, replica = 0): Float32Array {
    if (!(Number.isInteger(count) && count >= 1))
      throw new RangeError(`webgpu shallow trainer draw: count ${count}, expected a positive integer`);
    return this.call(ShallowOp.draw, [from, count, replica])[0];
  }

  dispose(): void {
    if (this.disposed) return;
    this.call(ShallowOp.dispose, []);
    this.disposed = true;
  }
}

/** The device trainer for `models` when `backend` is webgpu, else undefined (the models step on the host). */
export function shallowDeviceTrainer(
  backend: Backend,
  model: ShallowAutoencoder | readonly ShallowAutoencoder[],
  source: ShallowDeviceSource,
  options?: WebGpuShallowOptions,
): WebGpuShallowTrainer | undefined {
  return backend instanceof WebGpuBackend
    ? new WebGpuShallowTrainer(backend, model, source, options)
    : undefined;
}

// The shallow autoencoder's device trainer, worker side: every model's θ = [W | V | b | c] and the
// step source (a training set, or the online law) live in GPU buffers for the trainer's life; a
// run request is a series of dispatches, each a chunk of SGD steps with one workgroup a model
// (wgsl-shallow.ts), and reads nothing back. See src/shallow/webgpu-trainer.ts for the main-thread side.

import type { PipelineHost } from './dawn.ts';
import {
  dispatchGrid,
  encodeDispatch,
  MAP_READ,
  settle,
  USAGE_READBACK,
  USAGE_STORAGE,
  USAGE_UNIFORM,
} from './dawn.ts';
import type { Request } from './protocol.ts';
import { ShallowOp } from './shallow-protocol.ts';
import {
  replicaUniform,
  SHALLOW_MAX_CHUNK,
  SHALLOW_MAX_K,
  SHALLOW_MAX_REPLICAS,
  SHALLOW_REPLICA_BYTES,
  SHALLOW_SOURCE_BLOCKS,
  SHALLOW_UNIFORM_HEADER,
  SHALLOW_WGSL_ACTIVATIONS,
  type ShallowReplica,
  type ShallowShaderSpec,
  shallowDrawShader,
  shallowLayout,
  shallowStepShader,
} from './wgsl-shallow.ts';

const bytesFor = (floats: number) => Math.max(16, Math.ceil((floats * 4) / 16) * 16);

class ShallowDevice {
  private readonly theta: GPUBuffer;
  private readonly thetaLength: number;
  /** The source's blocks (SHALLOW_SOURCE_BLOCKS; unused ones are 16-byte placeholders). */
  private source: GPUBuffer[] = [];
  private blockRows = 1;
  private readonly uniforms: GPUBuffer[] = [];
  /** rows and noise of the source. */
  private sourceParams: [number, number] | null = null;
  private readonly key: string;

  constructor(
    private readonly host: PipelineHost,
    private readonly spec: ShallowShaderSpec,
    /** 1/√D and 1/D. */
    private readonly scales: readonly [number, number],
    /** Each replica's settings, the tail of every uniform buffer. */
    private readonly replicas: readonly ShallowReplica[],
  ) {
    this.thetaLength = spec.replicas * shallowLayout(spec).length;
    this.theta = host.device.createBuffer({ size: bytesFor(this.thetaLength), usage: USAGE_STORAGE });
    this.source = this.placeholders(SHALLOW_SOURCE_BLOCKS);
    this.key = `${spec.d}:${spec.k}:${spec.spikes}:${spec.replicas}`;
  }

  setParams(theta: Float32Array): void {
    if (theta.length !== this.thetaLength)
      throw new Error(`webgpu shallow setParams: θ of ${theta.length} values, expected ${this.thetaLength}`);
    this.host.device.queue.writeBuffer(this.theta, 0, theta.buffer, theta.byteOffset, theta.byteLength);
  }

  getParams(): Promise<Float32Array[]> {
    return this.read(this.theta, this.thetaLength, this.host.device.createCommandEncoder());
  }

  private placeholders(n: number): GPUBuffer[] {
    return Array.from({ length: n }, () => this.host.device.createBuffer({ size: 16, usage: USAGE_STORAGE }));
  }

  setSource(rows: number, noise: number, maxBlockBytes: number, data: Float32Array): void {
    const { d, spikes } = this.spec;
    const need = spikes === 0 ? rows * d : spikes * d + spikes;
    if (data.length !== need)
      throw new Error(`webgpu shallow setSource: ${data.length} values, expected ${need}`);
    const { device } = this.host;
    const limit = Math.min(
      device.limits.maxStorageBufferBindingSize,
      device.limits.maxBufferSize,
      maxBlockBytes > 0 ? maxBlockBytes : Number.POSITIVE_INFINITY,
    );
    // A training set too big for one binding goes in blocks of whole rows.
    const blockRows = spikes === 0 ? Math.min(rows, Math.floor(limit / (4 * d))) : 1;
    const blocks = spikes === 0 ? Math.ceil(rows / blockRows) : 1;
    if (spikes > 0 && 4 * need > limit)
      throw new Error(
        `webgpu shallow setSource: the law's ${need} values exceed the device's ${limit}-byte binding`,
      );
    if (blocks > SHALLOW_SOURCE_BLOCKS)
      throw new Error(
        `webgpu shallow setSource: ${rows} rows of ${d} floats need ${blocks} bindings of at most ${limit} bytes; the shader takes ${SHALLOW_SOURCE_BLOCKS}`,
      );
    for (const b of this.source) b.destroy();
    this.source = [];
    for (let j = 0; j < blocks; j++) {
      const from = j * blockRows * d;
      const part = spikes === 0 ? data.subarray(from, Math.min(data.length, from + blockRows * d)) : data;
      const b = device.createBuffer({ size: bytesFor(part.length), usage: USAGE_STORAGE });
      device.queue.writeBuffer(b, 0, part.buffer, part.byteOffset, part.byteLength);
      this.source.push(b);
    }
    this.source.push(...this.placeholders(SHALLOW_SOURCE_BLOCKS - blocks));
    this.blockRows = blockRows;
    this.sourceParams = [rows, noise];
  }

  /** The uniform's header for a dispatch of steps start … start + count − 1 (the replicas' settings follow it). */
  private header(start: number, count: number, replica = 0): ArrayBuffer {
    if (!this.sourceParams) throw new Error('webgpu shallow: no source (call setSource first)');
    const [rows, noise] = this.sourceParams;
    const u = new ArrayBuffer(SHALLOW_UNIFORM_HEADER);
    new Uint32Array(u, 0, 5).set([start, count, rows, replica, this.blockRows]);
    new Float32Array(u, 32, 3).set([...this.scales, noise]);
    return u;
  }

  /** Uniform buffer i, made with the replicas' settings in place (a dispatch writes only the header). */
  private uniformBuffer(i: number): GPUBuffer {
    const { device } = this.host;
    while (this.uniforms.length <= i) {
      const u = device.createBuffer({
        size: SHALLOW_UNIFORM_HEADER + SHALLOW_REPLICA_BYTES * this.replicas.length,
        usage: USAGE_UNIFORM,
      });
      this.replicas.forEach((r, j) => {
        device.queue.writeBuffer(u, SHALLOW_UNIFORM_HEADER + SHALLOW_REPLICA_BYTES * j, replicaUniform(r));
      });
      this.uniforms.push(u);
    }
    return this.uniforms[i];
  }

  /** Steps start … start + count − 1, `chunk` to a dispatch; waits until the device has run them. */
  async run(start: number, count: number, chunk: number): Promise<Float32Array[]> {
    if (!(Number.isInteger(chunk) && chunk >= 1 && chunk <= SHALLOW_MAX_CHUNK))
      throw new Error(`webgpu shallow run: chunk ${chunk}, expected 1 to ${SHALLOW_MAX_CHUNK}`);
    if (
      !(
        Number.isInteger(start) &&
        start >= 0 &&
        Number.isInteger(count) &&
        count >= 0 &&
        start + count <= 2 ** 32
      )
    )
      throw new Error(`webgpu shallow run: steps ${start} + ${count} are not within 0 … 2³²`);
    const { device } = this.host;
    const pipeline = this.host.pipeline(`shallow-step:${this.key}`, () => shallowStepShader(this.spec));
    // One submission of up to 64 dispatches, each with its own uniform buffer.
    const perSubmit = 64;
    for (let from = 0; from < count; ) {
      const encoder = device.createCommandEncoder();
      for (let j = 0; j < perSubmit && from < count; j++) {
        const n = Math.min(chunk, count - from);
        const u = this.uniformBuffer(j);
        device.queue.writeBuffer(u, 0, this.header(start + from, n));
        encodeDispatch(device, encoder, pipeline, [this.theta, ...this.source, u], this.replicas.length);
        from += n;
      }
      device.queue.submit([encoder.finish()]);
      await settle(device.queue.onSubmittedWorkDone());
    }
    return [];
  }

  async draw(start: number, count: number, replica: number): Promise<Float32Array[]> {
    if (!(Number.isInteger(replica) && replica >= 0 && replica < this.replicas.length))
      throw new Error(`webgpu shallow draw: replica ${replica}, expected 0 to ${this.replicas.length - 1}`);
    const { device } = this.host;
    const out = device.createBuffer({ size: bytesFor(count * this.spec.d), usage: USAGE_STORAGE });
    try {
      const pipeline = this.host.pipeline(`shallow-draw:${this.key}`, () => shallowDrawShader(this.spec));
      const u = this.uniformBuffer(0);
      device.queue.writeBuffer(u, 0, this.header(start, count, replica));
      const encoder = device.createCommandEncoder();
      encodeDispatch(device, encoder, pipeline, [out, ...this.source, u], dispatchGrid(count));
      return await this.read(out, count * this.spec.d, encoder);
    } finally {
      out.destroy();
    }
  }

  private async read(b: GPUBuffer, floats: number, encoder: GPUCommandEncoder): Promise<Float32Array[]> {
    const { device } = this.host;
    const bytes = bytesFor(floats);
    const staging = device.createBuffer({ size: bytes, usage: USAGE_READBACK });
    try {
      encoder.copyBufferToBuffer(b, 0, staging, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await settle(staging.mapAsync(MAP_READ, 0, bytes));
      const values = new Float32Array(staging.getMappedRange(0, bytes)).slice(0, floats);
      staging.unmap();
      return [values];
    } finally {
      staging.destroy();
    }
  }

  dispose(): void {
    this.theta.destroy();
    for (const b of this.source) b.destroy();
    for (const u of this.uniforms) u.destroy();
  }
}

const devices = new Map<number, ShallowDevice>();

/** Serves one 'shallow' request (see shallow-protocol.ts). */
export async function shallowRequest(host: PipelineHost, req: Request): Promise<Float32Array[]> {
  const [code, id, ...p] = req.params;
  if (code === ShallowOp.create) {
    const [d, k, spikes, count, invSqrtD, invD, ...settings] = p;
    if (!(k >= 1 && k <= SHALLOW_MAX_K))
      throw new Error(`webgpu shallow: K = ${k}, at most ${SHALLOW_MAX_K}`);
    if (!(Number.isInteger(count) && count >= 1 && count <= SHALLOW_MAX_REPLICAS))
      throw new Error(`webgpu shallow create: ${count} replicas, expected 1 to ${SHALLOW_MAX_REPLICAS}`);
    if (settings.length !== 11 * count)
      throw new Error(
        `webgpu shallow create: ${settings.length} settings for ${count} replicas, expected 11 each`,
      );
    const replicas = Array.from({ length: count }, (_, r): ShallowReplica => {
      const [act, tied, enc, out, aW, aE, aV, aC, lrB, seedLo, seedHi] = settings.slice(11 * r, 11 * r + 11);
      const activation = SHALLOW_WGSL_ACTIVATIONS[act];
      if (!activation) throw new Error(`webgpu shallow: replica ${r}: unknown activation index ${act}`);
      return {
        activation,
        tied: tied === 1,
        encoderBias: enc === 1,
        outputBias: out === 1,
        rates: [aW, aE, aV, aC],
        lrB,
        seed: [seedLo, seedHi],
      };
    });
    devices.get(id)?.dispose();
    devices.set(id, new ShallowDevice(host, { d, k, spikes, replicas: count }, [invSqrtD, invD], replicas));
    return [];
  }
  const t = devices.get(id);
  if (!t) throw new Error(`webgpu shallow trainer ${id}: none (disposed, or never created)`);
  switch (code) {
    case ShallowOp.setParams:
      t.setParams(req.inputs[0]);
      return [];
    case ShallowOp.getParams:
      return t.getParams();
    case ShallowOp.setSource:
      t.setSource(p[0], p[1], p[2], req.inputs[0]);
      return [];
    case ShallowOp.run:
      return t.run(p[0], p[1], p[2]);
    case ShallowOp.draw:
      return t.draw(p[0], p[1], p[2]);
    case ShallowOp.dispose:
      t.dispose();
      devices.delete(id);
      return [];
    default:
      throw new Error(`webgpu shallow: unknown request ${code}`);
  }
}

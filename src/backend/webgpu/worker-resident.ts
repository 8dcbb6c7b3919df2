// The device worker's side of the webgpu backend's ResidentOps (resident.ts): matrices kept as GPU
// buffers between requests, keyed by the ids the caller picks. Only residentUpload carries data to
// the device and only residentDownload carries data back; every other op encodes its dispatch,
// submits it and replies, its output staying on the device.
import { ACTIVATIONS } from '../activations.ts';
import { encodeDispatch, MAP_READ, settle, USAGE_STORAGE, USAGE_UNIFORM } from './dawn.ts';
import type { Request, ResidentOp } from './protocol.ts';
import { biasActivationShader, GEMM_TILE, gemmShader, WORKGROUP_INVOCATIONS } from './wgsl.ts';
import { muUpdateShader, topkShader } from './wgsl-resident.ts';

/** What the resident ops need of worker.ts's Runner. */
export interface ResidentRunner {
  readonly device: GPUDevice;
  pipeline(key: string, source: () => string): GPUComputePipeline;
  /** A grown-on-demand buffer kept under `name` ('readback' is the mappable one). */
  buffer(name: string, floats: number): GPUBuffer;
}

interface Held {
  readonly buffer: GPUBuffer;
  readonly floats: number;
}

const bytesFor = (floats: number) => Math.max(16, Math.ceil((floats * 4) / 16) * 16);

/** The matrices and the uniform buffer of one device. */
class Store {
  private readonly held = new Map<number, Held>();
  /** One uniform buffer for every dispatch: queue writes and submissions run in order. */
  private readonly uniform: GPUBuffer;

  constructor(readonly runner: ResidentRunner) {
    this.uniform = runner.device.createBuffer({ size: 64, usage: USAGE_UNIFORM });
  }

  get(id: number, floats?: number): Held {
    const h = this.held.get(id);
    if (!h) throw new Error(`resident matrix ${id} is not held (released, or never uploaded)`);
    if (floats !== undefined && h.floats < floats)
      throw new Error(`resident matrix ${id} holds ${h.floats} floats, the op reads ${floats}`);
    return h;
  }

  create(id: number, floats: number): GPUBuffer {
    if (this.held.has(id)) throw new Error(`resident matrix ${id} is already held`);
    const buffer = this.runner.device.createBuffer({ size: bytesFor(floats), usage: USAGE_STORAGE });
    this.held.set(id, { buffer, floats });
    return buffer;
  }

  release(id: number): void {
    this.get(id).buffer.destroy();
    this.held.delete(id);
  }

  /** Encodes one dispatch (laid out by dispatchGrid) after `before`, and submits. */
  dispatch(
    pipeline: GPUComputePipeline,
    buffers: GPUBuffer[],
    uniform: ArrayBuffer,
    groups: [number, number] | number,
    before?: (encoder: GPUCommandEncoder) => void,
  ): void {
    const { device } = this.runner;
    device.queue.writeBuffer(this.uniform, 0, uniform);
    const encoder = device.createCommandEncoder();
    before?.(encoder);
    encodeDispatch(device, encoder, pipeline, [...buffers, this.uniform], groups);
    device.queue.submit([encoder.finish()]);
  }
}

const stores = new WeakMap<ResidentRunner, Store>();
const groupsFor = (count: number) => Math.ceil(count / WORKGROUP_INVOCATIONS);
const u32s = (...v: number[]) => new Uint32Array(v).buffer;

/** Runs one resident request; replies with data only for residentDownload. */
export async function handleResident(runner: ResidentRunner, req: Request): Promise<Float32Array[]> {
  let store = stores.get(runner);
  if (!store) {
    store = new Store(runner);
    stores.set(runner, store);
  }
  const p = req.params;
  switch (req.op as ResidentOp) {
    case 'residentUpload': {
      const [id, count] = p;
      const data = req.inputs[0];
      if (!data || data.length < count)
        throw new Error(`residentUpload: ${data?.length ?? 0} values for ${count}`);
      const b = store.create(id, count);
      if (count > 0) runner.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, count * 4);
      return [];
    }
    case 'residentGemm': {
      const [out, a, b, transA, transB, m, n, k] = p;
      const A = store.get(a, m * k).buffer;
      const B = store.get(b, k * n).buffer;
      const C = store.create(out, m * n);
      const flags = (transA ? 1 : 0) | (transB ? 2 : 0);
      store.dispatch(runner.pipeline('gemm', gemmShader), [A, B, C], u32s(m, n, k, flags), [
        Math.ceil(n / GEMM_TILE.bn),
        Math.ceil(m / GEMM_TILE.bm),
      ]);
      return [];
    }
    case 'residentBiasActivation': {
      const [out, z, bias, rows, cols, act] = p;
      const name = ACTIVATIONS[act];
      if (name === undefined) throw new Error(`residentBiasActivation: no activation number ${act}`);
      const count = rows * cols;
      const Z = store.get(z, count).buffer;
      const bb = store.get(bias, cols).buffer;
      const O = store.create(out, count);
      const pipeline = runner.pipeline(`bias-${name}`, () => biasActivationShader(name));
      // The shader works in place: the output starts as a copy of z.
      store.dispatch(pipeline, [O, bb], u32s(count, cols), groupsFor(count), (encoder) => {
        if (count > 0) encoder.copyBufferToBuffer(Z, 0, O, 0, count * 4);
      });
      return [];
    }
    case 'residentMu': {
      const [out, f, num, den, count, l1, l2] = p;
      const F = store.get(f, count).buffer;
      const N = store.get(num, count).buffer;
      const D = store.get(den, count).buffer;
      const O = store.create(out, count);
      const uniform = new ArrayBuffer(16);
      new Uint32Array(uniform, 0, 1)[0] = count;
      new Float32Array(uniform, 4, 2).set([l1, l2]);
      store.dispatch(runner.pipeline('mu', muUpdateShader), [F, N, D, O], uniform, groupsFor(count));
      return [];
    }
    case 'residentTopK': {
      const [values, indices, z, rows, cols, k, masked] = p;
      const Z = store.get(z, rows * cols).buffer;
      const device = runner.device;
      const E = device.createBuffer({ size: bytesFor(masked ? cols : 1), usage: USAGE_STORAGE });
      if (masked) device.queue.writeBuffer(E, 0, req.inputs[0].buffer, req.inputs[0].byteOffset, cols * 4);
      const V = store.create(values, rows * k);
      const I = store.create(indices, rows * k);
      store.dispatch(runner.pipeline('topk', topkShader), [Z, E, V, I], u32s(rows, cols, k, masked), rows);
      // Freed once the submitted pass is done (a destroyed buffer outlives its queued uses).
      E.destroy();
      return [];
    }
    case 'residentDownload': {
      const [id, count] = p;
      const held = store.get(id, count);
      if (count === 0) return [new Float32Array(0)];
      const staging = runner.buffer('readback', count);
      const encoder = runner.device.createCommandEncoder();
      encoder.copyBufferToBuffer(held.buffer, 0, staging, 0, count * 4);
      runner.device.queue.submit([encoder.finish()]);
      await settle(staging.mapAsync(MAP_READ, 0, bytesFor(count)));
      const out = new Float32Array(staging.getMappedRange(0, bytesFor(count))).slice(0, count);
      staging.unmap();
      return [out];
    }
    case 'residentRelease': {
      store.release(p[0]);
      return [];
    }
    default:
      throw new Error(`webgpu worker: unknown resident op '${req.op}'`);
  }
}

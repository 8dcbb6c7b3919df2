// The webgpu backend's device worker: owns Dawn's adapter and device, runs each request as one
// submission (upload, dispatch, readback) and replies on its port. See protocol.ts.
import { workerData } from 'node:worker_threads';
import { ACTIVATIONS } from '../activations.ts';
import { encodeDispatch, MAP_READ, settle, USAGE_READBACK, USAGE_STORAGE, USAGE_UNIFORM } from './dawn.ts';
import {
  type DawnBackend,
  type DeviceInfo,
  RESIDENT_OPS,
  type Reply,
  type Request,
  type WorkerInit,
} from './protocol.ts';
import {
  activationBackwardShader,
  activationProbeShader,
  adamShader,
  biasActivationShader,
  columnSumShader,
  GEMM_TILE,
  gemmShader,
  MSE_CHUNK,
  mseShader,
  WORKGROUP_INVOCATIONS,
} from './wgsl.ts';
import { handleResident } from './worker-resident.ts';
import { saeTrainerRequest } from './worker-sae-trainer.ts';
import { shallowRequest } from './worker-shallow.ts';
import { trainerRequest } from './worker-trainer.ts';

const init = workerData as WorkerInit & { port: import('node:worker_threads').MessagePort };
const control = new Int32Array(init.control);
const port = init.port;

function reply(r: Reply): void {
  port.postMessage(
    r,
    r.outputs.map((o) => o.buffer as ArrayBuffer),
  );
  Atomics.store(control, 0, r.seq);
  Atomics.notify(control, 0);
}

interface Gpu {
  device: GPUDevice;
  info: DeviceInfo;
}

/**
 * Every Dawn instance made here, held for the worker's life: Dawn's objects live only as long as
 * the object `create` returned, and collecting it under a live device aborts the process.
 */
const instances: GPU[] = [];

async function openDevice(backends: readonly DawnBackend[]): Promise<Gpu> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    throw new Error(`the 'webgpu' npm package (Dawn) cannot be loaded: ${(e as Error).message}`);
  }
  Object.assign(globalThis, webgpu.globals);
  for (const backend of backends) {
    let adapter: GPUAdapter | null = null;
    // Mesa's eglInitialize under Xvfb fails now and then (about 1 start in 12 here); a second
    // instance gets a display.
    for (let attempt = 0; attempt < (backend === 'opengles' ? 3 : 1) && !adapter; attempt++) {
      const gpu = webgpu.create([`backend=${backend}`]);
      instances.push(gpu);
      adapter = await settle(
        gpu.requestAdapter(
          backend === 'opengles'
            ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions)
            : { powerPreference: 'high-performance' },
        ),
      );
    }
    if (!adapter) continue;
    const maxBindingBytes = adapter.limits.maxStorageBufferBindingSize;
    const device = await settle(
      adapter.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: maxBindingBytes,
          maxBufferSize: adapter.limits.maxBufferSize,
        },
      }),
    );
    const i = adapter.info;
    const name = [i.vendor, i.device || i.architecture].filter((s) => s).join(' ');
    return {
      device,
      info: { adapter: `${backend}: ${name}${i.description ? ` (${i.description})` : ''}`, maxBindingBytes },
    };
  }
  throw new Error(`no WebGPU adapter from Dawn's ${backends.join(' or ')} backend`);
}

class Runner {
  private readonly slots = new Map<string, GPUBuffer>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines compiled since the last reply (see {@link takeCompiles}). */
  private compiled = 0;
  private readonly uniform: GPUBuffer;

  constructor(readonly device: GPUDevice) {
    this.uniform = device.createBuffer({ size: 64, usage: USAGE_UNIFORM });
  }

  /** A storage buffer of at least `floats` floats kept under `name` (grown, never shrunk). */
  buffer(name: string, floats: number): GPUBuffer {
    const bytes = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    let b = this.slots.get(name);
    if (!b || b.size < bytes) {
      b?.destroy();
      b = this.device.createBuffer({
        size: bytes,
        usage: name === 'readback' ? USAGE_READBACK : USAGE_STORAGE,
      });
      this.slots.set(name, b);
    }
    return b;
  }

  upload(name: string, data: Float32Array): GPUBuffer {
    const b = this.buffer(name, data.length);
    if (data.length > 0) this.device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  }

  pipeline(key: string, source: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code: source() });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(key, p);
      this.compiled++;
    }
    return p;
  }

  /** Pipelines compiled since the last call, for the reply. */
  takeCompiles(): number {
    const n = this.compiled;
    this.compiled = 0;
    return n;
  }

  /**
   * One submission: the dispatch over `groups` workgroups (laid out 2-D when over 65535), then
   * copies of the outputs into the readback buffer, mapped and returned as fresh arrays.
   */
  async run(
    pipeline: GPUComputePipeline,
    bindings: GPUBuffer[],
    uniform: ArrayBuffer,
    groups: [number, number] | number,
    outputs: [GPUBuffer, number][],
  ): Promise<Float32Array[]> {
    const { device } = this;
    device.queue.writeBuffer(this.uniform, 0, uniform);
    const encoder = device.createCommandEncoder();
    encodeDispatch(device, encoder, pipeline, [...bindings, this.uniform], groups);
    const total = outputs.reduce((s, [, n]) => s + n, 0);
    const staging = this.buffer('readback', total);
    let offset = 0;
    for (const [b, n] of outputs) {
      if (n > 0) encoder.copyBufferToBuffer(b, 0, staging, offset * 4, n * 4);
      offset += n;
    }
    device.queue.submit([encoder.finish()]);
    await settle(staging.mapAsync(MAP_READ, 0, Math.max(16, Math.ceil((total * 4) / 16) * 16)));
    const mapped = new Float32Array(
      staging.getMappedRange(0, Math.max(16, Math.ceil((total * 4) / 16) * 16)),
    );
    const result: Float32Array[] = [];
    offset = 0;
    for (const [, n] of outputs) {
      result.push(mapped.slice(offset, offset + n));
      offset += n;
    }
    staging.unmap();
    return result;
  }
}

const groupsFor = (count: number, perGroup = WORKGROUP_INVOCATIONS) => Math.ceil(count / perGroup);
const u32s = (...v: number[]) => new Uint32Array(v).buffer;

/** Runs one request; throws on bad requests and device errors. */
async function handle(runner: Runner, req: Request): Promise<Float32Array[]> {
  const { op, params: p, inputs } = req;
  switch (op) {
    case 'gemm': {
      const [transA, transB, m, n, k, accumulate] = p;
      const a = runner.upload('a', inputs[0]);
      const b = runner.upload('b', inputs[1]);
      const c = accumulate ? runner.upload('c', inputs[2]) : runner.buffer('c', m * n);
      const flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0);
      const pipeline = runner.pipeline('gemm', gemmShader);
      return runner.run(
        pipeline,
        [a, b, c],
        u32s(m, n, k, flags),
        [Math.ceil(n / GEMM_TILE.bn), Math.ceil(m / GEMM_TILE.bm)],
        [[c, m * n]],
      );
    }
    case 'biasActivation': {
      const [rows, cols, act] = p;
      const name = ACTIVATIONS[act];
      const z = runner.upload('a', inputs[0]);
      const bias = runner.upload('b', inputs[1]);
      const pipeline = runner.pipeline(`bias-${name}`, () => biasActivationShader(name));
      return runner.run(pipeline, [z, bias], u32s(rows * cols, cols), groupsFor(rows * cols), [
        [z, rows * cols],
      ]);
    }
    case 'activationBackward': {
      const [count, act] = p;
      const name = ACTIVATIONS[act];
      const g = runner.upload('a', inputs[0]);
      const y = runner.upload('b', inputs[1]);
      const pipeline = runner.pipeline(`back-${name}`, () => activationBackwardShader(name));
      return runner.run(pipeline, [g, y], u32s(count), groupsFor(count), [[g, count]]);
    }
    case 'columnSum': {
      const [rows, cols, accumulate] = p;
      const g = runner.upload('a', inputs[0]);
      const out = accumulate ? runner.upload('c', inputs[1]) : runner.buffer('c', cols);
      const pipeline = runner.pipeline('columnSum', columnSumShader);
      return runner.run(pipeline, [g, out], u32s(rows, cols, accumulate), groupsFor(cols), [[out, cols]]);
    }
    case 'mse': {
      const [count, grad, c] = p;
      const pred = runner.upload('a', inputs[0]);
      const target = runner.upload('b', inputs[1]);
      const gr = runner.buffer('c', grad ? count : 1);
      const chunks = groupsFor(count, MSE_CHUNK);
      const partial = runner.buffer('d', chunks);
      const uniform = new ArrayBuffer(16);
      new Uint32Array(uniform, 0, 2).set([count, grad]);
      new Float32Array(uniform, 8, 1)[0] = c;
      const pipeline = runner.pipeline('mse', mseShader);
      const outputs: [GPUBuffer, number][] = [[partial, chunks]];
      if (grad) outputs.push([gr, count]);
      return runner.run(pipeline, [pred, target, gr, partial], uniform, chunks, outputs);
    }
    case 'adam': {
      const [count, lrT, a1, a2, eps] = p;
      const w = runner.upload('a', inputs[0]);
      const g = runner.upload('b', inputs[1]);
      const m = runner.upload('c', inputs[2]);
      const v = runner.upload('d', inputs[3]);
      const uniform = new ArrayBuffer(32);
      new Uint32Array(uniform, 0, 1)[0] = count;
      new Float32Array(uniform, 4, 4).set([lrT, a1, a2, eps]);
      const pipeline = runner.pipeline('adam', adamShader);
      return runner.run(pipeline, [w, g, m, v], uniform, groupsFor(count), [
        [w, count],
        [m, count],
        [v, count],
      ]);
    }
    case 'activationProbe': {
      const [count] = p;
      const x = runner.upload('a', inputs[0]);
      const gy = runner.upload('b', inputs[1]);
      const f = runner.buffer('c', count * ACTIVATIONS.length);
      const back = runner.buffer('d', count * ACTIVATIONS.length);
      const pipeline = runner.pipeline('probe', activationProbeShader);
      return runner.run(pipeline, [x, gy, f, back], u32s(count), groupsFor(count), [
        [f, count * ACTIVATIONS.length],
        [back, count * ACTIVATIONS.length],
      ]);
    }
    case 'trainer':
      return trainerRequest(runner, req);
    case 'saeTrainer':
      return saeTrainerRequest(runner, req);
    case 'shallow':
      return shallowRequest(runner, req);
    default:
      if ((RESIDENT_OPS as readonly string[]).includes(op)) return handleResident(runner, req);
      throw new Error(`webgpu worker: unknown op '${op as string}'`);
  }
}

/** Runs `work` inside validation and out-of-memory error scopes, turning a scope's error into a throw. */
async function checked<T>(device: GPUDevice, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: T | undefined;
  let thrown: unknown;
  try {
    result = await work();
  } catch (e) {
    thrown = e;
  }
  const validation = await settle(device.popErrorScope());
  const oom = await settle(device.popErrorScope());
  const gpuError = validation ?? oom;
  if (gpuError)
    throw new Error(`WebGPU ${validation ? 'validation' : 'out-of-memory'} error: ${gpuError.message}`);
  if (thrown !== undefined) throw thrown;
  return result as T;
}

async function main(): Promise<void> {
  let gpu: Gpu;
  try {
    gpu = await openDevice(init.backends);
  } catch (e) {
    reply({ seq: 0, outputs: [], error: (e as Error).message });
    return;
  }
  let lost: string | undefined;
  gpu.device.lost.then((l) => {
    lost = `WebGPU device lost (${l.reason}): ${l.message}`;
  });
  const runner = new Runner(gpu.device);
  port.on('message', (req: Request) => {
    if (lost) return reply({ seq: req.seq, outputs: [], error: lost });
    checked(gpu.device, () => handle(runner, req)).then(
      (outputs) => reply({ seq: req.seq, outputs, compiles: runner.takeCompiles() }),
      (e: Error) =>
        reply({ seq: req.seq, outputs: [], error: e.stack ?? String(e), compiles: runner.takeCompiles() }),
    );
  });
  reply({ seq: 0, outputs: [], info: gpu.info });
}

void main();

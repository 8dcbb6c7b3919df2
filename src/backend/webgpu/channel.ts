import { existsSync, readdirSync } from 'node:fs';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { DawnBackend, DeviceInfo, Op, Reply, Request, WorkerInit } from './protocol.ts';

const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('./worker-entry.mjs', import.meta.url)
  : new URL('./worker.js', import.meta.url);

/** How long a start-up may take before the backend is declared unavailable. */
const START_TIMEOUT_MS = 60_000;

/**
 * The synchronous side of the device worker: `call` posts a request and blocks this thread in
 * Atomics.wait until the worker has replied (the worker's own event loop keeps Dawn's promises
 * settling meanwhile).
 */
export class DeviceChannel {
  private seq = 0;
  private compiled = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly control: Int32Array,
    readonly info: DeviceInfo,
  ) {}

  /** Starts the worker and waits for its device; throws with the reason when there is none. */
  static open(backends: readonly DawnBackend[], timeoutMs = START_TIMEOUT_MS): DeviceChannel {
    const control = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(control, 0, -1);
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit & { port: MessagePort } = {
      control: control.buffer as SharedArrayBuffer,
      backends,
      port: port2,
    };
    const worker = new Worker(WORKER_URL, { workerData: init, transferList: [port2], execArgv: [] });
    worker.unref(); // an idle device must not keep the process alive
    port1.unref();
    const reply = waitReply(port1, control, 0, timeoutMs, 'starting the WebGPU device');
    if (reply.error !== undefined || !reply.info) {
      void worker.terminate();
      throw new Error(reply.error ?? 'the WebGPU worker gave no device');
    }
    return new DeviceChannel(worker, port1, control, reply.info);
  }

  /** Shader pipelines the worker has compiled so far (for the backends' transfer counts). */
  get compiles(): number {
    return this.compiled;
  }

  /** Runs one request on the device; its outputs are fresh arrays. */
  call(
    op: Op,
    params: readonly number[],
    inputs: readonly Float32Array[],
    timeoutMs = 600_000,
  ): Float32Array[] {
    const seq = ++this.seq;
    // Copies of just the used ranges (a view's clone would copy its whole buffer), handed over.
    const own = inputs.map((x) => x.slice());
    const request: Request = { seq, op, params, inputs: own };
    this.port.postMessage(
      request,
      own.map((x) => x.buffer as ArrayBuffer),
    );
    const reply = waitReply(this.port, this.control, seq, timeoutMs, `webgpu ${op}`);
    this.compiled += reply.compiles ?? 0;
    if (reply.error !== undefined) throw new Error(`webgpu ${op} failed: ${reply.error}`);
    return reply.outputs;
  }

  dispose(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

function waitReply(
  port: MessagePort,
  control: Int32Array,
  seq: number,
  timeoutMs: number,
  what: string,
): Reply {
  const deadline = Date.now() + timeoutMs;
  while (Atomics.load(control, 0) !== seq) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${what}: no answer from the WebGPU worker within ${timeoutMs / 1000} s`);
    Atomics.wait(control, 0, Atomics.load(control, 0), Math.min(left, 1000));
  }
  const got = receiveMessageOnPort(port);
  if (!got) throw new Error(`${what}: the WebGPU worker signalled but posted no reply`);
  const reply = got.message as Reply;
  if (reply.seq !== seq) throw new Error(`${what}: reply ${reply.seq} to request ${seq}`);
  return reply;
}

/** Where the dynamic loader looks for the libraries Dawn opens (LD_LIBRARY_PATH first). */
function libraryDirs(): string[] {
  const own = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '');
  return [
    ...own,
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ];
}

/**
 * Why Dawn will find no adapter here, checked without Dawn: Dawn opens `libvulkan.so.1` for
 * Vulkan (Debian: libvulkan1) and the unversioned `libEGL.so` for OpenGL ES (Debian: libegl-dev,
 * with Mesa's libegl-mesa0 and libgl1-mesa-dri for llvmpipe), and EGL needs an X display.
 */
/**
 * The device nodes of a GPU that a Vulkan driver could drive: NVIDIA's /dev/nvidia<N> and DRM
 * render nodes /dev/dri/renderD<N>. Without one, Dawn's Vulkan backend finds at most a software
 * device (Mesa's lavapipe, which mesa-vulkan-drivers installs), no faster than llvmpipe.
 */
export function gpuDeviceNodes(dev = '/dev'): string[] {
  const matching = (dir: string, pattern: RegExp) => {
    try {
      return readdirSync(dir)
        .filter((f) => pattern.test(f))
        .map((f) => `${dir}/${f}`);
    } catch {
      return []; // no such directory: no such devices
    }
  };
  return [...matching(dev, /^nvidia\d+$/), ...matching(`${dev}/dri`, /^renderD\d+$/)];
}

export function missingPrerequisites(backends: readonly DawnBackend[]): string[] {
  const why: string[] = [];
  const has = (lib: string) => libraryDirs().some((d) => existsSync(`${d}/${lib}`));
  if (backends.includes('vulkan') && !has('libvulkan.so.1')) {
    why.push('Vulkan: no Vulkan loader (libvulkan.so.1; Debian package libvulkan1)');
  }
  if (backends.includes('opengles')) {
    if (!process.env.DISPLAY) why.push('OpenGL ES: no X display for EGL (DISPLAY is not set; start Xvfb)');
    if (!has('libEGL.so')) why.push('OpenGL ES: no libEGL.so (Debian package libegl-dev)');
  }
  return why;
}

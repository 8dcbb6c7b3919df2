/**
 * Helper threads that each compute a share of one gemm's rows, on the same shared memory.
 *
 * Every helper is a worker thread with its own instance of the kernel module, its own pack
 * buffers and tile scratch, and a small control block in the heap. The calling thread writes the
 * helper's arguments into its block, bumps the request counter and wakes it (Atomics.notify),
 * computes the first share itself, then sleeps until each helper has bumped its done counter.
 * The shares are whole A panels, and each element of C is computed by one thread exactly as the
 * single-threaded path would, so the result is bit-identical for any number of threads.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { WasmHeap } from './heap.ts';
import type { GemmRowsArgs, SimdExports, SimdModule } from './module.ts';

// Control block layout, in Int32 slots.
const REQUEST = 0; // incremented by the caller for each job; STOP ends the helper
const DONE = 1; // set by the helper to the request it finished
const FAILED = 2; // 1 when the last job threw (the message is on the helper's port)
const FN = 3; // which kernel: an index into HELPER_FUNCTIONS, LOAD, or past them a loaded function
const ARGS = 4; // the kernel's arguments (i32 only, at most 16)
const CONTROL_INTS = ARGS + 16;
/** The kernels a helper can run a share of. */
const HELPER_FUNCTIONS = ['gemm_rows', 'csr_rows'] as const;
export type HelperFunction = (typeof HELPER_FUNCTIONS)[number];
const STOP = -1;
/** FN of the job that instantiates the module posted on the helper's port and keeps one of its exports. */
const LOAD = HELPER_FUNCTIONS.length;

// Runs in the worker: eval'd as a CommonJS script, so it is plain JavaScript with no imports.
const HELPER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { module, memory, control, tile, port } = workerData;
const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports;
wasm.tile_scratch.value = tile;
const fns = ${JSON.stringify(HELPER_FUNCTIONS)}.map((name) => wasm[name]);
const ctrl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
const sleep = new Int32Array(new SharedArrayBuffer(4));
function load() {
  let got = receiveMessageOnPort(port);
  for (let i = 0; !got && i < 1000; i++) {
    Atomics.wait(sleep, 0, 0, 1);
    got = receiveMessageOnPort(port);
  }
  if (!got) throw new Error('no module on the port');
  const { module: m, name } = got.message;
  loaded.push(null); // the id stays in step with the caller's even when this load fails
  loaded[loaded.length - 1] = new WebAssembly.Instance(m, { env: { memory } }).exports[name];
}
const loaded = [];
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${REQUEST}, seen);
  seen = Atomics.load(ctrl, ${REQUEST});
  if (seen === ${STOP}) break;
  try {
    const fn = ctrl[${FN}];
    if (fn === ${LOAD}) load();
    else (fn < ${LOAD} ? fns[fn] : loaded[fn - ${LOAD + 1}])(...ctrl.subarray(${ARGS}, ${ARGS + 16}));
  } catch (e) {
    port.postMessage(String((e && e.stack) || e));
    Atomics.store(ctrl, ${FAILED}, 1);
  }
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}
port.close();
`;

interface Helper {
  worker: Worker;
  port: MessagePort;
  control: Int32Array;
  aPack: number;
  bPack: number;
}

export class GemmHelpers {
  private readonly helpers: Helper[];
  private request = 0;
  /** Functions of other modules loaded into every helper (`load`), by module and export name: their FN. */
  private readonly loaded = new Map<unknown, Map<string, number>>();
  private loadedCount = 0;

  /** Starts `count` helper threads, each with pack buffers of the given sizes (floats) in `heap`. */
  constructor(heap: WasmHeap, module: SimdModule, count: number, packFloats: { a: number; b: number }) {
    this.helpers = Array.from({ length: count }, () => {
      const block = heap.alloc(CONTROL_INTS);
      const control = new Int32Array(block.buffer, block.byteOffset, CONTROL_INTS);
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(HELPER_SOURCE, {
        eval: true,
        workerData: {
          module: module.module,
          memory: heap.memory,
          control: control.byteOffset,
          tile: heap.alloc(module.shape.mr * module.shape.nr).byteOffset,
          port: port2,
        },
        transferList: [port2],
      });
      worker.unref(); // idle helpers must not keep the process alive
      return {
        worker,
        port: port1,
        control,
        aPack: heap.alloc(packFloats.a).byteOffset,
        bPack: heap.alloc(packFloats.b).byteOffset,
      };
    });
  }

  /** Number of threads a gemm is split across, this one included. */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * gemm_rows over rows 0..m, split into whole panels of `mr` rows: this thread computes the
   * first share with its own pack buffers (`own`), each helper one of the others.
   */
  run(wasm: SimdExports, args: GemmRowsArgs, mr: number, own: { aPack: number; bPack: number }): void {
    const m = args[2];
    const share = Math.ceil(m / this.threads / mr) * mr;
    const shares: GemmRowsArgs[] = [];
    for (let t = 0; t < this.threads; t++) {
      const i0 = t * share;
      if (t > 0 && i0 >= m) break;
      const a: GemmRowsArgs = [...args];
      a[9] = i0;
      a[10] = Math.min(m, i0 + share);
      a[11] = t === 0 ? own.aPack : this.helpers[t - 1].aPack;
      a[12] = t === 0 ? own.bPack : this.helpers[t - 1].bPack;
      shares.push(a);
    }
    this.runShares(wasm, 'gemm_rows', shares);
  }

  /**
   * Runs `fn` once per share, at the same time: shares[0] on this thread, shares[t] on helper t
   * (at most `threads` shares, i32 arguments only). Returns when every share is done.
   */
  runShares(wasm: SimdExports, fn: HelperFunction, shares: readonly (readonly number[])[]): void {
    this.runIndexed(HELPER_FUNCTIONS.indexOf(fn), wasm[fn] as (...a: number[]) => void, fn, shares);
  }

  /**
   * Instantiates `module` (a WebAssembly.Module importing env.memory) on the shared memory in
   * every helper, once per module and export, and returns the id that `runLoaded` takes.
   */
  load(module: unknown, name: string): number {
    const names = this.loaded.get(module) ?? new Map<string, number>();
    this.loaded.set(module, names);
    const known = names.get(name);
    if (known !== undefined) return known;
    const id = LOAD + 1 + this.loadedCount++;
    const shares = this.helpers.map(() => []);
    for (const h of this.helpers) h.port.postMessage({ module, name });
    this.runIndexed(LOAD, () => {}, `load ${name}`, [[], ...shares]);
    names.set(name, id);
    return id;
  }

  /**
   * As `runShares`, for a function loaded with `load` (i32 arguments only): `own` runs shares[0]
   * on this thread (this thread's instance of the same function).
   */
  runLoaded(id: number, own: (...a: number[]) => void, shares: readonly (readonly number[])[]): void {
    this.runIndexed(id, own, `loaded function ${id}`, shares);
  }

  private runIndexed(
    fnIndex: number,
    ownFn: (...a: number[]) => void,
    fn: string,
    shares: readonly (readonly number[])[],
  ): void {
    if (shares.length > this.threads)
      throw new RangeError(`runShares: ${shares.length} shares for ${this.threads} threads`);
    const request = ++this.request;
    const started: Helper[] = [];
    for (let t = 1; t < shares.length; t++) {
      const h = this.helpers[t - 1];
      h.control.set(shares[t], ARGS);
      h.control[FN] = fnIndex;
      Atomics.store(h.control, FAILED, 0);
      Atomics.store(h.control, REQUEST, request);
      Atomics.notify(h.control, REQUEST);
      started.push(h);
    }
    let own: unknown = null;
    try {
      if (shares.length > 0) ownFn(...shares[0]);
    } catch (e) {
      own = e; // thrown below, once no helper is still writing
    }
    let failure: string | null = null;
    for (const h of started) {
      for (let done = Atomics.load(h.control, DONE); done !== request; done = Atomics.load(h.control, DONE)) {
        Atomics.wait(h.control, DONE, done);
      }
      if (Atomics.load(h.control, FAILED))
        failure ??= String(receiveMessageOnPort(h.port)?.message ?? 'unknown error');
    }
    if (own !== null) throw own;
    if (failure !== null) throw new Error(`simd ${fn}: a helper thread failed: ${failure}`);
  }

  /** Stops the helper threads. */
  dispose(): void {
    for (const h of this.helpers) {
      Atomics.store(h.control, REQUEST, STOP);
      Atomics.notify(h.control, REQUEST);
      h.port.close();
    }
  }
}

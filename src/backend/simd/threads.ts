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
const ARGS = 3; // gemm_rows arguments
const CONTROL_INTS = ARGS + 16;
const STOP = -1;

// Runs in the worker: eval'd as a CommonJS script, so it is plain JavaScript with no imports.
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tile, port } = workerData;
const wasm = new WebAssembly.Instance(module, { env: { memory } }).exports;
wasm.tile_scratch.value = tile;
const ctrl = new Int32Array(memory.buffer, control, ${CONTROL_INTS});
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${REQUEST}, seen);
  seen = Atomics.load(ctrl, ${REQUEST});
  if (seen === ${STOP}) break;
  try {
    wasm.gemm_rows(...ctrl.subarray(${ARGS}, ${ARGS + 16}));
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
    const request = ++this.request;
    const started: Helper[] = [];
    this.helpers.forEach((h, index) => {
      const i0 = (index + 1) * share;
      if (i0 >= m) return;
      const helperArgs: GemmRowsArgs = [...args];
      helperArgs[9] = i0;
      helperArgs[10] = Math.min(m, i0 + share);
      helperArgs[11] = h.aPack;
      helperArgs[12] = h.bPack;
      h.control.set(helperArgs, ARGS);
      Atomics.store(h.control, FAILED, 0);
      Atomics.store(h.control, REQUEST, request);
      Atomics.notify(h.control, REQUEST);
      started.push(h);
    });
    const mine: GemmRowsArgs = [...args];
    mine[9] = 0;
    mine[10] = Math.min(m, share);
    mine[11] = own.aPack;
    mine[12] = own.bPack;
    wasm.gemm_rows(...mine);
    for (const h of started) {
      for (let done = Atomics.load(h.control, DONE); done !== request; done = Atomics.load(h.control, DONE)) {
        Atomics.wait(h.control, DONE, done);
      }
      if (Atomics.load(h.control, FAILED)) {
        const message = receiveMessageOnPort(h.port)?.message ?? 'unknown error';
        throw new Error(`simd gemm: a helper thread failed: ${String(message)}`);
      }
    }
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

import type { WasmHeap } from './heap.ts';

/** One Float32 argument of a kernel: which part it uses and whether the kernel reads or writes it. */
export interface StagedArg {
  data: Float32Array;
  /** Floats the kernel touches, from the start of `data`. */
  length: number;
  /** The kernel reads it: copy in when it is not in the heap. */
  read: boolean;
  /** The kernel writes it: copy back when it is not in the heap. */
  write: boolean;
}

/**
 * Gives kernels byte addresses for their arguments: the buffer's own address when it lives in the
 * heap (zero-copy), else a copy in a scratch block that is reused from call to call and grows to
 * the largest call seen.
 */
export class Staging {
  private scratch: Float32Array | null = null;

  constructor(private readonly heap: WasmHeap) {}

  /** Runs `kernel` with one address per argument, copying non-heap arguments in and out around it. */
  run<T>(args: readonly StagedArg[], kernel: (addresses: number[]) => T): T {
    let need = 0;
    for (const arg of args) if (!this.heap.owns(arg.data)) need += roundUp4(arg.length);
    const base = need > 0 ? this.reserve(need) : 0;
    const addresses: number[] = [];
    const copies: { arg: StagedArg; offset: number }[] = [];
    let offset = base;
    for (const arg of args) {
      if (this.heap.owns(arg.data)) {
        addresses.push(arg.data.byteOffset);
        continue;
      }
      if (arg.read) this.heap.view(offset, arg.length).set(arg.data.subarray(0, arg.length));
      addresses.push(offset);
      copies.push({ arg, offset });
      offset += roundUp4(arg.length) * 4;
    }
    const result = kernel(addresses);
    for (const { arg, offset } of copies) {
      if (arg.write) arg.data.set(this.heap.view(offset, arg.length));
    }
    return result;
  }

  /** The scratch block's address, after making it hold at least `floats`. */
  private reserve(floats: number): number {
    if (!this.scratch || this.scratch.length < floats) {
      if (this.scratch) this.heap.free(this.scratch);
      this.scratch = this.heap.alloc(floats);
    }
    return this.scratch.byteOffset;
  }
}

/** Keeps each staged copy 16-byte aligned. */
function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/**
 * Float32 storage inside one shared WebAssembly.Memory, which the kernels read without copying.
 *
 * The memory is `shared`, so growing it never detaches a view handed out earlier: every view stays
 * valid for the memory's lifetime, and a view made before a growth still reads the same bytes.
 *
 * Allocation is a bump pointer plus free lists by size class. Lifetime: nothing is returned to the
 * heap unless `free` is called with the exact view `alloc` gave; the engine keeps its allocations
 * for a model's lifetime and recycles its per-step buffers through its own pool, so in practice
 * the heap only grows during the first training step. Freed blocks are reused for later requests
 * of the same size class; the memory itself never shrinks.
 */

import { type WasmMemory, wasmApi } from './wasm-api.ts';

const PAGE_BYTES = 65536;
/** Every block starts on a cache line (more than the 16 bytes v128 access wants). */
const ALIGN_BYTES = 64;

export interface HeapOptions {
  /** Initial size in 64 KiB pages (default 16, 1 MiB). */
  initialPages?: number;
  /** Largest size in 64 KiB pages (default and most 65536, i.e. 4 GiB); address space only, reserved up front. */
  maximumPages?: number;
}

export class WasmHeap {
  readonly memory: WasmMemory;
  readonly maximumBytes: number;
  /** Every ArrayBuffer object this memory has shown (a new one after each growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private top = ALIGN_BYTES; // offset 0 is never handed out
  private readonly freeBlocks = new Map<number, number[]>(); // size class in bytes → block offsets
  private readonly liveBlocks = new Map<number, { size: number; view: Float32Array }>(); // by block offset

  constructor(options: HeapOptions = {}) {
    const initial = options.initialPages ?? 16;
    const maximum = options.maximumPages ?? 65536;
    if (!Number.isInteger(maximum) || maximum < 1 || maximum > 65536) {
      throw new RangeError(`WasmHeap: maximumPages must be an integer in 1..65536, got ${maximum}`);
    }
    if (!Number.isInteger(initial) || initial < 1 || initial > maximum) {
      throw new RangeError(
        `WasmHeap: initialPages must be an integer in 1..maximumPages (${maximum}), got ${initial}`,
      );
    }
    if (!wasmApi) throw new Error('WasmHeap: this runtime has no WebAssembly');
    this.memory = new wasmApi.Memory({ initial, maximum, shared: true });
    this.maximumBytes = maximum * PAGE_BYTES;
  }

  /** A zero-filled, 64-byte-aligned view of `length` floats inside the memory. */
  alloc(length: number): Float32Array {
    if (!Number.isInteger(length) || length < 0) {
      throw new RangeError(`alloc: length must be a non-negative integer number of floats, got ${length}`);
    }
    const size = sizeClass(length * 4);
    const reused = this.freeBlocks.get(size)?.pop();
    const offset = reused ?? this.bump(size, length);
    const view = this.view(offset, length);
    this.liveBlocks.set(offset, { size, view });
    if (reused !== undefined) view.fill(0);
    return view;
  }

  /**
   * Returns a block to the heap. `view` must be a view `alloc` returned and not yet freed; any other
   * view of the block (e.g. a subarray) must not be used afterwards.
   */
  free(view: Float32Array): void {
    const block = this.liveBlocks.get(view.byteOffset);
    if (block?.view !== view) {
      throw new Error(
        `free: the buffer (${view.length} floats at byte ${view.byteOffset}) is not a live block of this heap; pass the exact view alloc returned, once`,
      );
    }
    this.liveBlocks.delete(view.byteOffset);
    let list = this.freeBlocks.get(block.size);
    if (!list) {
      list = [];
      this.freeBlocks.set(block.size, list);
    }
    list.push(view.byteOffset);
  }

  /** True when `view` lies in this heap's memory (any view of it, including subarrays). */
  owns(view: ArrayBufferView): boolean {
    return this.buffers.has(view.buffer);
  }

  /** A fresh view of `length` floats at byte `offset` (after a growth, on the grown buffer). */
  view(offset: number, length: number): Float32Array {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return new Float32Array(buffer, offset, length);
  }

  /** Bytes handed out so far by the bump pointer (freed blocks included). */
  get usedBytes(): number {
    return this.top;
  }

  private bump(size: number, length: number): number {
    const offset = this.top;
    const end = offset + size;
    if (end > this.maximumBytes) {
      throw new RangeError(
        `alloc: ${length} floats do not fit; the heap has ${this.maximumBytes - offset} of its ${this.maximumBytes} bytes left`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow by at least half again, so that a series of allocations grows the memory only a few times.
      const needPages = Math.ceil((end - have) / PAGE_BYTES);
      const maxPages = this.maximumBytes / PAGE_BYTES - have / PAGE_BYTES;
      this.memory.grow(Math.min(maxPages, Math.max(needPages, Math.ceil(have / PAGE_BYTES / 2))));
    }
    this.top = end;
    return offset;
  }
}

/**
 * Block size for a request: a multiple of 64 bytes, rounded up to one of four steps per power of two
 * (…, 1024, 1280, 1536, 1792, 2048, …), so a freed block serves any request within 25 % of its size.
 */
export function sizeClass(bytes: number): number {
  if (bytes <= 4 * ALIGN_BYTES) return Math.max(ALIGN_BYTES, Math.ceil(bytes / ALIGN_BYTES) * ALIGN_BYTES);
  const step = 2 ** (Math.floor(Math.log2(bytes - 1)) - 2);
  return Math.ceil(bytes / step) * step;
}

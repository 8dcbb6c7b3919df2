/**
 * Host↔device traffic of a backend since its creation (or its last `resetTransfers`). Bytes are
 * those of the float32 arrays handed to the device and handed back (a gpu.js `Array(4)` kernel
 * hands back whole four-float texels); what a driver moves inside them is not counted.
 */
export interface TransferCounts {
  /** Round trips (webgpu: one submission each) or kernel runs (gpu.js: one per output tile). */
  calls: number;
  /** Arrays written to the device, and their bytes. */
  uploads: number;
  uploadBytes: number;
  /** Arrays read back from the device, and their bytes. */
  readbacks: number;
  readbackBytes: number;
  /** Kernels (shader pipelines) compiled: one per new shape or op. */
  compiles: number;
}

/** A backend that counts its transfers: the gpu.js and WebGPU backends. */
export interface CountsTransfers {
  /** A copy of the counts so far. */
  readonly transfers: TransferCounts;
  resetTransfers(): void;
}

export function zeroTransfers(): TransferCounts {
  return { calls: 0, uploads: 0, uploadBytes: 0, readbacks: 0, readbackBytes: 0, compiles: 0 };
}

/** Adds `delta` to `counts` in place. */
export function addTransfers(counts: TransferCounts, delta: Partial<TransferCounts>): void {
  for (const [key, v] of Object.entries(delta) as [keyof TransferCounts, number][]) counts[key] += v;
}

/** The bytes of `arrays` together. */
export function byteLengthOf(arrays: readonly ArrayBufferView[]): number {
  let bytes = 0;
  for (const x of arrays) bytes += x.byteLength;
  return bytes;
}

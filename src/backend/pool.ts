/**
 * Reuses Float32 buffers by exact length. A training step asks for the same sizes every time,
 * so after the first step no buffer is allocated: the tape takes from the pool and gives back
 * when it is released. Buffers come back dirty; callers that need zeros fill them.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  constructor(private readonly allocate: (length: number) => Float32Array = (n) => new Float32Array(n)) {}

  take(length: number): Float32Array {
    const list = this.free.get(length);
    return list?.pop() ?? this.allocate(length);
  }

  give(buffer: Float32Array): void {
    let list = this.free.get(buffer.length);
    if (!list) {
      list = [];
      this.free.set(buffer.length, list);
    }
    list.push(buffer);
  }
}

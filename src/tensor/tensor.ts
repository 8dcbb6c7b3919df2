import ndarray, { type NdArray } from 'ndarray';

/** A dense, row-major Float32 tensor. Storage is an `ndarray` view over a contiguous Float32Array. */
export class Tensor {
  readonly array: NdArray<Float32Array>;

  constructor(data: Float32Array, shape: readonly number[]) {
    const size = shapeSize(shape);
    if (data.length !== size) {
      throw new ShapeError(
        `Tensor data has ${data.length} elements but shape [${shape.join(', ')}] needs ${size}`,
      );
    }
    this.array = ndarray(data, shape.slice());
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  static from(values: ArrayLike<number>, shape: readonly number[]): Tensor {
    return new Tensor(Float32Array.from(values), shape);
  }

  /** The contiguous row-major storage (shared, not copied). */
  get data(): Float32Array {
    return this.array.data;
  }

  get shape(): readonly number[] {
    return this.array.shape;
  }

  get size(): number {
    return this.array.size;
  }

  get rows(): number {
    return this.shape[0];
  }

  /** Columns of a 2-D tensor; the product of trailing dimensions otherwise. */
  get cols(): number {
    return this.shape.length === 0 ? 1 : this.size / this.shape[0];
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A view of rows [start, end) sharing storage. */
  rowSlice(start: number, end: number): Tensor {
    const c = this.cols;
    return new Tensor(this.data.subarray(start * c, end * c), [end - start, ...this.shape.slice(1)]);
  }

  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  get(...index: number[]): number {
    return this.array.get(...index);
  }

  toString(): string {
    return `Tensor[${this.shape.join('×')}]`;
  }
}

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join('×')}]`;
}

/** Throws a ShapeError naming both shapes unless they are equal. */
export function assertSameShape(what: string, a: readonly number[], b: readonly number[]): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new ShapeError(`${what}: shapes ${formatShape(a)} and ${formatShape(b)} differ`);
  }
}

/** Index of the first NaN or ±Inf value, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return i;
  }
  return -1;
}

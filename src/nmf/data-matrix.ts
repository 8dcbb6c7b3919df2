// The data matrix X (samples × pixels) that NMF of data factors, as float32 in the backend's own
// memory (so every gemm reads it in place), with the float64 statistics the solvers need.
import type { Backend } from '../backend/types.ts';
import { NmfError } from './options.ts';

export interface NmfData {
  readonly rows: number;
  readonly cols: number;
  /** Row-major float32, in the backend's memory when it has one. */
  readonly values: Float32Array;
  /** Mean of the entries (float64 sum). */
  readonly mean: number;
  /** ‖X‖²_F (float64 sum). */
  readonly squaredNorm: number;
  /** X in sparse form, when it is sparse enough and the backend has a csrTimes kernel. */
  readonly sparse?: SparseX;
}

/**
 * X's non-zeros twice over, for the backend's csrTimes: X as CSR (for X·B), and Xᵀ as CSR within
 * blocks of BLOCK_ROWS rows of X (for Xᵀ·A: a block of A, BLOCK_ROWS·k floats, stays in cache
 * while every column of the block visits it, and each block's float32 sums go to float64).
 */
export interface SparseX {
  readonly nnz: number;
  readonly ptr: Int32Array;
  readonly idx: Int32Array;
  readonly v: Float32Array;
  /** Block b's Xᵀ row j spans tPtr[b·cols + j] .. tPtr[b·cols + j + 1]; indices are rows of X. */
  readonly tPtr: Int32Array;
  readonly tIdx: Int32Array;
  readonly tV: Float32Array;
  readonly blocks: number;
  /** The backend's storage behind the arrays above, for releaseNmfData. */
  readonly storage: readonly Float32Array[];
}

/** Rows of X per block of its transposed CSR. */
export const BLOCK_ROWS = 1024;

/**
 * X is stored sparse (and its products run as csrTimes) at or below this fraction of non-zeros.
 * Measured for X·B plus Xᵀ·A, 4000 × 784, k = 64, one thread, uniformly scattered non-zeros: CSR
 * over dense gemm 3.9× faster at 10 %, 2.4× at 20 %, 1.35× at 30 %, 1.1× at 40 %, 0.9× at 50 %,
 * 0.6× at 80 %. MNIST has 19 % (and its non-zeros cluster, which suits the CSR loop's cache).
 */
export const SPARSE_DENSITY = 0.4;

/** Float32 storage the backend's gemm reads without copying (its heap), else a plain array. */
export function allocF32(backend: Backend, length: number): Float32Array {
  return backend.alloc ? backend.alloc(length) : new Float32Array(length);
}

/**
 * Checks X and copies it into the backend's memory. Every entry must be finite and ≥ 0; the
 * error names the first bad entry by row and column. `where` names the caller in errors.
 */
export function nmfData(
  rows: number,
  cols: number,
  values: ArrayLike<number>,
  backend: Backend,
  where = 'nmf',
  /** 'auto' keeps a sparse form at or below SPARSE_DENSITY; 'sparse' and 'dense' force one (tests, benches). */
  storage: 'auto' | 'sparse' | 'dense' = 'auto',
): NmfData {
  for (const [what, v] of [
    ['rows', rows],
    ['cols', cols],
  ] as const) {
    if (!Number.isInteger(v) || v < 1)
      throw new NmfError(`${where}: X ${what} must be a positive integer, got ${v}`);
  }
  if (values.length !== rows * cols) {
    throw new NmfError(
      `${where}: X has ${values.length} values, expected rows·cols = ${rows}·${cols} = ${rows * cols}`,
    );
  }
  const out = allocF32(backend, rows * cols);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
      const at = `row ${Math.floor(i / cols)}, column ${i % cols}`;
      const why = Number.isNaN(v) ? 'NaN' : v < 0 ? `negative (${v})` : String(v);
      throw new NmfError(`${where}: X at ${at} is ${why}; NMF needs finite values ≥ 0`);
    }
    out[i] = v;
    const x = out[i]; // the stored float32, so the statistics describe what the solvers see
    sum += x;
    squares += x * x;
  }
  let nnz = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== 0) nnz++;
  const wanted = storage === 'auto' ? nnz <= SPARSE_DENSITY * out.length : storage === 'sparse';
  const sparse = wanted && backend.kernels?.csrTimes ? sparseX(out, rows, cols, nnz, backend) : undefined;
  return { rows, cols, values: out, mean: sum / values.length, squaredNorm: squares, sparse };
}

function sparseX(x: Float32Array, rows: number, cols: number, nnz: number, backend: Backend): SparseX {
  const storage: Float32Array[] = [];
  const f32 = (n: number) => {
    const a = allocF32(backend, n);
    storage.push(a);
    return a;
  };
  const i32 = (n: number) => {
    const a = f32(n);
    return new Int32Array(a.buffer, a.byteOffset, n);
  };
  const ptr = i32(rows + 1);
  const idx = i32(nnz);
  const v = f32(nnz);
  let e = 0;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const a = x[o + j];
      if (a === 0) continue;
      idx[e] = j;
      v[e++] = a;
    }
    ptr[i + 1] = e;
  }
  // The blocked transpose: count each block's column lengths, then fill in row order.
  const blocks = Math.ceil(rows / BLOCK_ROWS);
  const tPtr = i32(blocks * cols + 1);
  const tIdx = i32(nnz);
  const tV = f32(nnz);
  for (let i = 0; i < rows; i++) {
    const at = Math.floor(i / BLOCK_ROWS) * cols + 1;
    for (let p = ptr[i]; p < ptr[i + 1]; p++) tPtr[at + idx[p]]++;
  }
  for (let s = 1; s < tPtr.length; s++) tPtr[s] += tPtr[s - 1];
  const next = Int32Array.from(tPtr.subarray(0, blocks * cols));
  for (let i = 0; i < rows; i++) {
    const at = Math.floor(i / BLOCK_ROWS) * cols;
    for (let p = ptr[i]; p < ptr[i + 1]; p++) {
      const q = next[at + idx[p]]++;
      tIdx[q] = i;
      tV[q] = v[p];
    }
  }
  return { nnz, ptr, idx, v, tPtr, tIdx, tV, blocks, storage };
}

/** Returns X's storage to the backend (X must not be used afterwards). */
export function releaseNmfData(x: NmfData, backend: Backend): void {
  for (const a of [x.values, ...(x.sparse?.storage ?? [])]) if (backend.owns?.(a)) backend.free?.(a);
}

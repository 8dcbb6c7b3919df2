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
}

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
  return { rows, cols, values: out, mean: sum / values.length, squaredNorm: squares };
}

/** Returns X's storage to the backend (X must not be used afterwards). */
export function releaseNmfData(x: NmfData, backend: Backend): void {
  if (backend.owns?.(x.values)) backend.free?.(x.values);
}

// The heavy products of NMF of data on a matmul backend (float32 gemm), and where float64 comes in.
//
// Layout: X is samples × pixels (n × d); the solvers keep W (n × k) and Hᵀ (d × k), row-major, each
// in float64 with a float32 copy for the gemms.
// - X·Hᵀ (n × k) and F·G (· × k, G k × k) are one float32 gemm each: their inner sums run over
//   d ≤ a few thousand or k terms, where float32 accumulation is accurate to ~1e-6.
// - Xᵀ·W (d × k) and the Gram matrices FᵀF (k × k) sum over all n samples (60,000 for MNIST), so they
//   are gemms over blocks of CHUNK rows whose float32 partial products are summed in float64.
// - When X is sparse (NmfData.sparse), X·B and Xᵀ·A run as the backend's csrTimes instead: the
//   same float32 sums over a row of X, and for Xᵀ·A float32 within blocks of BLOCK_ROWS rows of X,
//   float64 across blocks.
import type { Backend } from '../backend/types.ts';
import { allocF32, type NmfData } from './data-matrix.ts';

/** Rows per block of the products that sum over samples (float64 between blocks). */
const CHUNK = 4096;

/** Buffers in the backend's memory, returned together when a fit or transform ends. */
export class Workspace {
  private readonly views: Float32Array[] = [];
  constructor(readonly backend: Backend) {}

  f32(length: number): Float32Array {
    const v = allocF32(this.backend, length);
    if (this.backend.owns?.(v)) this.views.push(v);
    return v;
  }

  f64(length: number): Float64Array {
    if (!this.backend.alloc) return new Float64Array(length);
    const v = this.backend.alloc(2 * length); // two floats per double, 64-byte aligned
    this.views.push(v);
    return new Float64Array(v.buffer, v.byteOffset, length);
  }

  private readonly named = new Map<string, Float32Array | Float64Array>();

  /** A float32 buffer kept under `name` and reused by later calls (grown when too small). */
  named32(name: string, length: number): Float32Array {
    return this.kept(name, length, Float32Array, (n) => this.f32(n));
  }

  /** A float64 buffer kept under `name`, like `named32`. */
  named64(name: string, length: number): Float64Array {
    return this.kept(name, length, Float64Array, (n) => this.f64(n));
  }

  private kept<T extends Float32Array | Float64Array>(
    name: string,
    length: number,
    type: abstract new (...args: never[]) => T,
    allocate: (length: number) => T,
  ): T {
    const have = this.named.get(name);
    if (have instanceof type && have.length >= length) return have.subarray(0, length) as T;
    const v = allocate(length);
    this.named.set(name, v);
    return v;
  }

  private readonly marks = new Set<string>();
  /** Flags for state kept across calls (e.g. products computed once while a factor is fixed). */
  has(mark: string): boolean {
    return this.marks.has(mark);
  }
  mark(mark: string): void {
    this.marks.add(mark);
  }

  /** Frees everything this workspace allocated. */
  release(): void {
    for (const v of this.views) this.backend.free?.(v);
    this.views.length = 0;
    this.named.clear();
    this.marks.clear();
  }
}

/** out (n × k, float32) = X·B for B (d × k) float32. */
export function xTimes(
  x: NmfData,
  b: Float32Array,
  k: number,
  backend: Backend,
  out: Float32Array,
): Float32Array {
  const s = x.sparse;
  const csr = backend.kernels?.csrTimes;
  if (s && csr) csr(s.ptr, s.idx, s.v, x.rows, b, k, out, false);
  else backend.gemm(false, false, x.rows, k, x.cols, x.values, b, out);
  return out;
}

/** out (d × k, float64) = Xᵀ·A for A (n × k) float32, float64 across blocks of rows. */
export function xtTimes(
  x: NmfData,
  a: Float32Array,
  k: number,
  ws: Workspace,
  out: Float64Array,
  block: Float32Array = ws.named32('xtTimes.block', x.cols * k),
): Float64Array {
  const { rows, cols, values } = x;
  out.fill(0, 0, cols * k);
  const s = x.sparse;
  const csr = ws.backend.kernels?.csrTimes;
  if (s && csr) {
    // Blocks of BLOCK_ROWS rows, float32 inside a block, float64 across (as the gemms below).
    csr(s.tPtr, s.tIdx, s.tV, cols, a, k, out, true, { count: s.blocks, stride: cols });
    return out;
  }
  for (let r0 = 0; r0 < rows; r0 += CHUNK) {
    const r1 = Math.min(rows, r0 + CHUNK);
    ws.backend.gemm(
      true,
      false,
      cols,
      k,
      r1 - r0,
      values.subarray(r0 * cols, r1 * cols),
      a.subarray(r0 * k, r1 * k),
      block,
    );
    for (let i = 0; i < cols * k; i++) out[i] += block[i];
  }
  return out;
}

/** out (k × k, float64) = FᵀF for F (rows × k) float32, float64 across blocks of rows; exactly symmetric. */
export function gram(
  f: Float32Array,
  rows: number,
  k: number,
  ws: Workspace,
  out: Float64Array,
  block: Float32Array = ws.named32('gram.block', k * k),
): Float64Array {
  out.fill(0, 0, k * k);
  for (let r0 = 0; r0 < rows; r0 += CHUNK) {
    const r1 = Math.min(rows, r0 + CHUNK);
    const part = f.subarray(r0 * k, r1 * k);
    ws.backend.gemm(true, false, k, k, r1 - r0, part, part, block);
    for (let i = 0; i < k * k; i++) out[i] += block[i];
  }
  for (let s = 0; s < k; s++) {
    for (let t = s + 1; t < k; t++) {
      const v = 0.5 * (out[s * k + t] + out[t * k + s]);
      out[s * k + t] = v;
      out[t * k + s] = v;
    }
  }
  return out;
}

/** out (rows × k, float32) = F·G for F (rows × k) float32 and G (k × k) float32. */
export function timesSquare(
  f: Float32Array,
  g: Float32Array,
  rows: number,
  k: number,
  backend: Backend,
  out: Float32Array,
): Float32Array {
  backend.gemm(false, false, rows, k, k, f, g, out);
  return out;
}

/** Σ a[i]·b[i] in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>, length: number): number {
  let s0 = 0;
  let s1 = 0;
  let i = 0;
  for (; i + 1 < length; i += 2) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
  }
  if (i < length) s0 += a[i] * b[i];
  return s0 + s1;
}

/** dst ← src rounded to float32. */
export function toF32(src: Float64Array, dst: Float32Array, length = src.length): Float32Array {
  for (let i = 0; i < length; i++) dst[i] = src[i];
  return dst;
}

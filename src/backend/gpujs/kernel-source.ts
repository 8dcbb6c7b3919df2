/**
 * The source of one gpu.js gemm kernel, specialised to its shape: the inner length k is a literal
 * loop bound (gpu.js then emits a plain GLSL loop, not one capped at `loopMaxIterations`), and A
 * and B are 2D inputs indexed [row][column], so each index is a GLSL int, exact at any size (a
 * flat float index i·k + p loses digits past 2²⁴). Each thread computes C[r0 + y][c0 + x] of a
 * tile; r0 and c0 are arguments so every equal-sized tile of a product shares one kernel.
 */
export interface KernelShape {
  transA: boolean;
  transB: boolean;
  /** Rows and columns of the tile computed by one call, and the inner length. */
  rows: number;
  cols: number;
  k: number;
  /** True when the caller passes only the tile's rows of A (row-major, not transposed). */
  aIsRowBlock: boolean;
  /** Columns each thread computes: 1 (a float output) or 4 (an `Array(4)` output). */
  width: 1 | 4;
}

/** A's element (i, p) of op(A) and B's element (p, j) of op(B), as gpu.js source. */
function operands(s: KernelShape): { a: string; b: (dj: string) => string } {
  // A is stored m×k (aIsRowBlock: only the tile's rows), or k×m when transposed.
  const a = s.transA
    ? 'a[p][this.thread.y + r0]'
    : s.aIsRowBlock
      ? 'a[this.thread.y][p]'
      : 'a[this.thread.y + r0][p]';
  // B is stored k×n, or n×k when transposed.
  const b = (dj: string) => (s.transB ? `b[j${dj}][p]` : `b[p][j${dj}]`);
  return { a, b };
}

export function gemmKernelSource(s: KernelShape): string {
  if (!Number.isInteger(s.k) || s.k < 1)
    throw new Error(`gemm kernel: inner length must be a positive integer, got ${s.k}`);
  const { a, b } = operands(s);
  if (s.width === 1) {
    return `function (a, b, r0, c0) {
  const j = this.thread.x + c0;
  let s = 0;
  for (let p = 0; p < ${s.k}; p++) {
    s += ${a} * ${b('')};
  }
  return s;
}`;
  }
  // Four adjacent columns a thread: one fetch of A serves four products. Columns past n read
  // whatever lies beyond B's last column and are dropped by the caller.
  return `function (a, b, r0, c0) {
  const j = this.thread.x * 4 + c0;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let p = 0; p < ${s.k}; p++) {
    const x = ${a};
    s0 += x * ${b('')};
    s1 += x * ${b(' + 1')};
    s2 += x * ${b(' + 2')};
    s3 += x * ${b(' + 3')};
  }
  return [s0, s1, s2, s3];
}`;
}

/** The cache key of a compiled kernel: its shape and the sizes of the inputs it was compiled for. */
export function kernelKey(s: KernelShape, aDims: readonly number[], bDims: readonly number[]): string {
  return `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'} ${s.rows}x${s.cols}x${s.k} a${aDims.join('x')} b${bDims.join('x')}${s.aIsRowBlock ? ' block' : ''} w${s.width}`;
}

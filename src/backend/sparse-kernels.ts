// TypeScript references of the sparse kernels behind the top-k ops (src/autodiff/topk.ts). A row
// of a sparse m × n matrix holds k values and their column indices. The simd backend repeats this
// arithmetic in WebAssembly (simd/sparse-wat.ts) bit for bit: every product of two floats is exact
// in double, each accumulation into a float32 buffer is one double add then a rounding to float32
// (the typed-array store), and the dot products keep four double partial sums, by q mod 4, added
// as (s0 + s1) + (s2 + s3) and then the last d mod 4 terms in order.

export interface SparseKernels {
  /** o (m × d) ← s·W: row i is Σⱼ v[i,j]·W[idx[i,j], :], W n × d; zero values are skipped. */
  sparseRowsMatmul(
    v: Float32Array,
    idx: Int32Array,
    m: number,
    k: number,
    w: Float32Array,
    d: number,
    o: Float32Array,
  ): void;
  /** The backward of sparseRowsMatmul for the output gradient g (m × d): gv[i,j] += gᵢ·W[idx[i,j], :], gW[idx[i,j], :] += v[i,j]·gᵢ. */
  sparseRowsMatmulBackward(
    g: Float32Array,
    v: Float32Array,
    idx: Int32Array,
    m: number,
    k: number,
    w: Float32Array,
    d: number,
    gv: Float32Array | null,
    gw: Float32Array | null,
  ): void;
  /**
   * The backward of the kept entries of x·W (x m × d, W d × n) for their gradient g (m × k, zero
   * where nothing flows): gW[p, c] += x[i,p]·g[i,j] and gx[i,p] += Σⱼ g[i,j]·W[p, c], c = idx[i,j].
   */
  sparseLinearBackward(
    g: Float32Array,
    idx: Int32Array,
    m: number,
    k: number,
    x: Float32Array,
    d: number,
    w: Float32Array,
    n: number,
    gw: Float32Array | null,
    gx: Float32Array | null,
  ): void;
}

/** Σ_q a[ao + q]·b[bo + q] over q < d, in the four-partial-sums order described above. */
export function dot4(a: Float32Array, ao: number, b: Float32Array, bo: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const d4 = d - (d % 4);
  for (let q = 0; q < d4; q += 4) {
    s0 += a[ao + q] * b[bo + q];
    s1 += a[ao + q + 1] * b[bo + q + 1];
    s2 += a[ao + q + 2] * b[bo + q + 2];
    s3 += a[ao + q + 3] * b[bo + q + 3];
  }
  let s = s0 + s1 + (s2 + s3);
  for (let q = d4; q < d; q++) s += a[ao + q] * b[bo + q];
  return s;
}

export const referenceSparseKernels: SparseKernels = {
  sparseRowsMatmul(v, idx, m, k, w, d, o) {
    o.fill(0, 0, m * d);
    for (let i = 0; i < m; i++) {
      const orow = i * d;
      for (let j = i * k, end = j + k; j < end; j++) {
        const a = v[j];
        if (a === 0) continue;
        const wrow = idx[j] * d;
        for (let q = 0; q < d; q++) o[orow + q] += a * w[wrow + q];
      }
    }
  },

  sparseRowsMatmulBackward(g, v, idx, m, k, w, d, gv, gw) {
    for (let i = 0; i < m; i++) {
      const grow = i * d;
      for (let j = i * k, end = j + k; j < end; j++) {
        const wrow = idx[j] * d;
        if (gv) gv[j] += dot4(g, grow, w, wrow, d);
        const a = v[j];
        if (gw && a !== 0) for (let q = 0; q < d; q++) gw[wrow + q] += a * g[grow + q];
      }
    }
  },

  sparseLinearBackward(g, idx, m, k, x, d, w, n, gw, gx) {
    // Row p of W (and of gW) stays in cache while every kept entry of the batch visits it.
    for (let p = 0; p < d; p++) {
      const wRow = p * n;
      for (let i = 0; i < m; i++) {
        const xp = x[i * d + p];
        let acc = 0;
        for (let j = i * k, end = j + k; j < end; j++) {
          const gij = g[j];
          if (gij === 0) continue;
          const c = wRow + idx[j];
          if (gw) gw[c] += xp * gij;
          acc += gij * w[c];
        }
        if (gx) gx[i * d + p] += acc;
      }
    }
  },
};

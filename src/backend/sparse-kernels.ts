// TypeScript references of the sparse kernels behind the top-k ops (src/autodiff/topk.ts). A row
// of a sparse m × n matrix holds k values and their column indices. The simd backend repeats this
// arithmetic in WebAssembly (simd/sparse-wat.ts) bit for bit: every product of two floats is exact
// in double, each accumulation into a float32 buffer is one double add then a rounding to float32
// (the typed-array store), and the dot products keep four double partial sums, by q mod 4, added
// as (s0 + s1) + (s2 + s3) and then the last d mod 4 terms in order.

/** The operands of s·W: s is m × n with k entries a row (values v, columns idx, row-major), W is n × d. */
type SparseRowsTimesW = [v: Float32Array, idx: Int32Array, m: number, k: number, w: Float32Array, d: number];

export interface SparseKernels {
  /** o (m × d) ← s·W: row i is Σⱼ v[i,j]·W[idx[i,j], :], W n × d; zero values are skipped. */
  sparseRowsMatmul(...args: [...SparseRowsTimesW, o: Float32Array]): void;
  /** The backward of sparseRowsMatmul for the output gradient g (m × d): gv[i,j] += gᵢ·W[idx[i,j], :], gW[idx[i,j], :] += v[i,j]·gᵢ. */
  sparseRowsMatmulBackward(
    g: Float32Array,
    ...args: [...SparseRowsTimesW, gv: Float32Array | null, gw: Float32Array | null]
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
  /**
   * A CSR matrix S (rows × bRows, row r's entries v[e] at columns idx[e], e in ptr[r]..ptr[r+1])
   * times B (bRows × k): out (rows × k) ← S·B, or out += S·B when `accumulate`. With `segments`,
   * S is the sum of `count` CSR matrices sharing idx and v whose row pointers start at ptr[s·stride]
   * (s < count, each pointer read at s·stride + r and s·stride + r + 1), summed in that order.
   * Each row of each segment is summed in float32 (acc ← float32(acc + float32(v·B[c, q])), entries
   * in order), then added to out: a float32 out rounds each addition, a float64 out adds exactly.
   * This is X·Hᵀ (CSR of X) and, with X's rows split in blocks whose CSR of Xᵀ are the
   * segments, Xᵀ·W with float32 sums inside a block and float64 across blocks (src/nmf).
   */
  csrTimes(
    ptr: Int32Array,
    idx: Int32Array,
    v: Float32Array,
    rows: number,
    b: Float32Array,
    k: number,
    out: Float32Array | Float64Array,
    accumulate: boolean,
    segments?: CsrSegments,
  ): void;
}

/** The CSR matrices summed by csrTimes: `count` row-pointer arrays, `stride` apart in ptr. */
export interface CsrSegments {
  readonly count: number;
  readonly stride: number;
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

  csrTimes(ptr, idx, v, rows, b, k, out, accumulate, segments) {
    const count = segments?.count ?? 1;
    const stride = segments?.stride ?? 0;
    const f32 = out instanceof Float32Array;
    const acc = new Float32Array(k);
    for (let s = 0; s < count; s++) {
      const add = accumulate || s > 0;
      for (let r = 0; r < rows; r++) {
        const e0 = ptr[s * stride + r];
        const e1 = ptr[s * stride + r + 1];
        if (e0 === e1 && add) continue;
        acc.fill(0);
        for (let e = e0; e < e1; e++) {
          const a = v[e];
          const row = idx[e] * k;
          for (let q = 0; q < k; q++) acc[q] += Math.fround(a * b[row + q]);
        }
        const o = r * k;
        if (!add) for (let q = 0; q < k; q++) out[o + q] = acc[q];
        else if (f32) for (let q = 0; q < k; q++) out[o + q] += acc[q];
        else for (let q = 0; q < k; q++) out[o + q] += acc[q];
      }
    }
  },
};

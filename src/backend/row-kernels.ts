// TypeScript references of the row kernels behind the SAE's unit-norm decoder (src/sae/train.ts).
// The simd backend repeats this arithmetic in WebAssembly (simd/rows-wat.ts) bit for bit: a row's
// sum is one chain of double additions in column order, and each float is updated by one double
// expression rounded to float32 (the typed-array store).

export interface RowKernels {
  /** Scales each row of an r × c matrix to unit Euclidean norm (a zero row is left as is). */
  normalizeRows(a: Float32Array, r: number, c: number): void;
  /**
   * Removes from each row of the gradient g its component along the same row of w (assumed unit
   * norm): g ← g − (g·w)w. With unit-norm atoms, a step along g then changes an atom's direction
   * and not (to first order) its length, which the renormalisation after the step would undo.
   */
  removeParallelComponent(g: Float32Array, w: Float32Array, r: number, c: number): void;
}

export const referenceRowKernels: RowKernels = {
  normalizeRows(a, r, c) {
    for (let i = 0; i < r; i++) {
      let s = 0;
      for (let q = 0; q < c; q++) s += a[i * c + q] ** 2;
      if (s > 0) {
        const inv = 1 / Math.sqrt(s);
        for (let q = 0; q < c; q++) a[i * c + q] *= inv;
      }
    }
  },

  removeParallelComponent(g, w, r, c) {
    for (let i = 0; i < r; i++) {
      let dot = 0;
      for (let q = 0; q < c; q++) dot += g[i * c + q] * w[i * c + q];
      if (dot !== 0) for (let q = 0; q < c; q++) g[i * c + q] -= dot * w[i * c + q];
    }
  },
};

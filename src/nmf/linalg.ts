// Small float64 kernels the NMF code shares. Factors are row-major (rows × k) with k ≪ rows, and
// they turn sparse as NMF of the identity converges, so the kernels skip zero entries.
import { CholeskyDecomposition, Matrix, QrDecomposition } from 'ml-matrix';

/** Scratch for `gramOfColumns`: k indices and a rows × k buffer, reused across calls. */
export interface GramScratch {
  readonly nz: Int32Array;
  readonly columns: Float64Array;
}

export function gramScratch(rows: number, k: number): GramScratch {
  return { nz: new Int32Array(k), columns: new Float64Array(rows * k) };
}

/**
 * out (k × k) = Fᵀ·F for F (rows × k): the Gram matrix of F's columns, exactly symmetric.
 * A mostly dense F is copied column-major and multiplied in 2 × 2 blocks of contiguous dot products
 * (≈ 7× faster in V8 than summing outer products of rows); a sparse F — NMF of the identity turns
 * sparse after an iteration or two — sums outer products of rows over their non-zero entries only
 * (cost Σ nnz(row)²).
 */
export function gramOfColumns(
  f: Float64Array,
  rows: number,
  k: number,
  out: Float64Array,
  scratch: GramScratch,
): Float64Array {
  let nonZeros = 0;
  for (let i = 0; i < rows * k; i++) if (f[i] !== 0) nonZeros++;
  if (nonZeros * 4 >= rows * k) denseGram(f, rows, k, out, scratch.columns);
  else sparseGram(f, rows, k, out, scratch.nz);
  return out;
}

function denseGram(f: Float64Array, rows: number, k: number, out: Float64Array, columns: Float64Array): void {
  for (let i = 0; i < rows; i++) for (let t = 0; t < k; t++) columns[t * rows + i] = f[i * k + t];
  for (let s = 0; s < k; s += 2) {
    const a0 = s * rows;
    if (s + 1 === k) {
      out[s * k + s] = frobeniusInner(columns.subarray(a0, a0 + rows), columns.subarray(a0, a0 + rows));
      break;
    }
    const a1 = a0 + rows;
    for (let t = s; t < k; t += 2) {
      const b0 = t * rows;
      if (t + 1 === k) {
        let x0y0 = 0;
        let x1y0 = 0;
        for (let i = 0; i < rows; i++) {
          const y0 = columns[b0 + i];
          x0y0 += columns[a0 + i] * y0;
          x1y0 += columns[a1 + i] * y0;
        }
        setSymmetric(out, k, s, t, x0y0);
        setSymmetric(out, k, s + 1, t, x1y0);
        continue;
      }
      const b1 = b0 + rows;
      let x0y0 = 0;
      let x0y1 = 0;
      let x1y0 = 0;
      let x1y1 = 0;
      for (let i = 0; i < rows; i++) {
        const x0 = columns[a0 + i];
        const x1 = columns[a1 + i];
        const y0 = columns[b0 + i];
        const y1 = columns[b1 + i];
        x0y0 += x0 * y0;
        x0y1 += x0 * y1;
        x1y0 += x1 * y0;
        x1y1 += x1 * y1;
      }
      setSymmetric(out, k, s, t, x0y0);
      setSymmetric(out, k, s, t + 1, x0y1);
      setSymmetric(out, k, s + 1, t, x1y0);
      setSymmetric(out, k, s + 1, t + 1, x1y1);
    }
  }
}

function setSymmetric(out: Float64Array, k: number, s: number, t: number, v: number): void {
  out[s * k + t] = v;
  out[t * k + s] = v;
}

function sparseGram(f: Float64Array, rows: number, k: number, out: Float64Array, nz: Int32Array): void {
  out.fill(0, 0, k * k);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let count = 0;
    for (let t = 0; t < k; t++) if (f[o + t] !== 0) nz[count++] = t;
    for (let a = 0; a < count; a++) {
      const s = nz[a];
      const v = f[o + s];
      const outRow = s * k;
      for (let b = a; b < count; b++) {
        const t = nz[b];
        out[outRow + t] += v * f[o + t];
      }
    }
  }
  for (let s = 0; s < k; s++) for (let t = s + 1; t < k; t++) out[t * k + s] = out[s * k + t];
}

/** Σ a[i]·b[i]: the Frobenius inner product ⟨A, B⟩ = tr(AᵀB) of equally shaped matrices. */
export function frobeniusInner(a: Float64Array, b: Float64Array, length = a.length): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * ‖X − WH‖_F from products instead of forming W·H: sqrt(‖X‖² − 2⟨W, X·Hᵀ⟩ + ⟨WᵀW, H·Hᵀ⟩), given
 * ‖X‖², ⟨W, X·Hᵀ⟩ and ⟨WᵀW, H·Hᵀ⟩. Rounding can take an exact fit slightly below 0: that is 0.
 */
export function frobeniusFromProducts(squaredNorm: number, wDotXht: number, gramsDot: number): number {
  return Math.sqrt(Math.max(0, squaredNorm - 2 * wDotXht + gramsDot));
}

/** The transpose (cols × rows) of a row-major rows × cols matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * An orthonormal basis Q (rows × k, rows ≥ k) of the column space of A, with A = Q·R and R upper
 * triangular with a positive diagonal (so for a Gaussian A, Q is Haar-distributed).
 *
 * Cholesky-QR, twice ("CholQR2", Fukaya et al. 2014): R from the Cholesky factor of AᵀA, Q = A·R⁻¹,
 * repeated once to restore orthogonality to rounding level. It costs 2·rows·k² flops, several times
 * less than ml-matrix's Householder QR in JS (measured ≈ 3× for 784 × 128), and is accurate while
 * cond(A) ≪ 1e8 — true of Gaussian matrices with rows ≥ k in all but rare draws. When a column is
 * nearly dependent on the earlier ones (or A is rank-deficient) it falls back to Householder QR.
 */
export function orthonormalColumns(a: Float64Array, rows: number, k: number): Float64Array {
  if (rows < k) throw new RangeError(`orthonormalColumns: needs rows ≥ k, got ${rows} × ${k}`);
  const once = choleskyQrPass(a, rows, k);
  const twice = once && choleskyQrPass(once, rows, k);
  return twice ?? householderQ(a, rows, k);
}

/** One Cholesky-QR pass: A·R⁻¹ with RᵀR = AᵀA, or null when AᵀA is not numerically positive definite. */
function choleskyQrPass(a: Float64Array, rows: number, k: number): Float64Array | null {
  const gram = gramOfColumns(a, rows, k, new Float64Array(k * k), gramScratch(rows, k));
  const cholesky = new CholeskyDecomposition(Matrix.from1DArray(k, k, gram));
  if (!cholesky.isPositiveDefinite()) return null;
  // AᵀA = L·Lᵀ, so R = Lᵀ; keeping L row-major makes the substitution below read it contiguously.
  const lower = Float64Array.from(cholesky.lowerTriangularMatrix.to1DArray());
  // L[j][j] / ‖a_j‖ is the sine of the angle between column j and the earlier ones; below 1e-5
  // cond(A) may exceed 1e5 and two passes no longer reach rounding-level orthogonality.
  for (let j = 0; j < k; j++) if (!(lower[j * k + j] >= 1e-5 * Math.sqrt(gram[j * k + j]))) return null;
  const q = new Float64Array(rows * k);
  // Each row q solves q·R = a, i.e. q·Lᵀ = a, by forward substitution; four partial sums break the
  // dependency chain of one running sum (≈ 2× faster in V8).
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    for (let j = 0; j < k; j++) {
      const lRow = j * k;
      let v0 = a[o + j];
      let v1 = 0;
      let v2 = 0;
      let v3 = 0;
      let s = 0;
      for (; s + 3 < j; s += 4) {
        v0 -= q[o + s] * lower[lRow + s];
        v1 -= q[o + s + 1] * lower[lRow + s + 1];
        v2 -= q[o + s + 2] * lower[lRow + s + 2];
        v3 -= q[o + s + 3] * lower[lRow + s + 3];
      }
      for (; s < j; s++) v0 -= q[o + s] * lower[lRow + s];
      q[o + j] = (v0 + v1 + (v2 + v3)) / lower[lRow + j];
    }
  }
  for (let i = 0; i < q.length; i++) if (!Number.isFinite(q[i])) return null;
  return q;
}

/** Householder QR (ml-matrix), columns of Q signed so that R's diagonal is non-negative. */
function householderQ(a: Float64Array, rows: number, k: number): Float64Array {
  const qr = new QrDecomposition(Matrix.from1DArray(rows, k, a));
  const q = qr.orthogonalMatrix;
  const diagonal = qr.upperTriangularMatrix.diag();
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) out[i * k + j] = (diagonal[j] < 0 ? -1 : 1) * q.get(i, j);
  }
  return out;
}

/** Scratch of k entries for a half-step over F's rows: the row's non-zero columns, and k float64s. */
export interface RowScratch {
  readonly nz: Int32Array;
  readonly values: Float64Array;
}

export function rowScratch(k: number): RowScratch {
  return { nz: new Int32Array(k), values: new Float64Array(k) };
}

/**
 * One solver's update of the row of F (rows × k, row-major) at entries o … o + k − 1, given G (k × k)
 * and T (rows × k), with the row's non-zero columns listed in scratch.nz[0 … count).
 */
export type RowUpdate = (
  f: Float64Array,
  g: Float64Array,
  t: Float64Array,
  o: number,
  k: number,
  count: number,
  scratch: RowScratch,
) => void;

/**
 * A half-step of `nmf` (float64): `update` on every row of F in turn, visiting only the row's
 * non-zero entries where the rule allows — NMF of the identity turns the factors sparse within a
 * few iterations (a handful of non-zeros per row of 128), which makes later sweeps ~20× cheaper.
 */
export function updateRows(
  update: RowUpdate,
  f: Float64Array,
  g: Float64Array,
  t: Float64Array,
  rows: number,
  k: number,
  scratch: RowScratch,
): void {
  const { nz } = scratch;
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    let count = 0;
    for (let s = 0; s < k; s++) if (f[o + s] !== 0) nz[count++] = s;
    update(f, g, t, o, k, count, scratch);
  }
}

/**
 * ‖T − W·H‖²_F for W (m × k) and H (k × d) row-major, with T given entry by entry (`target(i, j)`):
 * W·H multiplied out a row at a time in float64, skipping W's zeros (O(m·d·k)). For reported
 * errors and checks; the solvers use Gram matrices instead (solve.ts).
 */
export function squaredDistanceToProduct(
  target: (i: number, j: number) => number,
  w: ArrayLike<number>,
  h: ArrayLike<number>,
  m: number,
  k: number,
  d: number,
): number {
  const row = new Float64Array(d);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let c = 0; c < k; c++) {
      const a = w[i * k + c];
      if (a === 0) continue;
      const off = c * d;
      for (let j = 0; j < d; j++) row[j] += a * h[off + j];
    }
    for (let j = 0; j < d; j++) {
      const e = target(i, j) - row[j];
      sum += e * e;
    }
  }
  return sum;
}

import { Matrix, QrDecomposition } from 'ml-matrix';
import { type KernelShape, perTensorInitializer, type Rng, z } from 'nmfinit';

/**
 * Keras Orthogonal (Saxe et al., 2014). Draws A, a max(fanIn, fanOut) × min(fanIn, fanOut) matrix
 * of N(0, 1) values filled row-major from the layer's kernel stream, takes its thin QR in float64
 * (ml-matrix, Householder), multiplies each column of Q by the sign of R's diagonal entry (so Q is
 * the unique factor with a positive R diagonal — what makes Q Haar-distributed), transposes when
 * fanIn < fanOut, and scales by gain. Tall kernels get orthonormal columns, wide ones orthonormal rows.
 * Keras' sign(0) = 0 would zero a column; that has probability zero, and here counts as +1.
 */
export function orthogonalKernel({ fanIn, fanOut }: KernelShape, rng: Rng, gain: number): Float32Array {
  const rows = Math.max(fanIn, fanOut);
  const cols = Math.min(fanIn, fanOut);
  const a = Matrix.from1DArray(rows, cols, rng.fillNormal(new Float64Array(rows * cols)));
  const qr = new QrDecomposition(a);
  const q = qr.orthogonalMatrix; // rows × cols
  const rDiagonal = qr.upperTriangularMatrix.diag();
  const sign = rDiagonal.map((d) => (d < 0 ? -1 : 1));

  const out = new Float32Array(fanIn * fanOut);
  const tall = fanIn >= fanOut;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = gain * sign[c] * q.get(r, c);
      if (tall) out[r * fanOut + c] = value;
      else out[c * fanOut + r] = value;
    }
  }
  return out;
}

/** The parameters of an initializer that scales a fixed matrix (Keras Orthogonal's and Identity's `gain`). */
export const gainParams = (matrix: string) =>
  z.object({ gain: z.number().default(1).describe(`multiplies ${matrix}`) }).strict();

export const orthogonalParams = gainParams('the orthogonal matrix');

export const orthogonal = perTensorInitializer({
  name: 'orthogonal',
  description: 'Keras Orthogonal: gain × Q of the QR of a normal matrix (orthonormal columns or rows)',
  params: orthogonalParams,
  kernel: (shape, rng, p) => orthogonalKernel(shape, rng, p.gain),
});

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import {
  type CovarianceOptions,
  centredBlock,
  checkSamples,
  covarianceMatrix,
  PcaInputError,
  resolveBackend,
  resolveBlockRows,
} from './covariance.ts';

/** A fitted PCA: the linear autoencoder optimum that the study compares with. */
export interface Pca {
  /** Features per sample. */
  d: number;
  /** Samples it was fitted on. */
  n: number;
  /** Number of components kept. */
  rank: number;
  /** Column means of the training samples. */
  mean: Float64Array;
  /**
   * rank×d, row-major: orthonormal principal directions, largest variance first. Each row's
   * entry of largest magnitude is positive (a fixed sign, so results do not flip between runs).
   */
  components: Float64Array;
  /** All d eigenvalues of the biased (1/n) covariance, descending; round-off negatives are 0. */
  eigenvalues: Float64Array;
}

export type PcaOptions = CovarianceOptions;

/**
 * Principal components of n×d samples (row-major float32): the covariance is accumulated on the
 * backend in blocks (see covarianceMatrix for the numerics) and eigen-decomposed in float64 with
 * ml-matrix (Householder tridiagonalization + QL, the EISPACK tred2/tql2 pair).
 */
export function fitPca(x: Float32Array, n: number, d: number, rank: number, options: PcaOptions = {}): Pca {
  checkSamples('fitPca', x, n, d);
  if (!(Number.isInteger(rank) && rank >= 0 && rank <= d)) {
    throw new PcaInputError(`fitPca: rank must be an integer in 0..d = 0..${d}, got ${rank}`);
  }
  const { mean, covariance } = covarianceMatrix(x, n, d, options);
  const { eigenvalues, vectors } = symmetricEigen(covariance, d);
  const components = new Float64Array(rank * d);
  for (let r = 0; r < rank; r++) {
    const v = vectors[r];
    let largest = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
    const sign = v[largest] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) components[r * d + j] = sign * v[j];
  }
  return { d, n, rank, mean, components, eigenvalues };
}

/** Eigenvalues (descending, clipped at 0) and unit eigenvectors of a symmetric d×d matrix. */
function symmetricEigen(a: Float64Array, d: number): { eigenvalues: Float64Array; vectors: Float64Array[] } {
  const rows = Array.from({ length: d }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const v = evd.eigenvectorMatrix;
  // Descending by value; equal values keep ml-matrix's order, so the result is deterministic.
  const order = values.map((_, i) => i).sort((i, j) => values[j] - values[i] || i - j);
  const eigenvalues = Float64Array.from(order, (i) => Math.max(0, values[i]));
  const vectors = order.map((i) => Float64Array.from(v.getColumn(i)));
  return { eigenvalues, vectors };
}

function checkFits(where: string, pca: Pca, d: number): void {
  if (d !== pca.d)
    throw new PcaInputError(`${where}: x has d = ${d} features, but the PCA was fitted with d = ${pca.d}`);
}

/**
 * Runs x̂ = μ + (x − μ)·Cᵀ·C over blocks of rows and hands each block's x̂ − μ to `visit`.
 * Both products are float32 gemms on the backend.
 */
function reconstructBlocks(
  where: string,
  pca: Pca,
  x: Float32Array,
  n: number,
  d: number,
  options: PcaOptions,
  visit: (start: number, rows: number, projected: Float32Array) => void,
): void {
  checkSamples(where, x, n, d);
  checkFits(where, pca, d);
  const blockRows = Math.min(n, resolveBlockRows(where, options.blockRows));
  const backend = resolveBackend(options.backend);
  const c = Float32Array.from(pca.components);
  const k = pca.rank;
  const centred = new Float32Array(blockRows * d);
  const codes = new Float32Array(blockRows * Math.max(k, 1));
  const projected = new Float32Array(blockRows * d);
  for (let start = 0; start < n; start += blockRows) {
    const rows = Math.min(blockRows, n - start);
    centredBlock(x, d, pca.mean, start, rows, centred);
    if (k === 0) {
      projected.fill(0);
    } else {
      backend.gemm(false, true, rows, k, d, centred, c, codes); // codes = (x − μ)·Cᵀ
      backend.gemm(false, false, rows, d, k, codes, c, projected); // (x − μ)·Cᵀ·C
    }
    visit(start, rows, projected);
  }
}

/**
 * Mean over all n·d elements of (x − x̂)², x̂ the rank-`pca.rank` reconstruction: the error a
 * linear autoencoder with a `rank`-unit code reaches at best on training data. x may be other
 * data (e.g. the validation split). The residual is formed from x − μ in float64 and summed in
 * float64; only the projection is float32.
 */
export function pcaReconstructionMse(
  pca: Pca,
  x: Float32Array,
  n: number,
  d: number,
  options: PcaOptions = {},
): number {
  let sum = 0;
  reconstructBlocks('pcaReconstructionMse', pca, x, n, d, options, (start, rows, projected) => {
    for (let i = 0; i < rows; i++) {
      const src = (start + i) * d;
      for (let j = 0; j < d; j++) {
        const r = x[src + j] - pca.mean[j] - projected[i * d + j];
        sum += r * r;
      }
    }
  });
  return sum / (n * d);
}

/** The reconstructions x̂ = μ + (x − μ)·Cᵀ·C, n×d float32 (e.g. a "pca" row of an image grid). */
export function pcaReconstruct(
  pca: Pca,
  x: Float32Array,
  n: number,
  d: number,
  options: PcaOptions = {},
): Float32Array {
  const out = new Float32Array(n * d);
  reconstructBlocks('pcaReconstruct', pca, x, n, d, options, (start, rows, projected) => {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < d; j++) out[(start + i) * d + j] = pca.mean[j] + projected[i * d + j];
    }
  });
  return out;
}

/**
 * The training-data reconstruction MSE at `rank` (default the fitted rank) from the eigenvalues
 * alone: Σ_{i ≥ rank} λᵢ / d, λ of the biased covariance. Equals pcaReconstructionMse on the
 * samples the PCA was fitted on — a cross-check of the two computations.
 */
export function pcaTrainMseFromEigenvalues(pca: Pca, rank = pca.rank): number {
  if (!(Number.isInteger(rank) && rank >= 0 && rank <= pca.d)) {
    throw new PcaInputError(
      `pcaTrainMseFromEigenvalues: rank must be an integer in 0..${pca.d}, got ${rank}`,
    );
  }
  let sum = 0;
  for (let i = pca.d - 1; i >= rank; i--) sum += pca.eigenvalues[i]; // smallest first: less rounding
  return sum / pca.d;
}

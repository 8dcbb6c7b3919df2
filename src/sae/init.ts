import { geometricMedian } from '../analysis/geometric-median.ts';
import type { Rng } from '../tensor/rng.ts';
import type { SparseAutoencoder } from './model.ts';

// Start-up choices of openai/sparse_autoencoder (train.py) beyond the dictionary itself:
// FastAutoencoder.__init__ ties the decoder to the encoder's transpose, and init_from_data_ sets
// b_pre to the geometric median of the first 32,768 samples, then divides the encoder by the mean
// norm of the (b_pre-free) reconstruction of 256 random unit vectors shifted by b_pre.

/** The reference's sample size for the geometric median (init_from_data_: stats_acts_sample[:32768]). */
export const GEOMETRIC_MEDIAN_SAMPLES = 32768;

/** The geometric median of the first ≤ 32,768 rows of x (rows × d), as b_pre. */
export function geometricMedianPreBias(x: Float32Array, rows: number, d: number): Float32Array {
  const m = Math.min(rows, GEOMETRIC_MEDIAN_SAMPLES);
  return Float32Array.from(geometricMedian(x.subarray(0, m * d), m, d).median);
}

/**
 * Unties the start: the encoder W_e (d × n) is drawn afresh, U(−1/√d, 1/√d) per entry (PyTorch's
 * nn.Linear(d, n) default), instead of being the decoder's transpose.
 */
export function untieEncoder(model: SparseAutoencoder, rng: Rng): void {
  const bound = 1 / Math.sqrt(model.inputDim);
  const we = model.encoderKernel.value.data;
  for (let i = 0; i < we.length; i++) we[i] = rng.uniformRange(-bound, bound);
}

/**
 * The reference's encoder rescale: 256 random unit vectors (Gaussian, normalised) plus b_pre are
 * encoded and decoded; W_e is divided by the mean ‖x̂ − b_pre‖, so such inputs come back at about
 * unit norm. Returns the divisor.
 */
export function rescaleEncoder(model: SparseAutoencoder, rng: Rng, probes = 256): number {
  const d = model.inputDim;
  const b = model.preBias.value.data;
  const x = new Float32Array(probes * d);
  for (let i = 0; i < probes; i++) {
    let s = 0;
    const row = new Float64Array(d);
    for (let q = 0; q < d; q++) {
      row[q] = rng.normal();
      s += row[q] ** 2;
    }
    const inv = 1 / Math.sqrt(s);
    for (let q = 0; q < d; q++) x[i * d + q] = row[q] * inv + b[q];
  }
  const { recon } = model.reconstruct(x, probes);
  let total = 0;
  for (let i = 0; i < probes; i++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += (recon[i * d + q] - b[q]) ** 2;
    total += Math.sqrt(s);
  }
  const divisor = total / probes;
  if (!(divisor > 0 && Number.isFinite(divisor)))
    throw new RangeError(
      `rescaleEncoder: the probes' mean reconstruction norm is ${divisor}; cannot divide by it`,
    );
  const we = model.encoderKernel.value.data;
  for (let i = 0; i < we.length; i++) we[i] /= divisor;
  return divisor;
}

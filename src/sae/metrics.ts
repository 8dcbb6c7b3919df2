import { minCostAssignment } from '../analysis/hungarian.ts';
import { FIRING_THRESHOLD } from './dead-latents.ts';
import type { SparseAutoencoder } from './model.ts';

// Evaluation metrics of an SAE on a fixed set of samples (SAELens' names in brackets):
// normalised MSE ‖x − x̂‖² / ‖x − mean‖² (1 − explained variance), L0 (mean number of non-zero
// latents per sample, ≤ k), and each latent's firing frequency (feature density).

export interface SaeEvaluation {
  readonly normalizedMse: number;
  readonly l0: number;
  /** Fraction of the evaluation samples on which each latent fired (value > 1e-3). */
  readonly frequencies: Float64Array;
}

/** Evaluates `model` on `rows` samples of x (rows × d), in batches of `batchSize`. */
export function evaluateSae(
  model: SparseAutoencoder,
  x: Float32Array,
  rows: number,
  batchSize = 512,
): SaeEvaluation {
  const d = model.inputDim;
  const mean = new Float64Array(d);
  for (let i = 0; i < rows; i++) for (let q = 0; q < d; q++) mean[q] += x[i * d + q];
  for (let q = 0; q < d; q++) mean[q] /= rows;
  let err = 0;
  let total = 0;
  let nonZero = 0;
  const counts = new Float64Array(model.latents);
  for (let start = 0; start < rows; start += batchSize) {
    const m = Math.min(batchSize, rows - start);
    const batch = x.subarray(start * d, (start + m) * d);
    const { recon, latents } = model.reconstruct(batch, m);
    for (let e = 0; e < m * d; e++) {
      err += (batch[e] - recon[e]) ** 2;
      total += (batch[e] - mean[e % d]) ** 2;
    }
    for (let e = 0; e < latents.values.length; e++) {
      if (latents.values[e] > 0) nonZero++;
      if (latents.values[e] > FIRING_THRESHOLD) counts[latents.indices[e]]++;
    }
  }
  for (let j = 0; j < counts.length; j++) counts[j] /= rows;
  return { normalizedMse: total > 0 ? err / total : Number.NaN, l0: nonZero / rows, frequencies: counts };
}

/** A histogram of log10 firing frequency: equal bins on [log10(1/samples), 0], never-fired latents apart. */
export interface DensityHistogram {
  /** Left edges of the bins (log10 frequency); the last bin's right edge is 0. */
  readonly edges: number[];
  readonly counts: number[];
  /** Latents that never fired on the evaluation set (log10 0 = −∞). */
  readonly neverFired: number;
}

export function densityHistogram(frequencies: Float64Array, samples: number, bins = 20): DensityHistogram {
  const lo = -Math.log10(Math.max(samples, 2));
  const width = -lo / bins;
  const edges = Array.from({ length: bins }, (_, b) => lo + b * width);
  const counts = new Array<number>(bins).fill(0);
  let neverFired = 0;
  for (const f of frequencies) {
    if (!(f > 0)) {
      neverFired++;
      continue;
    }
    const b = Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(f) - lo) / width)));
    counts[b]++;
  }
  return { edges, counts, neverFired };
}

/**
 * Feature recovery (sparse dictionary learning's standard): for each true direction, the largest
 * cosine with any learned atom (signed: a ReLU latent can only use an atom one way round), averaged over the true directions. Atoms are n × d, truth m × d,
 * rows of both of any norm.
 */
export function meanMaxCosine(
  atoms: Float32Array,
  n: number,
  truth: Float32Array,
  m: number,
  d: number,
): number {
  const c = cosineMatrix(atoms, n, truth, m, d);
  let sum = 0;
  for (let t = 0; t < m; t++) {
    let best = -1;
    for (let j = 0; j < n; j++) if (c[t * n + j] > best) best = c[t * n + j];
    sum += best;
  }
  return sum / m;
}

/** Signed cosines, m × n row-major: C[t, j] = cos(truth t, atom j) (0 where either is zero). */
function cosineMatrix(
  atoms: Float32Array,
  n: number,
  truth: Float32Array,
  m: number,
  d: number,
): Float64Array {
  const norms = (a: Float32Array, r: number) =>
    Float64Array.from({ length: r }, (_, i) => {
      let s = 0;
      for (let q = 0; q < d; q++) s += a[i * d + q] ** 2;
      return Math.sqrt(s);
    });
  const an = norms(atoms, n);
  const tn = norms(truth, m);
  const c = new Float64Array(m * n);
  for (let t = 0; t < m; t++)
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let q = 0; q < d; q++) dot += truth[t * d + q] * atoms[j * d + q];
      c[t * n + j] = an[j] > 0 && tn[t] > 0 ? dot / (an[j] * tn[t]) : 0;
    }
  return c;
}

export interface MatchedRecovery {
  /** Mean over the m true directions of the cosine with the atom matched to it (0 if none is). */
  readonly meanCosine: number;
  /** Fraction of the true directions whose matched atom's cosine exceeds `threshold`. */
  readonly fractionAbove: number;
  readonly threshold: number;
}

/**
 * Feature recovery by optimal one-to-one matching: each true direction gets its own atom, the
 * assignment (Hungarian) maximising the summed signed cosine. Unlike `meanMaxCosine`, one atom
 * cannot stand for several directions. With fewer atoms than directions (n < m), the atoms are
 * matched to directions and the n − m left over count as cosine 0.
 */
export function matchedCosines(
  atoms: Float32Array,
  n: number,
  truth: Float32Array,
  m: number,
  d: number,
  threshold = 0.9,
): MatchedRecovery {
  const c = cosineMatrix(atoms, n, truth, m, d);
  const matched = new Float64Array(m);
  if (m <= n) {
    const neg = c.map((v) => -v);
    const { columnOf } = minCostAssignment(neg, m, n);
    for (let t = 0; t < m; t++) matched[t] = c[t * n + columnOf[t]];
  } else {
    // Atoms as rows: the transpose, negated.
    const neg = new Float64Array(n * m);
    for (let t = 0; t < m; t++) for (let j = 0; j < n; j++) neg[j * m + t] = -c[t * n + j];
    const { columnOf } = minCostAssignment(neg, n, m);
    for (let j = 0; j < n; j++) matched[columnOf[j]] = c[columnOf[j] * n + j];
  }
  let sum = 0;
  let above = 0;
  for (const v of matched) {
    sum += v;
    if (v > threshold) above++;
  }
  return { meanCosine: sum / m, fractionAbove: above / m, threshold };
}

import { DatasetError, defineDataset, Rng, resolveLimit, z } from 'nmfinit';

const count = z.number().int().positive();

const params = z
  .object({
    /** Input dimension D. */
    dim: count.max(1 << 16).default(100),
    /**
     * The spiked eigenvalues as multiples of D: eigenvalue r is spikes[r]·D, so the spikes carry a
     * fixed share of the variance as D grows (as in Refinetti & Goldt's generative model, where
     * the spikes' variance grows with D).
     */
    spikes: z.array(z.number().positive()).min(1).max(64).default([4, 2, 1]),
    /** The bulk eigenvalue (every direction orthogonal to the spikes). */
    bulk: z.number().positive().default(1),
    trainCount: count.default(10000),
    testCount: count.default(2000),
    seed: z.number().int().default(0),
  })
  .strict();

export type SpikedGaussianParams = z.output<typeof params>;

/** The most values one split may hold (4 GiB of Float32). */
const MAX_VALUES = 2 ** 30;

/**
 * The planted eigenvectors u_r (unit, orthogonal, one per spike, in the order of `spikes`): Gram–Schmidt
 * (twice, for float64 orthogonality) of Gaussian vectors from the seed's own stream, so they depend only
 * on the seed, D and the number of spikes.
 */
export function spikedGaussianBasis(
  p: Pick<SpikedGaussianParams, 'dim' | 'spikes' | 'seed'>,
): Float64Array[] {
  const rng = Rng.seeded(p.seed).child('basis');
  const basis: Float64Array[] = [];
  for (let r = 0; r < p.spikes.length; r++) {
    const u = rng.fillNormal(new Float64Array(p.dim));
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let dot = 0;
        for (let i = 0; i < p.dim; i++) dot += u[i] * q[i];
        for (let i = 0; i < p.dim; i++) u[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < p.dim; i++) norm += u[i] * u[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < p.dim; i++) u[i] /= norm;
    basis.push(u);
  }
  return basis;
}

/** The covariance's eigenvalues on the planted directions: spikes[r]·D. */
export function spikedGaussianEigenvalues(p: Pick<SpikedGaussianParams, 'dim' | 'spikes'>): number[] {
  return p.spikes.map((s) => s * p.dim);
}

/**
 * Zero-mean Gaussian inputs with covariance bulk·I + Σ_r (spikes[r]·D − bulk)·u_r u_rᵀ: a few spiked
 * eigenvalues above a flat bulk. Sample i is x = Σ_r √(spikes[r]·D − bulk)·z_r·u_r + √bulk·ξ with
 * z, ξ standard normal, read from one stream per split in sample order (a limit gives the first
 * samples of the full split). Values are real, not pixels: `values: 'real'`.
 */
export const spikedGaussian = defineDataset({
  name: 'spiked-gaussian',
  description: 'Seeded Gaussian inputs whose covariance has a few spiked eigenvalues above a flat bulk',
  params,
  async load({ split, limit, params: p }) {
    const total = split === 'train' ? p.trainCount : p.testCount;
    const n = resolveLimit(limit, total, `spiked-gaussian ${split}`);
    const d = p.dim;
    if (n * d > MAX_VALUES) {
      throw new DatasetError(
        `spiked-gaussian ${split}: ${n} samples of dimension ${d} are ${n * d} values, more than the ${MAX_VALUES} allowed`,
      );
    }
    const eigen = spikedGaussianEigenvalues(p);
    eigen.forEach((value, r) => {
      if (!(value > p.bulk)) {
        throw new DatasetError(
          `spiked-gaussian: spikes[${r}]·dim = ${value} must exceed the bulk eigenvalue ${p.bulk}`,
        );
      }
    });
    const basis = spikedGaussianBasis(p);
    const amplitude = eigen.map((value) => Math.sqrt(value - p.bulk));
    const noise = Math.sqrt(p.bulk);
    const rng = Rng.seeded(p.seed).child('samples').child(split);
    const images = new Float32Array(n * d);
    const row = new Float64Array(d);
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < d; i++) row[i] = noise * rng.normal();
      for (let r = 0; r < basis.length; r++) {
        const a = amplitude[r] * rng.normal();
        const u = basis[r];
        for (let i = 0; i < d; i++) row[i] += a * u[i];
      }
      images.set(row, s * d);
    }
    return {
      name: 'spiked-gaussian',
      split,
      images,
      labels: new Uint8Array(n),
      count: n,
      imageShape: [1, d],
      classNames: ['sample'],
      values: 'real',
    };
  },
});

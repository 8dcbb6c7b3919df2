import { DatasetError, defineDataset, Rng, resolveLimit, z } from 'nmfinit';

// Sparse features in superposition, the planted problem of sparse dictionary learning: m
// ground-truth unit directions f₁…f_m in d = height·width dimensions, m > d, and each sample
// x = offset + s·Σᵢ cᵢfᵢ with cᵢ = bᵢ·uᵢ, bᵢ ~ Bernoulli(meanActive/m), uᵢ ~ U(0, 1): a sparse
// non-negative combination. Datasets hold values in [0, 1], so one scale s (the largest |Σ cᵢfᵢ|
// over both splits, mapped to 0.5 around offset 0.5 for signed directions, to 1 from offset 0
// for non-negative ones) is applied; it changes no direction. `superpositionDirections` returns
// the true f's for the recovery metric.

const count = z.number().int().positive();

export const superpositionParams = z
  .object({
    height: count.max(256).default(8),
    width: count.max(256).default(8),
    /** m, the number of true directions; more than d = height·width for superposition. */
    features: count.max(65536).default(256),
    /** Expected number of active features per sample. */
    meanActive: z.number().positive().default(4),
    /** 'gaussian': uniform on the sphere; 'non-negative': |N(0, I)| normalised (NMF applies). */
    directions: z.enum(['gaussian', 'non-negative']).default('gaussian'),
    trainCount: count.default(10000),
    testCount: count.default(2000),
    seed: z.number().int().default(0),
  })
  .strict()
  .refine((p) => p.meanActive <= p.features, {
    message: 'meanActive must not exceed features',
    path: ['meanActive'],
  });

export type SuperpositionParams = z.output<typeof superpositionParams>;

/** The m true unit directions, m × d row-major. */
export function superpositionDirections(p: SuperpositionParams): Float32Array {
  const d = p.height * p.width;
  const rng = Rng.seeded(p.seed).child('directions');
  const f = new Float32Array(p.features * d);
  for (let i = 0; i < p.features; i++) {
    let norm = 0;
    const row = new Float64Array(d);
    for (let q = 0; q < d; q++) {
      const v = rng.normal();
      row[q] = p.directions === 'non-negative' ? Math.abs(v) : v;
      norm += row[q] ** 2;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let q = 0; q < d; q++) f[i * d + q] = row[q] * inv;
  }
  return f;
}

/** Unscaled Σ cᵢfᵢ for every sample of a split (one stream per split, read in sample order). */
function combinations(p: SuperpositionParams, f: Float32Array, split: 'train' | 'test'): Float64Array {
  const d = p.height * p.width;
  const n = split === 'train' ? p.trainCount : p.testCount;
  const rng = Rng.seeded(p.seed).child('coefficients').child(split);
  const prob = p.meanActive / p.features;
  const out = new Float64Array(n * d);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < p.features; i++) {
      if (rng.uniform() >= prob) continue;
      const c = rng.uniform();
      for (let q = 0; q < d; q++) out[s * d + q] += c * f[i * d + q];
    }
  }
  return out;
}

const MAX_VALUES = 2 ** 28;

export const superposition = defineDataset({
  name: 'superposition',
  displayName: 'Planted superposition',
  description:
    'Sparse non-negative combinations of m > d seeded unit directions (planted features for SAE recovery)',
  params: superpositionParams,
  async load({ split, limit, params: p }) {
    const d = p.height * p.width;
    const total = split === 'train' ? p.trainCount : p.testCount;
    const n = resolveLimit(limit, total, `superposition ${split}`);
    if ((p.trainCount + p.testCount) * d > MAX_VALUES) {
      throw new DatasetError(
        `superposition: ${p.trainCount + p.testCount} samples of d = ${d} exceed ${MAX_VALUES} values; lower the counts`,
      );
    }
    const f = superpositionDirections(p);
    const splits = { train: combinations(p, f, 'train'), test: combinations(p, f, 'test') };
    let peak = 0;
    for (const v of [...splits.train, ...splits.test]) peak = Math.max(peak, Math.abs(v));
    const signed = p.directions === 'gaussian';
    const offset = signed ? 0.5 : 0;
    const scale = peak > 0 ? (signed ? 0.5 : 1) / peak : 1;
    const src = splits[split];
    const images = new Float32Array(n * d);
    for (let e = 0; e < n * d; e++) images[e] = Math.min(1, Math.max(0, offset + scale * src[e]));
    return {
      name: 'superposition',
      split,
      images,
      labels: new Uint8Array(n),
      count: n,
      imageShape: [p.height, p.width],
      classNames: ['sample'],
    };
  },
});

import {
  type Backend,
  type CachedPcaOptions,
  cachedFitPca,
  entrySplits,
  getBackend,
  OVERLAP_RECORD_LIMIT,
  type Pca,
  pcaReconstructionMse,
  type Rng,
  type ShallowActivation,
  type ShallowBias,
  type StudyContext,
  z,
} from 'nmfinit';
import {
  spikedGaussian,
  spikedGaussianBasis,
  spikedGaussianEigenvalues,
} from '../../datasets/spiked-gaussian.ts';
import type { ShallowPcaDataset, ShallowPcaSpec } from './spec.ts';

/** What every run of one data set shares (typed arrays over SharedArrayBuffers reach workers without a copy). */
export interface PreparedData {
  d: number;
  k: number;
  imageShape: [number, number];
  train: Float32Array;
  trainCount: number;
  test: Float32Array;
  testCount: number;
  /** Top K principal components of the training samples, K × D. */
  components: Float64Array;
  /** PCA-K reconstruction MSE on the test samples: the line the runs are measured against. */
  pcaMse: number;
  /** PCA-m test MSE for m = 1…K (the paper's lines), when K ≤ 10; empty above. */
  pcaMseByRank: number[];
  /** The leading eigenvalues of the training covariance (2K of them, or D), for the report. */
  eigenvalues: number[];
  /** The law fresh samples are drawn from (online entries): x = √bulk·ξ + Σ_r amplitude_r·z_r·u_r. */
  law: { basis: Float64Array; amplitude: number[]; noise: number } | null;
  /**
   * The grid of the study's runs on this data set (prepareAll sets it), which a webgpu run trains
   * side by side. Here, not in the runs: a run's config must not depend on its backend.
   */
  grid?: SideBySide;
}

/** The runs of a data set but for their data set's own fields: the spec's model grid and seeds. */
export interface SideBySide {
  activations: ShallowActivation[];
  tied: boolean[];
  biases: ShallowBias[];
  /** 'encoder' when the spec's tied runs step W along its encoder use alone (model.tiedGradient). */
  tiedGradient?: 'full' | 'encoder';
  firstSeed: number;
  seeds: number;
}

/**
 * A fresh sample per call from the prepared law, from `rng` (the run's own stream): the spiked
 * Gaussian's construction (plugins/datasets/spiked-gaussian.ts), so the PCA line still applies.
 */
export function onlineSampler(p: PreparedData, rng: Rng): (out: Float32Array) => void {
  const law = p.law;
  if (!law) throw new Error('online sampling needs a data set with a law (spiked-gaussian)');
  const d = p.d;
  const row = new Float64Array(d);
  const spikes = law.amplitude.length;
  // D + R normals a step, in one bulk draw (the polar method: several times cheaper than
  // Box–Muller's trigonometry, which dominated a D = 500 step): ξ first, then the R spike weights.
  const z = new Float64Array(d + spikes + ((d + spikes) % 2));
  return (out) => {
    rng.fillNormalPolar(z);
    for (let i = 0; i < d; i++) row[i] = law.noise * z[i];
    for (let r = 0; r < spikes; r++) {
      const w = law.amplitude[r] * z[d + r];
      for (let i = 0; i < d; i++) row[i] += w * law.basis[r * d + i];
    }
    out.set(row);
  };
}

export type ShallowPcaData = Record<string, PreparedData>;

/** The artifact the report reads per data set: pca/<label>.json. */
export const pcaArtifactSchema = z
  .object({
    label: z.string(),
    k: z.number().int(),
    d: z.number().int(),
    imageShape: z.tuple([z.number().int(), z.number().int()]),
    pcaMse: z.number(),
    /** PCA-m test MSE for m = 1…K when K ≤ 10 (absent in artifacts written before issue 23's plots). */
    pcaMseByRank: z.array(z.number()).optional(),
    /** The leading eigenvalues of the training covariance (2K of them, or D). */
    eigenvalues: z.array(z.number()),
  })
  .strict();

function shared(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * length));
}

/**
 * The authors' preparation of images (mariaref/NonLinearShallowAE, src/utils.py preprocessData):
 * divide by twice the overall standard deviation, then subtract the overall mean, one scalar
 * each (here from the training samples, applied to both splits). The pixels keep their own
 * means, so the data are not centred per pixel and their second moment, not their covariance,
 * is what the bias-free models and the PCA line see.
 */
export function paperScale(train: Float32Array, test: Float32Array) {
  let sum = 0;
  for (const v of train) sum += v;
  const rawMean = sum / train.length;
  let sq = 0;
  for (const v of train) sq += (v - rawMean) ** 2;
  const scale = 1 / (2 * Math.sqrt(sq / train.length));
  const mean = rawMean * scale;
  const apply = (x: Float32Array) => {
    const out = shared(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] * scale - mean;
    return out;
  };
  return { train: apply(train), test: apply(test) };
}

/**
 * PCA of the second moment E[xxᵀ] (no centring), as the authors' PCA line: fitPca on the samples
 * and their negatives, whose mean is exactly 0 and whose covariance is the second moment.
 */
function uncentredPca(x: Float32Array, n: number, d: number, k: number, cache: CachedPcaOptions) {
  const both = new Float32Array(2 * n * d);
  both.set(x);
  for (let i = 0; i < x.length; i++) both[x.length + i] = -x[i];
  const { pca } = cachedFitPca(both, 2 * n, d, k, cache);
  pca.mean.fill(0); // exactly 0 by symmetry; clears round-off
  return pca;
}

/**
 * The authors' preprocessData applied as they apply it: to each split on its own (their getDataset
 * calls it once for the training set and once for the test set), so each split is scaled by twice
 * its own overall standard deviation and shifted by its own overall mean.
 */
export function authorsScale(train: Float32Array, test: Float32Array) {
  const own = (x: Float32Array) => paperScale(x, new Float32Array(0)).train;
  return { train: own(train), test: own(test) };
}

/** Subtracts the training mean of every feature, then divides by twice the overall standard deviation. */
export function standardize(train: Float32Array, n: number, test: Float32Array, m: number, d: number) {
  const mean = new Float64Array(d);
  for (let s = 0; s < n; s++) for (let i = 0; i < d; i++) mean[i] += train[s * d + i];
  for (let i = 0; i < d; i++) mean[i] /= n;
  let sq = 0;
  for (let s = 0; s < n; s++) for (let i = 0; i < d; i++) sq += (train[s * d + i] - mean[i]) ** 2;
  const scale = 1 / (2 * Math.sqrt(sq / (n * d)));
  const apply = (x: Float32Array, rows: number) => {
    const out = shared(rows * d);
    for (let s = 0; s < rows; s++)
      for (let i = 0; i < d; i++) out[s * d + i] = (x[s * d + i] - mean[i]) * scale;
    return out;
  };
  return { train: apply(train, n), test: apply(test, m) };
}

export async function prepareDataset(
  entry: ShallowPcaDataset,
  ctx: Pick<StudyContext, 'cacheDir' | 'log'>,
): Promise<PreparedData> {
  const { load } = entrySplits(entry, ctx);
  const trainSet = await load('train', entry.trainCount);
  const testSet = await load('test', entry.testCount);
  const [h, w] = trainSet.imageShape;
  const d = h * w;
  if (entry.k > d)
    throw new Error(`datasets[${entry.label}].k: ${entry.k} hidden units exceed the dimension ${d}`);
  let train: Float32Array;
  let test: Float32Array;
  if (entry.preprocess === 'standardize') {
    ({ train, test } = standardize(trainSet.images, trainSet.count, testSet.images, testSet.count, d));
  } else if (entry.preprocess === 'paper') {
    ({ train, test } = paperScale(trainSet.images, testSet.images));
  } else if (entry.preprocess === 'authors') {
    ({ train, test } = authorsScale(trainSet.images, testSet.images));
  } else {
    train = shared(trainSet.images.length);
    train.set(trainSet.images);
    test = shared(testSet.images.length);
    test.set(testSet.images);
  }
  // Cached in the cache directory by the samples' bytes and K: another study on the same data does
  // not refit. 'auto' as before, resolved and its kernels cached under the run's cache dir.
  const backend = getBackend('auto', { cacheDir: ctx.cacheDir });
  const cache = { backend, cacheDir: ctx.cacheDir, log: ctx.log };
  const pca =
    entry.preprocess === 'paper' || entry.preprocess === 'authors'
      ? uncentredPca(train, trainSet.count, d, entry.k, cache)
      : cachedFitPca(train, trainSet.count, d, entry.k, cache).pca;
  const pcaMse = pcaReconstructionMse(pca, test, testSet.count, d, { backend });
  const byRank = entry.k <= OVERLAP_RECORD_LIMIT ? pcaMseByRank(pca, test, testSet.count, d, backend) : [];
  return {
    d,
    k: entry.k,
    imageShape: [h, w],
    train,
    trainCount: trainSet.count,
    test,
    testCount: testSet.count,
    components: pca.components,
    pcaMse,
    pcaMseByRank: byRank,
    eigenvalues: Array.from(pca.eigenvalues.subarray(0, Math.min(d, 2 * entry.k))),
    law: entry.online ? spikedLaw(entry.params) : null,
  };
}

/** The spiked Gaussian's construction, for fresh samples: its basis, spike amplitudes and noise. */
export function spikedLaw(params: Record<string, unknown>): NonNullable<PreparedData['law']> {
  const p = spikedGaussian.params.parse(params);
  const basis = spikedGaussianBasis(p);
  const flat = new Float64Array(basis.length * p.dim);
  basis.forEach((u, r) => {
    flat.set(u, r * p.dim);
  });
  return {
    basis: flat,
    amplitude: spikedGaussianEigenvalues(p).map((v) => Math.sqrt(v - p.bulk)),
    noise: Math.sqrt(p.bulk),
  };
}

/**
 * The test MSE of PCA-m for m = 1…rank: the first m components of one fit (the paper's figure draws
 * every m ≤ K). One reconstruction pass per m.
 */
export function pcaMseByRank(pca: Pca, x: Float32Array, n: number, d: number, backend: Backend): number[] {
  return Array.from({ length: pca.rank }, (_, i) =>
    pcaReconstructionMse(
      { ...pca, rank: i + 1, components: pca.components.subarray(0, (i + 1) * d) },
      x,
      n,
      d,
      {
        backend,
      },
    ),
  );
}

export async function prepareAll(spec: ShallowPcaSpec, ctx: StudyContext): Promise<ShallowPcaData> {
  const out: ShallowPcaData = {};
  for (const entry of spec.datasets) {
    const p = await prepareDataset(entry, ctx);
    ctx.artifacts.write(`pca/${entry.label}.json`, {
      label: entry.label,
      k: p.k,
      d: p.d,
      imageShape: p.imageShape,
      pcaMse: p.pcaMse,
      ...(p.pcaMseByRank.length > 0 ? { pcaMseByRank: p.pcaMseByRank } : {}),
      eigenvalues: p.eigenvalues,
    });
    const { activations, tied, biases, tiedGradient } = spec.model;
    out[entry.label] = {
      ...p,
      grid: {
        activations,
        tied,
        biases,
        ...(tiedGradient ? { tiedGradient } : {}),
        firstSeed: spec.firstSeed,
        seeds: spec.seeds,
      },
    };
    ctx.log(`${entry.label}: D = ${p.d}, K = ${p.k}, PCA-${p.k} test MSE ${p.pcaMse.toPrecision(4)}`);
  }
  return out;
}

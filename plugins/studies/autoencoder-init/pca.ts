import {
  type Backend,
  cachedFitPca,
  encodeFloat32,
  type Pca,
  pcaReconstructionMse,
  pcaTrainMseFromEigenvalues,
  type StudyContext,
  z,
} from 'nmfinit';

/** The PCA error a linear autoencoder with a `rank`-wide bottleneck reaches on a result set's split. */
export const pcaReferenceSchema = z.object({
  datasetLabel: z.string(),
  samples: z.union([z.number().int().positive(), z.literal('all')]),
  rank: z.number().int().positive(),
  trainSamples: z.number().int(),
  valSamples: z.number().int(),
  /** MSE on the training part (the PCA fit's own data). */
  trainMse: z.number(),
  /** MSE on the validation part, comparable with the plotted validation loss. */
  valMse: z.number(),
  seconds: z.number(),
});
export type PcaReference = z.infer<typeof pcaReferenceSchema>;

export const PCA_FOLDER = 'pca';

/** The components of a PCA reference, for the report's component grid (beside the reference). */
export const pcaComponentsSchema = z.object({
  datasetLabel: z.string(),
  samples: z.union([z.number().int().positive(), z.literal('all')]),
  rank: z.number().int().positive(),
  trainSamples: z.number().int(),
  d: z.number().int().positive(),
  /** rank × d float32, row-major, base64: orthonormal directions, largest variance first. */
  components: z.string(),
  /** Each component's share of the training variance (eigenvalue / sum of all d), descending. */
  explainedVarianceRatio: z.array(z.number()),
});
export type PcaComponents = z.infer<typeof pcaComponentsSchema>;

/** In a subfolder, so `list(PCA_FOLDER)` still lists the references alone. */
export const PCA_COMPONENTS_FOLDER = `${PCA_FOLDER}/components`;

function componentsArtifact(pca: Pca, datasetLabel: string, samples: number | 'all'): PcaComponents {
  let total = 0;
  for (const e of pca.eigenvalues) total += e;
  return {
    datasetLabel,
    samples,
    rank: pca.rank,
    trainSamples: pca.n,
    d: pca.d,
    components: encodeFloat32(Float32Array.from(pca.components)),
    explainedVarianceRatio: Array.from(pca.eigenvalues.subarray(0, pca.rank), (e) =>
      total > 0 ? e / total : 0,
    ),
  };
}

/**
 * Fits PCA on the training part of the first `n` samples and measures its reconstruction MSE on
 * the validation part (the same split the runs use). Kept as an artifact beside the runs, and
 * reused when one with the same split is there; the fit itself is cached in the cache directory,
 * keyed by the training samples and rank, so another study on the same data does not refit.
 */
export function pcaReference(
  ctx: Pick<StudyContext, 'artifacts' | 'cacheDir' | 'log'>,
  datasetLabel: string,
  samples: number | 'all',
  images: Float32Array,
  n: number,
  split: number,
  d: number,
  rank: number,
  backend: Backend,
): PcaReference {
  const { artifacts } = ctx;
  const base = `${datasetLabel}__${samples}__rank${rank}.json`;
  const name = `${PCA_FOLDER}/${base}`;
  const componentsName = `${PCA_COMPONENTS_FOLDER}/${base}`;
  // Reused only with its components (references from before they were kept are fitted again).
  if (artifacts.exists(name) && artifacts.exists(componentsName)) {
    try {
      const cached = artifacts.read(name, pcaReferenceSchema);
      if (cached.trainSamples === split && cached.valSamples === n - split) return cached;
    } catch {
      // An unreadable reference is computed again and replaced.
    }
  }
  const t0 = performance.now();
  const train = images.subarray(0, split * d);
  const val = images.subarray(split * d, n * d);
  const { pca } = cachedFitPca(train, split, d, rank, { backend, cacheDir: ctx.cacheDir, log: ctx.log });
  const ref: PcaReference = {
    datasetLabel,
    samples,
    rank,
    trainSamples: split,
    valSamples: n - split,
    trainMse: pcaTrainMseFromEigenvalues(pca),
    valMse: pcaReconstructionMse(pca, val, n - split, d, { backend }),
    seconds: (performance.now() - t0) / 1000,
  };
  artifacts.write(componentsName, componentsArtifact(pca, datasetLabel, samples));
  artifacts.write(name, ref);
  return ref;
}

import {
  type Backend,
  fitPca,
  pcaReconstructionMse,
  pcaTrainMseFromEigenvalues,
  type StudyArtifacts,
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

/**
 * Fits PCA on the training part of the first `n` samples and measures its reconstruction MSE on
 * the validation part (the same split the runs use). Kept as an artifact beside the runs, and
 * reused when one with the same split is there.
 */
export function pcaReference(
  artifacts: StudyArtifacts,
  datasetLabel: string,
  samples: number | 'all',
  images: Float32Array,
  n: number,
  split: number,
  d: number,
  rank: number,
  backend: Backend,
): PcaReference {
  const name = `${PCA_FOLDER}/${datasetLabel}__${samples}__rank${rank}.json`;
  if (artifacts.exists(name)) {
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
  const pca = fitPca(train, split, d, rank, { backend });
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
  artifacts.write(name, ref);
  return ref;
}

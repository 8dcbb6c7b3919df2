import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitPca, pcaReconstructionMse, pcaTrainMseFromEigenvalues } from '../analysis/pca.ts';
import { writeFileAtomicSync } from '../util/files.ts';

/** The PCA error a linear autoencoder with a `rank`-wide bottleneck reaches on a result set's split. */
export interface PcaReference {
  datasetLabel: string;
  samples: number | 'all';
  rank: number;
  trainSamples: number;
  valSamples: number;
  /** MSE on the training part (the PCA fit's own data). */
  trainMse: number;
  /** MSE on the validation part, comparable with the plotted validation loss. */
  valMse: number;
  seconds: number;
}

/**
 * Fits PCA on the training part of the first `n` samples and measures its reconstruction MSE on
 * the validation part (the same split the runs use). Cached in <dir>/pca as JSON.
 */
export function pcaReference(
  dir: string,
  datasetLabel: string,
  samples: number | 'all',
  images: Float32Array,
  n: number,
  split: number,
  d: number,
  rank: number,
  backend: string,
): PcaReference {
  const path = join(dir, 'pca', `${datasetLabel}__${samples}__rank${rank}.json`);
  if (existsSync(path)) {
    try {
      const cached = JSON.parse(readFileSync(path, 'utf8')) as PcaReference;
      if (cached.rank === rank && cached.trainSamples === split && cached.valSamples === n - split)
        return cached;
    } catch {
      // recompute below
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
    valMse: pcaReconstructionMse(pca, val, n - split, d),
    seconds: (performance.now() - t0) / 1000,
  };
  writeFileAtomicSync(path, `${JSON.stringify(ref, null, 2)}\n`);
  return ref;
}

// PCA start: the first layer projects onto the top principal components of the training sample,
// split into positive and negative parts on ReLU layers so they survive the ReLUs, every hidden
// layer passes them on, and the output layer maps them back onto the components, with its bias
// and scale calibrated so the output starts at the data mean. At epoch 0 the network computes the
// rank-r PCA reconstruction (through the output's calibrated sigmoid).
import { type DenseLayerSpec, defineInitializer, fitPca, z } from 'nmfinit';
import {
  carriedCapacity,
  carriedCodeProblem,
  carriedStack,
  rankParam,
  restScaleParam,
} from './carried-stack.ts';
import { outputCalibration, requireData, structuredChainProblem } from './data-common.ts';

export const pcaParams = z
  .object({
    rank: rankParam('components kept (default: the most every hidden layer can carry)'),
    epsilon: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.01)
      .describe('the data mean is clamped to [ε, 1 − ε] before the sigmoid calibration'),
    restScale: restScaleParam,
  })
  .strict();

function rankFor(layers: readonly DenseLayerSpec[], rank: number | undefined): number {
  return Math.min(rank ?? Number.POSITIVE_INFINITY, carriedCapacity(layers, true));
}

export const pcaInitializer = defineInitializer({
  name: 'pca',
  description:
    'top principal components of the training sample, sign-split through the ReLUs; decoder mirrors them; output calibrated to the data mean',
  params: pcaParams,
  random: true,
  data: {},
  supports: (layers, params) =>
    carriedCodeProblem(
      layers,
      true,
      params.rank,
      (capacity) =>
        `rank ${params.rank} does not fit: the hidden layers carry at most ${capacity} components`,
    ),
  init({ layers, params, rng, data, log }) {
    const sample = requireData('pca', data);
    const why = structuredChainProblem(layers);
    if (why) throw new Error(`initializer 'pca': ${why}`);
    const d = sample.cols;
    const rank = Math.min(rankFor(layers, params.rank), d, Math.max(1, sample.rows - 1));
    const pca = fitPca(sample.x, sample.rows, d, rank, { backend: sample.backend });
    const offsets = new Float64Array(rank);
    for (let j = 0; j < rank; j++) {
      let dot = 0;
      for (let f = 0; f < d; f++) dot += pca.mean[f] * pca.components[j * d + f];
      offsets[j] = -dot; // signal j = (x − μ)·c_j
    }
    const out = layers[layers.length - 1];
    const calibration = outputCalibration(pca.mean, out.activation, params.epsilon);
    const explained = pca.eigenvalues.subarray(0, rank).reduce((a, b) => a + b, 0);
    const total = pca.eigenvalues.reduce((a, b) => a + b, 0);
    log?.(
      `pca: rank ${rank} of ${sample.rows} training samples explains ${((100 * explained) / (total || 1)).toFixed(1)}% of the variance`,
    );
    return carriedStack(
      layers,
      {
        rank,
        signed: true,
        projections: pca.components,
        offsets,
        // Deviations are measured from μ already: the output adds Σ_j s_j c_j to its calibrated mean.
        reconstruction: pca.components,
        centre: new Float64Array(d),
      },
      calibration,
      params.restScale,
      rng,
    );
  },
});

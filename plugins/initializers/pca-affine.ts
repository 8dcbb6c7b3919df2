// PCA start at the full bottleneck rank, with the output fitted to the sample (issue 24). The
// first layer computes the top-r principal coordinates s_j = (x − μ)·c_j of the training sample
// plus a bias β_j that lifts the sample's lowest s_j just above 0, so each ReLU unit is linear over
// the sample's range and one unit carries one component (`pca` spends two, sign-split). Every
// hidden layer passes the r units on unchanged, so r is the narrowest hidden width, not half of
// it. The output layer is then fitted, the layers below fixed, to the sample in the sigmoid's own
// space (./output-fit.ts); its bias absorbs the lifts β (the next layer subtracts them).
//
// Trainable from the start: a ReLU in its linear range passes gradient 1, so nothing vanishes, and
// the margin between the sample's lowest value and the kink is small (`margin` standard deviations
// of the component, 0.1 by default) so a bias step of that size lets a unit clip part of the data
// and leave the linear regime. Unused hidden units get He-normal inputs and zero outputs, as in `pca`.
import { cachedFitPca, type DenseLayerSpec, defineInitializer, forwardLayers, z } from 'nmfinit';
import {
  carriedCapacity,
  carriedCodeProblem,
  carriedStack,
  rankParam,
  restScaleParam,
} from './carried-stack.ts';
import { requireData, structuredChainProblem } from './data-common.ts';
import { fitOutputLayer } from './output-fit.ts';

export const pcaAffineParams = z
  .object({
    rank: rankParam('components carried (default: the narrowest hidden layer, one unit per component)'),
    margin: z
      .number()
      .min(0)
      .default(0.1)
      .describe("each ReLU's lift puts the sample's lowest coordinate this many component sd above 0"),
    clip: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.01)
      .describe('sigmoid output: targets are clipped to [clip, 1 − clip] for the logit least squares'),
    steps: z
      .number()
      .int()
      .min(0)
      .default(10)
      .describe('sigmoid output: Levenberg–Marquardt steps on the sample MSE after the logit fit'),
    ridge: z.number().gt(0).default(1e-6).describe('ridge of the output fit, relative to its mean diagonal'),
    restScale: restScaleParam,
  })
  .strict();

export const pcaAffineInitializer = defineInitializer({
  name: 'pca-affine',
  description:
    'top principal components of the training sample at the full bottleneck rank, one biased (linear-range) ReLU each; output layer fitted to the sample (logit least squares, then Levenberg–Marquardt on the MSE)',
  params: pcaAffineParams,
  random: true,
  data: {},
  supports: (layers, params) =>
    carriedCodeProblem(
      layers,
      false,
      params.rank,
      (capacity) => `rank ${params.rank} does not fit: the narrowest hidden layer has ${capacity} units`,
    ),
  init({ layers, params, rng, data, log, cacheDir }) {
    const started = performance.now();
    const sample = requireData('pca-affine', data);
    const why = structuredChainProblem(layers);
    if (why) throw new Error(`initializer 'pca-affine': ${why}`);
    const capacity = carriedCapacity(layers, false);
    if (params.rank !== undefined && params.rank > capacity)
      throw new RangeError(
        `initializer 'pca-affine': rank ${params.rank} does not fit: the narrowest hidden layer has ${capacity} units`,
      );
    const { x, rows: n, cols: d } = sample;
    const rank = Math.min(params.rank ?? capacity, d, Math.max(1, n - 1));
    // Cached by sample and rank: the study's PCA reference of the same training rows is the same fit.
    const { pca, source } = cachedFitPca(x, n, d, rank, { backend: sample.backend, cacheDir, log });
    const pcaSeconds = (performance.now() - started) / 1000;
    const fitStarted = performance.now();
    const lifts = liftsFor(layers, pca.components, pca.mean, pca.eigenvalues, x, n, d, rank, params.margin);
    const offsets = new Float64Array(rank);
    for (let j = 0; j < rank; j++) {
      let dot = 0;
      for (let f = 0; f < d; f++) dot += pca.mean[f] * pca.components[j * d + f];
      offsets[j] = lifts[j] - dot; // unit j = (x − μ)·c_j + β_j
    }
    // The code's own output is left at 0: the output layer is fitted below instead of calibrated.
    const weights = carriedStack(
      layers,
      {
        rank,
        signed: false,
        projections: pca.components,
        offsets,
        reconstruction: new Float64Array(rank * d),
        centre: new Float64Array(d),
      },
      { bias: new Float64Array(d), scale: new Float64Array(d) },
      params.restScale,
      rng,
    );
    // The last hidden layer's units 0..r−1, as the network itself computes them (float32).
    const hidden = forwardLayers(sample.backend, layers, { x, rows: n }, weights.slice(0, -1)).at(-1)!.post;
    const width = layers[layers.length - 1].fanIn;
    const features = new Float32Array(n * rank);
    for (let i = 0; i < n; i++) features.set(hidden.subarray(i * width, i * width + rank), i * rank);
    const out = layers[layers.length - 1];
    const fit = fitOutputLayer(features, n, rank, x, d, {
      activation: out.activation as 'sigmoid' | 'linear',
      backend: sample.backend,
      clip: params.clip,
      steps: params.steps,
      ridge: params.ridge,
    });
    const last = weights[weights.length - 1];
    last.kernel.fill(0);
    last.kernel.set(Float32Array.from(fit.kernel)); // rows 0..r−1 of the fanIn × d kernel
    last.bias.set(Float32Array.from(fit.bias));
    const explained = pca.eigenvalues.subarray(0, rank).reduce((s, v) => s + v, 0);
    const total = pca.eigenvalues.reduce((s, v) => s + v, 0);
    const seconds = (performance.now() - started) / 1000;
    const fitSeconds = (performance.now() - fitStarted) / 1000;
    log?.(
      `pca-affine: carries ${rank} components (${(total > 0 ? (100 * explained) / total : 0).toFixed(1)}% of the variance of ${n} training samples), ` +
        `PCA-${rank} linear MSE on the sample ${((total - explained) / d).toPrecision(4)}; output fit on the sample: MSE ${fit.startMse.toPrecision(4)} ` +
        `after least squares${out.activation === 'sigmoid' ? ' on logits' : ''}, ${fit.mse.toPrecision(4)} after ${out.activation === 'sigmoid' ? params.steps : 0} Levenberg–Marquardt steps; ${seconds.toFixed(2)} s (PCA ${pcaSeconds.toFixed(2)} s${source === 'cache' ? ', cached' : ''}; lifts and output fit ${fitSeconds.toFixed(2)} s)`,
    );
    return weights;
  },
});

/**
 * β_j per component: 0 when no hidden layer is a ReLU (linear layers carry any sign), else the
 * amount that puts the sample's lowest coordinate `margin` component sd above 0.
 */
function liftsFor(
  layers: readonly DenseLayerSpec[],
  components: Float64Array,
  mean: Float64Array,
  eigenvalues: Float64Array,
  x: Float32Array,
  n: number,
  d: number,
  rank: number,
  margin: number,
): Float64Array {
  const lifts = new Float64Array(rank);
  if (!layers.slice(0, -1).some((l) => l.activation === 'relu')) return lifts;
  const lowest = new Float64Array(rank).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < rank; j++) {
      let s = 0;
      for (let f = 0; f < d; f++) s += (x[i * d + f] - mean[f]) * components[j * d + f];
      if (s < lowest[j]) lowest[j] = s;
    }
  }
  for (let j = 0; j < rank; j++) lifts[j] = -lowest[j] + margin * Math.sqrt(eigenvalues[j]);
  return lifts;
}

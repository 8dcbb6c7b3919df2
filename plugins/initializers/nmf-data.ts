// NMF-of-data start: X ≈ W·H on the training sample (the NMF estimator, scikit-learn's NMF). The
// decoder's last layer gets the components H (basis images), the first layer the linear map that
// best predicts the encodings W from the pixels (ridge regression), the hidden layers pass the
// k non-negative codes on unchanged, and the output is calibrated to the data mean as for `pca`.
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import {
  covarianceMatrix,
  type DenseLayerSpec,
  defineInitializer,
  NMF,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  z,
} from 'nmfinit';
import { carriedCapacity, carriedStack } from './carried-stack.ts';
import { outputCalibration, requireData, structuredChainProblem } from './data-common.ts';

export const nmfDataParams = z
  .object({
    components: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('k (default: the narrowest hidden layer, which carries the codes as they are)'),
    solver: z.enum(NMF_SOLVERS).default('cd'),
    init: z.enum(NMF_INIT_METHODS).default('nndsvda'),
    maxIter: z.number().int().positive().default(200),
    tol: z.number().min(0).default(1e-4),
    ridge: z
      .number()
      .gt(0)
      .default(1e-3)
      .describe("the encoder's ridge penalty, relative to the mean pixel variance"),
    epsilon: z.number().gt(0).lt(0.5).default(0.01),
    restScale: z.number().min(0).default(1),
  })
  .strict();

const kFor = (layers: readonly DenseLayerSpec[], k: number | undefined) =>
  Math.min(k ?? Number.POSITIVE_INFINITY, carriedCapacity(layers, false));

export const nmfDataInitializer = defineInitializer({
  name: 'nmf-data',
  description:
    "NMF X ≈ W·H of the training sample: decoder's last layer from H, encoder from a ridge fit of W, codes carried through; output calibrated to the data mean",
  params: nmfDataParams,
  random: true,
  data: {},
  supports(layers, params) {
    const chain = structuredChainProblem(layers);
    if (chain) return chain;
    if (carriedCapacity(layers, false) < 1) return 'a hidden layer is too narrow to carry one component';
    if (params.components !== undefined && params.components > carriedCapacity(layers, false))
      return `components ${params.components} do not fit: the narrowest hidden layer has ${carriedCapacity(layers, false)} units`;
    return null;
  },
  init({ layers, params, rng, data, log }) {
    const sample = requireData('nmf-data', data);
    const why = structuredChainProblem(layers);
    if (why) throw new Error(`initializer 'nmf-data': ${why}`);
    const { x, rows: n, cols: d, backend } = sample;
    const k = Math.min(kFor(layers, params.components), n, d);
    const nmf = new NMF(
      { nComponents: k, solver: params.solver, init: params.init, maxIter: params.maxIter, tol: params.tol },
      { backend, rng: rng.child('nmf') },
    );
    const w = nmf.fitTransform({ rows: n, cols: d, values: x }); // n × k
    const h = nmf.components; // k × d

    // Encoder: E = (Σ + λI)⁻¹ Cov(x, w), so (x − μ)·E + w̄ predicts the codes.
    const { mean, covariance } = covarianceMatrix(x, n, d, { backend });
    let trace = 0;
    for (let f = 0; f < d; f++) trace += covariance[f * d + f];
    const lambda = params.ridge * (trace / d || 1);
    const wMean = new Float64Array(k);
    for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) wMean[j] += w[r * k + j] / n;
    const cross = new Float64Array(d * k); // d × k
    for (let r = 0; r < n; r++) {
      for (let f = 0; f < d; f++) {
        const xc = (x[r * d + f] - mean[f]) / n;
        if (xc === 0) continue;
        for (let j = 0; j < k; j++) cross[f * k + j] += xc * (w[r * k + j] - wMean[j]);
      }
    }
    const a = Matrix.from1DArray(d, d, covariance);
    for (let f = 0; f < d; f++) a.set(f, f, a.get(f, f) + lambda);
    const e = new CholeskyDecomposition(a).solve(Matrix.from1DArray(d, k, cross)); // d × k
    const projections = new Float64Array(k * d);
    const offsets = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let dot = 0;
      for (let f = 0; f < d; f++) {
        projections[j * d + f] = e.get(f, j);
        dot += mean[f] * e.get(f, j);
      }
      offsets[j] = wMean[j] - dot;
    }
    log?.(
      `nmf-data: k = ${k} on ${n} training samples, ${nmf.nIter} iterations, ‖X − WH‖_F = ${nmf.reconstructionErr.toFixed(3)}`,
    );
    const out = layers[layers.length - 1];
    return carriedStack(
      layers,
      { rank: k, signed: false, projections, offsets, reconstruction: h, centre: mean },
      outputCalibration(mean, out.activation, params.epsilon),
      params.restScale,
      rng,
    );
  },
});

// Data-dependent initialization (Krähenbühl, Doersch, Donahue & Darrell, "Data-dependent
// initializations of convolutional neural networks", ICLR 2016), its within-layer step (Algorithm
// 1): each layer in turn gets random weights, the sample is passed through the layers before it,
// and every unit i is rescaled from its pre-activation statistics on the sample:
// W(:, i) ← W(:, i)/σ̂_i, b_i ← β − μ̂_i/σ̂_i, so that each unit's pre-activation has mean β and
// variance 1 on the data. The paper's between-layer step (Algorithm 2, equalizing the rate at which
// layers change by gradient statistics) is not included.
import { defineInitializer, type LayerWeights, z } from 'nmfinit';
import { requireData } from './data-common.ts';
import { orthogonalKernel } from './orthogonal.ts';

export const dataDependentParams = z
  .object({
    beta: z.number().default(0).describe('β: the mean every unit’s pre-activation is centred on'),
    kernel: z
      .enum(['gaussian', 'orthogonal'])
      .default('gaussian')
      .describe("the random start each unit is rescaled from: 'gaussian' as the paper's Algorithm 1"),
  })
  .strict();

export const dataDependentInitializer = defineInitializer({
  name: 'data-dependent',
  description:
    "Krähenbühl et al.'s within-layer data-dependent init: random kernels, each unit rescaled to pre-activation mean β and variance 1 on the sample",
  params: dataDependentParams,
  random: true,
  data: { forward: true },
  init({ layers, params, rng, data }) {
    const sample = requireData('data-dependent', data);
    const forward = sample.forward;
    if (!forward) throw new Error("initializer 'data-dependent' needs ctx.data.forward");
    const weights: LayerWeights[] = [];
    for (const layer of layers) {
      const stream = rng.child(`layer/${layer.index}/kernel`);
      const kernel =
        params.kernel === 'orthogonal'
          ? orthogonalKernel(layer, stream, 1)
          : (stream.fillNormal(new Float32Array(layer.fanIn * layer.fanOut)) as Float32Array);
      const bias = new Float32Array(layer.fanOut);
      weights.push({ kernel, bias });
      const { pre } = forward(weights)[layer.index];
      const n = sample.rows;
      const m = layer.fanOut;
      for (let i = 0; i < m; i++) {
        let mean = 0;
        for (let r = 0; r < n; r++) mean += pre[r * m + i];
        mean /= n;
        let v = 0;
        for (let r = 0; r < n; r++) v += (pre[r * m + i] - mean) ** 2;
        const sd = Math.sqrt(v / n);
        // A unit whose inputs never vary on the sample keeps its random weights: nothing to scale by.
        if (!(sd > 0)) continue;
        for (let f = 0; f < layer.fanIn; f++) kernel[f * m + i] /= sd;
        bias[i] = params.beta - mean / sd;
      }
    }
    return weights;
  },
});

// LSUV, layer-sequential unit-variance initialization (Mishkin & Matas, "All you need is a good
// init", ICLR 2016, Algorithm 1): pre-initialize every kernel orthonormally (Saxe et al.), biases
// 0; then, from the first layer to the last, run a batch forward and divide the layer's kernel by
// √Var of its output until |Var − 1| < tolerance or maxIterations passes. The output measured is
// the layer's affine output, before its activation (the inner-product blob of the paper's Caffe
// code; a sigmoid output could never reach variance 1). Var is over all entries of the batch.
import { defineInitializer, type LayerWeights, z } from 'nmfinit';
import { requireData } from './data-common.ts';
import { orthogonalKernel } from './orthogonal.ts';

export const lsuvParams = z
  .object({
    tolerance: z.number().gt(0).lt(1).default(0.1).describe('Tol_var: stop when |Var − 1| < tolerance'),
    maxIterations: z.number().int().positive().default(10).describe('T_max: rescalings per layer at most'),
    gain: z.number().positive().default(1).describe('gain of the orthonormal pre-initialization'),
    measure: z
      .enum(['pre', 'post'])
      .default('pre')
      .describe("'pre': the affine output (default); 'post': after the activation"),
  })
  .strict();

/** Variance of all entries (float64 accumulation, two passes). */
export function variance(values: Float32Array): number {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let s = 0;
  for (const v of values) s += (v - mean) * (v - mean);
  return s / values.length;
}

export const lsuvInitializer = defineInitializer({
  name: 'lsuv',
  description:
    "Mishkin & Matas' LSUV: orthonormal start, then each layer's kernel scaled until its output variance on the sample is 1 within a tolerance",
  params: lsuvParams,
  random: true,
  data: { forward: true },
  init({ layers, params, rng, data, log }) {
    const sample = requireData('lsuv', data);
    const forward = sample.forward;
    if (!forward) throw new Error("initializer 'lsuv' needs ctx.data.forward (it declares data.forward)");
    const weights: LayerWeights[] = layers.map((layer) => ({
      kernel: orthogonalKernel(layer, rng.child(`layer/${layer.index}/kernel`), params.gain),
      bias: new Float32Array(layer.fanOut),
    }));
    const reached: string[] = [];
    layers.forEach((layer, i) => {
      let v = Number.NaN;
      let t = 0;
      for (; ; t++) {
        const out = forward(weights.slice(0, i + 1))[i];
        v = variance(params.measure === 'pre' ? out.pre : out.post);
        if (Math.abs(v - 1) < params.tolerance || t >= params.maxIterations || !(v > 0)) break;
        const s = 1 / Math.sqrt(v);
        const k = weights[i].kernel;
        for (let j = 0; j < k.length; j++) k[j] *= s;
      }
      reached.push(`layer ${layer.index}: Var ${v.toFixed(3)} after ${t} rescalings`);
    });
    log?.(`lsuv: ${reached.join('; ')}`);
    return weights;
  },
});

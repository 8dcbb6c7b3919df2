// What a data-aware initializer is given: a sample of the training split and, on request, a
// forward pass through the layers it has initialized so far. Built by the study kind that runs
// the initializer; the sample is drawn from the training rows only, so no validation sample can
// reach an initializer.
import { activationRule } from '../backend/activations.ts';
import type { Backend } from '../backend/types.ts';
import type { Rng } from '../tensor/rng.ts';
import { ShapeError } from '../tensor/tensor.ts';
import type { DenseLayerSpec, InitializerData, LayerOutput, LayerWeights } from './types.ts';

/**
 * `samples` rows drawn without replacement from the first `trainRows` rows of `images` (rows ×
 * cols), in their original order; all of them when `samples` ≥ `trainRows`. A copy: the plugin
 * may not write into the study's shared data.
 */
export function sampleTrainingRows(
  images: Float32Array,
  trainRows: number,
  cols: number,
  samples: number,
  rng: Rng,
): { x: Float32Array; rows: number } {
  if (!(Number.isInteger(samples) && samples > 0))
    throw new RangeError(`initializer data: samples must be a positive integer, got ${samples}`);
  if (images.length < trainRows * cols)
    throw new RangeError(
      `initializer data: ${trainRows} training rows asked, the data has ${images.length / cols}`,
    );
  const rows = Math.min(samples, trainRows);
  const picked =
    rows === trainRows
      ? Uint32Array.from({ length: rows }, (_, i) => i)
      : rng.permutation(trainRows).subarray(0, rows).sort();
  const x = new Float32Array(rows * cols);
  picked.forEach((row, r) => {
    x.set(images.subarray(row * cols, (row + 1) * cols), r * cols);
  });
  return { x, rows };
}

/** The `ctx.data` of a data-aware initializer for the network `layers`, with `forward` when asked. */
export function initializerData(
  backend: Backend,
  layers: readonly DenseLayerSpec[],
  sample: { x: Float32Array; rows: number },
  options: { forward?: boolean } = {},
): InitializerData {
  const cols = layers[0]?.fanIn ?? 0;
  if (sample.x.length !== sample.rows * cols) {
    throw new ShapeError(
      `initializer data: ${sample.x.length} values for ${sample.rows} rows of ${cols} features`,
    );
  }
  const data: InitializerData = { x: sample.x, rows: sample.rows, cols, backend };
  if (!options.forward) return data;
  return { ...data, forward: (weights) => forwardLayers(backend, layers, sample, weights) };
}

/** act(h·kernel + bias) layer by layer for the first `weights.length` layers, in float32 on the backend. */
export function forwardLayers(
  backend: Backend,
  layers: readonly DenseLayerSpec[],
  sample: { x: Float32Array; rows: number },
  weights: readonly LayerWeights[],
): LayerOutput[] {
  if (weights.length > layers.length) {
    throw new ShapeError(`forward: ${weights.length} layers of weights, the network has ${layers.length}`);
  }
  const n = sample.rows;
  let h = sample.x;
  return weights.map((w, i) => {
    const { fanIn, fanOut, activation } = layers[i];
    if (w.kernel.length !== fanIn * fanOut || w.bias.length !== fanOut) {
      throw new ShapeError(
        `forward: layer ${i} needs a ${fanIn}×${fanOut} kernel and ${fanOut} biases, got ${w.kernel.length} and ${w.bias.length} values`,
      );
    }
    const pre = new Float32Array(n * fanOut);
    backend.gemm(false, false, n, fanOut, fanIn, h, w.kernel, pre);
    for (let r = 0; r < n; r++) for (let j = 0; j < fanOut; j++) pre[r * fanOut + j] += w.bias[j];
    const rule = activationRule(activation);
    const post = activation === 'linear' ? pre.slice() : pre.map((v) => rule.forward(v));
    h = post;
    return { pre, post };
  });
}

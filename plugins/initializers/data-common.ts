// Pieces shared by the data-aware initializers: reading the sample, the chain check, the output
// calibration (the sigmoid's output starts at the data mean) and the fill of units a structured
// start leaves unused.
import type { DenseLayerSpec, InitializerData, Rng } from 'nmfinit';

/** ctx.data, or an error saying the runner did not give it. */
export function requireData(name: string, data: InitializerData | undefined): InitializerData {
  if (!data) {
    throw new Error(
      `initializer '${name}' needs a sample of the training data (it declares data), but the runner gave none`,
    );
  }
  return data;
}

/** Null when the layers form a chain of at least two with relu/linear hidden layers and a sigmoid/linear output. */
export function structuredChainProblem(layers: readonly DenseLayerSpec[]): string | null {
  if (layers.length < 2) return `it needs at least two dense layers, the network has ${layers.length}`;
  for (let i = 1; i < layers.length; i++) {
    if (layers[i].fanIn !== layers[i - 1].fanOut)
      return `layer ${i - 1} outputs ${layers[i - 1].fanOut} values but layer ${i} takes ${layers[i].fanIn}`;
  }
  const hidden = layers.slice(0, -1).find((l) => l.activation !== 'relu' && l.activation !== 'linear');
  if (hidden) return `hidden layer ${hidden.index} is ${hidden.activation}; only relu and linear are carried`;
  const out = layers[layers.length - 1];
  if (out.activation !== 'sigmoid' && out.activation !== 'linear')
    return `the output layer is ${out.activation}; only sigmoid and linear outputs are calibrated`;
  if (out.fanOut !== layers[0].fanIn)
    return `the output has ${out.fanOut} values, the input ${layers[0].fanIn}: a reconstruction needs them equal`;
  return null;
}

/** Column means of a rows × cols sample, in float64. */
export function columnMeans(x: Float32Array, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) mean[j] += x[r * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  return mean;
}

/**
 * Per output unit, a bias b and a scale s such that out(b + s·δ) ≈ μ + δ near δ = 0: the output
 * starts at the data mean μ and follows a reconstruction's deviation δ from it to first order.
 * Sigmoid: b = logit(μ'), s = 1/(μ'(1 − μ')) with μ' = μ clamped to [ε, 1 − ε]; linear: b = μ, s = 1.
 */
export function outputCalibration(
  mean: Float64Array,
  activation: DenseLayerSpec['activation'],
  epsilon: number,
): { bias: Float64Array; scale: Float64Array } {
  const bias = new Float64Array(mean.length);
  const scale = new Float64Array(mean.length).fill(1);
  for (let j = 0; j < mean.length; j++) {
    if (activation === 'sigmoid') {
      const m = Math.min(1 - epsilon, Math.max(epsilon, mean[j]));
      bias[j] = Math.log(m / (1 - m));
      scale[j] = 1 / (m * (1 - m));
    } else {
      bias[j] = mean[j];
    }
  }
  return { bias, scale };
}

/**
 * He-normal incoming weights (times `scale`) for the units `from..fanOut−1` of a kernel: units a
 * structured start does not use still learn, while their outgoing weights stay 0 so the start's
 * output is unchanged.
 */
export function fillUnusedUnits(
  kernel: Float32Array,
  layer: DenseLayerSpec,
  from: number,
  scale: number,
  rng: Rng,
): void {
  const stddev = scale * Math.sqrt(2 / layer.fanIn);
  for (let i = 0; i < layer.fanIn; i++) {
    for (let j = from; j < layer.fanOut; j++) kernel[i * layer.fanOut + j] = rng.normal(0, stddev);
  }
}

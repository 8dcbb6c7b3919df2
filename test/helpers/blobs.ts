import { Rng } from '../../src/tensor/rng.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/**
 * A small fixed image-like data set: `classes` prototype images of a few Gaussian blobs on a
 * dark 28×28 background, each sample a prototype with pixel noise, clamped to [0, 1].
 */
export function blobImages(n: number, seed = 7, classes = 10, side = 28): Tensor {
  const rng = Rng.seeded(seed);
  const d = side * side;
  const protos = Array.from({ length: classes }, (_, c) => {
    const r = rng.child(`proto/${c}`);
    const img = new Float32Array(d);
    for (let b = 0; b < 3; b++) {
      const cy = r.uniformRange(6, side - 6);
      const cx = r.uniformRange(6, side - 6);
      const s = r.uniformRange(1.5, 3.5);
      for (let y = 0; y < side; y++)
        for (let x = 0; x < side; x++)
          img[y * side + x] += Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * s * s));
    }
    return img;
  });
  const noise = rng.child('noise');
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const p = protos[i % classes];
    for (let j = 0; j < d; j++) data[i * d + j] = Math.min(1, Math.max(0, p[j] + noise.normal(0, 0.05)));
  }
  return new Tensor(data, [n, d]);
}

/** MSE of predicting the per-pixel mean of `train` for every row of `test`: what biases alone reach. */
export function meanImageMse(train: Tensor, test: Tensor): number {
  const d = train.cols;
  const mean = new Float64Array(d);
  for (let i = 0; i < train.rows; i++)
    for (let j = 0; j < d; j++) mean[j] += train.data[i * d + j] / train.rows;
  let s = 0;
  for (let i = 0; i < test.rows; i++) for (let j = 0; j < d; j++) s += (test.data[i * d + j] - mean[j]) ** 2;
  return s / (test.rows * d);
}

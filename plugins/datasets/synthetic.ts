import { DatasetError, defineDataset, numberedClassNames, Rng, resolveLimit, z } from 'nmfinit';

const count = z.number().int().positive();

const params = z
  .object({
    classes: z.number().int().min(1).max(256).default(10),
    height: count.max(4096).default(28),
    width: count.max(4096).default(28),
    trainCount: count.default(1000),
    testCount: count.default(200),
    seed: z.number().int().default(0),
    /** Standard deviation of the Gaussian noise added to every pixel. */
    noise: z.number().nonnegative().default(0.1),
    /** Gaussian bumps summed to draw each class's mean image. */
    blobs: z.number().int().min(1).max(64).default(3),
  })
  .strict();

type SyntheticParams = z.output<typeof params>;

/** The most values one split may hold (4 GiB of Float32). */
const MAX_VALUES = 2 ** 30;

/**
 * Class c's mean image: the sum of `blobs` Gaussian bumps with random centres and widths, scaled
 * so its brightest pixel is 1. Drawn from its own stream, so it depends only on the seed and c.
 */
function classMean(p: SyntheticParams, c: number): Float32Array {
  const rng = Rng.seeded(p.seed).child('mean').child(c);
  const { height: h, width: w } = p;
  const mean = new Float32Array(h * w);
  for (let b = 0; b < p.blobs; b++) {
    const cy = rng.uniformRange(0, h);
    const cx = rng.uniformRange(0, w);
    const sigma = rng.uniformRange(0.08, 0.25) * Math.min(h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        mean[y * w + x] += Math.exp(-((y + 0.5 - cy) ** 2 + (x + 0.5 - cx) ** 2) / (2 * sigma * sigma));
      }
    }
  }
  let peak = 0;
  for (const v of mean) peak = Math.max(peak, v);
  if (peak > 0) for (let i = 0; i < mean.length; i++) mean[i] /= peak;
  return mean;
}

/**
 * Seeded Gaussian-mixture images for tests and quick runs: sample i of a split has label
 * i mod classes and pixels clamp(mean of its class + noise·N(0, 1), 0, 1). The noise of each split
 * is one stream read in sample order, so a limit returns exactly the first samples of the full split.
 */
export const synthetic = defineDataset({
  name: 'synthetic',
  displayName: 'Synthetic images',
  description: 'Seeded Gaussian-mixture images of any size and class count, for tests and quick runs',
  params,
  async load({ split, limit, params: p }) {
    const total = split === 'train' ? p.trainCount : p.testCount;
    const n = resolveLimit(limit, total, `synthetic ${split}`);
    const d = p.height * p.width;
    if (n * d > MAX_VALUES) {
      throw new DatasetError(
        `synthetic ${split}: ${n} samples of ${p.height}×${p.width} are ${n * d} values, more than the ${MAX_VALUES} allowed; lower ${split}Count or the image size`,
      );
    }
    const means = Array.from({ length: p.classes }, (_, c) => classMean(p, c));
    const noise = Rng.seeded(p.seed).child('noise').child(split);
    const images = new Float32Array(n * d);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % p.classes;
      labels[i] = c;
      const mean = means[c];
      for (let k = 0; k < d; k++) {
        const v = mean[k] + p.noise * noise.normal();
        images[i * d + k] = Math.min(1, Math.max(0, v));
      }
    }
    return {
      name: 'synthetic',
      split,
      images,
      labels,
      count: n,
      imageShape: [p.height, p.width],
      classNames: numberedClassNames(p.classes),
    };
  },
});

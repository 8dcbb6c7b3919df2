import type { Sequential } from '../../src/nn/sequential.ts';
import { Rng } from '../../src/tensor/rng.ts';

/** The seed autoencoder's layer sizes. */
export const SEED_SIZES = [784, 128, 64, 32, 64, 128, 784];

/** n images in [0, 1] an autoencoder can learn: mixtures of 8 random prototypes (seeded, fixed). */
export function prototypeImages(n: number): Float32Array {
  const rng = Rng.seeded(42);
  const protos = Array.from({ length: 8 }, () => Float32Array.from({ length: 784 }, () => rng.uniform()));
  const x = new Float32Array(n * 784);
  for (let s = 0; s < n; s++) {
    const a = protos[s % 8];
    const b = protos[(s * 5 + 3) % 8];
    const w = rng.uniform();
    for (let j = 0; j < 784; j++) x[s * 784 + j] = w * a[j] + (1 - w) * b[j];
  }
  return x;
}

/** N(0, 0.05) kernels from `rng`'s children k0, k1, …, zero biases. */
export function setNormalWeights(model: Sequential, rng: Rng): void {
  model.setWeights(
    model.layerSpecs().map((l) => ({
      kernel: rng
        .child(`k${l.index}`)
        .fillNormal(new Float32Array(l.fanIn * l.fanOut), 0, 0.05) as Float32Array,
      bias: new Float32Array(l.fanOut),
    })),
  );
}

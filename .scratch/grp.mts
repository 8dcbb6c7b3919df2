import { onlineSampler } from '/work/wt/s5/plugins/studies/shallow-pca/data.ts';
import { spikedGaussianBasis } from '/work/wt/s5/plugins/datasets/spiked-gaussian.ts';
import { ShallowAutoencoder, SHALLOW_ACTIVATIONS } from '/work/wt/s5/src/shallow/model.ts';
import { trainShallowOnOneStream } from '/work/wt/s5/src/shallow/train.ts';
import { Rng } from '/work/wt/s5/src/tensor/rng.ts';
const d = 500, spikes = [289, 81, 25, 9];
const basis = spikedGaussianBasis({ dim: d, spikes, seed: 1 });
const flat = new Float64Array(4 * d); basis.forEach((u, r) => flat.set(u, r * d));
const p: any = { d, law: { basis: flat, amplitude: spikes.map((v) => Math.sqrt(v - 1)), noise: 1 } };
const test = Rng.seeded(3).fillNormal(new Float32Array(100 * d));
for (const n of [1, 12]) {
  const models = [] as ShallowAutoencoder[];
  for (const activation of ['linear', 'relu', 'erf'] as const) for (const tied of [true, false]) for (const bias of ['none', 'encoder'] as const)
    models.push(new ShallowAutoencoder({ d, k: 4, activation, tied, bias, lr: 0.1, initStd: 0.1, tiedGradient: 'encoder' }, Rng.seeded(models.length)));
  const use = models.slice(0, n);
  const steps = 200000;
  const t = performance.now();
  trainShallowOnOneStream(use, { test, testCount: 100, components: flat, componentCount: 4, steps, records: 5, draw: onlineSampler(p, Rng.seeded(1)) });
  const s = (performance.now() - t) / 1000;
  console.log(`${n} models: ${(steps / s).toFixed(0)} steps/s, ${(1e6 * s / steps).toFixed(1)} us/step; 5e7 steps -> ${(5e7 * s / steps / 60).toFixed(1)} min`);
}

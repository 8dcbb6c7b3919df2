import { ShallowAutoencoder } from '../src/shallow/model.ts';
import { Rng } from '../src/tensor/rng.ts';
const d = 500;
const x = Rng.seeded(2).fillNormal(new Float32Array(d));
for (const activation of ['linear', 'relu', 'erf'] as const) for (const tied of [true, false]) for (const bias of ['none', 'encoder'] as const) {
  const m = new ShallowAutoencoder({ d, k: 4, activation, tied, bias, lr: 0.001, initStd: 0.1, tiedGradient: 'encoder' }, Rng.seeded(1));
  const n = 100000;
  for (let i = 0; i < 1000; i++) m.step(x, 0);
  const t = performance.now();
  for (let i = 0; i < n; i++) m.step(x, 0);
  console.log(activation, tied, bias, ((performance.now() - t) * 1000 / n).toFixed(2), 'us/step');
}

// Training throughput of the seed autoencoder (784-128-64-32-64-128-784, batch 256, Adam,
// MSE, fit() with a 0.33 validation split, validation included in the time) per backend, next
// to @tensorflow/tfjs on its WebAssembly backend training the same model in the same run.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { autoencoder, datasets, fit, getBackend, listBackends, Rng, Tensor } from 'nmfinit';
import 'nmfinit/plugins';
import { defineBench, type Figure, median } from './harness.ts';

const SIZES = [784, 128, 64, 32, 64, 128, 784];
const SAMPLES = 6144;
const SPLIT = 0.33;
const BATCH = 256;

async function mnistSamples(n: number): Promise<Float32Array> {
  const ds = await datasets
    .get('mnist')
    .load({ split: 'train', limit: n, params: {}, cacheDir: '.cache/nmfinit' });
  return ds.images;
}

/** Samples trained per second: (training samples × epochs) / wall time of fit(). */
function ours(backendName: string, x: Float32Array, epochs: number): number {
  const backend = getBackend(backendName);
  const model = autoencoder(backend, SIZES);
  const rng = Rng.seeded(0);
  model.setWeights(
    model.layerSpecs().map((l) => ({
      kernel: rng
        .child(`k${l.index}`)
        .fillNormal(new Float32Array(l.fanIn * l.fanOut), 0, 0.05) as Float32Array,
      bias: new Float32Array(l.fanOut),
    })),
  );
  const data = new Tensor(x, [x.length / 784, 784]);
  const t0 = performance.now();
  const h = fit(model, data, data, {
    epochs,
    batchSize: BATCH,
    validationSplit: SPLIT,
    rng,
    initialEvaluation: false,
  });
  return (h.trainSamples * epochs) / ((performance.now() - t0) / 1000);
}

async function tfjs(x: Float32Array, epochs: number): Promise<number> {
  await tf.setBackend('wasm');
  await tf.ready();
  const model = tf.sequential();
  SIZES.slice(1).forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        inputShape: i === 0 ? [784] : undefined,
        activation: i === SIZES.length - 2 ? 'sigmoid' : 'relu',
        kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.05, seed: 1 }),
      }),
    );
  });
  model.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss: 'meanSquaredError' });
  const data = tf.tensor2d(x, [x.length / 784, 784]);
  const t0 = performance.now();
  await model.fit(data, data, {
    epochs,
    batchSize: BATCH,
    validationSplit: SPLIT,
    shuffle: true,
    verbose: 0,
  });
  const seconds = (performance.now() - t0) / 1000;
  data.dispose();
  model.dispose();
  return (Math.floor((x.length / 784) * (1 - SPLIT)) * epochs) / seconds;
}

export default defineBench({
  name: 'train',
  description: `samples/s training the seed autoencoder (batch ${BATCH}, Adam, MSE, fit() with validation) on ${SAMPLES} MNIST images, one thread`,
  async run(log) {
    const x = await mnistSamples(SAMPLES);
    const figures: Figure[] = [];
    const rates: Record<string, number> = {};

    const tfRuns: number[] = [];
    await tfjs(x.subarray(0, 1024 * 784), 1); // warm-up: compile the wasm kernels
    for (let r = 0; r < 3; r++) tfRuns.push(await tfjs(x, 2));
    rates.tfjs = median(tfRuns);
    log(
      `tfjs-wasm (threads: ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}, simd: ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}) runs: ${tfRuns.map((v) => v.toFixed(0)).join(', ')}`,
    );
    figures.push({
      name: 'train @tensorflow/tfjs-backend-wasm',
      value: rates.tfjs,
      unit: 'samples/s',
      details: { runs: tfRuns },
    });

    for (const b of listBackends().filter((b) => b.available)) {
      // The slow backends get one short epoch on fewer samples; the fast one three runs of two.
      const slow = b.name !== 'simd';
      const sample = slow ? x.subarray(0, 1536 * 784) : x;
      const runs: number[] = [];
      ours(b.name, sample.subarray(0, 512 * 784), 1); // warm-up
      for (let r = 0; r < (slow ? 1 : 3); r++) runs.push(ours(b.name, sample, slow ? 1 : 2));
      rates[b.name] = median(runs);
      log(`${b.name} runs: ${runs.map((v) => v.toFixed(0)).join(', ')}`);
      figures.push({
        name: `train ${b.name}`,
        value: rates[b.name],
        unit: 'samples/s',
        details: { runs, ratioToTfjs: rates[b.name] / rates.tfjs },
      });
    }
    if (rates.simd) {
      figures.push({
        name: 'ratio simd / tfjs-wasm (target ≥ 7, stretch 14)',
        value: rates.simd / rates.tfjs,
        unit: '×',
      });
    }
    return figures;
  },
});

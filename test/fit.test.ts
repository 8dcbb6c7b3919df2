import { describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend/index.ts';
import type { Backend } from '../src/backend/types.ts';
import { autoencoder } from '../src/nn/autoencoder.ts';
import { Sequential } from '../src/nn/sequential.ts';
import { Adam } from '../src/optim/adam.ts';
import { Sgd } from '../src/optim/sgd.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { evaluate, fit, TrainingDivergedError, validationSplitIndex } from '../src/train/fit.ts';
import { blobImages, meanImageMse } from './helpers/blobs.ts';

const reference = getBackend('reference');

function smallModel(backend: Backend = reference, seed = 3): Sequential {
  const m = autoencoder(backend, [16, 8, 4, 8, 16]);
  const rng = Rng.seeded(seed);
  m.setWeights(
    m.layerSpecs().map((l) => ({
      kernel: rng.fillNormal(new Float32Array(l.fanIn * l.fanOut), 0, 0.3) as Float32Array,
      bias: new Float32Array(l.fanOut),
    })),
  );
  return m;
}

function data(n: number, d = 16, seed = 11): Tensor {
  return new Tensor(Rng.seeded(seed).fillUniform(new Float32Array(n * d)) as Float32Array, [n, d]);
}

describe('validation split (Keras semantics)', () => {
  it('keeps floor(n·(1 − s)) samples for training, as Keras computes it in floating point', () => {
    expect(validationSplitIndex(3000, 0.33)).toBe(Math.floor(3000 * (1 - 0.33)));
    expect(validationSplitIndex(10, 0.5)).toBe(5);
    expect(validationSplitIndex(7, 0)).toBe(7);
  });

  it('rejects splits outside [0, 1) and splits that leave one side empty', () => {
    for (const s of [-0.1, 1, 1.5, Number.NaN]) expect(() => validationSplitIndex(10, s)).toThrow(/\[0, 1\)/);
    expect(() => validationSplitIndex(2, 1e-17)).toThrow(/no validation/);
    expect(() => validationSplitIndex(1, 0.9)).toThrow(/no training/);
  });

  it('validates on the last samples, taken before shuffling', () => {
    const x = data(30);
    const model = smallModel();
    const h = fit(model, x, x, { epochs: 0, batchSize: 4, validationSplit: 0.2 });
    expect(h.trainSamples).toBe(24);
    expect(h.valSamples).toBe(6);
    expect(h.initialValLoss).toBe(evaluate(model, x.rowSlice(24, 30), x.rowSlice(24, 30), { batchSize: 4 }));
    expect(h.initialLoss).toBe(evaluate(model, x.rowSlice(0, 24), x.rowSlice(0, 24), { batchSize: 4 }));
  });
});

describe('determinism', () => {
  const run = (seed: number) => {
    const x = data(50);
    const model = smallModel();
    const h = fit(model, x, x, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.2,
      rng: Rng.seeded(seed),
      optimizer: new Adam(),
    });
    return { h, weights: model.getWeights() };
  };

  it('the same seed gives a bit-identical history and weights', () => {
    const a = run(5);
    const b = run(5);
    expect(b.h.loss).toEqual(a.h.loss);
    expect(b.h.valLoss).toEqual(a.h.valLoss);
    expect(b.weights).toEqual(a.weights);
  });

  it('another shuffle seed gives another history', () => {
    expect(run(6).h.loss).not.toEqual(run(5).h.loss);
  });

  it('a 3-epoch run is the prefix of a 5-epoch run with the same seed', () => {
    const x = data(40);
    const short = fit(smallModel(), x, x, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.25,
      rng: Rng.seeded(1),
    });
    const long = fit(smallModel(), x, x, {
      epochs: 5,
      batchSize: 8,
      validationSplit: 0.25,
      rng: Rng.seeded(1),
    });
    expect(long.valLoss.slice(0, 3)).toEqual(short.valLoss);
  });
});

describe('bad input gets a clear error', () => {
  const model = smallModel();
  const x = data(10);
  it.each([
    [
      'shape mismatch',
      () => fit(model, data(10, 15), data(10, 15), { epochs: 1 }),
      /does not match the model input of 16/,
    ],
    ['x/y count mismatch', () => fit(model, x, data(9), { epochs: 1 }), /x has 10 samples but y has 9/],
    [
      'empty data',
      () =>
        fit(model, new Tensor(new Float32Array(0), [0, 16]), new Tensor(new Float32Array(0), [0, 16]), {
          epochs: 1,
        }),
      /empty/,
    ],
    [
      'batch size 0',
      () => fit(model, x, x, { epochs: 1, batchSize: 0 }),
      /batchSize must be a positive integer, got 0/,
    ],
    ['batch size -3', () => fit(model, x, x, { epochs: 1, batchSize: -3 }), /batchSize/],
    [
      'validationSplit 1',
      () => fit(model, x, x, { epochs: 1, validationSplit: 1 }),
      /validationSplit must be in \[0, 1\), got 1/,
    ],
    ['epochs 1.5', () => fit(model, x, x, { epochs: 1.5 }), /epochs/],
    ['unknown loss', () => fit(model, x, x, { epochs: 1, loss: 'hinge' as never }), /unknown loss 'hinge'/],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('NaN or Inf in the inputs, naming the sample and feature', () => {
    const bad = data(10);
    bad.data[3 * 16 + 5] = Number.NaN;
    expect(() => fit(model, bad, bad, { epochs: 1 })).toThrow(/x\[3, 5\] is NaN/);
    const inf = data(10);
    inf.data[2] = Number.POSITIVE_INFINITY;
    expect(() => fit(model, x, inf, { epochs: 1 })).toThrow(/y\[0, 2\] is Infinity/);
  });
});

describe('divergence', () => {
  it('stops with an error naming the epoch and batch, keeping the history so far', () => {
    // A linear model with a huge learning rate overflows float32 within a few steps.
    const model = new Sequential(reference, [{ units: 4, activation: 'linear' }], 4);
    model.setWeights([{ kernel: new Float32Array(16).fill(1), bias: new Float32Array(4) }]);
    const x = data(64, 4);
    let error: unknown;
    try {
      fit(model, x, x, {
        epochs: 50,
        batchSize: 8,
        optimizer: new Sgd({ learningRate: 50 }),
        validationSplit: 0.25,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const d = error as TrainingDivergedError;
    const where = d.batch === null ? `after epoch ${d.epoch}` : `at epoch ${d.epoch}, batch ${d.batch}`;
    expect(d.message).toContain(where);
    expect(d.epoch).toBeGreaterThanOrEqual(1);
    expect(d.history.valLoss).toHaveLength(d.epoch - 1);
    expect(d.history.loss).toHaveLength(d.epoch - 1);
    expect(d.history.valLoss.every(Number.isFinite)).toBe(true);
    expect(d.history.initialValLoss).toBeTypeOf('number');
  });
});

describe('divergence inside an epoch', () => {
  it('names the batch whose training loss became non-finite', () => {
    const model = new Sequential(reference, [{ units: 4, activation: 'linear' }], 4);
    model.setWeights([{ kernel: new Float32Array(16).fill(1), bias: new Float32Array(4) }]);
    const x = data(64, 4);
    const call = () =>
      fit(model, x, x, { epochs: 50, batchSize: 8, optimizer: new Sgd({ learningRate: 50 }) });
    expect(call).toThrow(/the loss became (NaN|Infinity) at epoch \d+, batch \d+/);
  });
});

describe('the seed autoencoder learns', () => {
  it('784-128-64-32-64-128-784 on a small fixed data set: validation loss falls well below what biases alone reach', () => {
    const backend = getBackend('auto');
    const model = autoencoder(backend, [784, 128, 64, 32, 64, 128, 784]);
    const rng = Rng.seeded(1);
    model.setWeights(
      model.layerSpecs().map((l) => ({
        kernel: rng
          .child(`k${l.index}`)
          .fillNormal(new Float32Array(l.fanIn * l.fanOut), 0, 0.05) as Float32Array,
        bias: new Float32Array(l.fanOut),
      })),
    );
    const x = blobImages(600);
    const at = validationSplitIndex(600, 0.33);
    const baseline = meanImageMse(x.rowSlice(0, at), x.rowSlice(at, 600));
    const h = fit(model, x, x, {
      epochs: 15,
      batchSize: 32,
      validationSplit: 0.33,
      optimizer: new Adam({ learningRate: 3e-3 }),
      rng: rng.child('shuffle'),
    });
    const last = h.valLoss[h.valLoss.length - 1];
    expect(last).toBeLessThan(0.25 * h.initialValLoss!);
    expect(last).toBeLessThan(0.75 * baseline);
    // The reconstruction of a validation image correlates with the image itself.
    const recon = model.predict(x.rowSlice(at, at + 1));
    expect(correlation(recon.data, x.rowSlice(at, at + 1).data)).toBeGreaterThan(0.8);
  });
});

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

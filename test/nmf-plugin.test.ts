// The `nmf` initializer plugin: shapes and orientation on the study's 784-128-64-32-64-128-784
// autoencoder, the generic initializer laws on random mirrored stacks, biases, caching and errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Matrix } from 'ml-matrix';
import { cachedNmf, identityMatrix, type LayerWeights, Rng } from 'nmfinit';
import { checkInitializer, layerSpecs } from 'nmfinit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { nmfInitializer, nmfParams } from '../plugins/initializers/nmf.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'nmf-plugin-test-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const study = layerSpecs([784, 128, 64, 32, 64, 128, 784]);

function init(layers = study, params: object = {}, seed = 1, log?: (m: string) => void): LayerWeights[] {
  return nmfInitializer.init({
    layers,
    params: nmfParams.parse(params),
    rng: Rng.seeded(seed),
    cacheDir,
    log,
  }) as LayerWeights[];
}

/** ‖I_n − K_enc·K_dec‖_F in float64, from the float32 kernels (n × k and k × n). */
function pairError(encoder: Float32Array, decoder: Float32Array, n: number, k: number): number {
  const product = Matrix.from1DArray(n, k, Array.from(encoder)).mmul(
    Matrix.from1DArray(k, n, Array.from(decoder)),
  );
  return Matrix.eye(n).sub(product).norm('frobenius');
}

describe("initializer 'nmf'", () => {
  it("defaults to scikit-learn's NMF settings with uniform biases and the cache on", () => {
    expect(nmfParams.parse({})).toEqual({
      solver: 'cd',
      init: 'nndsvda',
      tol: 1e-4,
      maxIter: 200,
      bias: 'uniform',
      cache: true,
    });
    expect(() => nmfParams.parse({ maxiter: 5 })).toThrow(/maxiter/);
    expect(() => nmfParams.parse({ solver: 'als' })).toThrow(/solver/);
  });

  it('gives every layer of 784-128-64-32-64-128-784 a fanIn × fanOut kernel: W_i for the encoder, H_i for the mirrored decoder', () => {
    const weights = init();
    expect(weights.map((w) => w.kernel.length)).toEqual(study.map((l) => l.fanIn * l.fanOut));
    expect(weights.map((w) => w.bias.length)).toEqual(study.map((l) => l.fanOut));
    for (const w of weights) expect(w.kernel.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    // Encoder layer i times decoder layer 5 − i is the NMF of I_{n_i}: no better than Eckart–Young
    // allows, and close to it. (scikit-learn's settings may stop at a stationary point where two
    // components cover the same coordinates, costing 1 in ‖·‖² each; allow a tenth of k such.)
    for (const [i, n, k] of [
      [0, 784, 128],
      [1, 128, 64],
      [2, 64, 32],
    ]) {
      const error = pairError(weights[i].kernel, weights[5 - i].kernel, n, k);
      expect(error).toBeGreaterThanOrEqual(Math.sqrt(n - k) * (1 - 1e-5));
      expect(error ** 2).toBeLessThanOrEqual(n - k + 0.1 * k);
      // They are the factors of I_n on the layer's stream 'layer/i/nmf' (here from the plugin's cache).
      const { result } = cachedNmf(identityMatrix(n), { rank: k }, Rng.seeded(1).child(`layer/${i}/nmf`), {
        cacheDir,
      });
      expect(weights[i].kernel).toEqual(Float32Array.from(result.W));
      expect(weights[5 - i].kernel).toEqual(Float32Array.from(result.H));
    }
  });

  it('loads the factors from the cache the second time, identical', () => {
    const log: string[] = [];
    const first = init(study, { maxIter: 5 }, 7, (m) => log.push(m));
    const second = init(study, { maxIter: 5 }, 7, (m) => log.push(m));
    expect(second).toEqual(first);
    expect(log.filter((m) => m.startsWith('nmf cache: loaded'))).toHaveLength(3);
  });

  it('draws biases from U[0, 1) per layer stream, or zeros', () => {
    const uniform = init(study, { maxIter: 2 });
    const all = uniform.flatMap((w) => [...w.bias]);
    expect(all.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(all.reduce((s, v) => s + v, 0) / all.length - 0.5)).toBeLessThan(0.05); // 1200 draws: σ ≈ 0.008
    expect(uniform[1].bias).toEqual(Rng.seeded(1).child('layer/1/bias').fillUniform(new Float32Array(64)));
    expect(init(study, { maxIter: 2, bias: 'zeros' }).every((w) => w.bias.every((v) => v === 0))).toBe(true);
  });

  it('passes the initializer laws on random mirrored autoencoders (shapes, finiteness, determinism, seed use)', async () => {
    await checkInitializer(nmfInitializer, {
      stacks: 'autoencoder',
      params: { maxIter: 10, cache: false },
      numRuns: 15,
    });
  });

  it.each([
    [[784, 128, 64, 784], /it has 3 dense layers, expected an even number/],
    [[784, 128, 64, 100, 784], /decoder layer 3 is 100×784, expected 128×784 to mirror encoder layer 0/],
    [[32, 64, 32], /encoder layer 0 \(32×64\) must not widen/],
  ])('rejects the non-mirrored network %j, naming the layer shapes', (sizes, reason) => {
    const layers = layerSpecs(sizes);
    const shapes = layers.map((l) => `${l.fanIn}×${l.fanOut}`).join(', ');
    expect(() => init(layers)).toThrow(reason);
    expect(() => init(layers)).toThrow(`(layer shapes fanIn×fanOut: ${shapes})`);
  });

  it('rejects layers that do not chain', () => {
    const layers = [...layerSpecs([8, 4]), ...layerSpecs([5, 8]).map((l) => ({ ...l, index: 1 }))];
    expect(() => init(layers)).toThrow(/layer 0 outputs 4 values but layer 1 takes 5/);
  });
});

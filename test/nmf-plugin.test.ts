// The `nmf` initializer plugin: shapes and orientation on the study's 784-128-64-32-64-128-784
// autoencoder, the generic initializer laws on random mirrored stacks, biases, caching and errors.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Matrix } from 'ml-matrix';
import { cachedNmf, identityMatrix, type LayerWeights, nmfOptionsSchema, Rng } from 'nmfinit';
import { checkInitializer, layerSpecs } from 'nmfinit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type NmfInitializerParams, nmfInitializer, nmfParams } from '../plugins/initializers/nmf.ts';

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
  // The original notebook, per encoder layer i (layers = [784, 128, 64, 32]):
  //   NMF(n_components=layers[i+1], init='random', random_state=0).fit_transform(np.identity(layers[i]))
  // and np.random.rand(fan_out) biases; every other NMF argument is scikit-learn's default.
  const notebook: [keyof NmfInitializerParams, unknown, string][] = [
    ['solver', 'cd', "NMF default solver='cd'"],
    ['init', 'random', "init='random'"],
    ['tol', 1e-4, 'NMF default tol=1e-4'],
    ['maxIter', 200, 'NMF default max_iter=200'],
    ['checkEvery', 10, "scikit-learn's _fit_coordinate_descent checks tol every 10 iterations"],
    ['randomState', 0, 'random_state=0'],
    ['bias', 'uniform', 'np.random.rand(fan_out): U[0, 1)'],
  ];
  it.each(notebook)("defaults %s to %j, as the notebook's call (%s)", (key, value) => {
    expect(nmfParams.parse({})[key]).toEqual(value);
  });

  it('takes its solver parameters from the NMF options schema, less rank, and nothing else undeclared', () => {
    const own = ['randomState', 'bias', 'cache'];
    const solverKeys = Object.keys(nmfOptionsSchema.shape).filter((key) => key !== 'rank');
    expect(Object.keys(nmfParams.shape).sort()).toEqual([...solverKeys, ...own].sort());
    const { rank: _, ...solverDefaults } = nmfOptionsSchema.parse({ rank: 1, init: 'random' });
    expect(nmfParams.parse({})).toEqual({ ...solverDefaults, randomState: 0, bias: 'uniform', cache: true });
    expect(() => nmfParams.parse({ rank: 5 })).toThrow(/rank/);
    expect(() => nmfParams.parse({ maxiter: 5 })).toThrow(/maxiter/);
    expect(() => nmfParams.parse({ solver: 'als' })).toThrow(/solver/);
    expect(() => nmfParams.parse({ randomState: -1 })).toThrow(/randomState/);
    expect(() => nmfParams.parse({ randomState: 'seed' })).toThrow(/randomState/);
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
      // They are the factors of I_n from the fixed state's stream (here from the plugin's cache).
      const { result } = cachedNmf(
        identityMatrix(n),
        { rank: k, init: 'random' },
        Rng.seeded(0).child('nmf'),
        {
          cacheDir,
        },
      );
      expect(weights[i].kernel).toEqual(Float32Array.from(result.W));
      expect(weights[5 - i].kernel).toEqual(Float32Array.from(result.H));
    }
  });

  /** How many factorizations a log reports computing, and how many it reports loading. */
  const factorizations = (log: string[]) => ({
    computed: log.filter((m) => /^nmf: I_\d+ ≈ W·H with k = \d+ \(\d+ iterations/.test(m)).length,
    cached: log.filter((m) => /^nmf: I_\d+ ≈ W·H with k = \d+ \(cached/.test(m)).length,
  });

  it('factors once per architecture by default: any later init, with any seed, does zero factorizations', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmf-plugin-once-'));
    try {
      const run = (seed: number) => {
        const log: string[] = [];
        const weights = nmfInitializer.init({
          layers: study,
          params: nmfParams.parse({ maxIter: 5 }),
          rng: Rng.seeded(seed),
          cacheDir: dir,
          log: (m) => log.push(m),
        }) as LayerWeights[];
        return { weights, log };
      };
      const first = run(1);
      expect(factorizations(first.log)).toEqual({ computed: 3, cached: 0 });
      expect(first.log.filter((m) => m.startsWith('nmf cache: wrote'))).toHaveLength(3);
      for (const seed of [1, 2, 3]) {
        const again = run(seed);
        expect(factorizations(again.log)).toEqual({ computed: 0, cached: 3 });
        expect(again.log.filter((m) => m.startsWith('nmf cache: loaded'))).toHaveLength(3);
        expect(again.weights.map((w) => w.kernel)).toEqual(first.weights.map((w) => w.kernel));
      }
      expect(readdirSync(join(dir, 'nmf'))).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const small = layerSpecs([40, 20, 10, 20, 40]);
  it('gives two seeds identical kernels and different biases by default; different kernels with randomState run', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer(), (a, b) => {
        fc.pre((a | 0) !== (b | 0));
        const [x, y] = [a, b].map((seed) => init(small, { maxIter: 20 }, seed));
        for (let i = 0; i < small.length; i++) {
          expect(y[i].kernel).toEqual(x[i].kernel);
          expect(y[i].bias).not.toEqual(x[i].bias);
        }
        const [u, v] = [a, b].map((seed) => init(small, { maxIter: 20, randomState: 'run' }, seed));
        for (let i = 0; i < small.length; i++) expect(v[i].kernel).not.toEqual(u[i].kernel);
        // The run's seed still sets the biases alone: the same with either randomState.
        expect(u.map((w) => w.bias)).toEqual(x.map((w) => w.bias));
      }),
      { numRuns: 20 },
    );
  });

  it('gives a different fixed randomState different kernels', () => {
    const zero = init(small, { maxIter: 20 });
    const one = init(small, { maxIter: 20, randomState: 1 });
    for (let i = 0; i < small.length; i++) expect(one[i].kernel).not.toEqual(zero[i].kernel);
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
    // supports() says the same before any factorization, so a study can refuse the model up front.
    const why = nmfInitializer.supports?.(layers, nmfParams.parse({}));
    expect(why).toMatch(reason);
    expect(why).toContain(`(layer shapes fanIn×fanOut: ${shapes})`);
  });

  it('supports every mirrored encoder/decoder that does not widen, and nothing whose init would throw', () => {
    const sizes = fc
      .array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 })
      .map((widths) => [...widths].sort((a, b) => b - a));
    fc.assert(
      fc.property(sizes, fc.boolean(), fc.integer({ min: 1, max: 40 }), (encoder, perturb, extra) => {
        const mirrored = [...encoder, ...encoder.slice(0, -1).reverse()];
        // A perturbed net appends one layer, so it has an odd number of layers or does not mirror.
        const net = perturb ? [...mirrored, extra] : mirrored;
        const layers = layerSpecs(net);
        const why = nmfInitializer.supports?.(layers, nmfParams.parse({}));
        if (!perturb) {
          expect(why).toBeNull();
        } else {
          expect(why).toMatch(/^it needs a mirrored encoder\/decoder network; /);
          expect(() => init(layers, { maxIter: 1, cache: false })).toThrow(why!.slice('it '.length));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects layers that do not chain', () => {
    const layers = [...layerSpecs([8, 4]), ...layerSpecs([5, 8]).map((l) => ({ ...l, index: 1 }))];
    expect(() => init(layers)).toThrow(/layer 0 outputs 4 values but layer 1 takes 5/);
  });
});

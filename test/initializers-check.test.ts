import fc from 'fast-check';
import { type InitializerPlugin, noParams, perTensorInitializer, Rng, z } from 'nmfinit';
import {
  autoencoderStack,
  checkInitializer,
  denseStack,
  InitializerCheckError,
  layerSpecs,
} from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import { builtinInitializers } from '../plugins/initializers/index.ts';

// The helper is only worth something if it can fail: each plugin below breaks one law on purpose.

/** A well-behaved base: N(0, 1) kernels from the layer's stream. */
const normalKernel = ({ fanIn, fanOut }: { fanIn: number; fanOut: number }, rng: Rng) =>
  rng.fillNormal(new Float32Array(fanIn * fanOut)) as Float32Array;

function broken(
  name: string,
  kernel: Parameters<typeof perTensorInitializer>[0]['kernel'],
): InitializerPlugin {
  return perTensorInitializer({
    name,
    description: `deliberately broken: ${name}`,
    params: noParams,
    kernel,
  });
}

const wrongShape = broken('wrong-shape', (shape, rng) => {
  const k = normalKernel(shape, rng);
  return shape.fanIn > 2 ? k.subarray(1) : k; // one value short on wider layers only
});

const producesNaN = broken('produces-nan', (shape, rng) => {
  const k = normalKernel(shape, rng);
  if (k.length > 5) k[5] = Number.NaN;
  return k;
});

let calls = 0;
const nonDeterministic = broken('non-deterministic', (shape, rng) => {
  const k = normalKernel(shape, rng);
  k[0] += calls++; // depends on how often it was called, not only on the seed
  return k;
});

const ignoresSeed = broken('ignores-seed', (shape) => normalKernel(shape, Rng.seeded(42)));

const claimsNotRandom: InitializerPlugin = {
  ...perTensorInitializer({
    name: 'claims-not-random',
    description: 'random but says not',
    params: noParams,
    kernel: normalKernel,
  }),
  random: false,
};

const mutatesLayers: InitializerPlugin = {
  name: 'mutates-layers',
  description: 'reverses the layers array it was given',
  params: noParams,
  random: true,
  init({ layers, rng }) {
    const weights = layers.map((l) => ({
      kernel: normalKernel(l, rng.child(l.index)),
      bias: new Float32Array(l.fanOut),
    }));
    (layers as unknown as unknown[]).reverse();
    return weights;
  },
};

const mutatesParams: InitializerPlugin = {
  name: 'mutates-params',
  description: 'writes into its params object',
  params: z.object({ gain: z.number().default(1) }).strict(),
  random: true,
  init({ layers, params, rng }) {
    (params as { gain: number }).gain *= 2;
    return layers.map((l) => ({
      kernel: normalKernel(l, rng.child(l.index)),
      bias: new Float32Array(l.fanOut),
    }));
  },
};

const sharedBias = new Float32Array(64);
const sharesStorage: InitializerPlugin = {
  name: 'shares-storage',
  description: 'hands every layer a view of one bias buffer',
  params: noParams,
  random: true,
  init: ({ layers, rng }) =>
    layers.map((l) => ({
      kernel: normalKernel(l, rng.child(l.index)),
      bias: sharedBias.subarray(0, l.fanOut),
    })),
};

const throwsError = broken('throws', (shape, rng) => {
  if (shape.fanIn < shape.fanOut) throw new Error('wide kernels unsupported');
  return normalKernel(shape, rng);
});

describe('checkInitializer fails on broken plugins', () => {
  const cases: [InitializerPlugin, RegExp][] = [
    [
      wrongShape,
      /'wrong-shape' breaks "kernel shape" at layer \d+ \(fanIn \d+, fanOut \d+\): kernel has \d+ values/,
    ],
    [producesNaN, /'produces-nan' breaks "finite values" at layer \d+.*kernel\[5\] = NaN/],
    [nonDeterministic, /'non-deterministic' breaks "same seed gives the same weights" at layer 0/],
    [ignoresSeed, /'ignores-seed' breaks "different seeds give different weights".*random: true/],
    [claimsNotRandom, /'claims-not-random' breaks "weights do not depend on the seed"/],
    [mutatesLayers, /'mutates-layers' breaks "inputs are not mutated".*ctx\.layers/],
    [mutatesParams, /'mutates-params' breaks "inputs are not mutated".*ctx\.params/],
    [sharesStorage, /'shares-storage' breaks "weights have storage of their own"/],
    [throwsError, /'throws' threw on layers .*wide kernels unsupported/],
  ];
  for (const [plugin, message] of cases) {
    it(plugin.name, async () => {
      const failure = checkInitializer(plugin, { numRuns: 40 });
      await expect(failure).rejects.toBeInstanceOf(InitializerCheckError);
      await expect(failure).rejects.toThrow(message);
      await expect(failure).rejects.toThrow(/replay with options \{ seed: -?\d+(, path: '[\d:]+')? \}/);
    });
  }

  it('rejects a plugin without a description or schema before running it', async () => {
    const bad = {
      name: 'Bad Name',
      description: '',
      params: {},
      random: 'yes',
      init: () => [],
    } as unknown as InitializerPlugin;
    await expect(checkInitializer(bad)).rejects.toThrow(
      /initializer Bad Name: name must be .*; description must be a non-empty string; params must be a zod schema; random must be true or false/,
    );
  });

  it('rejects invalid params, naming the parameter', async () => {
    const plugin = builtinInitializers.find((p) => p.name === 'random-normal')!;
    await expect(checkInitializer(plugin, { params: { stddev: -1 } })).rejects.toThrow(
      /'random-normal'.*params\.stddev/,
    );
  });

  it('replays a failure from the reported seed and path', async () => {
    const failureOf = async (options: Parameters<typeof checkInitializer>[1]) => {
      const outcome = await checkInitializer(wrongShape, options).then(
        () => 'passed',
        (e: Error) => e.message,
      );
      expect(outcome).not.toBe('passed');
      return outcome;
    };
    const first = await failureOf({ numRuns: 40 });
    const [, seed, path] = /seed: (-?\d+), path: '([\d:]+)'/.exec(first)!;
    const replay = await failureOf({ seed: Number(seed), path });
    expect(replay.split('\n')[0]).toBe(first.split('\n')[0]);
  });
});

describe('checkInitializer passes every built-in', () => {
  // Data-aware plugins are checked, with cheaper parameters, in test/data-initializers.test.ts.
  for (const plugin of builtinInitializers.filter((p) => !p.data)) {
    it(plugin.name, async () => {
      await expect(checkInitializer(plugin)).resolves.toBeUndefined();
      await expect(checkInitializer(plugin, { stacks: 'autoencoder', numRuns: 10 })).resolves.toBeUndefined();
    });
  }

  it('a random plugin with few outcomes on tiny networks passes: seed dependence is judged over all networks', async () => {
    // An orthogonal 1×1 kernel is ±1, so two seeds agree half the time; over 40 networks some differ
    // unless 2⁻⁴⁰ strikes.
    const oneByOne = fc.constant(layerSpecs([1, 1]));
    const plugin = builtinInitializers.find((p) => p.name === 'orthogonal')!;
    await expect(checkInitializer(plugin, { stacks: oneByOne, numRuns: 40 })).resolves.toBeUndefined();
  });

  it('variance-scaling over its whole parameter space', async () => {
    const plugin = builtinInitializers.find((p) => p.name === 'variance-scaling')!;
    for (const mode of ['fan_in', 'fan_out', 'fan_avg']) {
      for (const distribution of ['truncated_normal', 'untruncated_normal', 'uniform']) {
        await checkInitializer(plugin, { params: { scale: 0.3, mode, distribution }, numRuns: 8 });
      }
    }
  });
});

describe('layer-stack arbitraries', () => {
  it('dense stacks chain: each fanIn is the previous fanOut, sizes within bounds', () => {
    fc.assert(
      fc.property(denseStack({ maxLayers: 6, maxSize: 64 }), (layers) => {
        expect(layers.length).toBeGreaterThanOrEqual(1);
        expect(layers.length).toBeLessThanOrEqual(6);
        layers.forEach((l, i) => {
          expect(l.index).toBe(i);
          expect(l.fanIn).toBeGreaterThanOrEqual(1);
          expect(l.fanOut).toBeLessThanOrEqual(64);
          if (i > 0) expect(l.fanIn).toBe(layers[i - 1].fanOut);
        });
      }),
    );
  });

  it('autoencoder stacks mirror: layer i and layer L−1−i have transposed shapes, widths shrink to the middle', () => {
    fc.assert(
      fc.property(autoencoderStack({ maxDepth: 3, maxSize: 64 }), (layers) => {
        const n = layers.length;
        expect(n % 2).toBe(0);
        for (let i = 0; i < n; i++) {
          expect(layers[i].fanIn).toBe(layers[n - 1 - i].fanOut);
          if (i > 0) expect(layers[i].fanIn).toBe(layers[i - 1].fanOut);
          if (i < n / 2) expect(layers[i].fanOut).toBeLessThanOrEqual(layers[i].fanIn);
        }
      }),
    );
  });

  it('layerSpecs builds the study autoencoder 784-128-64-32-64-128-784', () => {
    const layers = layerSpecs([784, 128, 64, 32, 64, 128, 784]);
    expect(layers.map((l) => [l.fanIn, l.fanOut])).toEqual([
      [784, 128],
      [128, 64],
      [64, 32],
      [32, 64],
      [64, 128],
      [128, 784],
    ]);
    expect(() => layerSpecs([784])).toThrow(/at least 2 sizes/);
  });
});

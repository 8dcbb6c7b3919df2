import {
  DatasetError,
  datasetFromBytes,
  defineDataset,
  maxLabel,
  numberedClassNames,
  readIdxLabels,
  readIdxSplit,
  type Split,
  z,
} from 'nmfinit';

const dimension = z.number().int().positive();

const params = z
  .object({
    /** The directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-… */
    dir: z.string().min(1),
    /** The dataset's name in results and messages, e.g. 'kmnist'; default 'idx'. */
    name: z.string().min(1).optional(),
    /** One name per label value; default '0'..'9', or '0'..max label when labels go above 9. */
    classNames: z.array(z.string().min(1)).min(1).max(256).optional(),
    /** [height, width] the images must have (after `transpose`); other sizes are an error. */
    imageShape: z.tuple([dimension, dimension]).optional(),
    /** Transpose every image: EMNIST stores its images column-major. */
    transpose: z.boolean().default(false),
  })
  .strict();

/**
 * IDX files in a directory with the standard names (LeCun's MNIST layout, raw or gzipped):
 * MNIST, Fashion-MNIST, KMNIST, EMNIST or a user's own. Images must be unsigned bytes n × h × w,
 * labels unsigned bytes n. Read directly on every load.
 */
export const idx = defineDataset({
  name: 'idx',
  description:
    'IDX files (raw or .gz) in a directory, e.g. official MNIST/Fashion-MNIST/KMNIST/EMNIST downloads',
  params,
  async load({ split, limit, params: p }) {
    const stored = p.imageShape && p.transpose ? ([p.imageShape[1], p.imageShape[0]] as const) : p.imageShape;
    const raw = readIdxSplit(p.dir, split, { expectedShape: stored });
    return datasetFromBytes(raw, {
      name: p.name ?? 'idx',
      split,
      limit,
      transpose: p.transpose,
      classNames: p.classNames ?? defaultClassNames(p.dir, split, raw.labels),
      source: raw.source,
    });
  },
});

/** '0'..'9', or '0'..max label over both splits (so train and test agree) when labels go above 9. */
function defaultClassNames(dir: string, split: Split, labels: Uint8Array): string[] {
  const other: Split = split === 'train' ? 'test' : 'train';
  let top = maxLabel(labels);
  try {
    top = Math.max(top, maxLabel(readIdxLabels(dir, other)));
  } catch (e) {
    // Only one split present: its own labels decide. A bad file shows up when that split is loaded.
    if (!(e instanceof DatasetError)) throw e;
  }
  return numberedClassNames(Math.max(10, top + 1));
}

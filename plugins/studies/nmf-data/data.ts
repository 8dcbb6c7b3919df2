// What every run of one data set shares: the training images up to the largest sample count asked
// for and the test images, over SharedArrayBuffers so every worker reads them without a copy.
import { entrySplits, type StudyContext, z } from 'nmfinit';
import { labelOf, type NmfDataSpec } from './spec.ts';

export interface PreparedDataset {
  imageShape: [number, number];
  train: Float32Array;
  trainCount: number;
  test: Float32Array;
  testCount: number;
}

export type NmfDataData = Record<string, PreparedDataset>;

/** The artifact the report reads per data set: datasets/<label>.json. */
export const datasetArtifactSchema = z
  .object({
    label: z.string(),
    name: z.string(),
    imageShape: z.tuple([z.number().int(), z.number().int()]),
    trainLoaded: z.number().int(),
    testCount: z.number().int(),
    classNames: z.array(z.string()),
  })
  .strict();

function shared(values: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(4 * values.length));
  out.set(values);
  return out;
}

export async function prepareAll(
  spec: NmfDataSpec,
  runs: readonly { dataset: string; samples: number | 'all' }[],
  ctx: StudyContext,
): Promise<NmfDataData> {
  const out: NmfDataData = {};
  for (const entry of spec.datasets) {
    const label = labelOf(entry);
    const mine = runs.filter((r) => r.dataset === label);
    if (mine.length === 0) continue; // a shard may hold no run of this data set
    const { load } = entrySplits(entry, ctx);
    // Load only as many training images as the largest count asked for.
    const counts = mine.map((r) => r.samples);
    const limit = counts.includes('all') ? undefined : Math.max(...(counts as number[]));
    const train = await load('train', limit);
    // testCount is an upper bound (a quick run asks for 1,000 of a folder that may hold fewer).
    const testSplit = await load('test');
    const m = Math.min(entry.testCount ?? testSplit.count, testSplit.count);
    const test = {
      count: m,
      images: testSplit.images.subarray(0, m * testSplit.imageShape[0] * testSplit.imageShape[1]),
    };
    const [h, w] = train.imageShape;
    out[label] = {
      imageShape: [h, w],
      train: shared(train.images),
      trainCount: train.count,
      test: shared(test.images),
      testCount: test.count,
    };
    ctx.artifacts.write(`datasets/${label}.json`, {
      label,
      name: entry.name,
      imageShape: [h, w],
      trainLoaded: train.count,
      testCount: test.count,
      classNames: [...train.classNames],
    });
    ctx.log(`${label}: ${train.count} train and ${test.count} test images of ${h}×${w}`);
  }
  return out;
}

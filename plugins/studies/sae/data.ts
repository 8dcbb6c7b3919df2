import { ExperimentSpecError, entrySplits, oversizedBuffers, type StudyContext, z } from 'nmfinit';
import { superpositionDirections, superpositionParams } from '../../datasets/superposition.ts';
import { entryGrid, entryLabel, type SaeSpec } from './spec.ts';

/** What every run of one dataset entry shares (typed arrays over SharedArrayBuffers reach workers without a copy). */
export interface SaePrepared {
  d: number;
  imageShape: [number, number];
  train: Float32Array;
  trainRows: number;
  eval: Float32Array;
  evalRows: number;
  /** The planted directions (m × d) when the dataset has them (superposition), else null. */
  truth: Float32Array | null;
  truthCount: number;
}

export type SaeData = SaePrepared[];

/** The artifact the report reads per entry: data/<label>.json. */
export const dataArtifactSchema = z
  .object({
    label: z.string(),
    dataset: z.string(),
    d: z.number().int(),
    imageShape: z.tuple([z.number().int(), z.number().int()]),
    trainRows: z.number().int(),
    evalRows: z.number().int(),
    truthCount: z.number().int(),
  })
  .strict();

function shared(values: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(4 * values.length));
  out.set(values);
  return out;
}

export async function prepareSae(spec: SaeSpec, ctx: StudyContext): Promise<SaeData> {
  const out: SaeData = [];
  for (const [i, entry] of spec.datasets.entries()) {
    const label = entryLabel(entry);
    const { load } = entrySplits(entry, ctx);
    const train = await load('train', entry.trainSamples);
    const test = await load('test', entry.evalSamples);
    const [h, w] = train.imageShape;
    // The dictionary (n × d) is sized by the data too: checked here, before any run starts.
    const field = entry.latents !== undefined ? `datasets[${i}].latents` : 'latents';
    const oversized = oversizedBuffers(
      entryGrid(spec, entry).latents.map((n, j) => ({
        field: `${field}[${j}]`,
        what: `the dictionary of ${n} latents × d = ${h * w}`,
        floats: n * h * w,
      })),
    );
    if (oversized.length > 0)
      throw new ExperimentSpecError(`invalid experiment spec: ${oversized.join('; ')}`);
    let truth: Float32Array | null = null;
    let truthCount = 0;
    if (entry.name === 'superposition') {
      const p = superpositionParams.parse(entry.params);
      truth = shared(superpositionDirections(p));
      truthCount = p.features;
    }
    const p: SaePrepared = {
      d: h * w,
      imageShape: [h, w],
      train: shared(train.images),
      trainRows: train.count,
      eval: shared(test.images),
      evalRows: test.count,
      truth,
      truthCount,
    };
    ctx.artifacts.write(`data/${label}.json`, {
      label,
      dataset: entry.name,
      d: p.d,
      imageShape: p.imageShape,
      trainRows: p.trainRows,
      evalRows: p.evalRows,
      truthCount,
    });
    ctx.log(`${label}: ${p.trainRows} training samples of d = ${p.d}, ${p.evalRows} evaluation samples`);
    out.push(p);
  }
  return out;
}

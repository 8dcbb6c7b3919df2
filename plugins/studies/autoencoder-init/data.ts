import {
  type Backend,
  type Dataset,
  decodeFloat32,
  encodeFloat32,
  entrySplits,
  firstOfEachClass,
  getBackend,
  type StudyArtifacts,
  type StudyContext,
  validationSplitIndex,
  z,
} from 'nmfinit';
import { writeNmfFactors } from './nmf-factors.ts';
import { pcaReference } from './pca.ts';
import type { RunData } from './run.ts';
import { type AutoencoderSpec, labelOf } from './spec.ts';

/** The test images a data set's reconstruction grids show. */
export interface DisplaySet {
  imageShape: readonly [number, number];
  originals: Float32Array[];
  columnLabels: string[];
}

const DISPLAY_FOLDER = 'display';

const storedDisplaySchema = z.object({
  imageShape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  columnLabels: z.array(z.string()),
  originals: z.array(z.string()),
});

/** The data every run of a study reads, by data set label (shared memory: never copied per worker). */
export type PrepareData = Record<string, RunData>;

/**
 * Loads every data set of the spec once, into shared memory, checking the sample counts it asks
 * for; keeps the display images and the PCA references beside the runs for the report.
 */
export async function prepareData(spec: AutoencoderSpec, ctx: StudyContext): Promise<PrepareData> {
  const out: PrepareData = {};
  for (const [i, ref] of spec.datasets.entries()) {
    const label = labelOf(ref);
    const numeric = spec.grid.samples.map((s) => s.count).filter((c): c is number => c !== 'all');
    const needsAll = spec.grid.samples.some((s) => s.count === 'all');
    const t0 = performance.now();
    const { plugin, load } = entrySplits(ref, ctx);
    let train: Dataset;
    let test: Dataset;
    try {
      train = await load('train', needsAll ? undefined : Math.max(...numeric)).catch(async (e) => {
        // If the split is smaller than a requested size, say which grid entry asks too much.
        const full = await load('train');
        spec.grid.samples.forEach((s, j) => {
          if (s.count !== 'all' && s.count > full.count) {
            throw new SpecDataError(
              `grid.samples[${j}].count: ${s.count} samples asked, '${label}' has ${full.count} training samples`,
            );
          }
        });
        throw e;
      });
      test = await load('test');
    } catch (e) {
      if (e instanceof SpecDataError) throw e;
      throw new SpecDataError(`datasets[${i}] ('${label}'): cannot load: ${(e as Error).message}`);
    }
    const dim = train.imageShape[0] * train.imageShape[1];
    if (dim !== spec.model.sizes[0]) {
      throw new SpecDataError(
        `datasets[${i}] ('${label}'): images have ${dim} pixels but model.sizes[0] is ${spec.model.sizes[0]}`,
      );
    }
    const displayIndices = plugin.displayIndices?.(test) ?? firstOfEachClass(test);
    ctx.log(
      `loaded ${label}: ${train.count} train, ${test.count} test in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );
    out[label] = {
      train: { images: shared(train.images), count: train.count },
      test: { images: shared(test.images), count: test.count },
      dim,
      displayIndices,
    };
    ctx.artifacts.write(`${DISPLAY_FOLDER}/${label}.json`, {
      imageShape: train.imageShape,
      columnLabels: displayIndices.map((k) => test.classNames[test.labels[k]] ?? String(test.labels[k])),
      originals: displayIndices.map((k) => encodeFloat32(test.images.slice(k * dim, (k + 1) * dim))),
    });
  }
  // Created here with the run's cache dir (its kernels are cached there).
  const backend = getBackend(ctx.backend, { cacheDir: ctx.cacheDir });
  writePcaReferences(spec, out, ctx, backend);
  await writeNmfFactors(spec, ctx, backend);
  return out;
}

/** Bad spec values found only when the data is there (a sample count above the data set's size). */
export class SpecDataError extends Error {
  override name = 'ExperimentSpecError';
}

/** The display sets kept beside the runs, by data set label. */
export function readDisplaySets(artifacts: StudyArtifacts): Map<string, DisplaySet> {
  const out = new Map<string, DisplaySet>();
  for (const name of artifacts.list(DISPLAY_FOLDER)) {
    const raw = artifacts.read(name, storedDisplaySchema);
    out.set(name.slice(DISPLAY_FOLDER.length + 1, -5), {
      imageShape: raw.imageShape,
      columnLabels: raw.columnLabels,
      originals: raw.originals.map(decodeFloat32),
    });
  }
  return out;
}

/** The PCA reference of every data set × sample count, written beside the runs for the report. */
function writePcaReferences(
  spec: AutoencoderSpec,
  data: PrepareData,
  ctx: StudyContext,
  backend: Backend,
): void {
  const rank = spec.outputs.pcaRank ?? Math.min(...spec.model.sizes);
  for (const [label, d] of Object.entries(data)) {
    for (const s of spec.grid.samples) {
      const n = s.count === 'all' ? d.train.count : s.count;
      const split = validationSplitIndex(n, spec.training.validationSplit);
      if (rank > Math.min(split, d.dim)) {
        throw new SpecDataError(
          `outputs.pcaRank: ${rank} is more than the ${Math.min(split, d.dim)} components '${label}' (${s.count} samples) has`,
        );
      }
      const ref = pcaReference(ctx, label, s.count, d.train.images, n, split, d.dim, rank, backend);
      ctx.log(`PCA rank ${rank} on ${label} (${s.count}): validation MSE ${ref.valMse.toFixed(5)}`);
    }
  }
}

/** A copy in shared memory, so every worker reads the same bytes without a copy of its own. */
function shared(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

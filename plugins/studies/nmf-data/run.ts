// One run of an 'nmf-data' study: fit NMF on the first n training images, encode the test images
// with H fixed, and measure the components.
import {
  componentSparsity,
  encodeFloat32,
  gridPoints,
  NMF,
  type NMF_INIT_METHODS,
  type NMF_SOLVERS,
  type RunContext,
  squaredDistanceToProduct,
  z,
} from 'nmfinit';
import type { NmfDataData } from './data.ts';
import { labelOf, type NmfDataSpec } from './spec.ts';

export interface NmfDataRun {
  id: string;
  seed: number;
  backend: string;
  dataset: string;
  samples: number | 'all';
  k: number;
  init: (typeof NMF_INIT_METHODS)[number];
  solver: (typeof NMF_SOLVERS)[number];
  maxIter: number;
  tol: number;
  alphaW: number;
  alphaH: number | 'same';
  l1Ratio: number;
}

export const nmfDataResultSchema = z
  .object({
    trainCount: z.number().int().positive(),
    testCount: z.number().int().positive(),
    imageShape: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    /** H (k × pixels), row-major, float32 as base64 (encodeFloat32). */
    components: z.string(),
    /** scikit-learn's reconstruction_err_: ‖X − WH‖_F on the training images. */
    reconstructionErr: z.number().nonnegative(),
    /** reconstruction_err_² / (n·d): the training MSE, comparable with the test MSE. */
    trainMse: z.number().nonnegative(),
    nIter: z.number().int().nonnegative(),
    /** ‖T − W_T·H‖²_F / (m·d), W_T = transform(T) for the m test images T. */
    testMse: z.number().nonnegative(),
    /** Mean Hoyer sparsity of the k basis images (0: flat, 1: one pixel). */
    hoyer: z.number(),
    /** Mean fraction of pixels at most 1% of their basis image's largest value. */
    nearZero: z.number(),
    fitSeconds: z.number(),
    transformSeconds: z.number(),
  })
  .strict();
export type NmfDataResult = z.output<typeof nmfDataResultSchema>;

export const runIdOf = (r: Pick<NmfDataRun, 'dataset' | 'samples' | 'k' | 'init' | 'seed'>) =>
  `${r.dataset}__n${r.samples}__k${r.k}__${r.init}__seed${r.seed}`;

/** Every data set × grid block (samples × ranks × inits) × seed, in spec order, each run once. */
export function expandRuns(spec: NmfDataSpec, backend: string): NmfDataRun[] {
  // The union of the grids (a run two grids share is run once), per data set.
  const runs = new Map<string, NmfDataRun>();
  for (const entry of spec.datasets)
    for (const grid of spec.grids)
      for (const p of gridPoints(
        { k: grid.ranks, init: grid.inits, samples: grid.samples },
        { first: spec.firstSeed, count: spec.seeds },
      )) {
        const run: NmfDataRun = {
          id: '',
          seed: p.seed,
          backend,
          dataset: labelOf(entry),
          samples: p.samples,
          k: p.k,
          init: p.init,
          solver: spec.solver,
          maxIter: spec.maxIter,
          tol: spec.tol,
          alphaW: spec.alphaW,
          alphaH: spec.alphaH,
          l1Ratio: spec.l1Ratio,
        };
        run.id = runIdOf(run);
        if (!runs.has(run.id)) runs.set(run.id, run);
      }
  return [...runs.values()];
}

/** ‖T − W·H‖²_F / (m·d) in float64; W is m × k, H is k × d, both row-major. */
export function reconstructionMse(
  t: Float32Array,
  w: Float64Array,
  h: Float64Array,
  m: number,
  k: number,
  d: number,
): number {
  return squaredDistanceToProduct((i, j) => t[i * d + j], w, h, m, k, d) / (m * d);
}

export async function executeRun(run: NmfDataRun, all: NmfDataData, ctx: RunContext): Promise<NmfDataResult> {
  const data = all[run.dataset];
  if (!data) throw new Error(`run ${run.id}: data set '${run.dataset}' was not prepared`);
  const [h, w] = data.imageShape;
  const d = h * w;
  const n = run.samples === 'all' ? data.trainCount : run.samples;
  if (n > data.trainCount) {
    throw new Error(`run ${run.id}: ${n} training samples asked for, the train split has ${data.trainCount}`);
  }
  const model = new NMF(
    {
      nComponents: run.k,
      solver: run.solver,
      init: run.init,
      maxIter: run.maxIter,
      tol: run.tol,
      alphaW: run.alphaW,
      alphaH: run.alphaH,
      l1Ratio: run.l1Ratio,
    },
    { backend: ctx.backend, rng: ctx.rng.child('nmf') },
  );
  let t0 = performance.now();
  model.fit({ rows: n, cols: d, values: data.train.subarray(0, n * d) });
  const fitSeconds = (performance.now() - t0) / 1000;
  ctx.emit({ type: 'progress', fraction: 0.9 });
  t0 = performance.now();
  const m = data.testCount;
  const codes = model.transform({ rows: m, cols: d, values: data.test });
  const transformSeconds = (performance.now() - t0) / 1000;
  const components = model.components;
  const { hoyer, nearZero } = componentSparsity(components, run.k, d);
  const err = model.reconstructionErr;
  return {
    trainCount: n,
    testCount: m,
    imageShape: [h, w],
    components: encodeFloat32(Float32Array.from(components)),
    reconstructionErr: err,
    trainMse: (err * err) / (n * d),
    nIter: model.nIter,
    testMse: reconstructionMse(data.test, codes, components, m, run.k, d),
    hoyer,
    nearZero,
    fitSeconds,
    transformSeconds,
  };
}

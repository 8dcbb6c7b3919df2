import {
  gridPoints,
  philoxSeed,
  Rng,
  type RunContext,
  SHALLOW_ACTIVATIONS,
  SHALLOW_MAX_REPLICAS,
  type ShallowActivation,
  ShallowAutoencoder,
  type ShallowBias,
  type ShallowRecord,
  type ShallowTrainResult,
  type StudyRun,
  shallowDeviceTrainer,
  trainShallow,
  trainShallowOnOneStream,
  trainShallowSideBySide,
  z,
} from 'nmfinit';
import { onlineSampler, type PreparedData, type SideBySide } from './data.ts';

import type { ShallowPcaSpec } from './spec.ts';

export interface ShallowPcaRun extends StudyRun {
  dataset: string;
  activation: ShallowActivation;
  tied: boolean;
  /** Where the trainable biases sit (ShallowBias). */
  bias: ShallowBias;
  k: number;
  steps: number;
  lr: number;
  initStd: number;
  records: number;
  /** Fresh samples every step (the data set's `online`); absent when off, so earlier runs keep their hash. */
  online?: true;
  /** Tied runs of a spec with `model.tiedGradient: 'encoder'`; absent for 'full', so earlier runs keep their hash. */
  tiedGradient?: 'encoder';
}

export const recordSchema = z
  .object({
    step: z.number().int(),
    testMse: z.number(),
    subspace: z.array(z.number()),
    bestUnit: z.array(z.number()),
    /** |ŵ^k·u_m|, K × K row-major, for K ≤ 10: the overlap matrices over time (absent before issue 23). */
    overlap: z.array(z.number()).optional(),
  })
  .strict();

export const shallowPcaResultSchema = z
  .object({
    pcaMse: z.number(),
    finalTestMse: z.number().nullable(),
    diverged: z.boolean(),
    records: z.array(recordSchema),
    /** |ŵ^k·u_m| at the end, K × K row-major (empty when diverged). */
    finalOverlap: z.array(z.number()),
    /** The encoder vectors w^k at the end (K × D, unit k contiguous), for image data sets only. */
    weights: z.array(z.array(z.number())).nullable(),
  })
  .strict();

export type ShallowPcaResult = z.output<typeof shallowPcaResultSchema>;

/** The bias placements' short names (ids, tables) and words (titles, legends). */
export const BIAS_NAMES: Record<ShallowBias, string> = {
  none: 'nobias',
  encoder: 'encbias',
  decoder: 'outbias',
  both: 'bothbias',
};
export const BIAS_WORDS: Record<ShallowBias, string> = {
  none: 'no biases',
  encoder: 'encoder bias',
  decoder: 'output bias',
  both: 'encoder and output biases',
};

/** The configuration's name in ids, legends and tables, e.g. "erf-tied-encbias". */
export function configName(r: Pick<ShallowPcaRun, 'activation' | 'tied' | 'bias'>): string {
  return `${r.activation}-${r.tied ? 'tied' : 'untied'}-${BIAS_NAMES[r.bias]}`;
}

/** The configuration in words, for figure titles and legends, e.g. "erf, tied, no biases". */
export function configTitle(r: Pick<ShallowPcaRun, 'activation' | 'tied' | 'bias'>): string {
  return `${r.activation}, ${r.tied ? 'tied' : 'untied'}, ${BIAS_WORDS[r.bias]}`;
}

export function expandRuns(spec: ShallowPcaSpec, backend: string): ShallowPcaRun[] {
  for (const activation of spec.model.activations)
    if (!SHALLOW_ACTIVATIONS.includes(activation))
      throw new Error(`model.activations: unknown '${activation}'`);
  const { activations, tied, biases } = spec.model;
  return gridPoints(
    { ds: spec.datasets, activation: activations, tied, bias: biases },
    { first: spec.firstSeed, count: spec.seeds },
  ).map(({ ds, activation, tied, bias, seed }) => {
    const base = { dataset: ds.label, activation, tied, bias };
    return {
      id: `${ds.label}__${configName(base)}__s${seed}`,
      seed,
      backend,
      ...base,
      k: ds.k,
      steps: ds.steps,
      lr: ds.lr,
      initStd: spec.model.initStd,
      records: spec.records,
      ...(ds.online ? { online: true as const } : {}),
      ...(tied && spec.model.tiedGradient === 'encoder' ? { tiedGradient: 'encoder' as const } : {}),
    };
  });
}

function buildModel(run: ShallowPcaRun, p: PreparedData, ctx: RunContext, rng: Rng): ShallowAutoencoder {
  return new ShallowAutoencoder(
    {
      d: p.d,
      k: run.k,
      activation: run.activation,
      tied: run.tied,
      bias: run.bias,
      lr: run.lr,
      initStd: run.initStd,
      tiedGradient: run.tiedGradient ?? 'full',
      cacheDir: ctx.cacheDir,
    },
    rng,
  );
}

function resultOf(
  run: ShallowPcaRun,
  p: PreparedData,
  model: ShallowAutoencoder,
  result: ShallowTrainResult,
): ShallowPcaResult {
  const last = result.records.at(-1);
  const image = p.imageShape[0] > 1 && p.imageShape[1] > 1 && !result.diverged;
  return {
    pcaMse: p.pcaMse,
    finalTestMse: result.diverged || !last ? null : last.testMse,
    diverged: result.diverged,
    records: result.records,
    finalOverlap: result.finalOverlap,
    weights: image ? Array.from({ length: run.k }, (_, k) => Array.from(model.encoderVector(k))) : null,
  };
}

/** How a run is measured (test set, log-spaced records, the PCA directions) and reports progress. */
function measuring(run: ShallowPcaRun, p: PreparedData, ctx: RunContext) {
  return {
    test: p.test,
    testCount: p.testCount,
    steps: run.steps,
    records: run.records,
    components: p.components,
    componentCount: run.k,
    onRecord: (r: ShallowRecord) => ctx.emit({ type: 'progress', fraction: r.step / run.steps }),
    onProgress: (step: number) => ctx.emit({ type: 'progress', fraction: step / run.steps }),
  };
}

function lawOf(p: PreparedData) {
  if (!p.law) throw new Error('online sampling needs a data set with a law (spiked-gaussian)');
  return p.law;
}

/** A run's identity for the side-by-side results kept for its siblings (its fields, sorted). */
const keyOf = (run: ShallowPcaRun) =>
  JSON.stringify(
    Object.keys(run)
      .sort()
      .map((k) => [k, run[k as keyof ShallowPcaRun]]),
  );

/** Results of runs trained side by side with an earlier one, until their own execute asks for them. */
const sideResults = new Map<string, ShallowPcaResult>();

/** The runs of `run`'s side-by-side grid, as expandRuns makes them (`run` among them). */
function siblings(run: ShallowPcaRun, g: SideBySide): ShallowPcaRun[] {
  // tiedGradient is a tied run's field only (expandRuns): not inherited from `run`.
  const { tiedGradient: _own, ...shared } = run;
  return gridPoints(
    { activation: g.activations, tied: g.tied, bias: g.biases },
    { first: g.firstSeed, count: g.seeds },
  ).map(({ activation, tied, bias, seed }) => ({
    ...shared,
    id: `${run.dataset}__${configName({ activation, tied, bias })}__s${seed}`,
    seed,
    activation,
    tied,
    bias,
    ...(tied && g.tiedGradient === 'encoder' ? { tiedGradient: 'encoder' as const } : {}),
  }));
}

/** Trains `run`'s whole grid side by side on the webgpu device; keeps the siblings' results. */
function executeSideBySide(
  run: ShallowPcaRun,
  g: SideBySide,
  p: PreparedData,
  ctx: RunContext,
): ShallowPcaResult | undefined {
  const group = siblings(run, g);
  const own = group.findIndex((r) => keyOf(r) === keyOf(run));
  if (own < 0) throw new Error(`run ${run.id}: not in its own side-by-side grid`);
  // The rng of a run is Rng.seeded(run.seed): each sibling's own streams, as if it ran alone.
  const models = group.map((r) => buildModel(r, p, ctx, Rng.seeded(r.seed).child('init')));
  const device = shallowDeviceTrainer(
    ctx.backend,
    models,
    run.online
      ? { law: lawOf(p), seeds: group.map((r) => philoxSeed(Rng.seeded(r.seed).child('online'))) }
      : { train: p.train, trainCount: p.trainCount },
  );
  if (!device) return undefined;
  let results: ShallowTrainResult[];
  try {
    results = trainShallowSideBySide(models, { ...measuring(run, p, ctx), device });
  } finally {
    device.dispose();
  }
  group.forEach((r, i) => {
    if (i !== own) sideResults.set(keyOf(r), resultOf(r, p, models[i], results[i]));
  });
  return resultOf(run, p, models[own], results[own]);
}

/** Whether `run`'s data set's whole grid fits one webgpu side-by-side pass. */
const fitsDevice = (g: SideBySide) =>
  g.activations.length * g.tied.length * g.biases.length * g.seeds <= SHALLOW_MAX_REPLICAS;

/**
 * The runs one execute trains together (StudyKind.group): on webgpu the data set's whole grid; on
 * the host, the online runs of one seed (they draw the same samples). The scheduler hands a group
 * to one worker, so the first of its runs trains all and the rest take their results.
 */
export function runGroup(run: ShallowPcaRun, data: Record<string, PreparedData>): string | undefined {
  const grid = data[run.dataset]?.grid;
  if (!grid) return undefined;
  if (run.backend === 'webgpu') return fitsDevice(grid) ? run.dataset : undefined;
  return run.online ? `${run.dataset}__s${run.seed}` : undefined;
}

/**
 * Trains the online runs of `run`'s seed on the host, side by side on one stream of draws: the
 * draws are the seed's 'online' stream, which every one of them would draw alone, so each gets
 * the numbers it gets alone (test/shallow-one-stream.test.ts) for one draw a step instead of one
 * each (the draw is most of a D = 500 step). Keeps the siblings' results.
 */
function executeOnOneStream(run: ShallowPcaRun, g: SideBySide, p: PreparedData, ctx: RunContext) {
  const group = siblings(run, g).filter((r) => r.seed === run.seed);
  const own = group.findIndex((r) => keyOf(r) === keyOf(run));
  if (own < 0) throw new Error(`run ${run.id}: not in its own side-by-side grid`);
  const models = group.map((r) => buildModel(r, p, ctx, Rng.seeded(r.seed).child('init')));
  const results = trainShallowOnOneStream(models, {
    ...measuring(run, p, ctx),
    draw: onlineSampler(p, Rng.seeded(run.seed).child('online')),
  });
  group.forEach((r, i) => {
    if (i !== own) sideResults.set(keyOf(r), resultOf(r, p, models[i], results[i]));
  });
  return resultOf(run, p, models[own], results[own]);
}

export async function executeRun(
  run: ShallowPcaRun,
  data: Record<string, PreparedData>,
  ctx: RunContext,
): Promise<ShallowPcaResult> {
  const p = data[run.dataset];
  if (!p) throw new Error(`run ${run.id}: no prepared data for '${run.dataset}'`);
  // On webgpu the data set's grid trains side by side (one workgroup a run): the first of its
  // runs to execute trains all, its siblings then take their results from this worker (the
  // scheduler hands the group to it: runGroup). Each run's numbers are those it gets alone
  // (test/shallow-webgpu.test.ts). On the host, the online runs of one seed share their draws
  // the same way (executeOnOneStream).
  const grid = p.grid;
  const done = sideResults.get(keyOf(run));
  if (done) {
    sideResults.delete(keyOf(run));
    return done;
  }
  if (ctx.backend.name === 'webgpu' && grid && fitsDevice(grid)) {
    const result = executeSideBySide(run, grid, p, ctx);
    if (result) return result;
  } else if (ctx.backend.name !== 'webgpu' && grid && run.online) {
    return executeOnOneStream(run, grid, p, ctx);
  }
  const model = buildModel(run, p, ctx, ctx.rng.child('init'));
  // On webgpu the steps run on the device (online: its own Philox draws, keyed by the run's
  // 'online' stream); every other backend steps on the host as before.
  const device = shallowDeviceTrainer(
    ctx.backend,
    model,
    run.online
      ? { law: lawOf(p), seeds: [philoxSeed(ctx.rng.child('online'))] }
      : { train: p.train, trainCount: p.trainCount },
  );
  let result: ShallowTrainResult;
  try {
    result = trainShallow(model, {
      ...measuring(run, p, ctx),
      train: p.train,
      trainCount: p.trainCount,
      draw: run.online && !device ? onlineSampler(p, ctx.rng.child('online')) : undefined,
      device,
    });
  } finally {
    device?.dispose();
  }
  return resultOf(run, p, model, result);
}

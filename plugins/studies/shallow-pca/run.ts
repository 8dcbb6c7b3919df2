import {
  gridPoints,
  philoxSeed,
  type RunContext,
  SHALLOW_ACTIVATIONS,
  type ShallowActivation,
  ShallowAutoencoder,
  type ShallowBias,
  type StudyRun,
  shallowDeviceTrainer,
  trainShallow,
  z,
} from 'nmfinit';
import { onlineSampler, type PreparedData } from './data.ts';

function lawOf(p: PreparedData) {
  if (!p.law) throw new Error('online sampling needs a data set with a law (spiked-gaussian)');
  return p.law;
}

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
    };
  });
}

export async function executeRun(
  run: ShallowPcaRun,
  data: Record<string, PreparedData>,
  ctx: RunContext,
): Promise<ShallowPcaResult> {
  const p = data[run.dataset];
  if (!p) throw new Error(`run ${run.id}: no prepared data for '${run.dataset}'`);
  const model = new ShallowAutoencoder(
    {
      d: p.d,
      k: run.k,
      activation: run.activation,
      tied: run.tied,
      bias: run.bias,
      lr: run.lr,
      initStd: run.initStd,
      cacheDir: ctx.cacheDir,
    },
    ctx.rng.child('init'),
  );
  // On webgpu the steps run on the device (online: its own Philox draws, keyed by the run's
  // 'online' stream); every other backend steps on the host as before.
  const device = shallowDeviceTrainer(
    ctx.backend,
    model,
    run.online
      ? { law: lawOf(p), seeds: [philoxSeed(ctx.rng.child('online'))] }
      : { train: p.train, trainCount: p.trainCount },
  );
  let result: ReturnType<typeof trainShallow>;
  try {
    result = trainShallow(model, {
      train: p.train,
      trainCount: p.trainCount,
      test: p.test,
      testCount: p.testCount,
      steps: run.steps,
      records: run.records,
      components: p.components,
      componentCount: run.k,
      draw: run.online && !device ? onlineSampler(p, ctx.rng.child('online')) : undefined,
      device,
      onRecord: (r) => ctx.emit({ type: 'progress', fraction: r.step / run.steps }),
    });
  } finally {
    device?.dispose();
  }
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

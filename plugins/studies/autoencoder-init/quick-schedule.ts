// A quick run is a few dozen updates where the full study has hundreds: a warm-up written for the
// full study (e.g. data-init's 80 updates) would never finish in it, so the quick run would only
// ever see a rate still ramping up. `--quick` scales every warm-up to the same share of the run.
import { validationSplitIndex } from 'nmfinit';
import type { AutoencoderSpecInput } from './spec.ts';

const DEFAULT_BATCH = 256;
const DEFAULT_SPLIT = 0.33;

type Training = { batchSize?: number; validationSplit?: number; schedule?: { warmupSteps?: number } };

/**
 * Updates of the longest run of a raw spec under `training` (a recipe's fields over the spec's):
 * max(epochs) × batches per epoch of its largest numeric sample count; null where no count is a
 * number ('all' depends on the data set) or no epochs are given.
 */
export function longestRunUpdates(raw: AutoencoderSpecInput, training: Training): number | null {
  const counts = (raw.grid?.samples ?? [])
    .map((s) => s.count)
    .filter((c): c is number => typeof c === 'number');
  const epochs = raw.grid?.epochs ?? [];
  if (counts.length === 0 || epochs.length === 0) return null;
  const rows = validationSplitIndex(Math.max(...counts), training.validationSplit ?? DEFAULT_SPLIT);
  return Math.max(...epochs) * Math.ceil(rows / (training.batchSize ?? DEFAULT_BATCH));
}

/** `steps` of `fullUpdates` as the same share of `quickUpdates`, at least 1 where there was a warm-up. */
export function scaledWarmup(steps: number, fullUpdates: number, quickUpdates: number): number {
  if (steps === 0) return 0;
  return Math.max(1, Math.min(quickUpdates, Math.round((steps * quickUpdates) / fullUpdates)));
}

/**
 * `quick` (the quick grid of `full`) with every warm-up, the spec's and each recipe's, scaled from
 * the full study's longest run to the quick one's. Where either length is unknown ('all' samples),
 * the warm-up is capped at the quick run's updates so that it at least ends.
 */
export function scaleWarmups(full: AutoencoderSpecInput, quick: AutoencoderSpecInput): AutoencoderSpecInput {
  const out = structuredClone(quick);
  const base = (out.training ?? {}) as Training;
  const scale = (schedule: { warmupSteps?: number } | undefined, training: Training) => {
    const steps = schedule?.warmupSteps;
    if (schedule === undefined || steps === undefined || steps === 0) return;
    const q = longestRunUpdates(quick, training);
    const f = longestRunUpdates(full, training);
    if (q === null) return;
    schedule.warmupSteps = f === null ? Math.min(steps, q) : scaledWarmup(steps, f, q);
  };
  scale(base.schedule, base);
  for (const r of out.grid?.recipes ?? []) {
    const t = (r.training ?? {}) as Training;
    scale(t.schedule, { ...base, ...t, schedule: t.schedule ?? base.schedule });
  }
  return out;
}

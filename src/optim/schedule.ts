// Learning-rate schedules as multipliers of an optimizer's base rate, by step. `t` is the number
// of updates already applied (Keras' optimizer.iterations when the update is computed), so the
// first update sees t = 0.
import type { Parameter } from '../autodiff/tape.ts';

/** The factor the base learning rate is multiplied by for the update with index t (0-based). */
export type LearningRateSchedule = (t: number) => number;

export interface ScheduleOptions {
  /** Linear warm-up: update t uses (t + 1)/warmupSteps of the rate until t + 1 = warmupSteps. */
  readonly warmupSteps?: number;
  /** What follows the warm-up; its own step count starts at 0 when the warm-up ends. */
  readonly decay?: DecayOptions;
}

export type DecayOptions =
  | { readonly name: 'constant' }
  /** factor^floor(t / everySteps): Keras ExponentialDecay(staircase=True), PyTorch StepLR. */
  | { readonly name: 'step'; readonly everySteps: number; readonly factor: number }
  /** minFactor + (1 − minFactor)·½(1 + cos(π·min(t, steps)/steps)): Keras CosineDecay's alpha is minFactor. */
  | { readonly name: 'cosine'; readonly steps: number; readonly minFactor: number };

/** A warm-up followed by a decay; with no options, the constant schedule 1. */
export function learningRateSchedule(options: ScheduleOptions = {}): LearningRateSchedule {
  const warmup = options.warmupSteps ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0))
    throw new RangeError(`schedule: warmupSteps must be a non-negative integer, got ${warmup}`);
  const decay = decaySchedule(options.decay ?? { name: 'constant' });
  return (t) => (t < warmup ? (t + 1) / warmup : decay(t - warmup));
}

function decaySchedule(d: DecayOptions): LearningRateSchedule {
  switch (d.name) {
    case 'constant':
      return () => 1;
    case 'step': {
      if (!(Number.isInteger(d.everySteps) && d.everySteps > 0))
        throw new RangeError(
          `schedule: step decay everySteps must be a positive integer, got ${d.everySteps}`,
        );
      if (!(d.factor > 0 && d.factor <= 1))
        throw new RangeError(`schedule: step decay factor must be in (0, 1], got ${d.factor}`);
      return (t) => d.factor ** Math.floor(t / d.everySteps);
    }
    case 'cosine': {
      if (!(Number.isInteger(d.steps) && d.steps > 0))
        throw new RangeError(`schedule: cosine decay steps must be a positive integer, got ${d.steps}`);
      if (!(d.minFactor >= 0 && d.minFactor < 1))
        throw new RangeError(`schedule: cosine minFactor must be in [0, 1), got ${d.minFactor}`);
      return (t) =>
        d.minFactor + ((1 - d.minFactor) * (1 + Math.cos((Math.PI * Math.min(t, d.steps)) / d.steps))) / 2;
    }
  }
}

/** Learning-rate multipliers per parameter (a layer group's); parameters not in the map get 1. */
export type ParameterMultipliers = ReadonlyMap<Parameter, number>;

/** The schedule and group multipliers an optimizer applies on top of its base rate. */
export interface RateControl {
  readonly schedule?: LearningRateSchedule;
  readonly multipliers?: ParameterMultipliers;
}

export function checkRateControl(where: string, control: RateControl | undefined): void {
  for (const [p, m] of control?.multipliers ?? []) {
    if (!(Number.isFinite(m) && m >= 0))
      throw new RangeError(`${where}: the learning-rate multiplier of ${p.name} must be ≥ 0, got ${m}`);
  }
}

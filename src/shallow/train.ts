import type { ShallowAutoencoder } from './model.ts';
import { bestUnitOverlaps, overlapMatrix, subspaceOverlaps } from './overlap.ts';
import type { ShallowStepper } from './webgpu-trainer.ts';

export interface ShallowTrainOptions {
  /** Training samples, n × D row-major; step s uses sample s mod n (online SGD: one pass when n ≥ steps). */
  train: Float32Array;
  trainCount: number;
  test: Float32Array;
  testCount: number;
  steps: number;
  /** How many log-spaced steps to measure at (step 0 and the last step are always among them). */
  records: number;
  /** The top M principal components, M × D row-major (as Pca.components). */
  components: ArrayLike<number>;
  componentCount: number;
  /**
   * Online SGD on fresh samples (the authors' online=1): when given, every step trains on a new
   * sample this fills (D values) instead of training sample s mod trainCount.
   */
  draw?: (out: Float32Array) => void;
  /**
   * Steps somewhere else (the webgpu device, webgpu-trainer.ts): between records it runs the steps
   * and reads nothing; at a record it puts the parameters back into the model, which the host then
   * measures. `train` and `draw` are then the device's business (its source was given to it).
   */
  device?: ShallowStepper;
  /** Called after each measurement, e.g. for progress. */
  onRecord?: (record: ShallowRecord) => void;
  /**
   * Called with the step reached every PROGRESS_STEPS host steps between records: log-spaced
   * records leave an hour-long run minutes apart at the end.
   */
  onProgress?: (step: number) => void;
}

/** How many host steps pass between onProgress calls. */
export const PROGRESS_STEPS = 1 << 20;

export interface ShallowRecord {
  step: number;
  /** Mean over test samples and coordinates of (x − x̂)². */
  testMse: number;
  /** Per component: ‖projection of u_m on span{w^k}‖. */
  subspace: number[];
  /** Per component: max_k |ŵ^k·u_m|. */
  bestUnit: number[];
  /**
   * The overlap matrix |ŵ^k·u_m|, K × M row-major, when K ≤ 10 and M ≤ 10 (the authors log their
   * order parameters for K ≤ 10 only); absent otherwise.
   */
  overlap?: number[];
}

/** The largest K (and M) whose overlap matrix is kept at every record. */
export const OVERLAP_RECORD_LIMIT = 10;

export interface ShallowTrainResult {
  records: ShallowRecord[];
  /** |ŵ^k·u_m| at the end, K × M row-major; empty when diverged. */
  finalOverlap: number[];
  diverged: boolean;
}

/** 0 and round(10^(i·log10(steps)/(n−2))) for i = 0..n−2, deduplicated: log-spaced measurement steps. */
export function logSpacedSteps(steps: number, n: number): number[] {
  const out = new Set<number>([0]);
  const top = Math.log10(Math.max(1, steps));
  for (let i = 0; i <= n - 2; i++) out.add(Math.round(10 ** ((i * top) / Math.max(1, n - 2))));
  out.add(steps);
  return [...out].filter((s) => s <= steps).sort((a, b) => a - b);
}

type MeasureOptions = Pick<
  ShallowTrainOptions,
  'test' | 'testCount' | 'components' | 'componentCount' | 'onRecord' | 'onProgress'
>;

/** The ends of the stretches from `step` to `target`, at most PROGRESS_STEPS long each. */
function stretches(step: number, target: number): number[] {
  const ends: number[] = [];
  for (let s = step; s < target; s = Math.min(target, s + PROGRESS_STEPS))
    ends.push(Math.min(target, s + PROGRESS_STEPS));
  return ends;
}

/** A model's records: `measure(step)` records it, or returns false, recording nothing, when its weights are no longer finite. */
function recorder(model: ShallowAutoencoder, o: MeasureOptions) {
  const records: ShallowRecord[] = [];
  const measure = (step: number): boolean => {
    const testMse = model.meanSquaredError(o.test, o.testCount);
    // A step can return a finite loss (measured before it) and leave infinite weights behind; and
    // a ReLU unit whose weights are NaN outputs 0, so the test MSE stays finite without it.
    if (!Number.isFinite(testMse) || !model.isFinite()) return false;
    const vectors = Array.from({ length: model.k }, (_, k) => model.encoderVector(k));
    const matrix = overlapMatrix(vectors, o.components, o.componentCount);
    const small = model.k <= OVERLAP_RECORD_LIMIT && o.componentCount <= OVERLAP_RECORD_LIMIT;
    const record: ShallowRecord = {
      step,
      testMse,
      subspace: subspaceOverlaps(vectors, o.components, o.componentCount),
      bestUnit: bestUnitOverlaps(matrix, model.k, o.componentCount),
      ...(small ? { overlap: Array.from(matrix) } : {}),
    };
    records.push(record);
    o.onRecord?.(record);
    return true;
  };
  const result = (diverged: boolean): ShallowTrainResult => {
    const vectors = Array.from({ length: model.k }, (_, k) => model.encoderVector(k));
    return {
      records,
      // Empty when diverged: the weights are no longer numbers.
      finalOverlap: diverged ? [] : Array.from(overlapMatrix(vectors, o.components, o.componentCount)),
      diverged,
    };
  };
  return { measure, result };
}

/** Vanilla online SGD with measurements at log-spaced steps. Stops early, marked, if the loss or a parameter stops being finite. */
export function trainShallow(model: ShallowAutoencoder, o: ShallowTrainOptions): ShallowTrainResult {
  const d = model.d;
  const at = logSpacedSteps(o.steps, o.records);
  const { measure, result } = recorder(model, o);
  let step = 0;
  let diverged = false;
  const fresh = o.draw ? new Float32Array(d) : null;
  for (const target of at) {
    if (o.device) {
      // A diverged device run shows at the record: its test MSE is no longer finite.
      o.device.advance(step, target);
      step = target;
      o.device.pull();
    }
    for (const end of stretches(step, target)) {
      for (; step < end; step++) {
        if (fresh) o.draw!(fresh);
        const loss = fresh ? model.step(fresh, 0) : model.step(o.train, (step % o.trainCount) * d);
        if (!Number.isFinite(loss)) {
          diverged = true;
          break;
        }
      }
      if (diverged) break;
      if (end < target) o.onProgress?.(end);
    }
    if (diverged || !measure(step)) {
      diverged = true;
      break;
    }
  }
  return result(diverged);
}

/**
 * trainShallow for models that step side by side on one device (WebGpuShallowTrainer with all of
 * them): the same records for each, as if each trained alone with `device`. A model whose test MSE
 * stops being finite is marked diverged and no longer measured; the others go on.
 */
export function trainShallowSideBySide(
  models: readonly ShallowAutoencoder[],
  o: MeasureOptions & Pick<ShallowTrainOptions, 'steps' | 'records'> & { device: ShallowStepper },
): ShallowTrainResult[] {
  const at = logSpacedSteps(o.steps, o.records);
  const each = models.map((model) => ({ ...recorder(model, o), diverged: false }));
  let step = 0;
  for (const target of at) {
    o.device.advance(step, target);
    step = target;
    o.device.pull();
    for (const m of each) if (!m.diverged && !m.measure(step)) m.diverged = true;
    if (each.every((m) => m.diverged)) break;
  }
  return each.map((m) => m.result(m.diverged));
}

/**
 * trainShallow for models that train on one stream of fresh samples (the online runs of one seed,
 * whose draws do not depend on the model): each sample is drawn once and stepped by every model,
 * so a group of G models costs one draw and G steps a step instead of G draws. Each model gets the
 * records trainShallow gives it alone with the same `draw`. A model whose loss or test MSE stops
 * being finite is marked diverged and no longer stepped; the draws go on for the others.
 */
export function trainShallowOnOneStream(
  models: readonly ShallowAutoencoder[],
  o: MeasureOptions & Pick<ShallowTrainOptions, 'steps' | 'records'> & { draw: (out: Float32Array) => void },
): ShallowTrainResult[] {
  const d = models[0]?.d ?? 0;
  for (const m of models)
    if (m.d !== d)
      throw new Error(`trainShallowOnOneStream: models of D = ${m.d} and ${d} cannot share samples`);
  const at = logSpacedSteps(o.steps, o.records);
  const each = models.map((model) => ({ model, ...recorder(model, o), diverged: false }));
  const fresh = new Float32Array(d);
  let live = each;
  let step = 0;
  for (const target of at) {
    for (const end of stretches(step, target)) {
      for (; step < end && live.length > 0; step++) {
        o.draw(fresh);
        let lost = false;
        for (const m of live) {
          if (Number.isFinite(m.model.step(fresh, 0))) continue;
          m.diverged = true;
          lost = true;
        }
        if (lost) live = live.filter((m) => !m.diverged);
      }
      if (live.length === 0) break;
      if (end < target) o.onProgress?.(end);
    }
    step = target;
    for (const m of live) if (!m.measure(target)) m.diverged = true;
    live = live.filter((m) => !m.diverged);
    if (live.length === 0) break;
  }
  return each.map((m) => m.result(m.diverged));
}

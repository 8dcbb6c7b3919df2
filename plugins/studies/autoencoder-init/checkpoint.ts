import {
  type EarlyStopping,
  type FitResume,
  type Optimizer,
  packArrays,
  type RngState,
  type RunCheckpoints,
  type Sequential,
  unpackArrays,
  z,
} from 'nmfinit';
import type { RunSnapshot } from './result.ts';

// A run's checkpoint: what an uninterrupted run would carry from one epoch to the next. The
// header (JSON) holds the history, snapshots and rng; the payload holds the weights, the
// optimizer's buffers, early stopping's best weights and the sample order, bit for bit.

const num = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

const headerSchema = z.object({
  step: z.number().int(),
  layout: z.array(z.object({ type: z.enum(['f32', 'f64', 'u32']), length: z.number().int() })),
  history: z.object({
    loss: z.array(z.number()),
    valLoss: z.array(z.number()),
    initialLoss: num,
    initialValLoss: num,
  }),
  snapshots: z.array(z.object({ epoch: z.number().int(), testMse: num, reconstructions: z.string() })),
  rng: z.object({
    seed: z.number(),
    path: z.string(),
    generator: z.array(z.number()),
    spareNormal: z.number().nullable(),
  }),
  optimizerIterations: z.number().int(),
  /** Which optimizer buffers are present (per parameter, per buffer). */
  optimizerPresent: z.array(z.array(z.boolean())),
  earlyStopping: z
    .object({ wait: z.number(), bestEpoch: z.number(), stoppedEpoch: z.number(), hasBest: z.boolean() })
    .nullable(),
  initializerSeconds: z.number(),
});

export interface RunState {
  epoch: number;
  model: Sequential;
  optimizer: Optimizer;
  rng: { state(): RngState };
  order: Uint32Array;
  history: FitResume['history'];
  snapshots: readonly RunSnapshot[];
  earlyStopping: EarlyStopping | null;
  initializerSeconds: number;
}

export function saveCheckpoint(checkpoints: RunCheckpoints, s: RunState): void {
  const params = s.model.parameters;
  const opt = s.optimizer.saveState(params);
  const weights = s.model.getWeights().flatMap((w) => [w.kernel, w.bias]);
  const es = s.earlyStopping?.state() ?? null;
  const best = es?.bestWeights?.flatMap((w) => [w.kernel, w.bias]) ?? [];
  const optBuffers = opt.buffers.flat().filter((b): b is Float32Array => b !== null);
  const { layout, bytes } = packArrays([
    ...weights,
    ...optBuffers,
    ...best,
    new Float64Array([es?.best ?? Number.NaN]),
    s.order,
  ]);
  checkpoints.save(
    s.epoch,
    {
      layout,
      history: s.history,
      snapshots: s.snapshots,
      rng: s.rng.state(),
      optimizerIterations: opt.iterations,
      optimizerPresent: opt.buffers.map((bs) => bs.map((b) => b !== null)),
      earlyStopping: es && {
        wait: es.wait,
        bestEpoch: es.bestEpoch,
        stoppedEpoch: es.stoppedEpoch,
        hasBest: es.bestWeights !== null,
      },
      initializerSeconds: s.initializerSeconds,
    },
    bytes,
  );
}

export interface Restored {
  epoch: number;
  rng: RngState;
  resume: FitResume;
  snapshots: RunSnapshot[];
  initializerSeconds: number;
  file: string;
}

/**
 * Loads the newest usable checkpoint into the model, optimizer and early stopping; null when
 * there is none (the run starts from scratch). A checkpoint whose arrays do not fit the model is
 * passed over like a corrupt one.
 */
export function restoreCheckpoint(
  checkpoints: RunCheckpoints,
  model: Sequential,
  optimizer: Optimizer,
  earlyStopping: EarlyStopping | null,
  log: (m: string) => void,
): Restored | null {
  const ck = checkpoints.latest(headerSchema);
  if (!ck) return null;
  const h = ck.header;
  try {
    const arrays = unpackArrays(h.layout, ck.payload);
    let i = 0;
    const take = () => arrays[i++] as Float32Array;
    const layers = model.getWeights().length;
    const weights = Array.from({ length: layers }, () => ({ kernel: take(), bias: take() }));
    const buffers = h.optimizerPresent.map((bs) => bs.map((present) => (present ? take() : null)));
    const best =
      h.earlyStopping?.hasBest === true
        ? Array.from({ length: layers }, () => ({ kernel: take(), bias: take() }))
        : null;
    const bestValue = (arrays[i++] as Float64Array)[0];
    const order = arrays[i++] as Uint32Array;
    if (!(order instanceof Uint32Array) || i !== arrays.length) throw new Error('unexpected layout');
    model.setWeights(weights, `checkpoint ${ck.file}`);
    optimizer.loadState(model.parameters, { iterations: h.optimizerIterations, buffers });
    if (earlyStopping && h.earlyStopping) {
      earlyStopping.loadState({
        wait: h.earlyStopping.wait,
        best: bestValue,
        bestEpoch: h.earlyStopping.bestEpoch,
        stoppedEpoch: h.earlyStopping.stoppedEpoch,
        bestWeights: best,
      });
    }
    return {
      epoch: h.step,
      rng: h.rng,
      resume: { epoch: h.step, order, history: h.history },
      snapshots: h.snapshots,
      initializerSeconds: h.initializerSeconds,
      file: ck.file,
    };
  } catch (e) {
    log(`checkpoint ${ck.file} does not fit this run (${(e as Error).message}); starting from scratch`);
    return null;
  }
}

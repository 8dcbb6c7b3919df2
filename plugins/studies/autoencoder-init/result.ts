import { z } from 'nmfinit';
import type { AutoencoderRun } from './grid.ts';

// JSON writes NaN and ±Infinity as null; they are read back as NaN.
const lossValue = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

/** What one autoencoder run stores: its history, its divergence record and its snapshots. */
export const autoencoderResultSchema = z.object({
  trainSamples: z.number().int(),
  valSamples: z.number().int(),
  history: z.object({
    loss: z.array(lossValue),
    valLoss: z.array(lossValue),
    initialLoss: lossValue,
    initialValLoss: lossValue,
  }),
  /** Where the loss became NaN/Inf; the history ends before it. */
  diverged: z.object({ epoch: z.number(), batch: z.number().nullable(), loss: lossValue }).nullable(),
  /** Indices (in the test split) of the images whose reconstructions are kept. */
  displayIndices: z.array(z.number().int()),
  snapshots: z.array(
    z.object({
      epoch: z.number().int(),
      testMse: lossValue,
      /** Reconstructions of the display images, displayIndices.length × d float32, base64. */
      reconstructions: z.string(),
    }),
  ),
  timing: z.object({ initializerSeconds: z.number(), trainingSeconds: z.number() }),
  /** Only with an early-stopping callback that stopped the run: where, and the final model's test MSE. */
  earlyStopping: z
    .object({
      stoppedEpoch: z.number().int(),
      bestEpoch: z.number().int(),
      restoredBestWeights: z.boolean(),
      testMse: lossValue,
    })
    .optional(),
});

export type AutoencoderResult = z.output<typeof autoencoderResultSchema>;
export type RunSnapshot = AutoencoderResult['snapshots'][number];

/** A stored run with its result's fields at the top, as the report reads it. */
export type RunResult = AutoencoderResult & { id: string; config: AutoencoderRun };

/** Validation loss at epochs 0..E of one run (epoch 0 = before training); NaN after divergence. */
export function valCurve(run: RunResult, epochs: number): number[] {
  const curve = [run.history.initialValLoss, ...run.history.valLoss];
  return Array.from({ length: epochs + 1 }, (_, e) =>
    e < curve.length && curve[e] !== null ? curve[e] : Number.NaN,
  );
}

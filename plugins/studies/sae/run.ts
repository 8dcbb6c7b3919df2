import {
  dataMoments,
  dictionaries,
  geometricMedianPreBias,
  matchedCosines,
  meanMaxCosine,
  type RunContext,
  rescaleEncoder,
  SparseAutoencoder,
  trainSae,
  untieEncoder,
  z,
} from 'nmfinit';
import type { SaeData } from './data.ts';
import { runFraction, settlingMessage } from './progress.ts';
import type { SaeRun } from './spec.ts';

const recordSchema = z
  .object({
    step: z.number().int(),
    samples: z.number().int(),
    /** The training loss of the step before the record; null before the first step. */
    loss: z.number().nullable(),
    normalizedMse: z.number(),
    l0: z.number(),
    deadFraction: z.number(),
  })
  .strict();

const atomSchema = z
  .object({ latent: z.number().int(), frequency: z.number(), atom: z.array(z.number()) })
  .strict();

export const saeResultSchema = z
  .object({
    records: z.array(recordSchema),
    final: z
      .object({
        normalizedMse: z.number(),
        l0: z.number(),
        /** Dead by the training counter (no firing in the last deadSamples training samples). */
        deadFraction: z.number(),
        /** Latents that never fired on the evaluation set. */
        neverFiredFraction: z.number(),
      })
      .strict(),
    histogram: z
      .object({ edges: z.array(z.number()), counts: z.array(z.number()), neverFired: z.number() })
      .strict(),
    /** Mean max cosine of the planted directions with the atoms; null without planted directions. */
    recovery: z.number().nullable(),
    /**
     * Recovery by optimal one-to-one matching (Hungarian) of atoms to planted directions: mean
     * matched cosine and the fraction above 0.9; null without planted directions. Absent from
     * runs stored before issue 23.
     */
    matching: z
      .object({ meanCosine: z.number(), fractionAbove: z.number(), threshold: z.number() })
      .strict()
      .nullable()
      .optional(),
    /** Epochs trained (more than the spec's `epochs` when `settle` extended them); absent before issue 23. */
    epochsTrained: z.number().int().optional(),
    /** Most and least used atoms on the evaluation set (runs of the first seed only). */
    atoms: z.object({ most: z.array(atomSchema), least: z.array(atomSchema) }).strict(),
    steps: z.number().int(),
    seconds: z.number(),
    samplesPerSecond: z.number(),
  })
  .strict();

export type SaeResult = z.output<typeof saeResultSchema>;

const round = (v: number) => Number(v.toPrecision(5));

export async function executeSae(run: SaeRun, data: SaeData, ctx: RunContext): Promise<SaeResult> {
  const ds = data[run.dataset];
  const { d } = ds;
  const n = run.latents;
  const plugin = dictionaries.get(run.dictionary);
  const atoms = await plugin.init({
    latents: n,
    inputDim: d,
    data: { x: ds.train, rows: ds.trainRows },
    params: dictionaries.parseParams(plugin, run.dictionaryParams),
    rng: ctx.rng.child('dictionary'),
    cacheDir: ctx.cacheDir,
    log: (message) => ctx.emit({ type: 'log', message }),
  });
  const model = new SparseAutoencoder(ctx.backend, { inputDim: d, latents: n, k: run.k });
  try {
    const preBias =
      run.preBiasInit === 'geometric-median'
        ? geometricMedianPreBias(ds.train, ds.trainRows, d)
        : dataMoments(ds.train, ds.trainRows, d).mean;
    model.setDictionary(atoms, preBias);
    if (run.tiedStart === false) untieEncoder(model, ctx.rng.child('encoder'));
    if (run.encoderRescale) rescaleEncoder(model, ctx.rng.child('encoder-rescale'));
    const stepsPerEpoch = Math.floor(ds.trainRows / run.batchSize);
    const minimumSteps = stepsPerEpoch * run.epochs;
    let settling = false;
    const trained = trainSae(
      model,
      ds.train,
      ds.trainRows,
      {
        epochs: run.epochs,
        batchSize: run.batchSize,
        learningRate: run.learningRate ?? undefined,
        auxCoefficient: run.aux ? run.auxCoefficient : 0,
        kAux: run.kAux,
        deadSamples: run.deadSamples,
        recordEvery: run.recordEvery,
        evalSet: { x: ds.eval, rows: ds.evalRows },
        adamEpsilon: run.adamEpsilon,
        auxResidual: run.auxResidual,
        auxPreBias: run.auxPreBias,
        decoderNormalization: run.decoderNormalization,
        settle: run.settle,
      },
      ctx.rng.child('train'),
      (r) => {
        if (run.settle && !settling && r.step > minimumSteps) {
          settling = true;
          ctx.emit({ type: 'log', message: settlingMessage(run.epochs, run.settle.maxEpochs) });
        }
        ctx.emit({
          type: 'progress',
          fraction: runFraction(r.step, stepsPerEpoch, run.epochs, !!run.settle),
        });
      },
    );
    const last = trained.records[trained.records.length - 1];
    const freq = trained.frequencies;
    const wd = model.decoderKernel.value.data;
    const order = Array.from({ length: n }, (_, j) => j);
    // Most used first; ties by index, so the choice is deterministic.
    order.sort((a, b) => freq[b] - freq[a] || a - b);
    const shown = Math.min(run.atomsShown, Math.floor(n / 2));
    const atom = (j: number) => ({
      latent: j,
      frequency: freq[j],
      atom: Array.from(wd.subarray(j * d, (j + 1) * d), round),
    });
    return {
      records: trained.records.map((r) => ({ ...r, loss: Number.isFinite(r.loss) ? r.loss : null })),
      final: {
        normalizedMse: last.normalizedMse,
        l0: last.l0,
        deadFraction: last.deadFraction,
        neverFiredFraction: trained.histogram.neverFired / n,
      },
      histogram: trained.histogram,
      recovery: ds.truth ? meanMaxCosine(wd, n, ds.truth, ds.truthCount, d) : null,
      matching: ds.truth ? matchedCosines(wd, n, ds.truth, ds.truthCount, d) : null,
      epochsTrained: trained.epochs,
      atoms: {
        most: order.slice(0, shown).map(atom),
        least: order
          .slice(n - shown)
          .reverse()
          .map(atom),
      },
      steps: trained.steps,
      seconds: trained.seconds,
      samplesPerSecond: (trained.steps * run.batchSize) / Math.max(trained.seconds, 1e-9),
    };
  } finally {
    model.dispose();
  }
}

// results.json of the autoencoder study: its schema, checked by the tests and by readers of the
// file, and bumped on any incompatible change.
import { claimJson, provenanceSchema, TEST_NAMES, verdictJson, z } from 'nmfinit';

// 2: verdicts per result set and the claim's summary.
export const RESULTS_SCHEMA = 'nmfinit.results/2' as const;

const finiteOrNull = z.number().nullable();
const samplesField = z.union([z.number(), z.literal('all')]);
const testName = z.enum(TEST_NAMES);

/** The schema of results.json; `schema` is bumped on any incompatible change. */
export const resultsFileSchema = z
  .object({
    schema: z.literal(RESULTS_SCHEMA),
    /** Stamped by the shared machinery after the report is written (absent only before). */
    nmfinit: provenanceSchema.optional(),
    generatedAt: z.string(),
    environment: z.object({
      node: z.string(),
      platform: z.string(),
      cpu: z.string(),
      cores: z.number().int().positive(),
      backends: z.array(z.string()),
    }),
    spec: z.looseObject({ name: z.string() }),
    pca: z.array(
      z.object({
        datasetLabel: z.string(),
        samples: samplesField,
        rank: z.number().int(),
        trainSamples: z.number().int(),
        valSamples: z.number().int(),
        trainMse: z.number(),
        valMse: z.number(),
        seconds: z.number(),
      }),
    ),
    runs: z.array(
      z.object({
        id: z.string(),
        dataset: z.string(),
        samples: samplesField,
        initializer: z.string(),
        initializerParams: z.record(z.string(), z.unknown()),
        seed: z.number().int(),
        backend: z.string(),
        epochs: z.number().int(),
        trainSamples: z.number().int(),
        valSamples: z.number().int(),
        initialLoss: finiteOrNull,
        initialValLoss: finiteOrNull,
        loss: z.array(finiteOrNull),
        valLoss: z.array(finiteOrNull),
        testMse: z.array(z.object({ epoch: z.number().int(), mse: finiteOrNull })),
        diverged: z
          .object({ epoch: z.number().int(), batch: z.number().int().nullable(), loss: finiteOrNull })
          .nullable(),
        initializerSeconds: z.number(),
        trainingSeconds: z.number(),
      }),
    ),
    resultSets: z.array(
      z.object({
        dataset: z.string(),
        samples: samplesField,
        epochs: z.number().int(),
        seeds: z.number().int(),
        lossPlot: z.string(),
        reconstructionGrid: z.string(),
        /** Null where fewer than two initializers have runs. */
        verdict: verdictJson.nullable(),
      }),
    ),
    /** The seed's claim, judged once per data set × samples (its epochs ≤ 10 are shared by every epoch count). */
    claim: z
      .object({
        statement: z.string(),
        test: testName,
        testReason: z.string(),
        resultSets: z.array(
          z.object({ dataset: z.string(), samples: samplesField, verdict: claimJson }).strict(),
        ),
      })
      .strict(),
  })
  .strict();

export type ResultsFile = z.infer<typeof resultsFileSchema>;

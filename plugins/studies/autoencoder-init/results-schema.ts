// results.json of the autoencoder study: its schema, checked by the tests and by readers of the
// file, and bumped on any incompatible change.
import { provenanceSchema, TEST_NAMES, z } from 'nmfinit';

// 2: verdicts per result set and the claim's summary.
export const RESULTS_SCHEMA = 'nmfinit.results/2' as const;

const finiteOrNull = z.number().nullable();
const samplesField = z.union([z.number(), z.literal('all')]);
const testName = z.enum(TEST_NAMES);

/** A claim's verdict on one result set (or one data set × samples pair), as results.json keeps it. */
export const claimJson = z
  .object({
    status: z.enum(['supported', 'contradicted', 'inconclusive', 'untested', 'not-applicable']),
    subject: z.string(),
    rivals: z.array(z.string()),
    epochs: z.array(
      z
        .object({
          epoch: z.number().int(),
          outcome: z.enum(['best', 'behind', 'undecided', 'untested']),
          versus: z.string(),
          pValue: z.number().nullable(),
        })
        .strict(),
    ),
    sentence: z.string(),
  })
  .strict();

/** The generated verdict on one result set: per reported epoch the ranking and every p-value. */
export const verdictJson = z
  .object({
    test: testName,
    epochs: z.array(
      z
        .object({
          epoch: z.number().int(),
          best: z.string(),
          runnerUp: z.string(),
          margin: z.object({ absolute: z.number(), relative: z.number() }).strict(),
          pValue: z.number().nullable(),
          significant: z.object({ at05: z.boolean(), at01: z.boolean() }).strict(),
          ranking: z.array(
            z
              .object({ label: z.string(), mean: z.number(), sd: z.number(), seeds: z.array(z.string()) })
              .strict(),
          ),
          /** Each initializer against the best other; `tests` holds all four tests (statistic null when degenerate). */
          comparisons: z.array(
            z
              .object({
                label: z.string(),
                versus: z.string(),
                pairedSeeds: z.array(z.string()),
                pValue: z.number().nullable(),
                tests: z
                  .record(testName, z.object({ pValue: z.number(), statistic: finiteOrNull }).strict())
                  .nullable(),
              })
              .strict(),
          ),
          sentence: z.string(),
        })
        .strict(),
    ),
    claim: claimJson,
  })
  .strict();

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

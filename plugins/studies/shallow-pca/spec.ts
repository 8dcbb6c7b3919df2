import {
  duplicateLabels,
  type GridAxis,
  type PlannedBuffer,
  SHALLOW_ACTIVATIONS,
  SHALLOW_BIASES,
  studyOutputsFields,
  studySpecFields,
  TIED_GRADIENTS,
  z,
} from 'nmfinit';

const positiveInt = z.number().int().positive();

/**
 * Where biases sit: 'none', 'encoder' (b^k inside g: the authors' model), 'decoder' (an output
 * bias c only) or 'both'. The booleans of earlier specs stay valid: false is 'none', true is
 * 'encoder' ('both' with the legacy outputBias: true).
 */
const biasEntry = z.union([z.enum(SHALLOW_BIASES), z.boolean()], {
  error: () =>
    `expected one of ${SHALLOW_BIASES.map((b) => `'${b}'`).join(', ')} (or a boolean: false = 'none', true = 'encoder')`,
});

const datasetEntry = z
  .object({
    /** Names the data set in run ids, figures and the report. */
    label: z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only'),
    /** The data set's name in figure titles and report headings (default: the label). */
    title: z.string().min(1).optional(),
    /** A registered dataset plugin, with its parameters. */
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    trainCount: positiveInt,
    testCount: positiveInt,
    /** Hidden units K (and the PCA rank compared with). */
    k: positiveInt,
    /** Online-SGD steps per run (sample s mod trainCount at step s). */
    steps: positiveInt,
    /** The learning constant η (scaled per parameter as in ShallowAutoencoder). */
    lr: z.number().positive(),
    /**
     * 'paper': the authors' preparation of images: divide by twice the overall standard deviation
     * and subtract the overall mean (scalars; pixels keep their own means), with the PCA line
     * taken from the second moment as theirs is. 'authors': as their src/utils.py preprocessData
     * does it, each split by its own scalars, PCA line as 'paper'. 'standardize': subtract every
     * pixel's training mean, then divide by twice the overall standard deviation (centred data,
     * ordinary PCA).
     */
    preprocess: z.enum(['none', 'standardize', 'paper', 'authors']).default('none'),
    /**
     * Online SGD on fresh samples, as the authors' online=1 (train_autoencoder.py draws each
     * step's input anew): every step draws a new sample from the data set's law (spiked-gaussian
     * only; trainCount samples still give the PCA line). Default false: sample s mod trainCount.
     */
    online: z.boolean().optional(),
  })
  .strict();

/** Another stored shallow-pca study, by its results folder and the words that name it in the report. */
const storedStudy = z
  .object({
    /** A path as given (relative to where the report is written from). */
    dir: z.string().min(1),
    title: z.string().min(1),
  })
  .strict();

export const shallowPcaSpecSchema = z
  .object({
    ...studySpecFields('shallow-pca'),
    datasets: z.array(datasetEntry).min(1),
    model: z
      .object({
        activations: z.array(z.enum(SHALLOW_ACTIVATIONS)).min(1).default(['linear', 'relu', 'erf']),
        tied: z.array(z.boolean()).min(1).default([true, false]),
        biases: z.array(biasEntry).min(1).default(['none', 'encoder']),
        /** Standard deviation of the initial weights (the authors' default 0.1). */
        initStd: z.number().positive().default(0.1),
        /**
         * Tied runs: 'full' (absent) steps W along both its uses; 'encoder' along the encoder's
         * alone, the decoder reading W as a constant, as the authors' tied model does
         * (src/shallow/model.ts ShallowOptions.tiedGradient).
         */
        tiedGradient: z.enum(TIED_GRADIENTS).optional(),
        /** Legacy: maps a `true` entry of `biases` to 'both' instead of 'encoder'. */
        outputBias: z.boolean().default(false),
      })
      .strict()
      .transform(({ outputBias, ...m }) => ({
        ...m,
        biases: [
          ...new Set(
            m.biases.map((b) => (b === false ? 'none' : b === true ? (outputBias ? 'both' : 'encoder') : b)),
          ),
        ],
      }))
      .default({
        activations: ['linear', 'relu', 'erf'],
        tied: [true, false],
        biases: ['none', 'encoder'],
        initStd: 0.1,
      }),
    seeds: positiveInt.default(3),
    /** Measurements per run, at log-spaced steps. */
    records: z.number().int().min(3).max(1000).default(40),
    /** "Reaches the PCA error": final test MSE ≤ (1 + tolerance)·PCA-K error. */
    tolerance: z.number().positive().default(0.1),
    /** A component counts as learned once its overlap reaches this. */
    overlapThreshold: z.number().gt(0).lt(1).default(0.5),
    outputs: z
      .object({
        ...studyOutputsFields,
        /**
         * Another stored shallow-pca study whose verdicts the report sets next to this one's,
         * claim by claim (the authors' setup against today's, issue 23). A path as given (relative
         * to where the report is written from) and the words that name it in the report.
         */
        compareWith: storedStudy.optional(),
        /**
         * A one-at-a-time ablation whose verdicts the report sets side by side: a baseline study
         * and studies that each move one setting of it (towards this study's), so each claim names
         * the settings that turn its verdict (issue 23). `title` of a moved study names the setting.
         */
        ablation: z
          .object({ baseline: storedStudy, moved: z.array(storedStudy).min(1) })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

export type ShallowPcaSpec = z.output<typeof shallowPcaSpecSchema>;
export type ShallowPcaDataset = ShallowPcaSpec['datasets'][number];
export type ShallowPcaSpecInput = z.input<typeof shallowPcaSpecSchema>;

/** Data sets × activations × tied × biases × seeds: the runs `expandRuns` gives. */
export function shallowPcaGridAxes(spec: ShallowPcaSpec): GridAxis[] {
  return [
    { field: 'datasets', size: spec.datasets.length },
    { field: 'model.activations', size: spec.model.activations.length },
    { field: 'model.tied', size: spec.model.tied.length },
    { field: 'model.biases', size: spec.model.biases.length },
    { field: 'seeds', size: spec.seeds },
  ];
}

/**
 * The samples and the K hidden units, each at least one float per pixel (the pixel count is the
 * data's, known in prepare, which also refuses K above it).
 */
export function shallowPcaBuffers(spec: ShallowPcaSpec): PlannedBuffer[] {
  return spec.datasets.flatMap((d, i) => [
    { field: `datasets[${i}].trainCount`, what: `${d.trainCount} training samples`, floats: d.trainCount },
    { field: `datasets[${i}].testCount`, what: `${d.testCount} test samples`, floats: d.testCount },
    { field: `datasets[${i}].k`, what: `the weights of ${d.k} hidden units`, floats: d.k },
  ]);
}

/** Labels and grid values become run ids: each must be given once. */
export function checkShallowPca(spec: ShallowPcaSpec): ShallowPcaSpec {
  const problems = [
    ...duplicateLabels(
      spec.datasets.map((d) => d.label),
      (i) => `datasets[${i}].label`,
    ),
    ...duplicateLabels(spec.model.activations, (i) => `model.activations[${i}]`),
    ...duplicateLabels(spec.model.tied.map(String), (i) => `model.tied[${i}]`),
  ];
  spec.datasets.forEach((d, i) => {
    if (d.online && d.name !== 'spiked-gaussian')
      problems.push(
        `datasets[${i}].online: fresh samples need a law to draw from; only 'spiked-gaussian' has one here, not '${d.name}'`,
      );
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return spec;
}

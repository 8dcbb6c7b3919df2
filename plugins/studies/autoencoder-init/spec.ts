import { ACTIVATIONS, studyOutputsFields, studySpecFields, z } from 'nmfinit';
import { targetSpec } from './target.ts';

/** The name of this study kind; specs that name no kind are of this one. */
export const AUTOENCODER_KIND = 'autoencoder-init';

// An experiment is plain data: this schema is its single definition. Every object is strict,
// so a misspelt key is an error that names its path, not a silently ignored setting.

const pluginRef = z
  .object({
    /** The registered plugin name. */
    name: z.string().min(1),
    /** Parameters for the plugin; validated against the plugin's own schema before any training. */
    params: z.record(z.string(), z.unknown()).default({}),
    /** How the plugin is named in file names, plots and tables (default: its name). */
    label: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'labels may contain letters, digits, ".", "_" and "-" only')
      .optional(),
  })
  .strict();

const activation = z.enum(ACTIVATIONS);

const adamSpec = z
  .object({
    name: z.literal('adam'),
    learningRate: z.number().positive().default(1e-3),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
  })
  .strict();

const sgdSpec = z
  .object({
    name: z.literal('sgd'),
    learningRate: z.number().positive().default(0.01),
    momentum: z.number().min(0).lt(1).default(0),
    nesterov: z.boolean().default(false),
  })
  .strict();

/**
 * Learning-rate schedule: a linear warm-up over `warmupSteps` updates, then a decay whose own
 * count starts when the warm-up ends. Epochs are converted to updates with the run's batches per epoch.
 */
export const scheduleSpec = z
  .object({
    warmupSteps: z.number().int().min(0).default(0),
    decay: z
      .discriminatedUnion('name', [
        z.object({ name: z.literal('constant') }).strict(),
        z
          .object({
            name: z.literal('step'),
            /** Multiply the rate by `factor` every `everyEpochs` epochs (staircase). */
            everyEpochs: z.number().int().positive(),
            factor: z.number().gt(0).max(1).default(0.1),
          })
          .strict(),
        z
          .object({
            name: z.literal('cosine'),
            /** Epochs the cosine spans (default: the whole run after the warm-up); the rate stays at minFactor after. */
            epochs: z.number().int().positive().optional(),
            minFactor: z.number().min(0).lt(1).default(0),
          })
          .strict(),
      ])
      .prefault({ name: 'constant' }),
  })
  .strict();

/** A learning-rate multiplier for some layers' parameters (layer indices from 0; −1 is the output layer). */
export const parameterGroupSpec = z
  .object({
    layers: z.array(z.number().int()).min(1),
    params: z.enum(['all', 'kernel', 'bias']).default('all'),
    multiplier: z.number().min(0),
  })
  .strict();

/** What a recipe may change: the optimization, never the data split (the PCA references depend on it). */
const recipeTraining = z
  .object({
    optimizer: z.discriminatedUnion('name', [adamSpec, sgdSpec]).optional(),
    batchSize: z.number().int().positive().optional(),
    schedule: scheduleSpec.optional(),
    parameterGroups: z.array(parameterGroupSpec).min(1).optional(),
  })
  .strict();

const labelText = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'labels may contain letters, digits, ".", "_" and "-" only');

/** A training recipe of the grid: `training` with these fields replaced, for every initializer alike. */
const recipeSpec = z.object({ label: labelText, training: recipeTraining.default({}) }).strict();

/** Keras' EarlyStopping (see src/train/early-stopping.ts); changes the numbers, so part of a run's identity. */
const earlyStoppingSpec = z
  .object({
    name: z.literal('early-stopping'),
    monitor: z.enum(['val_loss', 'loss']).default('val_loss'),
    minDelta: z.number().nonnegative().default(0),
    patience: z.number().int().nonnegative().default(0),
    restoreBestWeights: z.boolean().default(false),
    startFromEpoch: z.number().int().nonnegative().default(0),
    baseline: z.number().optional(),
  })
  .strict();

/** Weights, optimizer, rng and history saved every `every` epochs; an interrupted run resumes from the last. */
const modelCheckpointSpec = z
  .object({ name: z.literal('model-checkpoint'), every: z.number().int().positive().default(1) })
  .strict();

/** 'all' means every training sample of the data set. */
const sampleCount = z.union([z.number().int().positive(), z.literal('all')]);

const samplesEntry = z
  .object({
    count: sampleCount,
    /** Seeds for result sets of this size (mean ± sd across them in plots and tables). */
    seeds: z.number().int().positive().default(1),
  })
  .strict();

export const autoencoderSpecSchema = z
  .object({
    ...studySpecFields(AUTOENCODER_KIND),
    datasets: z.array(pluginRef).min(1),
    model: z
      .object({
        /** Layer sizes, input first; the output size equals the input size. */
        sizes: z.array(z.number().int().positive()).min(2),
        hidden: activation.default('relu'),
        output: activation.default('sigmoid'),
      })
      .strict(),
    initializers: z.array(pluginRef).min(1),
    training: z
      .object({
        optimizer: z.discriminatedUnion('name', [adamSpec, sgdSpec]).prefault({ name: 'adam' }),
        loss: z.enum(['mse', 'bce']).default('mse'),
        batchSize: z.number().int().positive().default(256),
        /** The last fraction of the given samples validates (Keras validation_split). */
        validationSplit: z.number().gt(0).lt(1).default(0.33),
        shuffle: z.boolean().default(true),
        /** Absent: the base rate throughout (optional, so specs without it keep their run hashes). */
        schedule: scheduleSpec.optional(),
        /** Learning-rate multipliers per layer group; a layer and parameter in no group gets 1. */
        parameterGroups: z.array(parameterGroupSpec).min(1).optional(),
        /** Keras-style callbacks, at most one of each. */
        callbacks: z.array(z.discriminatedUnion('name', [earlyStoppingSpec, modelCheckpointSpec])).optional(),
      })
      .strict()
      .prefault({}),
    /** What data-aware initializers see: `samples` rows drawn from the training split of each run. */
    initializerData: z
      .object({ samples: z.number().int().positive().default(1000) })
      .strict()
      .prefault({}),
    grid: z
      .object({
        /** Training-set sizes: the first `count` samples of the training split. */
        samples: z.array(samplesEntry).min(1),
        /** Result sets per epoch count; each run trains max(epochs) and is read at every count. */
        epochs: z.array(z.number().int().positive()).min(1),
        /** Training recipes, each run by every initializer; absent: the one `training`. */
        recipes: z.array(recipeSpec).min(1).optional(),
      })
      .strict(),
    outputs: z
      .object({
        ...studyOutputsFields,
        /** Epochs shown in the report's table (those beyond the longest run are dropped). */
        tableEpochs: z.array(z.number().int().min(0)).default([0, 1, 2, 5, 10, 50]),
        /** Validation MSE for the "epochs to threshold" column; default: the best baseline's mean at epoch 10 (or the set's last). */
        lossThreshold: z.number().positive().optional(),
        /** Rank of the PCA reference line; default: the narrowest layer. */
        pcaRank: z.number().int().positive().optional(),
        /** Loss axis of the plots: losses span two orders of magnitude, so log reads best. */
        /** 'auto': log where the plotted losses span more than a decade, linear otherwise. */
        lossScale: z.enum(['log', 'linear', 'auto']).default('auto'),
        /**
         * Judge the seed's claim (NMF better, sooner) in the report; false for studies built to test
         * something else. Absent means true (optional, so existing specs echo unchanged).
         */
        claim: z.boolean().optional(),
        /** A target to judge (candidates against baselines); its verdict is generated into report.md. */
        target: targetSpec.optional(),
        /** Export each run's trained weights: `<dir>/weights/<run id>.safetensors` (loadSafetensors reads it). */
        weights: z.enum(['safetensors']).optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const sizes = spec.model.sizes;
    if (sizes[0] !== sizes[sizes.length - 1]) {
      ctx.addIssue({
        code: 'custom',
        path: ['model', 'sizes'],
        message: `the output size ${sizes[sizes.length - 1]} must equal the input size ${sizes[0]}`,
      });
    }
    const unique = (path: string, labels: string[]) => {
      const seen = new Set<string>();
      labels.forEach((l, i) => {
        if (seen.has(l)) ctx.addIssue({ code: 'custom', path: [path, i], message: `duplicate label '${l}'` });
        seen.add(l);
      });
    };
    unique(
      'datasets',
      spec.datasets.map((d) => d.label ?? d.name),
    );
    unique(
      'initializers',
      spec.initializers.map((d) => d.label ?? d.name),
    );
    spec.grid.recipes?.forEach((r, i) => {
      if (spec.grid.recipes?.findIndex((o) => o.label === r.label) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['grid', 'recipes', i, 'label'],
          message: `duplicate recipe '${r.label}'`,
        });
    });
    spec.grid.epochs.forEach((e, i) => {
      if (spec.grid.epochs.indexOf(e) !== i)
        ctx.addIssue({ code: 'custom', path: ['grid', 'epochs', i], message: `duplicate epoch count ${e}` });
    });
    (spec.training.callbacks ?? []).forEach((c, i) => {
      if (spec.training.callbacks!.findIndex((d) => d.name === c.name) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['training', 'callbacks', i],
          message: `a second '${c.name}' callback; give each callback once`,
        });
    });
    const counts = new Set<string>();
    spec.grid.samples.forEach((s, i) => {
      const key = String(s.count);
      if (counts.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['grid', 'samples', i, 'count'],
          message: `duplicate count ${key}`,
        });
      counts.add(key);
    });
  });

/** A spec as written (defaults optional). */
export type AutoencoderSpecInput = z.input<typeof autoencoderSpecSchema>;
/** A validated spec with every default filled in. */
export type AutoencoderSpec = z.output<typeof autoencoderSpecSchema>;
export type PluginRef = z.output<typeof pluginRef>;

export const labelOf = (ref: { name: string; label?: string }): string => ref.label ?? ref.name;

// Data sets in titles by their display names: shared by every kind (src/report/display-names.ts).
export { displayNames } from 'nmfinit';

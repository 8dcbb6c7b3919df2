import { type CliOverride, gridPoints, initializers } from 'nmfinit';
import { scaleWarmups } from './quick-schedule.ts';
import { type AutoencoderSpec, type AutoencoderSpecInput, labelOf, type PluginRef } from './spec.ts';

/** One training run: a data set × training-set size × initializer × seed, trained max(epochs). */
export interface AutoencoderRun {
  id: string;
  seed: number;
  /** The backend that runs it, resolved ('auto' becomes a name): numbers are per backend. */
  backend: string;
  experiment: string;
  dataset: PluginRef;
  datasetLabel: string;
  samples: number | 'all';
  initializer: PluginRef;
  initializerLabel: string;
  /** Epochs trained: the longest result set. Shorter sets read its prefix. */
  epochs: number;
  /** Epochs at which test MSE and reconstructions are recorded (0 = before training). */
  snapshotEpochs: number[];
  model: AutoencoderSpec['model'];
  /** The spec's training with the run's recipe applied. */
  training: AutoencoderSpec['training'];
  /** The recipe's label, when the grid has recipes (absent otherwise, so older run hashes stay). */
  recipe?: string;
  /** Rows of the training split a data-aware initializer sees; absent for data-free ones. */
  initData?: { samples: number };
  /** Save a checkpoint every this many epochs (from a 'model-checkpoint' callback). */
  checkpointEvery?: number;
  /** Files the run writes besides its result (outputs.weights); not part of its identity. */
  exports?: { weights?: 'safetensors' };
}

/** A result set of the report: one plot and one grid. */
export interface ResultSet {
  datasetLabel: string;
  samples: number | 'all';
  epochs: number;
  seeds: number;
  /** The recipe, when the grid has recipes. */
  recipe?: string;
}

export const samplesLabel = (s: number | 'all'): string => String(s);

/** Expands a validated spec into its runs, in a deterministic order (the order shards split). */
export function expandRuns(spec: AutoencoderSpec, backend: string): AutoencoderRun[] {
  const epochs = Math.max(...spec.grid.epochs);
  const snapshotEpochs = [...new Set([0, ...spec.grid.epochs])].sort((a, b) => a - b);
  // A checkpoint callback says how a run is carried out, not what it computes: it leaves the
  // training config (and so the run's hash) and becomes the run's checkpointEvery.
  const { callbacks, ...rest } = spec.training;
  const checkpoint = callbacks?.find((c) => c.name === 'model-checkpoint');
  const kept = (callbacks ?? []).filter((c) => c.name !== 'model-checkpoint');
  const training = kept.length > 0 ? { ...rest, callbacks: kept } : rest;
  const recipes: ({ label: string; training: Partial<AutoencoderSpec['training']> } | undefined)[] = spec.grid
    .recipes ?? [undefined];
  return gridPoints(
    { dataset: spec.datasets, s: spec.grid.samples, recipe: recipes, initializer: spec.initializers },
    { first: spec.firstSeed, count: (p) => p.s.seeds },
  ).map(({ dataset, s, recipe, initializer, seed }) => {
    const initData = initializers.get(initializer.name).data
      ? { samples: spec.initializerData.samples }
      : undefined;
    const datasetLabel = labelOf(dataset);
    const initializerLabel = labelOf(initializer);
    const recipePart = recipe ? `${recipe.label}__` : '';
    return {
      id: `${datasetLabel}__${samplesLabel(s.count)}__${recipePart}${initializerLabel}__seed${seed}`,
      seed,
      backend,
      experiment: spec.name,
      dataset,
      datasetLabel,
      samples: s.count,
      initializer,
      initializerLabel,
      epochs,
      snapshotEpochs,
      model: spec.model,
      training: recipe ? { ...training, ...recipe.training } : training,
      ...(recipe ? { recipe: recipe.label } : {}),
      ...(initData ? { initData } : {}),
      ...(checkpoint ? { checkpointEvery: checkpoint.every } : {}),
      ...(spec.outputs.weights ? { exports: { weights: spec.outputs.weights } } : {}),
    };
  });
}

/** The result sets of a spec: data set × samples × epochs. */
export function expandResultSets(spec: AutoencoderSpec): ResultSet[] {
  const recipes = spec.grid.recipes?.map((r) => r.label) ?? [undefined];
  return spec.datasets.flatMap((d) =>
    spec.grid.samples.flatMap((s) =>
      recipes.flatMap((recipe) =>
        [...spec.grid.epochs]
          .sort((a, b) => a - b)
          .map((epochs) => ({
            datasetLabel: labelOf(d),
            samples: s.count,
            epochs,
            seeds: s.seeds,
            ...(recipe ? { recipe } : {}),
          })),
      ),
    ),
  );
}

/** A recipe in titles and headings, its label quoted: "recipe seed" read like a seed number. */
export const recipeName = (label: string): string => `training recipe '${label}'`;

/** A result set's figure files: `<data set>_<kind>_<samples>_<epochs>[_<recipe>]`. */
export const fileBase = (set: ResultSet, kind: 'loss' | 'reconstruction') =>
  `${set.datasetLabel}_${kind}_${samplesLabel(set.samples)}_${set.epochs}${set.recipe ? `_${set.recipe}` : ''}`;

/** ", training recipe '<label>'" for a set with a recipe, else nothing. */
export const recipeText = (set: ResultSet) => (set.recipe ? `, ${recipeName(set.recipe)}` : '');

export const samplesText = (samples: number | 'all') => (samples === 'all' ? 'all' : String(samples));

type Grid = NonNullable<AutoencoderSpecInput['grid']>;

/** `--datasets` and `--initializers` pick entries by label, then by plugin name; an unlisted plugin name adds it. */
const pick = (refs: AutoencoderSpecInput['datasets'] = [], names: readonly string[]) =>
  names.map(
    (n) => refs.find((r) => (r.label ?? r.name) === n) ?? refs.find((r) => r.name === n) ?? { name: n },
  );

/** The spec with its grid changed (an absent grid starts empty). */
const withGrid = (
  spec: AutoencoderSpecInput,
  change: (grid: Grid) => Partial<Grid>,
): AutoencoderSpecInput => {
  const grid = spec.grid ?? { samples: [], epochs: [] };
  return { ...spec, grid: { ...grid, ...change(grid) } };
};

/** New sample counts keep the seeds their count had in the spec, or 1. */
const setSamples = (spec: AutoencoderSpecInput, counts: readonly (number | 'all')[]) =>
  withGrid(spec, (g) => ({
    samples: counts.map((count) => ({
      count,
      seeds: (g.samples ?? []).find((s) => s.count === count)?.seeds ?? 1,
    })),
  }));
const setSeeds = (spec: AutoencoderSpecInput, seeds: number) =>
  withGrid(spec, (g) => ({ samples: (g.samples ?? []).map((s) => ({ ...s, seeds })) }));
const setEpochs = (spec: AutoencoderSpecInput, epochs: readonly number[]) =>
  withGrid(spec, () => ({ epochs: [...epochs] }));

/** The autoencoder study's grid flags, applied in this order: `--seeds` after `--samples`, as it sets every count's seeds. */
export const autoencoderOverrides: readonly CliOverride<AutoencoderSpecInput>[] = [
  {
    flag: 'datasets',
    type: 'names',
    describe: 'data sets to run (labels or plugin names)',
    apply: (spec, names) => ({ ...spec, datasets: pick(spec.datasets, names) }),
  },
  {
    flag: 'initializers',
    type: 'names',
    describe: 'initializers to run (labels or plugin names)',
    apply: (spec, names) => ({ ...spec, initializers: pick(spec.initializers, names) }),
  },
  { flag: 'samples', type: 'sizes', describe: 'training-set sizes, e.g. 3000 all', apply: setSamples },
  {
    flag: 'seeds',
    type: 'count',
    describe: "seeds per result set (replaces every set's count)",
    apply: setSeeds,
  },
  {
    flag: 'epochs',
    type: 'counts',
    describe: 'epoch counts of the result sets, e.g. 10 50',
    apply: setEpochs,
  },
];

/**
 * The quick version of a study: every data set and initializer, but 2,000 samples, 5 epochs, one
 * seed, and every warm-up scaled to the same share of the shorter run (see quick-schedule.ts).
 */
export function quickSpec(raw: AutoencoderSpecInput): AutoencoderSpecInput {
  return scaleWarmups(raw, setEpochs(setSeeds(setSamples(raw, [2000]), 1), [5]));
}

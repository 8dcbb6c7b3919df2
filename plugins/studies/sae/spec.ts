import {
  datasets,
  dictionaries,
  duplicateLabels,
  type GridAxis,
  gridPoints,
  type PlannedBuffer,
  studyOutputsFields,
  studySpecFields,
  z,
} from 'nmfinit';

const positiveInt = z.number().int().positive();

const dictionaryEntry = z
  .object({
    /** A registered dictionary initializer (`dictionaries`: sae-standard, sae-nmf, …). */
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const datasetEntry = z
  .object({
    /** Names the entry in run ids, tables and figures; default the dataset's name. */
    label: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'use letters, digits, "_" and "-" only')
      .optional(),
    /** A registered dataset. 'superposition' also reports recovery of its planted directions. */
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
    trainSamples: positiveInt,
    /** Samples the metrics are computed on (the first of the test split). */
    evalSamples: positiveInt.default(1000),
    // The grid for this entry; each falls back to the spec's top-level field.
    latents: z.array(positiveInt).min(1).optional(),
    k: z.array(positiveInt).min(1).optional(),
    aux: z.array(z.boolean()).min(1).optional(),
    dictionaries: z.array(dictionaryEntry).min(1).optional(),
  })
  .strict();

export const saeSpecSchema = z
  .object({
    ...studySpecFields('sae'),
    datasets: z.array(datasetEntry).min(1),
    latents: z.array(positiveInt).min(1),
    k: z.array(positiveInt).min(1),
    /** With and/or without the auxiliary loss. */
    aux: z.array(z.boolean()).min(1).default([true, false]),
    dictionaries: z
      .array(dictionaryEntry)
      .min(1)
      .default([{ name: 'sae-standard', params: {} }]),
    seeds: positiveInt.default(3),
    epochs: positiveInt.default(5),
    batchSize: positiveInt.default(256),
    /** Adam's step size; default 2e-4/√(n/2¹⁴) (Gao et al.). */
    learningRate: z.number().positive().optional(),
    auxCoefficient: z
      .number()
      .positive()
      .default(1 / 32),
    /** k_aux, the dead latents the auxiliary loss uses; default 2k (the notes). */
    kAux: positiveInt.optional(),
    /** Samples without firing after which a latent is dead; default one epoch of the training set. */
    deadSamples: positiveInt.optional(),
    recordEvery: positiveInt.default(20),
    /** Atoms kept per run (seed firstSeed only) for the figure: this many most and least used. */
    atomsShown: z.number().int().min(0).default(8),
    outputs: z.object({ ...studyOutputsFields }).strict(),
  })
  .strict();

export type SaeSpec = z.output<typeof saeSpecSchema>;
export type SaeSpecInput = z.input<typeof saeSpecSchema>;
export type SaeDatasetEntry = SaeSpec['datasets'][number];

export function entryLabel(entry: SaeDatasetEntry): string {
  return entry.label ?? entry.name;
}

export interface SaeRun {
  readonly id: string;
  readonly seed: number;
  readonly backend: string;
  /** Index into spec.datasets. */
  readonly dataset: number;
  readonly label: string;
  readonly latents: number;
  readonly k: number;
  readonly aux: boolean;
  readonly dictionary: string;
  readonly dictionaryParams: Record<string, unknown>;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number | null;
  readonly auxCoefficient: number;
  readonly kAux: number;
  readonly deadSamples: number;
  readonly recordEvery: number;
  readonly atomsShown: number;
}

/** The grid of one entry: its own fields where given, the spec's otherwise. */
export function entryGrid(spec: SaeSpec, entry: SaeDatasetEntry) {
  return {
    latents: entry.latents ?? spec.latents,
    k: entry.k ?? spec.k,
    aux: entry.aux ?? spec.aux,
    dictionaries: entry.dictionaries ?? spec.dictionaries,
  };
}

/** Per entry: latents × k × aux × dictionary × seed, in that order, skipping k > n. */
export function expandSae(spec: SaeSpec, backend: string): SaeRun[] {
  const runs: SaeRun[] = [];
  spec.datasets.forEach((ds, di) => {
    const label = entryLabel(ds);
    const grid = entryGrid(spec, ds);
    for (const { n, k, aux, dict, seed } of gridPoints(
      { n: grid.latents, k: grid.k, aux: grid.aux, dict: grid.dictionaries },
      { first: spec.firstSeed, count: spec.seeds },
      (p) => p.k <= p.n,
    ))
      runs.push({
        id: `${label}__n${n}__k${k}__${aux ? 'aux' : 'noaux'}__${dict.name}__s${seed}`,
        seed,
        backend,
        dataset: di,
        label,
        latents: n,
        k,
        aux,
        dictionary: dict.name,
        dictionaryParams: dict.params,
        epochs: spec.epochs,
        batchSize: spec.batchSize,
        learningRate: spec.learningRate ?? null,
        auxCoefficient: spec.auxCoefficient,
        kAux: spec.kAux ?? 2 * k,
        deadSamples: spec.deadSamples ?? ds.trainSamples,
        recordEvery: spec.recordEvery,
        atomsShown: seed === spec.firstSeed ? spec.atomsShown : 0,
      });
  });
  return runs;
}

/** Where an entry's grid field comes from: its own, or the spec's top-level one. */
function gridField(
  entry: SaeDatasetEntry,
  i: number,
  field: 'latents' | 'k' | 'aux' | 'dictionaries',
): string {
  return entry[field] !== undefined ? `datasets[${i}].${field}` : field;
}

/** Per entry latents × k × aux × dictionaries, then × seeds: the most runs `expandSae` gives. */
export function saeGridAxes(spec: SaeSpec): GridAxis[] {
  let perSeed = 0;
  let largest: GridAxis = { field: 'datasets', size: 0 };
  spec.datasets.forEach((entry, i) => {
    const grid = entryGrid(spec, entry);
    const fields = (['latents', 'k', 'aux', 'dictionaries'] as const).map((f) => ({
      field: gridField(entry, i, f),
      size: grid[f].length,
    }));
    perSeed += fields.reduce((p, a) => p * a.size, 1);
    for (const a of fields) if (a.size > largest.size) largest = a;
  });
  // The entries' grids add up; the axis named is the largest field among them.
  return [
    { field: largest.field, size: perSeed },
    { field: 'seeds', size: spec.seeds },
  ];
}

/** The samples, and a batch of latent activations (training or evaluation) for each entry's latents. */
export function saeBuffers(spec: SaeSpec): PlannedBuffer[] {
  return spec.datasets.flatMap((entry, i) => [
    // The samples, at least one float each (times the pixel count, known in prepare).
    {
      field: `datasets[${i}].trainSamples`,
      what: `${entry.trainSamples} training samples`,
      floats: entry.trainSamples,
    },
    {
      field: `datasets[${i}].evalSamples`,
      what: `${entry.evalSamples} evaluation samples`,
      floats: entry.evalSamples,
    },
    ...entryGrid(spec, entry).latents.map((n, j) => ({
      field: `${gridField(entry, i, 'latents')}[${j}]`,
      what: `a batch of ${Math.max(spec.batchSize, Math.min(entry.evalSamples, 512))} × ${n} latent activations`,
      floats: Math.max(spec.batchSize, Math.min(entry.evalSamples, 512)) * n,
    })),
  ]);
}

/**
 * Registry checks before any work: every dataset and dictionary is registered and its parameters
 * are valid (defaults filled in), labels are unique, the grid is not empty, batches fit.
 */
export function checkSae(spec: SaeSpec): SaeSpec {
  const labels = new Set<string>();
  const dict = (d: SaeSpec['dictionaries'][number], path: string) => {
    try {
      const params = dictionaries.parseParams(dictionaries.get(d.name), d.params) as Record<string, unknown>;
      return { name: d.name, params };
    } catch (e) {
      throw new Error(`${path}: ${(e as Error).message}`);
    }
  };
  const out: SaeSpec = {
    ...spec,
    dictionaries: spec.dictionaries.map((d, i) => dict(d, `dictionaries[${i}]`)),
    datasets: spec.datasets.map((ds, i) => {
      const label = entryLabel(ds);
      if (labels.has(label))
        throw new Error(`datasets[${i}].label: '${label}' is used twice; give each entry its own label`);
      labels.add(label);
      if (ds.trainSamples < spec.batchSize)
        throw new Error(
          `datasets[${i}].trainSamples: ${ds.trainSamples} is fewer than one batch (batchSize ${spec.batchSize})`,
        );
      let params: Record<string, unknown>;
      try {
        const plugin = datasets.get(ds.name);
        params = datasets.parseParams(plugin, ds.params) as Record<string, unknown>;
      } catch (e) {
        throw new Error(`datasets[${i}]: ${(e as Error).message}`);
      }
      return {
        ...ds,
        params,
        dictionaries: ds.dictionaries?.map((d, j) => dict(d, `datasets[${i}].dictionaries[${j}]`)),
      };
    }),
  };
  const repeats = [
    ...duplicateLabels(
      out.dictionaries.map((d) => d.name),
      (j) => `dictionaries[${j}].name`,
    ),
    ...out.datasets.flatMap((ds, i) =>
      duplicateLabels(
        (ds.dictionaries ?? []).map((d) => d.name),
        (j) => `datasets[${i}].dictionaries[${j}].name`,
      ),
    ),
  ];
  if (repeats.length > 0) throw new Error(repeats.join('; '));
  if (expandSae(out, '').length === 0)
    throw new Error(`k: every k exceeds every number of latents; there is nothing to train`);
  return out;
}

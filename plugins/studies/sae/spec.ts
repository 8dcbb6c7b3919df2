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
    // Issue 23: the reference's configuration, one setting at a time. Each is optional; left out,
    // it keeps today's behaviour and stays out of the run config, so stored runs keep their hash.
    /** 'reference': every setting below (and kAux, deadSamples) as REFERENCE_PRESET; explicit fields win. */
    preset: z.enum(['reference']).optional(),
    /** Adam's ε; default 6.25e-10. */
    adamEpsilon: z.number().positive().optional(),
    /** b_pre at the start: 'mean' (default) or the geometric median of ≤ 32,768 training samples. */
    preBiasInit: z.enum(['mean', 'geometric-median']).optional(),
    /** Encoder = decoderᵀ at the start (default true); false draws the encoder afresh. */
    tiedStart: z.boolean().optional(),
    /** The reference's data-dependent encoder rescale after init (default false). */
    encoderRescale: z.boolean().optional(),
    /** The AuxK target e = x − x̂: 'detached' (default) or 'attached'. */
    auxResidual: z.enum(['detached', 'attached']).optional(),
    /** b_pre in the AuxK term: 'once' (default: no aux gradient to b_pre) or 'twice' (the reference's). */
    auxPreBias: z.enum(['once', 'twice']).optional(),
    /** When atoms are renormalised: 'after-step' (default) or 'before-step' (the reference's order). */
    decoderNormalization: z.enum(['after-step', 'before-step']).optional(),
    /**
     * Train past `epochs` until the dead fraction moves ≤ tolerance over the last tenth of the
     * steps, at most maxEpochs; `rule` says how the move is read (trainSae's SettleRule: 'range',
     * the default and left out of run configs, or 'trend').
     */
    settle: z
      .object({
        maxEpochs: positiveInt,
        tolerance: z.number().min(0).default(0.005),
        rule: z.enum(['range', 'trend']).optional(),
      })
      .strict()
      .optional(),
    /** Atoms kept per run (seed firstSeed only) for the figure: this many most and least used. */
    atomsShown: z.number().int().min(0).default(8),
    outputs: z.object({ ...studyOutputsFields }).strict(),
  })
  .strict();

export type SaeSpec = z.output<typeof saeSpecSchema>;
export type SaeSpecInput = z.input<typeof saeSpecSchema>;
export type SaeDatasetEntry = SaeSpec['datasets'][number];

// What openai/sparse_autoencoder does (read for issue 23; sparse_autoencoder/train.py unless named):
// - Config: n_dirs 32768, bs 131072, d_model 768, k 32, auxk 256, lr 1e-4, eps 6.25e-10,
//   auxk_coef 1/32, dead_toks_threshold 10,000,000, clip_grad None, ema_multiplier None.
// - FastAutoencoder(dead_steps_threshold = dead_toks_threshold // bs = 76 steps): a latent is dead
//   once stats_last_nonzero > 76 steps; the counter counts steps, reset where a kept value > 1e-3,
//   and is updated from the batch BEFORE that batch's AuxK selection ("has to go after stats update").
// - __init__: "tied" init, decoder.weight = encoder.weight.T (nn.Linear(d, n) default draw), then
//   unit_norm_decoder_. init_from_data_: pre_bias = geometric median (geom_median package) of
//   stats_acts_sample[:32768]; then W_e /= mean ‖decode(encode(x)) − b_pre‖ over 256 random unit
//   x + b_pre ("couldn't find clear evidence that this is beneficial", kept to match internally).
// - forward: latents = relu(topk(W_e(x − b_pre) + b_lat)); recons = W_d·latents + b_pre. AuxK:
//   top auxk of the pre-activations masked to dead latents, relu'd; their gradient reaches W_e
//   and b_pre through the encoder (EncWrapper.backward).
// - loss (main's loss_fn): mse_scale·mse(recons, x), mse_scale = 1/mean((mean(x) − x)²) on the
//   stats sample, + auxk_coef·normalized_mse(decode_sparse(auxk) [adds b_pre, with its gradient],
//   x − recons.detach() + b_pre.detach()).nan_to_num(0): the residual is detached, b_pre is added on
//   both sides (so the aux term also pulls on b_pre).
// - training_loop_: Adam(lr, eps, fused); after backward: unit_norm_decoder_ (atoms to unit norm),
//   then unit_norm_decoder_grad_adjustment_ (g ← g − (g·w)w per atom), then the step; the atoms are
//   not renormalised after the step, so each forward sees the previous step's un-normalised atoms.
// - The lr is a constant in Config (1e-4 at n = 32768); the width scaling 2e-4/√(n/2¹⁴) is the
//   paper's rule, which our default follows. Adam: PyTorch adds ε to √v̂ (bias-corrected), ours
//   (Keras' form, src/optim/adam.ts) to √v: ours is PyTorch's with ε·√(1 − β2ᵗ) for ε, the same
//   step wherever √v ≫ ε.
/**
 * The released code's settings (openai/sparse_autoencoder, train.py; see above),
 * scaled to MNIST: k_aux 256 (Config.auxk), AuxK coefficient 1/32 (Config.auxk_coef), ε 6.25e-10
 * (Config.eps), tied start (FastAutoencoder.__init__) with the encoder rescale and the
 * geometric-median b_pre (init_from_data_), the residual detached and b_pre added to both sides of
 * the AuxK term (main's loss_fn), the atoms renormalised before the step (training_loop_). The dead
 * window: theirs is 10⁷ tokens (Config.dead_toks_threshold), 76 steps of their batch; ours is one
 * pass over MNIST's 60,000 training samples, counted in samples. The rate keeps our default rule
 * 2e-4/√(n/2¹⁴) (the paper's width scaling; the released Config has a single n and lr 1e-4).
 */
export const REFERENCE_PRESET = {
  kAux: 256,
  auxCoefficient: 1 / 32,
  adamEpsilon: 6.25e-10,
  preBiasInit: 'geometric-median',
  tiedStart: true,
  encoderRescale: true,
  auxResidual: 'detached',
  auxPreBias: 'twice',
  decoderNormalization: 'before-step',
  deadSamples: 60000,
} as const;

/** Today's behaviour for each issue-23 setting: a run config carries a setting only when it differs. */
const TODAY = {
  adamEpsilon: 6.25e-10,
  preBiasInit: 'mean',
  tiedStart: true,
  encoderRescale: false,
  auxResidual: 'detached',
  auxPreBias: 'once',
  decoderNormalization: 'after-step',
} as const;

type TrainingChoices = {
  -readonly [K in keyof typeof TODAY]?: (typeof TODAY)[K] extends number
    ? number
    : (typeof TODAY)[K] extends boolean
      ? boolean
      : SaeSpec[K];
};

/** The issue-23 settings of a spec, the preset filled in under explicit fields, today's values left out. */
export function trainingChoices(spec: SaeSpec): TrainingChoices {
  const preset = spec.preset === 'reference' ? REFERENCE_PRESET : undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(TODAY) as (keyof typeof TODAY)[]) {
    const value = spec[key] ?? preset?.[key];
    if (value !== undefined && value !== TODAY[key]) out[key] = value;
  }
  return out as TrainingChoices;
}

export function entryLabel(entry: SaeDatasetEntry): string {
  return entry.label ?? entry.name;
}

/** One run; its training choices are present only when not today's (see trainingChoices), so earlier runs keep their hash. */
export interface SaeRun extends Readonly<TrainingChoices> {
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
  readonly settle?: {
    readonly maxEpochs: number;
    readonly tolerance: number;
    readonly rule?: 'range' | 'trend';
  };
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
  const preset = spec.preset === 'reference' ? REFERENCE_PRESET : undefined;
  // 'range' is the rule a settle meant before there was a choice: left out, so those runs keep their hash.
  const settle = spec.settle && {
    maxEpochs: spec.settle.maxEpochs,
    tolerance: spec.settle.tolerance,
    ...(spec.settle.rule === 'trend' ? { rule: spec.settle.rule } : {}),
  };
  const choices = { ...trainingChoices(spec), ...(settle ? { settle } : {}) };
  // Without the auxiliary loss its settings cannot change a run, so such a run carries today's
  // (k_aux 2k, coefficient 1/32, residual detached, b_pre once): parts that differ only in them
  // (k_aux 256 and 512, the aux-pre-bias ablation) then share their runs without AuxK.
  const { auxResidual: _residual, auxPreBias: _preBias, ...withoutAux } = choices;
  const auxCoefficientDefault = saeSpecSchema.shape.auxCoefficient.parse(undefined);
  // auxCoefficient has a schema default equal to the preset's, so the preset needs no override.
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
        auxCoefficient: aux ? spec.auxCoefficient : auxCoefficientDefault,
        kAux: aux ? (spec.kAux ?? preset?.kAux ?? 2 * k) : 2 * k,
        deadSamples: spec.deadSamples ?? preset?.deadSamples ?? ds.trainSamples,
        recordEvery: spec.recordEvery,
        atomsShown: seed === spec.firstSeed ? spec.atomsShown : 0,
        ...(aux ? choices : withoutAux),
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

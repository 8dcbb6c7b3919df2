import { studyOutputsFields, studySpecFields, z } from 'nmfinit';

const positiveInt = z.number().int().positive();

const datasetEntry = z
  .object({
    /** 'mnist' or 'superposition' (the datasets this kind knows). */
    name: z.enum(['mnist', 'superposition']),
    params: z.record(z.string(), z.unknown()).default({}),
    trainSamples: positiveInt,
    /** Samples the metrics are computed on (the first of the test split). */
    evalSamples: positiveInt.default(1000),
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
      .array(
        z
          .object({
            name: z.enum(['sae-standard', 'sae-nmf']),
            params: z.record(z.string(), z.unknown()).default({}),
          })
          .strict(),
      )
      .min(1)
      .default([{ name: 'sae-standard', params: {} }]),
    seeds: positiveInt.default(3),
    epochs: positiveInt.default(5),
    batchSize: positiveInt.default(256),
    learningRate: z.number().positive().optional(),
    auxCoefficient: z
      .number()
      .positive()
      .default(1 / 32),
    /** Samples without firing after which a latent is dead; default one epoch of the training set. */
    deadSamples: positiveInt.optional(),
    recordEvery: positiveInt.default(50),
    outputs: z.object({ ...studyOutputsFields }).strict(),
  })
  .strict();

export type SaeSpec = z.output<typeof saeSpecSchema>;
export type SaeSpecInput = z.input<typeof saeSpecSchema>;

export interface SaeRun {
  readonly id: string;
  readonly seed: number;
  readonly backend: string;
  readonly dataset: number;
  readonly latents: number;
  readonly k: number;
  readonly aux: boolean;
  readonly dictionary: number;
}

/** dataset × latents × k × aux × dictionary × seed, in that order. */
export function expandSae(spec: SaeSpec, backend: string): SaeRun[] {
  const runs: SaeRun[] = [];
  spec.datasets.forEach((ds, di) => {
    for (const n of spec.latents)
      for (const k of spec.k) {
        if (k > n) continue;
        for (const aux of spec.aux)
          spec.dictionaries.forEach((dict, ki) => {
            for (let s = 0; s < spec.seeds; s++) {
              const seed = spec.firstSeed + s;
              const id = `${ds.name}${di}__n${n}__k${k}__${aux ? 'aux' : 'noaux'}__${dict.name}__s${seed}`;
              runs.push({ id, seed, backend, dataset: di, latents: n, k, aux, dictionary: ki });
            }
          });
      }
  });
  return runs;
}

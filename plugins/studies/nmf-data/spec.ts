// The spec of an 'nmf-data' study: NMF of image data, X (samples × pixels) ≈ W·H, over data sets ×
// training-sample counts × k × init (× seed). The rows of H are basis images; test images are
// encoded with H fixed (scikit-learn's transform) to measure the test MSE.
import { NMF_INIT_METHODS, NMF_SOLVERS, studyOutputsFields, studySpecFields, z } from 'nmfinit';

export const NMF_DATA_KIND = 'nmf-data';

const positiveInt = z.number().int().positive();
const label = z.string().regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, ".", "_" and "-" only');

const datasetEntry = z
  .object({
    /** A registered dataset plugin, with its parameters. */
    name: z.string().min(1),
    /** Names the data set in run ids, figures and the report (default: the plugin's name). */
    label: label.optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    /** At most this many test images (the first) are encoded for the test MSE (default: all). */
    testCount: positiveInt.optional(),
  })
  .strict();

/** One block of the grid: every samples × ranks × inits combination, for every data set. */
const gridEntry = z
  .object({
    /** Training-sample counts: the first n images of the train split; 'all' is the whole split. */
    samples: z.array(z.union([positiveInt, z.literal('all')])).min(1),
    /** Components k. */
    ranks: z.array(positiveInt).min(1),
    inits: z.array(z.enum(NMF_INIT_METHODS)).min(1).default(['nndsvda']),
  })
  .strict();

export const nmfDataSpecSchema = z
  .object({
    ...studySpecFields(NMF_DATA_KIND),
    datasets: z.array(datasetEntry).min(1),
    /** The union of these blocks is the run grid (a run in two blocks is run once). */
    grids: z.array(gridEntry).min(1),
    seeds: positiveInt.default(1),
    solver: z.enum(NMF_SOLVERS).default('cd'),
    maxIter: positiveInt.default(200),
    tol: z.number().min(0).default(1e-4),
    /** scikit-learn's alpha_W, alpha_H ('same': alpha_W) and l1_ratio. */
    alphaW: z.number().min(0).default(0),
    alphaH: z.union([z.number().min(0), z.literal('same')]).default('same'),
    l1Ratio: z.number().min(0).max(1).default(0),
    outputs: z.object({ ...studyOutputsFields }).strict(),
  })
  .strict();

export type NmfDataSpec = z.output<typeof nmfDataSpecSchema>;
export type NmfDataSpecInput = z.input<typeof nmfDataSpecSchema>;
export type NmfDataDatasetEntry = NmfDataSpec['datasets'][number];

/** The label a data set goes by. */
export const labelOf = (d: Pick<NmfDataDatasetEntry, 'name' | 'label'>) => d.label ?? d.name;

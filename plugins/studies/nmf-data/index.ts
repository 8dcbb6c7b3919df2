// The study kind 'nmf-data': NMF of image data (Lee & Seung), X ≈ W·H with W, H ≥ 0. Are the
// basis images parts or whole images, which init gets there, and how does the test error fall as
// training samples grow? Runs are data set × samples × k × init (× seed).
import {
  type CliOverride,
  datasets,
  defineStudyKind,
  type GridAxis,
  nmfMuWorkload,
  type PlannedBuffer,
  type Workload,
} from 'nmfinit';
import { type NmfDataData, prepareAll } from './data.ts';
import { nmfDataDocument } from './report.ts';
import { executeRun, expandRuns, type NmfDataResult, type NmfDataRun, nmfDataResultSchema } from './run.ts';
import {
  labelOf,
  NMF_DATA_KIND,
  type NmfDataSpec,
  type NmfDataSpecInput,
  nmfDataSpecSchema,
} from './spec.ts';

function check(spec: NmfDataSpec): NmfDataSpec {
  const problems: string[] = [];
  const seen = new Set<string>();
  spec.datasets.forEach((entry, i) => {
    try {
      entry.params = datasets.parseParams(datasets.get(entry.name), entry.params) as Record<string, unknown>;
    } catch (e) {
      problems.push(`datasets[${i}]: ${(e as Error).message}`);
    }
    const label = labelOf(entry);
    if (seen.has(label))
      problems.push(`datasets[${i}]: label '${label}' is used twice; give each entry its own label`);
    seen.add(label);
  });
  spec.grids.forEach((grid, i) => {
    for (const n of grid.samples)
      for (const k of grid.ranks)
        if (typeof n === 'number' && k > n)
          problems.push(
            `grids[${i}]: k = ${k} exceeds ${n} training samples (NMF needs k ≤ min(samples, pixels))`,
          );
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return spec;
}

/** Data sets × (Σ over grid blocks of samples × ranks × inits) × seeds: at most the runs. */
function gridAxes(spec: NmfDataSpec): GridAxis[] {
  const blocks = spec.grids.map((g, i) => [
    { field: `grids[${i}].samples`, size: g.samples.length },
    { field: `grids[${i}].ranks`, size: g.ranks.length },
    { field: `grids[${i}].inits`, size: g.inits.length },
  ]);
  const perSeed = blocks.reduce((s, axes) => s + axes.reduce((p, a) => p * a.size, 1), 0);
  const largest = blocks.flat().reduce((a, b) => (b.size > a.size ? b : a));
  return [
    { field: 'datasets', size: spec.datasets.length },
    { field: largest.field, size: perSeed },
    { field: 'seeds', size: spec.seeds },
  ];
}

/** W (samples × k) for every numeric sample count; H (k × d) is no larger than the data, as k ≤ samples. */
function buffers(spec: NmfDataSpec): PlannedBuffer[] {
  return spec.grids.flatMap((g, i) =>
    g.ranks.flatMap((k, j) =>
      g.samples.flatMap((n) =>
        typeof n === 'number'
          ? [{ field: `grids[${i}].ranks[${j}]`, what: `W (${n} samples × k = ${k})`, floats: n * k }]
          : [],
      ),
    ),
  );
}

/**
 * The largest rank's mu iteration, for `auto` (timed as a chain when the solver is mu). Rows are capped at 4,096, the block the solver's
 * sums over samples run in (src/nmf/data-products.ts); pixels are 784 (28×28, MNIST and
 * Fashion-MNIST), as a data set's size is known only once it is loaded.
 */
function workload(spec: NmfDataSpec): Workload {
  let rows = 1;
  let k = 1;
  for (const g of spec.grids) {
    for (const n of g.samples) rows = Math.max(rows, n === 'all' ? 4096 : Math.min(n, 4096));
    k = Math.max(k, ...g.ranks);
  }
  // The mu solver chains its products on a backend's resident storage (dense data on webgpu).
  return nmfMuWorkload(rows, 784, k, spec.solver === 'mu');
}

/** `--datasets` keeps the spec's data sets named (by label or plugin name); a name it lacks is an error. */
function keepDatasets(spec: NmfDataSpecInput, names: readonly string[]): NmfDataSpecInput {
  const unknown = names.filter((n) => !spec.datasets.some((d) => (d.label ?? d.name) === n));
  if (unknown.length > 0)
    throw new Error(
      `--datasets: ${unknown.join(', ')} not in the spec (it has ${spec.datasets.map((d) => d.label ?? d.name).join(', ')})`,
    );
  return { ...spec, datasets: spec.datasets.filter((d) => names.includes(d.label ?? d.name)) };
}

/** The grid flags of NMF of data; it has no initializer list or epochs to override. */
const nmfDataOverrides: readonly CliOverride<NmfDataSpecInput>[] = [
  {
    flag: 'datasets',
    type: 'names',
    describe: 'data sets to run (labels or plugin names)',
    apply: keepDatasets,
  },
  {
    flag: 'samples',
    type: 'sizes',
    describe: 'training-set sizes, e.g. 3000 all',
    apply: (spec, samples) => ({ ...spec, grids: spec.grids.map((g) => ({ ...g, samples: [...samples] })) }),
  },
  {
    flag: 'seeds',
    type: 'count',
    describe: "seeds per result set (replaces every set's count)",
    apply: (spec, seeds) => ({ ...spec, seeds }),
  },
];

/** The same pipeline small: at most three sample counts up to 1,000, 50 iterations, 1,000 test images. */
function quick(spec: NmfDataSpecInput): NmfDataSpecInput {
  return {
    ...spec,
    seeds: 1,
    maxIter: Math.min(spec.maxIter ?? 200, 50),
    datasets: spec.datasets.map((d) => ({ ...d, testCount: Math.min(d.testCount ?? 1000, 1000) })),
    grids: spec.grids.map((g) => {
      const small = g.samples.filter((n): n is number => typeof n === 'number' && n <= 1000).slice(0, 3);
      return { ...g, samples: small.length > 0 ? small : [Math.max(200, ...g.ranks)] };
    }),
  };
}

export const nmfDataStudy = defineStudyKind<NmfDataSpec, NmfDataRun, NmfDataResult, NmfDataData>({
  name: NMF_DATA_KIND,
  description:
    'NMF of image data X ≈ W·H: component grids, test MSE against training samples, sparsity of the basis images, over data sets × samples × k × init',
  params: nmfDataSpecSchema,
  check,
  gridAxes,
  buffers,
  workload,
  expand: expandRuns,
  prepare: prepareAll,
  cost: (run, data) => {
    const p = data[run.dataset];
    const n = run.samples === 'all' ? (p?.trainCount ?? 1) : run.samples;
    return n * run.k * (p ? p.imageShape[0] * p.imageShape[1] : 1) * run.maxIter;
  },
  execute: executeRun,
  result: nmfDataResultSchema,
  resultVersion: 1,
  summarize: (r) =>
    `n = ${r.trainCount}: test MSE ${r.testMse.toPrecision(4)}, reconstruction_err_ ${r.reconstructionErr.toFixed(2)}, Hoyer ${r.hoyer.toFixed(3)}, ${r.nIter} iterations in ${r.fitSeconds.toFixed(1)} s`,
  cliOverrides: nmfDataOverrides,
  quick: quick,
  document: nmfDataDocument,
});

// A small study kind: NMF of the identity on its own. For each n × k it factors I_n ≈ W·H and
// measures the time and how close ‖I − WH‖_F comes to the Eckart–Young bound √(n − k), the best
// any rank-k matrix can do. It is built only from the public API and touches no shared file.
import {
  columnTable,
  type DocFigure,
  decadeTicks,
  defineStudyKind,
  type GridAxis,
  gridPoints,
  identityMatrix,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  nmf,
  nmfMuWorkload,
  numberCell,
  type ReportDocument,
  rightColumn,
  runsIndex,
  type StudyReportInput,
  studyOutputsFields,
  studySpecFields,
  WALL_TIME_NOTE,
  wallLabel,
  z,
} from 'nmfinit';

export const NMF_IDENTITY_KIND = 'nmf-identity';

const specSchema = z
  .object({
    ...studySpecFields(NMF_IDENTITY_KIND),
    /** Sizes n of the identities to factor. */
    sizes: z.array(z.number().int().min(2).max(4096)).min(1),
    /** Ranks k; each is used for every n it fits (k < n). */
    ranks: z.array(z.number().int().positive()).min(1),
    solvers: z.array(z.enum(NMF_SOLVERS)).min(1).default(['cd']),
    inits: z.array(z.enum(NMF_INIT_METHODS)).min(1).default(['random']),
    seeds: z.number().int().positive().default(1),
    maxIter: z.number().int().positive().default(200),
    tol: z.number().nonnegative().default(1e-4),
    outputs: z.object({ ...studyOutputsFields }).strict(),
  })
  .strict();
export type NmfIdentitySpec = z.output<typeof specSchema>;

export interface NmfIdentityRun {
  id: string;
  seed: number;
  backend: string;
  n: number;
  k: number;
  solver: (typeof NMF_SOLVERS)[number];
  init: (typeof NMF_INIT_METHODS)[number];
  maxIter: number;
  tol: number;
}

const resultSchema = z.object({
  error: z.number(),
  bound: z.number(),
  iterations: z.number().int(),
  converged: z.boolean(),
  seconds: z.number(),
});
export type NmfIdentityResult = z.output<typeof resultSchema>;

function expand(spec: NmfIdentitySpec, backend: string): NmfIdentityRun[] {
  return gridPoints(
    { n: spec.sizes, k: spec.ranks, solver: spec.solvers, init: spec.inits },
    { first: spec.firstSeed, count: spec.seeds },
    (p) => p.k < p.n,
  ).map(({ n, k, solver, init, seed }) => ({
    id: `n${n}__k${k}__${solver}__${init}__seed${seed}`,
    seed,
    backend,
    n,
    k,
    solver,
    init,
    maxIter: spec.maxIter,
    tol: spec.tol,
  }));
}

/** Sizes × ranks (those below a size) × solvers × inits × seeds: at most their product. */
function gridAxes(spec: NmfIdentitySpec): GridAxis[] {
  return [
    { field: 'sizes', size: spec.sizes.length },
    { field: 'ranks', size: spec.ranks.length },
    { field: 'solvers', size: spec.solvers.length },
    { field: 'inits', size: spec.inits.length },
    { field: 'seeds', size: spec.seeds },
  ];
}

function check(spec: NmfIdentitySpec): NmfIdentitySpec {
  if (expand(spec, '').length === 0)
    throw new Error(
      `ranks: every rank is ≥ every size (${spec.sizes.join(', ')}); there is nothing to factor`,
    );
  return spec;
}

/** The mean over seeds of each (n, k, solver, init). */
function summarize(runs: readonly { config: NmfIdentityRun; result: NmfIdentityResult }[]) {
  const groups = new Map<string, { config: NmfIdentityRun; results: NmfIdentityResult[] }>();
  for (const r of runs) {
    const key = `${r.config.n}/${r.config.k}/${r.config.solver}/${r.config.init}`;
    const g = groups.get(key) ?? { config: r.config, results: [] };
    g.results.push(r.result);
    groups.set(key, g);
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return [...groups.values()]
    .map(({ config, results }) => ({
      n: config.n,
      k: config.k,
      method: `${config.solver} + ${config.init}`,
      seeds: results.length,
      ratio: mean(results.map((r) => r.error / r.bound)),
      // Relative excess over the optimum; floored so an exact optimum still shows on a log axis.
      excess: Math.max(mean(results.map((r) => r.error / r.bound - 1)), 1e-9),
      seconds: mean(results.map((r) => r.seconds)),
      iterations: mean(results.map((r) => r.iterations)),
      converged: results.filter((r) => r.converged).length,
    }))
    .sort((a, b) => a.n - b.n || a.k - b.k || (a.method < b.method ? -1 : 1));
}

export const nmfIdentityStudy = defineStudyKind<
  NmfIdentitySpec,
  NmfIdentityRun,
  NmfIdentityResult,
  null,
  z.input<typeof specSchema>
>({
  name: NMF_IDENTITY_KIND,
  description:
    'NMF of the identity I_n ≈ W·H: factor time and error against the Eckart–Young bound over n and k',
  params: specSchema,
  check,
  gridAxes,
  // `auto` times the NMF products of the largest identity at the largest rank it takes.
  workload: (spec) => {
    const n = Math.max(...spec.sizes);
    return nmfMuWorkload(n, n, Math.max(...spec.ranks.filter((r) => r < n), 1));
  },
  expand,
  prepare: async () => null,
  cost: (run) => run.n * run.n * run.k,
  async execute(run, _data, ctx) {
    const t0 = performance.now();
    const r = nmf(
      identityMatrix(run.n),
      { rank: run.k, solver: run.solver, init: run.init, maxIter: run.maxIter, tol: run.tol },
      ctx.rng.child('nmf'),
    );
    return {
      error: r.errors[r.errors.length - 1],
      bound: Math.sqrt(run.n - run.k),
      iterations: r.iterations,
      converged: r.converged,
      seconds: (performance.now() - t0) / 1000,
    };
  },
  result: resultSchema,
  resultVersion: 1,
  summarize: (r) =>
    `‖I − WH‖ = ${r.error.toFixed(4)} (bound ${r.bound.toFixed(4)}) in ${r.seconds.toFixed(2)} s`,
  quick: (spec) => ({ ...spec, sizes: [32, 64], ranks: [4, 16], seeds: 1 }),
  document: (input) => nmfIdentityDocument(input),
});

/** The error or time chart over k, one line per n × method: the same spec for the PNG and report.html. */
function chartSpec(
  rows: ReturnType<typeof summarize>,
  field: 'excess' | 'seconds',
  title: string,
  options: { width: number; tooltip: boolean },
) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: options.width,
    height: 320,
    data: { values: rows.map((r) => ({ ...r, series: `n = ${r.n}, ${r.method}` })) },
    mark: { type: 'line', point: true, tooltip: options.tooltip },
    encoding: {
      // k is a whole number: ticks at whole ranks only (not 2.2, 2.4, …).
      x: { field: 'k', type: 'quantitative', title: 'rank k', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field,
        type: 'quantitative',
        title: field === 'excess' ? '‖I − WH‖_F / √(n − k) − 1' : 'wall seconds (mean over seeds)',
        scale: { type: 'log' },
        // Ticks and grid lines at whole decades: Vega's log axis drew one at every 1…9 × 10^p.
        axis: { values: decadeTicks(rows.map((r) => r[field])), format: '.0e' },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
    config: { font: 'DejaVu Sans' },
  };
}

/** A row of the summary: one n, k and method, means over seeds. */
type Row = ReturnType<typeof summarize>[number];

/** The report: the table of means over seeds, both charts, and every run. */
export function nmfIdentityDocument(
  input: StudyReportInput<NmfIdentitySpec, NmfIdentityRun, NmfIdentityResult>,
): ReportDocument {
  const rows = summarize(input.runs);
  // The PNG's title names the study; report.html has it in its header.
  const figure = (field: 'excess' | 'seconds', title: string, alt: string): DocFigure => ({
    type: 'figure',
    file: field === 'excess' ? 'nmf-identity_error' : 'nmf-identity_time',
    alt,
    spec: chartSpec(rows, field, `NMF of the identity: ${title[0].toLowerCase()}${title.slice(1)}`, {
      width: 520,
      tooltip: false,
    }),
    interactive: chartSpec(rows, field, title, { width: 560, tooltip: true }),
    toggles: [{ field: 'series', label: 'n and method' }],
    yScale: 'log',
  });
  return {
    title: input.spec.name,
    description: input.spec.description,
    intro: [
      {
        type: 'text',
        text: 'NMF of I_n at rank k; the best rank-k approximation of I_n has error √(n − k) (Eckart–Young), so the ratio is 1 at the optimum and above it elsewhere.',
      },
    ],
    sections: [
      {
        title: 'Error and time',
        blocks: [
          { type: 'text', text: WALL_TIME_NOTE },
          columnTable(
            'summary',
            [
              rightColumn<Row>('n', 'n', (r) => r.n),
              rightColumn<Row>('k', 'k', (r) => r.k),
              { key: 'method', label: 'solver + init', value: (r: Row) => r.method },
              rightColumn<Row>('seeds', 'seeds', (r) => r.seeds),
              rightColumn<Row>('ratio', 'error / bound', (r) => numberCell(r.ratio, r.ratio.toFixed(5))),
              rightColumn<Row>('iterations', 'iterations', (r) =>
                numberCell(r.iterations, r.iterations.toFixed(0)),
              ),
              rightColumn<Row>('converged', 'converged', (r) =>
                numberCell(r.converged, `${r.converged}/${r.seeds}`),
              ),
              rightColumn<Row>('seconds', wallLabel('factor'), (r) =>
                numberCell(r.seconds, r.seconds.toFixed(3)),
              ),
            ],
            rows,
            'Mean over seeds',
          ),
          figure('excess', 'Relative excess over the Eckart–Young bound', 'error'),
          figure('seconds', 'Factor time', 'time'),
        ],
      },
    ],
    runs: runsIndex(
      input.runs,
      [
        { key: 'ratio', label: 'error / bound', value: (r) => r.result.error / r.result.bound },
        { key: 'iterations', label: 'iterations', value: (r) => r.result.iterations },
        { key: 'seconds', label: wallLabel('factor'), value: (r) => r.result.seconds },
      ],
      (r) => ({ config: r.config, result: r.result }),
    ),
    results: { schema: 'nmfinit.nmf-identity/1', rows },
  };
}

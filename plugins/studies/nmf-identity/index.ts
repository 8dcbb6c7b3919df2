// A small study kind: NMF of the identity on its own. For each n × k it factors I_n ≈ W·H and
// measures the time and how close ‖I − WH‖_F comes to the Eckart–Young bound √(n − k), the best
// any rank-k matrix can do. It is built only from the public API and touches no shared file.
import { join } from 'node:path';
import {
  defineStudyKind,
  escapeMarkdownText,
  type GridAxis,
  type HtmlReport,
  identityMatrix,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  nmf,
  nmfMuWorkload,
  PNG_SCALE,
  reportMeta,
  runsIndex,
  type StoredRun,
  studyOutputsFields,
  studySpecFields,
  svgToPng,
  vegaLiteToSvg,
  writeFigure,
  writeFileAtomicSync,
  writeReportHtml,
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
  const runs: NmfIdentityRun[] = [];
  for (const n of spec.sizes)
    for (const k of spec.ranks.filter((r) => r < n))
      for (const solver of spec.solvers)
        for (const init of spec.inits)
          for (let i = 0; i < spec.seeds; i++) {
            const seed = spec.firstSeed + i;
            const id = `n${n}__k${k}__${solver}__${init}__seed${seed}`;
            runs.push({ id, seed, backend, n, k, solver, init, maxIter: spec.maxIter, tol: spec.tol });
          }
  return runs;
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

export const nmfIdentityStudy = defineStudyKind<NmfIdentitySpec, NmfIdentityRun, NmfIdentityResult, null>({
  name: NMF_IDENTITY_KIND,
  description:
    'NMF of the identity I_n ≈ W·H: factor time and error against the Eckart–Young bound over n and k',
  params: specSchema as never,
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
  result: resultSchema as never,
  resultVersion: 1,
  summarize: (r) =>
    `‖I − WH‖ = ${r.error.toFixed(4)} (bound ${r.bound.toFixed(4)}) in ${r.seconds.toFixed(2)} s`,
  quick: (spec) => ({ ...(spec as object), sizes: [32, 64], ranks: [4, 16], seeds: 1 }) as never,
  async report(input) {
    const rows = summarize(input.runs);
    const figures: string[] = [];
    const chart = async (field: 'excess' | 'seconds', title: string, file: string) => {
      const svg = await vegaLiteToSvg(chartSpec(rows, field, title, { width: 520, tooltip: false }) as never);
      figures.push(...writeFigure(join(input.dir, file), { svg, png: svgToPng(svg, PNG_SCALE) }));
    };
    await chart(
      'excess',
      'NMF of the identity: relative excess over the Eckart–Young bound',
      'nmf-identity_error',
    );
    await chart('seconds', 'NMF of the identity: factor time', 'nmf-identity_time');
    const reportMd = join(input.dir, 'report.md');
    const table = rows.map(
      (r) =>
        `| ${r.n} | ${r.k} | ${r.method} | ${r.seeds} | ${r.ratio.toFixed(5)} | ${r.iterations.toFixed(0)} | ${r.converged}/${r.seeds} | ${r.seconds.toFixed(3)} |`,
    );
    const missing = input.missing.map(
      (c) =>
        `- ${c.id}: ${input.failed.find((f) => f.config.id === c.id)?.error.split('\n')[0] ?? 'not run'}`,
    );
    writeFileAtomicSync(
      reportMd,
      [
        `# ${input.spec.name}`,
        '',
        escapeMarkdownText(input.spec.description),
        '',
        'NMF of I_n at rank k; the best rank-k approximation of I_n has error √(n − k) (Eckart–Young), so the ratio is 1 at the optimum and above it elsewhere.',
        '',
        '| n | k | solver + init | seeds | error / bound | iterations | converged | seconds |',
        '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
        ...table,
        ...(missing.length > 0 ? ['', `Missing runs (${missing.length}):`, '', ...missing] : []),
        '',
        '![error](nmf-identity_error.png)',
        '',
        '![time](nmf-identity_time.png)',
        '',
      ].join('\n'),
    );
    const resultsJson = join(input.dir, 'results.json');
    writeFileAtomicSync(
      resultsJson,
      `${JSON.stringify({ schema: 'nmfinit.nmf-identity/1', rows }, null, 2)}\n`,
    );
    return {
      reportMd,
      resultsJson,
      figures,
      reportHtml: writeNmfIdentityHtml(input.dir, input.spec, rows, input.runs),
    };
  },
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
      x: { field: 'k', type: 'quantitative', title: 'rank k' },
      y: {
        field,
        type: 'quantitative',
        title: field === 'excess' ? '‖I − WH‖_F / √(n − k) − 1' : 'seconds (mean over seeds)',
        scale: { type: 'log' },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
    config: { font: 'DejaVu Sans' },
  };
}

/** report.html: both charts with a switch per series and axis, the table, and every run. */
function writeNmfIdentityHtml(
  dir: string,
  spec: NmfIdentitySpec,
  rows: ReturnType<typeof summarize>,
  runs: readonly StoredRun<NmfIdentityRun, NmfIdentityResult>[],
): string {
  const chart = (field: 'excess' | 'seconds', title: string) => ({
    type: 'chart' as const,
    id: `chart-${field}`,
    spec: chartSpec(rows, field, title, { width: 560, tooltip: true }),
    toggles: [{ field: 'series', label: 'n and method' }],
    yScale: 'log' as const,
  });
  const report: HtmlReport = {
    title: spec.name,
    description: spec.description,
    meta: reportMeta([{ label: 'runs', value: String(runs.length) }]),
    sections: [
      {
        title: 'Error and time',
        blocks: [
          {
            type: 'text',
            text: 'NMF of I_n at rank k; the best rank-k approximation of I_n has error √(n − k) (Eckart–Young).',
          },
          chart('excess', 'Relative excess over the Eckart–Young bound'),
          chart('seconds', 'Factor time'),
          {
            type: 'table',
            id: 'summary',
            title: 'Mean over seeds',
            columns: [
              { key: 'n', label: 'n' },
              { key: 'k', label: 'k' },
              { key: 'method', label: 'solver + init' },
              { key: 'seeds', label: 'seeds' },
              { key: 'ratio', label: 'error / bound' },
              { key: 'iterations', label: 'iterations' },
              { key: 'converged', label: 'converged' },
              { key: 'seconds', label: 'seconds' },
            ],
            rows: rows.map((r) => ({ ...r, ratio: { value: r.ratio, text: r.ratio.toFixed(5) } })),
          },
        ],
      },
    ],
    runs: runsIndex(
      runs,
      [
        { key: 'ratio', label: 'error / bound' },
        { key: 'iterations', label: 'iterations' },
        { key: 'seconds', label: 'seconds' },
      ],
      (r) => ({
        ratio: r.result.error / r.result.bound,
        iterations: r.result.iterations,
        seconds: r.result.seconds,
      }),
      (r) => ({ config: r.config, result: r.result }),
    ),
  };
  return writeReportHtml(dir, report);
}

// The report of an 'nmf-data' study, drawn from stored runs only: component grids, one learning
// curve per data set (test MSE against training samples, log x), the notes' table, and sentences
// generated from the numbers.
import { join } from 'node:path';
import {
  decodeFloat32,
  escapeMarkdownText,
  type StoredRun,
  type StudyReportFiles,
  type StudyReportInput,
  writeFigure,
  writeFileAtomicSync,
  writeVegaFigure,
} from 'nmfinit';
import { componentGridPng } from './grid.ts';
import type { NmfDataResult, NmfDataRun } from './run.ts';
import { labelOf, type NmfDataSpec } from './spec.ts';

type Input = StudyReportInput<NmfDataSpec, NmfDataRun, NmfDataResult>;
type Stored = StoredRun<NmfDataRun, NmfDataResult>;

/** One point of a learning curve: the mean over seeds of one dataset × k × init × sample count. */
export interface CurvePoint {
  dataset: string;
  k: number;
  init: string;
  series: string;
  samples: number;
  seeds: number;
  testMse: number;
  trainMse: number;
  reconstructionErr: number;
  hoyer: number;
  nearZero: number;
  nIter: number;
  fitSeconds: number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
export const seriesName = (k: number, init: string) => `k = ${k}, ${init}`;
const fmt = (n: number) => n.toLocaleString('en-US');

export function curvePoints(runs: readonly Stored[]): CurvePoint[] {
  const groups = new Map<string, Stored[]>();
  for (const r of runs) {
    const key = `${r.config.dataset}|${r.config.k}|${r.config.init}|${r.result.trainCount}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .map((g) => {
      const { dataset, k, init } = g[0].config;
      const of = (f: (r: NmfDataResult) => number) => mean(g.map((r) => f(r.result)));
      return {
        dataset,
        k,
        init,
        series: seriesName(k, init),
        samples: g[0].result.trainCount,
        seeds: g.length,
        testMse: of((r) => r.testMse),
        trainMse: of((r) => r.trainMse),
        reconstructionErr: of((r) => r.reconstructionErr),
        hoyer: of((r) => r.hoyer),
        nearZero: of((r) => r.nearZero),
        nIter: of((r) => r.nIter),
        fitSeconds: of((r) => r.fitSeconds),
      };
    })
    .sort(
      (a, b) =>
        (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) ||
        b.k - a.k ||
        (a.init < b.init ? -1 : a.init > b.init ? 1 : 0) ||
        a.samples - b.samples,
    );
}

/** Sentences from the numbers: how each curve falls, how sparsity moves, and init against init. */
export function generatedFindings(points: readonly CurvePoint[]): string[] {
  const lines: string[] = [];
  const bySeries = new Map<string, CurvePoint[]>();
  for (const p of points)
    bySeries.set(`${p.dataset}|${p.series}`, [...(bySeries.get(`${p.dataset}|${p.series}`) ?? []), p]);
  for (const ps of bySeries.values()) {
    if (ps.length < 2) continue;
    const a = ps[0];
    const b = ps[ps.length - 1];
    const falls = b.testMse < a.testMse;
    lines.push(
      `${a.dataset}, ${a.series}: test MSE ${falls ? 'falls' : 'rises'} from ${a.testMse.toPrecision(4)} at ${fmt(a.samples)} training samples to ${b.testMse.toPrecision(4)} at ${fmt(b.samples)} (×${(b.testMse / a.testMse).toFixed(3)}); the gap test − train MSE goes from ${(a.testMse - a.trainMse).toPrecision(3)} to ${(b.testMse - b.trainMse).toPrecision(3)}; mean Hoyer sparsity of the components goes from ${a.hoyer.toFixed(3)} to ${b.hoyer.toFixed(3)} and the near-zero fraction from ${a.nearZero.toFixed(3)} to ${b.nearZero.toFixed(3)}.`,
    );
  }
  // Init against init at the same data set, k and sample count.
  const pairs = new Map<string, CurvePoint[]>();
  for (const p of points) {
    const key = `${p.dataset}|${p.k}`;
    pairs.set(key, [...(pairs.get(key) ?? []), p]);
  }
  for (const ps of pairs.values()) {
    const inits = [...new Set(ps.map((p) => p.init))].sort();
    if (inits.length < 2) continue;
    for (let i = 0; i < inits.length; i++)
      for (let j = i + 1; j < inits.length; j++) {
        const shared = [...new Set(ps.map((p) => p.samples))].filter(
          (n) =>
            ps.some((p) => p.samples === n && p.init === inits[i]) &&
            ps.some((p) => p.samples === n && p.init === inits[j]),
        );
        if (shared.length === 0) continue;
        const at = (init: string, n: number) =>
          ps.find((p) => p.init === init && p.samples === n) as CurvePoint;
        const wins = shared.filter((n) => at(inits[i], n).testMse < at(inits[j], n).testMse).length;
        const ratios = shared.map((n) => at(inits[i], n).testMse / at(inits[j], n).testMse);
        lines.push(
          `${ps[0].dataset}, k = ${ps[0].k}: ${inits[i]} has a lower test MSE than ${inits[j]} at ${wins} of ${shared.length} sample counts (test-MSE ratio ${inits[i]}/${inits[j]} from ${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)}).`,
        );
      }
  }
  return lines;
}

/** The learning curve of one data set: test MSE against training samples (log x), a line per k × init. */
export function learningCurveSpec(dataset: string, points: readonly CurvePoint[]): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${dataset}: NMF test MSE against training samples`,
    width: 520,
    height: 320,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'samples',
        type: 'quantitative',
        title: 'training samples (log scale)',
        scale: { type: 'log', nice: false, padding: 12 },
        axis: { values: [...new Set(points.map((p) => p.samples))], format: ',d' },
      },
      y: {
        field: 'testMse',
        type: 'quantitative',
        title: 'test MSE (transform with H fixed)',
        scale: { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

export const gridFile = (r: NmfDataRun) =>
  `components/${r.dataset}__k${r.k}__${r.init}__n${r.samples}__seed${r.seed}`;

export async function writeReport(input: Input): Promise<StudyReportFiles> {
  const { dir, spec } = input;
  const figures: string[] = [];
  const points = curvePoints(input.runs);
  const md: string[] = [`# ${spec.name}`, ''];
  if (spec.description) md.push(escapeMarkdownText(spec.description), '');
  md.push(
    `NMF of data X ≈ W·H (${spec.solver}, at most ${spec.maxIter} iterations, tol ${spec.tol}${spec.alphaW > 0 ? `, alpha_W ${spec.alphaW}, alpha_H ${spec.alphaH}, l1_ratio ${spec.l1Ratio}` : ''}) on the first n training images; the test images are encoded with H fixed (scikit-learn's transform). Test MSE = ‖T − W_T·H‖²/(m·d); reconstruction_err_ = ‖X − WH‖_F on the n training images (it grows with n); Hoyer = mean Hoyer sparsity of the k basis images (0 flat, 1 a single pixel); near-zero = mean fraction of pixels ≤ 1% of their basis image's maximum.`,
    '',
  );
  const findings = generatedFindings(points);
  if (findings.length > 0)
    md.push('## Findings (generated from the numbers)', '', ...findings.map((l) => `- ${l}`), '');

  // Component grids: one per stored run, seed = the first seed.
  const firstSeed = spec.firstSeed;
  for (const r of input.runs) {
    if (r.config.seed !== firstSeed) continue;
    const { k, init, dataset } = r.config;
    const title = `${dataset} · k = ${k} · ${init} · ${fmt(r.result.trainCount)} training samples`;
    const png = componentGridPng(decodeFloat32(r.result.components), k, r.result.imageShape, title);
    figures.push(...writeFigure(join(dir, gridFile(r.config)), { png }));
  }

  for (const entry of spec.datasets) {
    const dataset = labelOf(entry);
    const mine = points.filter((p) => p.dataset === dataset);
    if (mine.length === 0) continue;
    md.push(`## ${dataset}`, '');
    const curve = await writeVegaFigure(dir, `learning-curve_${dataset}`, learningCurveSpec(dataset, mine));
    figures.push(...curve);
    md.push(`![learning curve](learning-curve_${dataset}.png)`, '');
    for (const series of [...new Set(mine.map((p) => p.series))]) {
      const ps = mine.filter((p) => p.series === series);
      md.push(
        `### ${dataset}, ${series}`,
        '',
        '| samples | test MSE | train reconstruction_err_ | train MSE | Hoyer | near-zero | n_iter_ | seeds | fit s |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...ps.map(
          (p) =>
            `| ${fmt(p.samples)} | ${p.testMse.toFixed(5)} | ${p.reconstructionErr.toFixed(2)} | ${p.trainMse.toFixed(5)} | ${p.hoyer.toFixed(3)} | ${p.nearZero.toFixed(3)} | ${p.nIter.toFixed(0)} | ${p.seeds} | ${p.fitSeconds.toFixed(2)} |`,
        ),
        '',
      );
      // The grids at the smallest and the largest sample count; the rest are linked.
      const runs = input.runs
        .filter(
          (r) =>
            r.config.dataset === dataset &&
            seriesName(r.config.k, r.config.init) === series &&
            r.config.seed === firstSeed,
        )
        .sort((a, b) => a.result.trainCount - b.result.trainCount);
      const shown = runs.length > 1 ? [runs[0], runs[runs.length - 1]] : runs;
      for (const r of shown)
        md.push(`![components at ${fmt(r.result.trainCount)} samples](${gridFile(r.config)}.png)`, '');
      const rest = runs.filter((r) => !shown.includes(r));
      if (rest.length > 0)
        md.push(
          `Other sample counts: ${rest.map((r) => `[${fmt(r.result.trainCount)}](${gridFile(r.config)}.png)`).join(', ')}.`,
          '',
        );
    }
  }
  const missing = input.missing.map(
    (c) => `- ${c.id}: ${input.failed.find((f) => f.config.id === c.id)?.error.split('\n')[0] ?? 'not run'}`,
  );
  if (missing.length > 0) md.push(`## Missing runs (${missing.length})`, '', ...missing, '');
  const reportMd = join(dir, 'report.md');
  writeFileAtomicSync(reportMd, md.join('\n'));
  const resultsJson = join(dir, 'results.json');
  writeFileAtomicSync(
    resultsJson,
    `${JSON.stringify({ schema: 'nmfinit.nmf-data/1', points, findings }, null, 2)}\n`,
  );
  return { reportMd, resultsJson, figures };
}

// The report of an 'nmf-data' study, described from stored runs only: component grids, one
// learning curve per data set (test MSE against training samples, log x), the notes' tables, and
// sentences generated from the numbers. The machinery renders it to report.md and report.html.
import {
  type DocBlock,
  type DocSection,
  type DocTable,
  decodeFloat32,
  htmlId,
  type ReportDocument,
  runsIndex,
  type StoredRun,
  type StudyReportInput,
} from 'nmfinit';
import { componentGridPng } from './component-grid.ts';
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

const right = (key: string, label: string) => ({ key, label, align: 'right' as const });
const cell = (value: number, text: string) => ({ value, text });

/** The table of one series: a row per sample count (means over seeds). */
function pointsTable(id: string, ps: readonly CurvePoint[]): DocTable {
  return {
    type: 'table',
    id,
    columns: [
      right('samples', 'samples'),
      right('testMse', 'test MSE'),
      right('reconstructionErr', 'train reconstruction_err_'),
      right('trainMse', 'train MSE'),
      right('hoyer', 'Hoyer'),
      right('nearZero', 'near-zero'),
      right('nIter', 'n_iter_'),
      right('seeds', 'seeds'),
      right('fitSeconds', 'fit s'),
    ],
    rows: ps.map((p) => ({
      samples: cell(p.samples, fmt(p.samples)),
      testMse: cell(p.testMse, p.testMse.toFixed(5)),
      reconstructionErr: cell(p.reconstructionErr, p.reconstructionErr.toFixed(2)),
      trainMse: cell(p.trainMse, p.trainMse.toFixed(5)),
      hoyer: cell(p.hoyer, p.hoyer.toFixed(3)),
      nearZero: cell(p.nearZero, p.nearZero.toFixed(3)),
      nIter: cell(p.nIter, p.nIter.toFixed(0)),
      seeds: p.seeds,
      fitSeconds: cell(p.fitSeconds, p.fitSeconds.toFixed(2)),
    })),
  };
}

/**
 * The report: the generated findings; per data set its learning curve, and per k × init the table
 * of its points and the component grids at the smallest and the largest sample count (the grids
 * of the other sample counts are written beside it and linked); every run.
 */
export function nmfDataDocument(input: Input): ReportDocument {
  const { spec } = input;
  const points = curvePoints(input.runs);
  const sections: DocSection[] = [];
  const findings = generatedFindings(points);
  if (findings.length > 0)
    sections.push({
      title: 'Findings (generated from the numbers)',
      blocks: [{ type: 'list', items: findings }],
    });
  // Component grids of the first seed's runs: two per series shown, the rest attached.
  const grid = (r: Stored) => ({
    file: gridFile(r.config),
    png: componentGridPng(
      decodeFloat32(r.result.components),
      r.config.k,
      r.result.imageShape,
      `${r.config.dataset} · k = ${r.config.k} · ${r.config.init} · ${fmt(r.result.trainCount)} training samples`,
    ),
  });
  const shownRuns = new Set<Stored>();
  for (const entry of spec.datasets) {
    const dataset = labelOf(entry);
    const mine = points.filter((p) => p.dataset === dataset);
    if (mine.length === 0) continue;
    const subsections: DocSection[] = [];
    for (const series of [...new Set(mine.map((p) => p.series))]) {
      const blocks: DocBlock[] = [
        pointsTable(
          `points-${htmlId(dataset)}-${htmlId(series)}`,
          mine.filter((p) => p.series === series),
        ),
      ];
      const runs = input.runs
        .filter(
          (r) =>
            r.config.dataset === dataset &&
            seriesName(r.config.k, r.config.init) === series &&
            r.config.seed === spec.firstSeed,
        )
        .sort((a, b) => a.result.trainCount - b.result.trainCount);
      const shown = runs.length > 1 ? [runs[0], runs[runs.length - 1]] : runs;
      for (const r of shown) {
        shownRuns.add(r);
        blocks.push({
          type: 'image',
          ...grid(r),
          alt: `components at ${fmt(r.result.trainCount)} samples`,
          title: `${series}: components at ${fmt(r.result.trainCount)} training samples (seed ${r.config.seed})`,
        });
      }
      const rest = runs.filter((r) => !shown.includes(r));
      if (rest.length > 0)
        blocks.push({
          type: 'text',
          text: `Other sample counts: ${rest.map((r) => `[${fmt(r.result.trainCount)}](${gridFile(r.config)}.png)`).join(', ')}.`,
        });
      subsections.push({ title: `${dataset}, ${series}`, blocks });
    }
    sections.push({
      title: dataset,
      blocks: [
        {
          type: 'figure',
          file: `learning-curve_${dataset}`,
          alt: 'learning curve',
          spec: learningCurveSpec(dataset, mine),
          toggles: [{ field: 'series', label: 'k and init' }],
          yScale: 'linear',
        },
      ],
      subsections,
    });
  }
  const attachments = input.runs
    .filter((r) => r.config.seed === spec.firstSeed && !shownRuns.has(r))
    .map(grid);
  return {
    title: spec.name,
    description: spec.description,
    intro: [
      {
        type: 'text',
        text: `NMF of data X ≈ W·H (${spec.solver}, at most ${spec.maxIter} iterations, tol ${spec.tol}${spec.alphaW > 0 ? `, alpha_W ${spec.alphaW}, alpha_H ${spec.alphaH}, l1_ratio ${spec.l1Ratio}` : ''}) on the first n training images; the test images are encoded with H fixed (scikit-learn's transform). Test MSE = ‖T − W_T·H‖²/(m·d); reconstruction_err_ = ‖X − WH‖_F on the n training images (it grows with n); Hoyer = mean Hoyer sparsity of the k basis images (0 flat, 1 a single pixel); near-zero = mean fraction of pixels ≤ 1% of their basis image's maximum.`,
      },
    ],
    sections,
    meta: [{ label: 'solver', value: `${spec.solver}, at most ${spec.maxIter} iterations, tol ${spec.tol}` }],
    runs: runsIndex(
      input.runs,
      [
        { key: 'dataset', label: 'data' },
        { key: 'k', label: 'k' },
        { key: 'init', label: 'init' },
        { key: 'samples', label: 'samples' },
        { key: 'seed', label: 'seed' },
        { key: 'testMse', label: 'test MSE' },
        { key: 'nIter', label: 'n_iter_' },
        { key: 'fitSeconds', label: 'fit s' },
      ],
      (r) => ({
        dataset: r.config.dataset,
        k: r.config.k,
        init: r.config.init,
        samples: r.result.trainCount,
        seed: r.config.seed,
        testMse: r.result.testMse,
        nIter: r.result.nIter,
        fitSeconds: r.result.fitSeconds,
      }),
      // The components are in the grids; the rest of the result is shown as it is stored.
      (r) => {
        const { components: _, ...result } = r.result;
        return { config: r.config, result };
      },
    ),
    attachments,
    results: { schema: 'nmfinit.nmf-data/1', points, findings },
  };
}

// The report of an 'nmf-data' study, described from stored runs only: component grids, one
// learning curve per data set (test MSE against training samples, log x), the notes' tables, and
// sentences generated from the numbers. The machinery renders it to report.md and report.html.
import {
  columnTable,
  type DocBlock,
  type DocSection,
  type DocTable,
  datasets,
  decodeFloat32,
  displayNames,
  htmlId,
  numberCell,
  type ReportDocument,
  rightColumn,
  runsIndex,
  type StoredRun,
  type StudyReportInput,
  WALL_TIME_NOTE,
  wallLabel,
} from 'nmfinit';
import { componentGridPng } from './component-grid.ts';
import {
  type CurvePoint,
  curvePoints,
  fmt,
  generatedFindings,
  learningCurveSpec,
  seriesName,
} from './curves.ts';
import type { NmfDataResult, NmfDataRun } from './run.ts';
import { labelOf, type NmfDataSpec } from './spec.ts';

type Input = StudyReportInput<NmfDataSpec, NmfDataRun, NmfDataResult>;
type Stored = StoredRun<NmfDataRun, NmfDataResult>;

export const gridFile = (r: NmfDataRun) =>
  `components/${r.dataset}__k${r.k}__${r.init}__n${r.samples}__seed${r.seed}`;

/** The table of one series: a row per sample count (means over seeds). */
function pointsTable(id: string, ps: readonly CurvePoint[]): DocTable {
  type Measure = 'testMse' | 'reconstructionErr' | 'trainMse' | 'hoyer' | 'nearZero' | 'nIter' | 'fitSeconds';
  const fixed = (key: Measure, label: string, digits: number) =>
    rightColumn(key, label, (p: CurvePoint) => numberCell(p[key], p[key].toFixed(digits)));
  return columnTable(
    id,
    [
      rightColumn<CurvePoint>('samples', 'samples', (p) => numberCell(p.samples, fmt(p.samples))),
      fixed('testMse', 'test MSE', 5),
      fixed('reconstructionErr', 'train reconstruction_err_', 2),
      fixed('trainMse', 'train MSE', 5),
      fixed('hoyer', 'Hoyer', 3),
      fixed('nearZero', 'near-zero', 3),
      fixed('nIter', 'n_iter_', 0),
      rightColumn<CurvePoint>('seeds', 'seeds', (p) => p.seeds),
      fixed('fitSeconds', wallLabel('fit'), 2),
    ],
    ps,
  );
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
      `${names.get(r.config.dataset) ?? r.config.dataset} · k = ${r.config.k} · ${r.config.init} · ${fmt(r.result.trainCount)} training samples`,
    ),
  });
  const names = displayNames(spec.datasets, (n) => (datasets.has(n) ? datasets.get(n) : undefined));
  const shownRuns = new Set<Stored>();
  let timeNoted = false;
  for (const entry of spec.datasets) {
    const dataset = labelOf(entry);
    const mine = points.filter((p) => p.dataset === dataset);
    if (mine.length === 0) continue;
    const subsections: DocSection[] = [];
    for (const series of [...new Set(mine.map((p) => p.series))]) {
      // The wall-time caveat once, above the first table with a time column.
      const blocks: DocBlock[] = [
        ...(timeNoted ? [] : [{ type: 'text' as const, text: WALL_TIME_NOTE }]),
        pointsTable(
          `points-${htmlId(dataset)}-${htmlId(series)}`,
          mine.filter((p) => p.series === series),
        ),
      ];
      timeNoted = true;
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
          spec: learningCurveSpec(names.get(dataset) ?? dataset, mine),
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
        { key: 'dataset', label: 'data', value: (r) => r.config.dataset },
        { key: 'k', label: 'k', value: (r) => r.config.k },
        { key: 'init', label: 'init', value: (r) => r.config.init },
        { key: 'samples', label: 'samples', value: (r) => r.result.trainCount },
        { key: 'seed', label: 'seed', value: (r) => r.config.seed },
        { key: 'testMse', label: 'test MSE', value: (r) => r.result.testMse },
        { key: 'nIter', label: 'n_iter_', value: (r) => r.result.nIter },
        { key: 'fitSeconds', label: wallLabel('fit'), value: (r) => r.result.fitSeconds },
      ],
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

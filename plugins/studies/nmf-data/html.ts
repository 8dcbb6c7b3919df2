import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HtmlBlock,
  type HtmlReport,
  htmlId,
  imageFileBlock,
  missingRunsSection,
  reportMeta,
  runCountMeta,
  runsIndex,
  type StudyReportInput,
  withTooltips,
  writeReportHtml,
} from 'nmfinit';
import { curvePoints, generatedFindings, gridFile, learningCurveSpec, seriesName } from './report.ts';
import type { NmfDataResult, NmfDataRun } from './run.ts';
import { labelOf, type NmfDataSpec } from './spec.ts';

type Input = StudyReportInput<NmfDataSpec, NmfDataRun, NmfDataResult>;

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * The nmf-data study's report.html: the generated findings; per data set the learning curve
 * (tooltips, a toggle per k × init, log/linear), the table of every point, and the component
 * grids at the smallest and largest sample count of each series; every run.
 */
export function writeNmfDataHtml(input: Input): string {
  const { spec, dir } = input;
  const points = curvePoints(input.runs);
  const sections: HtmlReport['sections'] = [];
  const findings = generatedFindings(points);
  if (findings.length > 0)
    sections.push({
      title: 'Findings (generated from the numbers)',
      blocks: findings.map((text) => ({ type: 'text' as const, text })),
    });
  for (const entry of spec.datasets) {
    const dataset = labelOf(entry);
    const mine = points.filter((p) => p.dataset === dataset);
    if (mine.length === 0) continue;
    const key = htmlId(dataset);
    const blocks: HtmlBlock[] = [
      {
        type: 'chart',
        id: `curve-${key}`,
        spec: withTooltips(learningCurveSpec(dataset, mine)),
        toggles: [{ field: 'series', label: 'k and init' }],
        yScale: 'linear',
      },
      {
        type: 'table',
        id: `points-${key}`,
        title: 'Mean over seeds',
        columns: [
          { key: 'series', label: 'k and init' },
          { key: 'samples', label: 'samples' },
          { key: 'testMse', label: 'test MSE' },
          { key: 'reconstructionErr', label: 'train reconstruction_err_' },
          { key: 'trainMse', label: 'train MSE' },
          { key: 'hoyer', label: 'Hoyer' },
          { key: 'nearZero', label: 'near-zero' },
          { key: 'nIter', label: 'n_iter_' },
          { key: 'seeds', label: 'seeds' },
          { key: 'fitSeconds', label: 'fit s' },
        ],
        rows: mine.map((p) => ({ ...p })),
      },
    ];
    for (const series of [...new Set(mine.map((p) => p.series))]) {
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
        const file = join(dir, `${gridFile(r.config)}.png`);
        if (existsSync(file))
          blocks.push(
            imageFileBlock(
              file,
              `${series}: components at ${fmt(r.result.trainCount)} training samples (seed ${r.config.seed})`,
            ),
          );
      }
    }
    sections.push({ title: dataset, blocks });
  }
  sections.push(...missingRunsSection(input.missing, input.failed));
  const report: HtmlReport = {
    title: spec.name,
    description: spec.description ?? '',
    meta: reportMeta([
      { label: 'solver', value: `${spec.solver}, at most ${spec.maxIter} iterations, tol ${spec.tol}` },
      runCountMeta(input),
    ]),
    sections,
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
  };
  return writeReportHtml(dir, report);
}

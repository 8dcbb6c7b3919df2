import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatMeanSd,
  type HtmlBlock,
  type HtmlCell,
  type HtmlReport,
  type HtmlRunDetail,
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
import { byConfig, configName, curveSpec, densitySpec } from './report.ts';
import type { SaeResult } from './run.ts';
import { entryLabel, type SaeRun, type SaeSpec } from './spec.ts';
import { auxVerdicts, dictionaryVerdicts, type StoredSae } from './verdicts.ts';

type Input = StudyReportInput<SaeSpec, SaeRun, SaeResult>;
type Run = Input['runs'][number];

const TOGGLES = [
  { field: 'aux', label: 'AuxK' },
  { field: 'dictionary', label: 'dictionary' },
];

/** A mean ± sd cell that sorts by the mean. */
function meanCell(values: number[], scale = 1): HtmlCell {
  const v = values.filter(Number.isFinite).map((x) => x * scale);
  return {
    value: v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null,
    text: formatMeanSd(v, 3),
  };
}

/**
 * The sae study's report.html: per data set entry the configuration table, the normalised-MSE,
 * dead-fraction and density charts (the report's own figures, with tooltips and toggles), the
 * atom grid; the verdicts; every run with its records.
 */
export function writeSaeHtml(input: Input): string {
  const { spec, dir } = input;
  const runs: StoredSae[] = input.runs.map((r) => ({ config: r.config, result: r.result }));
  const sections: HtmlReport['sections'] = [];
  for (const entry of spec.datasets) {
    const label = entryLabel(entry);
    const here = runs.filter((r) => r.config.label === label);
    if (here.length === 0) continue;
    const key = htmlId(label);
    const blocks: HtmlBlock[] = [
      {
        type: 'table',
        id: `configs-${key}`,
        title: 'Per configuration (mean ± sd over seeds)',
        columns: [
          { key: 'n', label: 'n' },
          { key: 'k', label: 'k' },
          { key: 'aux', label: 'AuxK' },
          { key: 'dictionary', label: 'dictionary' },
          { key: 'seeds', label: 'seeds' },
          { key: 'mse', label: 'normalised MSE' },
          { key: 'l0', label: 'L0' },
          { key: 'dead', label: 'dead %' },
          { key: 'never', label: 'never fired %' },
          { key: 'recovery', label: 'recovery' },
          { key: 'speed', label: 'samples/s' },
        ],
        rows: byConfig(here).map((g) => {
          const c = g[0].config;
          const f = (pick: (r: SaeResult) => number) => g.map((r) => pick(r.result));
          return {
            n: c.latents,
            k: c.k,
            aux: c.aux ? 'yes' : 'no',
            dictionary: c.dictionary,
            seeds: g.length,
            mse: meanCell(f((r) => r.final.normalizedMse)),
            l0: meanCell(f((r) => r.final.l0)),
            dead: meanCell(
              f((r) => r.final.deadFraction),
              100,
            ),
            never: meanCell(
              f((r) => r.final.neverFiredFraction),
              100,
            ),
            recovery: meanCell(f((r) => r.recovery ?? Number.NaN)),
            speed: meanCell(f((r) => r.samplesPerSecond)),
          };
        }),
      },
      {
        type: 'chart',
        id: `mse-${key}`,
        spec: withTooltips(curveSpec(label, here, 'normalizedMse')),
        toggles: TOGGLES,
        yScale: 'log',
      },
      {
        type: 'chart',
        id: `dead-${key}`,
        spec: withTooltips(curveSpec(label, here, 'deadFraction')),
        toggles: TOGGLES,
      },
      { type: 'chart', id: `density-${key}`, spec: withTooltips(densitySpec(label, here)), toggles: TOGGLES },
    ];
    const atoms = join(dir, `atoms-${label}.png`);
    if (existsSync(atoms))
      blocks.push(imageFileBlock(atoms, `${label}: decoder atoms, seed ${spec.firstSeed}`));
    sections.push({ title: label, blocks });
  }
  const aux = auxVerdicts(runs);
  const dataKey = (c: SaeRun) => {
    const e = spec.datasets[c.dataset];
    return `${e.name}|${JSON.stringify(e.params)}|${e.trainSamples}|${e.evalSamples}`;
  };
  const dict = dictionaryVerdicts(runs, dataKey);
  sections.push({
    title: 'Verdicts',
    blocks: [
      {
        type: 'table',
        id: 'verdicts',
        caption:
          "Generated from the stored runs: Wilcoxon's signed-rank test over the (configuration, seed) pairs of an entry, two-sided.",
        columns: [
          { key: 'claim', label: 'claim' },
          { key: 'label', label: 'entry' },
          { key: 'pairs', label: 'pairs' },
          { key: 'split', label: 'lower / equal / higher' },
          { key: 'diff', label: 'mean difference' },
          { key: 'p', label: 'Wilcoxon p' },
          { key: 'status', label: 'verdict' },
        ],
        rows: [...aux.verdicts, ...dict.verdicts].map((v) => ({
          claim: v.claim,
          label: v.label,
          pairs: v.pairs,
          split: `${v.lower} / ${v.ties} / ${v.higher}`,
          diff: v.meanDifference,
          p: v.wilcoxonP,
          status: v.status,
        })),
      },
    ],
  });
  sections.push(...missingRunsSection(input.missing, input.failed));
  const report: HtmlReport = {
    title: spec.name,
    description: spec.description,
    meta: reportMeta([runCountMeta(input)]),
    sections,
    runs: runsIndex(
      input.runs,
      [
        { key: 'config', label: 'configuration' },
        { key: 'seed', label: 'seed' },
        { key: 'mse', label: 'normalised MSE' },
        { key: 'l0', label: 'L0' },
        { key: 'dead', label: 'dead fraction' },
        { key: 'seconds', label: 'seconds' },
      ],
      (r) => ({
        config: `${r.config.label}: ${configName(r.config)}`,
        seed: r.config.seed,
        mse: r.result.final.normalizedMse,
        l0: r.result.final.l0,
        dead: r.result.final.deadFraction,
        seconds: r.result.seconds,
      }),
      (r) => runDetail(r),
    ),
  };
  return writeReportHtml(dir, report);
}

function runDetail(r: Run): HtmlRunDetail {
  return {
    config: r.config,
    epochs: {
      type: 'table',
      id: `run-records-${htmlId(r.id)}`,
      title: 'Per record',
      columns: [
        { key: 'step', label: 'step' },
        { key: 'samples', label: 'training samples' },
        { key: 'loss', label: 'training loss' },
        { key: 'normalizedMse', label: 'normalised MSE' },
        { key: 'l0', label: 'L0' },
        { key: 'deadFraction', label: 'dead fraction' },
      ],
      rows: r.result.records.map((x) => ({ ...x })),
    },
    result: {
      final: r.result.final,
      recovery: r.result.recovery,
      steps: r.result.steps,
      seconds: r.result.seconds,
      samplesPerSecond: r.result.samplesPerSecond,
    },
  };
}

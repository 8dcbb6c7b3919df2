import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HtmlBlock,
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
import { pcaArtifactSchema } from './data.ts';
import { learningCurveSpec, overlapSpec } from './report.ts';
import { configName, configTitle, type ShallowPcaResult, type ShallowPcaRun } from './run.ts';
import type { ShallowPcaSpec } from './spec.ts';
import { realImageVerdict, summarize, verdicts } from './verdicts.ts';

type Input = StudyReportInput<ShallowPcaSpec, ShallowPcaRun, ShallowPcaResult>;
type Run = Input['runs'][number];

const ratio = (r: ShallowPcaResult) => (r.finalTestMse === null ? null : r.finalTestMse / r.pcaMse);

/**
 * The shallow-pca study's report.html: per data set the learning curves and the overlaps (the
 * report's own figures, with tooltips and toggles), the learned weights, the per-configuration
 * table; the verdicts; every run with its records.
 */
export function writeShallowPcaHtml(input: Input): string {
  const { spec, artifacts, dir } = input;
  const runs = input.runs.map((r) => ({ config: r.config, result: r.result }));
  const summaries = summarize(runs, spec.tolerance, spec.overlapThreshold);
  const all = verdicts(summaries, spec.tolerance, spec.overlapThreshold);
  const isImage = (label: string) => {
    const [h, w] = artifacts.read(`pca/${label}.json`, pcaArtifactSchema).imageShape;
    return h > 1 && w > 1;
  };
  const synthetic = spec.datasets.find((d) => !isImage(d.label))?.label;
  const images = spec.datasets.find((d) => isImage(d.label))?.label;
  const real = synthetic && images ? realImageVerdict(all, synthetic, images) : null;
  if (real) all.push(real);

  const sections: HtmlReport['sections'] = [];
  for (const ds of spec.datasets) {
    const here = input.runs.filter((r) => r.config.dataset === ds.label);
    if (here.length === 0) continue;
    const pca = artifacts.read(`pca/${ds.label}.json`, pcaArtifactSchema);
    const title = ds.title ?? ds.label;
    const shown =
      here.find((r) => r.config.activation === 'linear' && r.config.tied && r.config.bias === 'none') ??
      here[0];
    const blocks: HtmlBlock[] = [
      {
        type: 'text',
        text: `D = ${pca.d}, K = ${pca.k}, ${ds.steps} steps, η = ${ds.lr}; PCA-${pca.k} test MSE ${pca.pcaMse.toPrecision(4)}.`,
      },
      {
        type: 'chart',
        id: `curves-${htmlId(ds.label)}`,
        spec: withTooltips(learningCurveSpec(title, here, pca.pcaMse, pca.k)),
        toggles: [
          { field: 'g', label: 'g' },
          { field: 'biases', label: 'biases' },
          { field: 'weights', label: 'weights' },
        ],
        yScale: 'log',
      },
      {
        type: 'chart',
        id: `overlap-${htmlId(ds.label)}`,
        spec: withTooltips(overlapSpec(title, shown, spec.overlapThreshold)),
        toggles: [{ field: 'component', label: 'component' }],
      },
    ];
    const weights = join(dir, `weights-${ds.label}.png`);
    if (existsSync(weights))
      blocks.push(imageFileBlock(weights, `${title}: learned w^k, seed ${spec.firstSeed}`));
    blocks.push({
      type: 'table',
      id: `configs-${htmlId(ds.label)}`,
      title: 'Per configuration',
      columns: [
        { key: 'config', label: 'configuration' },
        { key: 'seeds', label: 'seeds' },
        { key: 'reached', label: 'reached PCA' },
        { key: 'ratio', label: 'mean MSE / PCA-K' },
        { key: 'ordered', label: 'components in order' },
      ],
      rows: summaries
        .filter((s) => s.dataset === ds.label)
        .map((s) => {
          const finite = s.ratios.filter(Number.isFinite);
          const mean = finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : null;
          return {
            config: s.config,
            seeds: s.seeds,
            reached: { value: s.reached / s.seeds, text: `${s.reached}/${s.seeds}` },
            ratio: {
              value: mean,
              text: s.ratios.map((q) => (Number.isFinite(q) ? q.toFixed(3) : 'diverged')).join(', '),
            },
            ordered: { value: s.ordered, text: `${s.ordered}/${s.allCrossed}` },
          };
        }),
    });
    sections.push({ title, blocks });
  }
  sections.push({
    title: 'Verdicts',
    blocks: [
      {
        type: 'table',
        id: 'verdicts',
        caption: `Generated from the stored runs: "reaches" means final test MSE ≤ ${1 + spec.tolerance} × PCA-K.`,
        columns: [
          { key: 'claim', label: 'claim' },
          { key: 'dataset', label: 'data' },
          { key: 'verdict', label: 'verdict' },
          { key: 'evidence', label: 'numbers' },
        ],
        rows: all.map((v) => ({
          claim: v.claim,
          dataset: v.dataset,
          verdict: v.holds ? 'holds' : 'does not hold',
          evidence: v.evidence,
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
        { key: 'dataset', label: 'data' },
        { key: 'config', label: 'configuration' },
        { key: 'seed', label: 'seed' },
        { key: 'mse', label: 'final test MSE' },
        { key: 'ratio', label: 'MSE / PCA-K' },
      ],
      (r) => ({
        dataset: r.config.dataset,
        config: configName(r.config),
        seed: r.config.seed,
        mse: r.result.finalTestMse,
        ratio: ratio(r.result),
      }),
      (r) => runDetail(r),
    ),
  };
  return writeReportHtml(dir, report);
}

function runDetail(r: Run): HtmlRunDetail {
  const k = r.result.records[0]?.subspace.length ?? 0;
  return {
    config: r.config,
    epochs: {
      type: 'table',
      id: `run-records-${htmlId(r.id)}`,
      title: `${configTitle(r.config)}: per recorded step`,
      columns: [
        { key: 'step', label: 'step' },
        { key: 'mse', label: 'test MSE' },
        ...Array.from({ length: k }, (_, m) => ({ key: `pc${m}`, label: `overlap PC ${m + 1}` })),
      ],
      rows: r.result.records.map((x) => ({
        step: x.step,
        mse: Number.isFinite(x.testMse) ? x.testMse : null,
        ...Object.fromEntries(x.subspace.map((o, m) => [`pc${m}`, o])),
      })),
    },
    result: { pcaMse: r.result.pcaMse, finalTestMse: r.result.finalTestMse, diverged: r.result.diverged },
  };
}

import {
  columnTable,
  type DocBlock,
  type DocCell,
  type DocSection,
  datasets,
  displayNames,
  type HtmlRunDetail,
  htmlId,
  imageGridPng,
  type ReportDocument,
  runsIndex,
  type StudyReportInput,
} from 'nmfinit';
import { ablationSection, comparisonSection, studyVerdicts } from './compare.ts';
import { pcaArtifactSchema } from './data.ts';
import { learningCurveSpec, overlapMatrixSpec, overlapSpec, weightImage } from './figures.ts';
import { configName, configTitle, type ShallowPcaResult, type ShallowPcaRun } from './run.ts';
import type { ShallowPcaSpec } from './spec.ts';
import type { summarize } from './verdicts.ts';

type Input = StudyReportInput<ShallowPcaSpec, ShallowPcaRun, ShallowPcaResult>;
type Run = Input['runs'][number];

const ratio = (r: ShallowPcaResult) => (r.finalTestMse === null ? null : r.finalTestMse / r.pcaMse);

/** A configuration's MSE / PCA-K per seed, sorted by their mean. */
function ratioCell(s: ReturnType<typeof summarize>[number]): DocCell {
  const finite = s.ratios.filter(Number.isFinite);
  return {
    value: finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : null,
    text: s.ratios.map((q) => (Number.isFinite(q) ? q.toFixed(3) : 'diverged')).join(', '),
  };
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

/**
 * The run whose overlaps are drawn: one that did not diverge (its records stop early), preferring
 * linear tied without biases (PCA's own solution), then the authors' default (erf, untied, none).
 */
function shownRun<R extends { config: ShallowPcaRun; result: ShallowPcaResult }>(runs: readonly R[]): R {
  const alive = runs.filter((r) => !r.result.diverged);
  const is = (r: R, activation: string, tied: boolean) =>
    r.config.activation === activation && r.config.tied === tied && r.config.bias === 'none';
  return (
    alive.find((r) => is(r, 'linear', true)) ?? alive.find((r) => is(r, 'erf', false)) ?? alive[0] ?? runs[0]
  );
}

/** How tied runs stepped W, said wherever there are tied runs. */
function tiedGradientNote(
  mode: 'full' | 'encoder' | undefined,
  runs: readonly { config: ShallowPcaRun }[],
): string {
  if (!runs.some((r) => r.config.tied)) return '';
  return mode === 'encoder'
    ? " Tied weights step along the encoder's use of W alone; the decoder reads W as a constant (the authors' detached decoder)."
    : ' Tied weights step along the full gradient, the encoder and decoder uses of W summed.';
}

/**
 * The report: per data set the learning curves against PCA-K, one run's overlaps and the learned
 * weights; the verdicts generated from the runs; the table per configuration; every run.
 */
export function shallowPcaDocument(input: Input): ReportDocument {
  const { spec, artifacts } = input;
  const { summaries, all } = studyVerdicts(spec, input.runs, artifacts);
  const comparison = comparisonSection(spec, all);
  const ablation = ablationSection(spec, all);
  const sections: DocSection[] = [];
  const names = displayNames(spec.datasets, (n) => (datasets.has(n) ? datasets.get(n) : undefined));
  for (const ds of spec.datasets) {
    const pca = artifacts.read(`pca/${ds.label}.json`, pcaArtifactSchema);
    const here = input.runs.filter((r) => r.config.dataset === ds.label);
    if (here.length === 0) continue;
    const title = names.get(ds.label) ?? ds.label;
    const shown = shownRun(here);
    const blocks: DocBlock[] = [
      {
        type: 'text',
        text: `D = ${pca.d}, K = ${pca.k}, ${ds.steps} steps (t = steps/D = ${(ds.steps / pca.d).toFixed(0)}), η = ${ds.lr}, PCA-${pca.k} test MSE ${pca.pcaMse.toPrecision(4)}; leading eigenvalues / D: ${pca.eigenvalues
          .slice(0, pca.k + 1)
          .map((e) => (e / pca.d).toPrecision(3))
          .join(', ')}.${tiedGradientNote(spec.model.tiedGradient, here)}`,
      },
      {
        type: 'figure',
        file: `curves-${ds.label}`,
        alt: 'learning curves',
        spec: learningCurveSpec(title, here, pca.pcaMse, pca.k, pca.pcaMseByRank),
        toggles: [
          { field: 'g', label: 'g' },
          { field: 'biases', label: 'biases' },
          { field: 'weights', label: 'weights' },
        ],
        yScale: 'log',
      },
      {
        type: 'figure',
        file: `overlap-${ds.label}`,
        alt: 'overlaps',
        spec: overlapSpec(title, shown, spec.overlapThreshold),
        toggles: [{ field: 'component', label: 'component' }],
      },
    ];
    const matrices = overlapMatrixSpec(title, shown);
    if (matrices)
      blocks.push({
        type: 'figure',
        file: `overlap-matrix-${ds.label}`,
        alt: 'overlap matrices',
        spec: matrices,
      });
    const withWeights = here.filter((r) => r.result.weights && r.config.seed === spec.firstSeed);
    if (withWeights.length > 0)
      blocks.push({
        type: 'image',
        file: `weights-${ds.label}`,
        alt: 'learned weights',
        title: `${title}: learned w^k, seed ${spec.firstSeed}`,
        png: imageGridPng({
          title: `${title}: learned w^k, seed ${spec.firstSeed} (grey = 0)`,
          imageShape: pca.imageShape,
          // Tiles of about 72 px, as the other kinds' image grids (scale 2 gave 16-px tiles of 8×8 data).
          scale: Math.max(2, Math.round(72 / Math.max(...pca.imageShape))),
          gap: 6,
          rows: withWeights.map((r) => ({
            label: configTitle(r.config),
            images: r.result.weights!.map(weightImage),
          })),
        }),
      });
    sections.push({ title, blocks });
  }
  sections.push(
    {
      title: 'Verdicts',
      blocks: [
        {
          type: 'text',
          text: `Generated from the stored runs: "reaches" means final test MSE ≤ ${1 + spec.tolerance} × PCA-K on the test samples.`,
        },
        columnTable(
          'verdicts',
          [
            { key: 'claim', label: 'claim', value: (v) => v.claim },
            { key: 'dataset', label: 'data', value: (v) => v.dataset },
            { key: 'verdict', label: 'verdict', value: (v) => (v.holds ? 'holds' : 'does not hold') },
            { key: 'evidence', label: 'numbers', value: (v) => v.evidence },
          ],
          all,
        ),
      ],
    },
    ...(comparison ? [comparison] : []),
    ...(ablation ? [ablation] : []),
    {
      title: 'Per configuration',
      blocks: [
        columnTable(
          'configs',
          [
            { key: 'dataset', label: 'data', value: (s) => s.dataset },
            { key: 'config', label: 'configuration', value: (s) => s.config },
            { key: 'seeds', label: 'seeds', only: 'html', value: (s) => s.seeds },
            {
              key: 'reached',
              label: 'reached',
              value: (s) => ({ value: s.reached / s.seeds, text: `${s.reached}/${s.seeds}` }),
            },
            { key: 'ratio', label: 'MSE / PCA-K per seed', value: ratioCell },
            {
              key: 'ordered',
              label: 'components in order',
              value: (s) => ({ value: s.ordered, text: `${s.ordered}/${s.allCrossed}` }),
            },
          ],
          summaries,
        ),
      ],
    },
  );
  return {
    title: `${spec.name}: shallow autoencoders against the PCA error`,
    description: spec.description,
    intro: [],
    sections,
    runs: runsIndex(
      input.runs,
      [
        { key: 'dataset', label: 'data', value: (r) => r.config.dataset },
        { key: 'config', label: 'configuration', value: (r) => configName(r.config) },
        { key: 'seed', label: 'seed', value: (r) => r.config.seed },
        { key: 'mse', label: 'final test MSE', value: (r) => r.result.finalTestMse },
        { key: 'ratio', label: 'MSE / PCA-K', value: (r) => ratio(r.result) },
      ],
      runDetail,
    ),
    results: { verdicts: all, summaries },
  };
}

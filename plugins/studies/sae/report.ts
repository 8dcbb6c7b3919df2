import {
  type DocBlock,
  type DocCell,
  type DocSection,
  type DocTable,
  formatMeanSd,
  type HtmlRunDetail,
  htmlId,
  imageGridPng,
  pWithDf,
  type ReportDocument,
  runsIndex,
  STATISTICS_POLICY,
  type StudyReportInput,
  wallLabel,
} from 'nmfinit';
import { dataArtifactSchema } from './data.ts';
import { atomImage, byConfig, configName, curveSpec, densitySpec } from './figures.ts';
import type { SaeResult } from './run.ts';
import { entryLabel, type SaeRun, type SaeSpec } from './spec.ts';
import { ALPHA, auxVerdicts, type ConfigComparison, dictionaryVerdicts, type StoredSae } from './verdicts.ts';

type Input = StudyReportInput<SaeSpec, SaeRun, SaeResult>;

const TOGGLES = [
  { field: 'aux', label: 'AuxK' },
  { field: 'dictionary', label: 'dictionary' },
];
const right = (key: string, label: string) => ({ key, label, align: 'right' as const });
const left = (key: string, label: string) => ({ key, label });

/** A mean ± sd cell as report.md prints it, sorting by the mean of the finite values. */
function meanCell(values: number[], text: string): DocCell {
  const v = values.filter(Number.isFinite);
  return { value: v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null, text };
}

const num = (value: number, text: string): DocCell => ({ value, text });

/** The table of one data set entry: a row per configuration, mean ± sd over seeds. */
function configTable(id: string, here: readonly StoredSae[], truth: boolean) {
  const rows: Record<string, DocCell>[] = [];
  const results: object[] = [];
  for (const group of byConfig(here)) {
    const c = group[0].config;
    const f = (g: (r: SaeResult) => number) => group.map((r) => g(r.result));
    const row = {
      label: c.label,
      latents: c.latents,
      k: c.k,
      aux: c.aux,
      dictionary: c.dictionary,
      seeds: group.length,
      normalizedMse: f((r) => r.final.normalizedMse),
      l0: f((r) => r.final.l0),
      deadFraction: f((r) => r.final.deadFraction),
      neverFiredFraction: f((r) => r.final.neverFiredFraction),
      recovery: truth ? f((r) => r.recovery ?? Number.NaN) : null,
      samplesPerSecond: f((r) => r.samplesPerSecond),
    };
    results.push(row);
    const percent = (xs: number[]) => xs.map((v) => 100 * v);
    rows.push({
      n: c.latents,
      k: c.k,
      aux: c.aux ? 'yes' : 'no',
      dictionary: c.dictionary,
      seeds: group.length,
      mse: meanCell(row.normalizedMse, formatMeanSd(row.normalizedMse)),
      l0: meanCell(row.l0, formatMeanSd(row.l0)),
      dead: meanCell(percent(row.deadFraction), formatMeanSd(percent(row.deadFraction), 3)),
      never: meanCell(percent(row.neverFiredFraction), formatMeanSd(percent(row.neverFiredFraction), 3)),
      ...(row.recovery && { recovery: meanCell(row.recovery, formatMeanSd(row.recovery)) }),
      speed: meanCell(row.samplesPerSecond, formatMeanSd(row.samplesPerSecond, 2)),
    });
  }
  const table: DocTable = {
    type: 'table',
    id,
    title: 'Per configuration (mean ± sd over seeds)',
    columns: [
      right('n', 'n'),
      right('k', 'k'),
      left('aux', 'AuxK'),
      left('dictionary', 'dictionary'),
      right('seeds', 'seeds'),
      right('mse', 'normalised MSE'),
      right('l0', 'L0'),
      right('dead', 'dead %'),
      right('never', 'never fired on eval %'),
      ...(truth ? [right('recovery', 'recovery')] : []),
      right('speed', 'samples/s'),
    ],
    rows,
  };
  return { table, results };
}

/** The exact sign-flip test per configuration, for one comparison. */
function perConfigTable(id: string, configs: readonly ConfigComparison[], what: string): DocTable {
  return {
    type: 'table',
    id,
    columns: [
      left('label', 'entry'),
      left('config', 'configuration'),
      left('metric', 'metric'),
      right('seeds', 'seeds'),
      right('diff', `mean (${what})`),
      right('p', 'sign-flip p (floor)'),
    ],
    rows: configs.map((c) => ({
      label: c.label,
      config: c.config,
      metric: c.metric,
      seeds: c.seeds,
      diff: num(c.meanDifference, c.meanDifference.toExponential(2)),
      p: num(c.signFlipP, `${c.signFlipP.toPrecision(2)} (${c.smallestPossibleP.toPrecision(2)})`),
    })),
  };
}

function runDetail(r: Input['runs'][number]): HtmlRunDetail {
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

/**
 * The report: per data set entry the configuration table, the normalised-MSE, dead-fraction and
 * density figures and the atom grid; the verdicts (Wilcoxon per entry, sign-flip per
 * configuration); every run with its records.
 */
export function saeDocument(input: Input): ReportDocument {
  const { spec, artifacts } = input;
  const runs: StoredSae[] = input.runs.map((r) => ({ config: r.config, result: r.result }));
  const sections: DocSection[] = [];
  const tables: object[] = [];

  for (const entry of spec.datasets) {
    const label = entryLabel(entry);
    const here = runs.filter((r) => r.config.label === label);
    if (here.length === 0) continue;
    const info = artifacts.read(`data/${label}.json`, dataArtifactSchema);
    const configs = configTable(`configs-${htmlId(label)}`, here, info.truthCount > 0);
    tables.push(...configs.results);
    const blocks: DocBlock[] = [
      {
        type: 'text',
        text: `${info.dataset}, d = ${info.d}, ${info.trainRows} training samples, metrics on ${info.evalRows} evaluation samples; ${spec.epochs} epochs of batches of ${spec.batchSize}. Dead: no firing (value > 1e-3 in the top k) in the last ${here[0].config.deadSamples} training samples.`,
      },
      configs.table,
      {
        type: 'figure',
        file: `mse-${label}`,
        alt: `mse-${label}`,
        spec: curveSpec(label, here, 'normalizedMse'),
        toggles: TOGGLES,
        yScale: 'log',
      },
      {
        type: 'figure',
        file: `dead-${label}`,
        alt: `dead-${label}`,
        spec: curveSpec(label, here, 'deadFraction'),
        toggles: TOGGLES,
      },
      {
        type: 'figure',
        file: `density-${label}`,
        alt: `density-${label}`,
        spec: densitySpec(label, here),
        toggles: TOGGLES,
      },
    ];
    const withAtoms = here.filter((r) => r.result.atoms.most.length > 0);
    if (withAtoms.length > 0 && info.imageShape[0] > 1 && info.imageShape[1] > 1)
      blocks.push({
        type: 'image',
        file: `atoms-${label}`,
        alt: `atoms-${label}`,
        title: `${label}: decoder atoms, seed ${spec.firstSeed}`,
        caption: `Per configuration, its most used atoms (top row, most used first) and its least used (bottom row) on the evaluation set; seed ${spec.firstSeed}; each atom scaled to its own largest |entry|, grey = 0.`,
        png: imageGridPng({
          // The explanation is the caption: a long title left most of the canvas empty.
          title: `${label}: decoder atoms, most and least used (seed ${spec.firstSeed}, grey = 0)`,
          imageShape: info.imageShape,
          // Tiles of about 72 px whatever the image size (28-px MNIST atoms were 28 px wide).
          scale: Math.max(1, Math.round(72 / Math.max(...info.imageShape))),
          fontSize: 12,
          gap: 6,
          rows: withAtoms.flatMap((r) => [
            {
              label: `${configName(r.config)}: most used`,
              images: r.result.atoms.most.map((a) => atomImage(a.atom)),
            },
            {
              label: `least used (freq ≤ ${Math.max(...r.result.atoms.least.map((a) => a.frequency)).toPrecision(2)})`,
              images: r.result.atoms.least.map((a) => atomImage(a.atom)),
            },
          ]),
        }),
      });
    sections.push({ title: label, blocks });
  }

  const aux = auxVerdicts(runs);
  const dataKey = (c: SaeRun) => {
    const e = spec.datasets[c.dataset];
    return `${e.name}|${JSON.stringify(e.params)}|${e.trainSamples}|${e.evalSamples}`;
  };
  const dict = dictionaryVerdicts(runs, dataKey);
  const verdicts = [...aux.verdicts, ...dict.verdicts];
  sections.push({
    title: 'Verdicts',
    blocks: [
      {
        type: 'text',
        text: `Generated from the stored runs. Each run with AuxK is paired with the run without it that shares the entry, n, k, dictionary and seed (the same initial dictionary and batch order); the NMF dictionary is paired likewise with the standard one. Verdict per entry: the paired t-test over all its (configuration, seed) pairs, two-sided, at ${ALPHA}; "holds" = lower and significant, "contradicted" = higher and significant. ${STATISTICS_POLICY} Per configuration the exact paired sign-flip test is shown: it assumes only symmetric differences, but with s seeds it cannot go below 2/2^s (0.25 for 3), so no single configuration can decide.`,
      },
      {
        type: 'table',
        id: 'verdicts',
        columns: [
          left('claim', 'claim'),
          left('label', 'entry'),
          right('pairs', 'pairs'),
          left('split', 'lower / equal / higher'),
          right('diff', 'mean difference'),
          right('t', 'paired t p'),
          { ...right('p', 'Wilcoxon p'), only: 'html' as const },
          left('status', 'verdict'),
        ],
        rows: verdicts.map((v) => ({
          claim: v.claim,
          label: v.label,
          pairs: v.pairs,
          split: `${v.lower} / ${v.ties} / ${v.higher}`,
          diff: num(v.meanDifference, v.meanDifference.toExponential(2)),
          p: num(v.wilcoxonP, v.wilcoxonP.toPrecision(2)),
          t: num(v.pairedTP, pWithDf(v.pairedTP.toPrecision(2), v.pairs)),
          status: v.status,
        })),
      },
      { type: 'list', items: verdicts.map((v) => `${v.claim}: ${v.text}`) },
    ],
    subsections: [
      {
        title: 'Per configuration',
        blocks: [
          perConfigTable('per-config-aux', aux.configs, 'aux − no aux'),
          ...(dict.configs.length > 0
            ? [perConfigTable('per-config-dictionary', dict.configs, 'nmf − standard')]
            : []),
        ],
      },
    ],
  });
  return {
    title: `${spec.name}: top-k sparse autoencoders`,
    description: spec.description,
    intro: [],
    sections,
    runs: runsIndex(
      input.runs,
      [
        { key: 'config', label: 'configuration', value: (r) => `${r.config.label}: ${configName(r.config)}` },
        { key: 'seed', label: 'seed', value: (r) => r.config.seed },
        { key: 'mse', label: 'normalised MSE', value: (r) => r.result.final.normalizedMse },
        { key: 'l0', label: 'L0', value: (r) => r.result.final.l0 },
        { key: 'dead', label: 'dead fraction', value: (r) => r.result.final.deadFraction },
        { key: 'seconds', label: wallLabel('training'), value: (r) => r.result.seconds },
      ],
      runDetail,
    ),
    results: {
      schema: 'nmfinit.sae/1',
      verdicts,
      configurations: tables,
      perConfig: [...aux.configs, ...dict.configs],
    },
  };
}

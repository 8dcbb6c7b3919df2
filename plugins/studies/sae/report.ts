import {
  columnTable,
  type DocBlock,
  type DocCell,
  type DocSection,
  type DocTable,
  datasets,
  displayNames,
  finiteCell,
  formatMeanSd,
  type HtmlRunDetail,
  htmlId,
  imageGridPng,
  numberCell,
  pWithDf,
  type ReportDocument,
  rightColumn,
  runDetailTable,
  runsIndex,
  STATISTICS_POLICY,
  type StudyReportInput,
  type ValueColumn,
  wallLabel,
} from 'nmfinit';
import { dataArtifactSchema } from './data.ts';
import { atomImage, byConfig, configName, curveSpec, densitySpec } from './figures.ts';
import type { SaeResult } from './run.ts';
import { entryLabel, type SaeRun, type SaeSpec } from './spec.ts';
import {
  ALPHA,
  auxVerdicts,
  type ConfigComparison,
  dictionaryVerdicts,
  type StoredSae,
  type Verdict,
} from './verdicts.ts';

type Input = StudyReportInput<SaeSpec, SaeRun, SaeResult>;

const TOGGLES = [
  { field: 'aux', label: 'AuxK' },
  { field: 'dictionary', label: 'dictionary' },
];
/** A left-aligned (text) column. */
const left = <T>(key: string, label: string, value: (item: T) => DocCell): ValueColumn<T> => ({
  key,
  label,
  value,
});

/** A mean ± sd cell as report.md prints it, sorting by the mean of the finite values. */
function meanCell(values: number[], text: string): DocCell {
  const v = values.filter(Number.isFinite);
  return { value: v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null, text };
}

/** The table of one data set entry: a row per configuration, mean ± sd over seeds (and results.json's rows). */
function configTable(id: string, here: readonly StoredSae[], truth: boolean) {
  const results = byConfig(here).map((group) => {
    const c = group[0].config;
    const f = (g: (r: SaeResult) => number) => group.map((r) => g(r.result));
    const matched = truth && group.some((r) => r.result.matching);
    return {
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
      // Runs stored before issue 23 have no matching: null where none has it, else NaN for those.
      matchedCosine: matched ? f((r) => r.matching?.meanCosine ?? Number.NaN) : null,
      matchedAbove: matched ? f((r) => r.matching?.fractionAbove ?? Number.NaN) : null,
      matchedThreshold: group.find((r) => r.result.matching)?.result.matching?.threshold ?? null,
      samplesPerSecond: f((r) => r.samplesPerSecond),
    };
  });
  type Row = (typeof results)[number];
  const percent = (xs: number[]) => xs.map((v) => 100 * v);
  const threshold = results.find((r) => r.matchedThreshold !== null)?.matchedThreshold ?? 0.9;
  const mean = (xs: number[], digits?: number) => meanCell(xs, formatMeanSd(xs, digits));
  const table = columnTable<Row>(
    id,
    [
      rightColumn('n', 'n', (r) => r.latents),
      rightColumn('k', 'k', (r) => r.k),
      left('aux', 'AuxK', (r) => (r.aux ? 'yes' : 'no')),
      left('dictionary', 'dictionary', (r) => r.dictionary),
      rightColumn('seeds', 'seeds', (r) => r.seeds),
      rightColumn('mse', 'normalised MSE', (r) => mean(r.normalizedMse)),
      rightColumn('l0', 'L0', (r) => mean(r.l0)),
      rightColumn('dead', 'dead %', (r) => mean(percent(r.deadFraction), 3)),
      rightColumn('never', 'never fired on eval %', (r) => mean(percent(r.neverFiredFraction), 3)),
      ...(truth
        ? [
            rightColumn<Row>('recovery', 'recovery: mean max cosine', (r) => mean(r.recovery ?? [])),
            rightColumn<Row>('matched', 'matched cosine (optimal one-to-one)', (r) =>
              mean((r.matchedCosine ?? []).filter(Number.isFinite)),
            ),
            rightColumn<Row>('matchedAbove', `matched cosine > ${threshold} %`, (r) =>
              mean(percent((r.matchedAbove ?? []).filter(Number.isFinite)), 3),
            ),
          ]
        : []),
      rightColumn('speed', 'samples/s', (r) => mean(r.samplesPerSecond, 2)),
    ],
    results,
    'Per configuration (mean ± sd over seeds)',
  );
  return { table, results };
}

/**
 * How long the entry's runs trained: the spec's epochs, or with `settle` the rule, the range of
 * epochs the runs took and how many stopped at the cap (their dead fraction may not have settled).
 */
export function trainingLength(spec: SaeSpec, runs: readonly StoredSae[]): string {
  if (!spec.settle) return `${spec.epochs} epochs of batches of ${spec.batchSize}`;
  const { maxEpochs, tolerance, rule } = spec.settle;
  const moves =
    rule === 'trend'
      ? `its least-squares trend over the last tenth moves it ≤ ${tolerance}`
      : `over the last tenth its values after each step differ by ≤ ${tolerance}`;
  const trained = runs.map((r) => r.result.epochsTrained ?? spec.epochs);
  const capped = trained.filter((e) => e >= maxEpochs).length;
  const [low, high] = [Math.min(...trained), Math.max(...trained)];
  return `batches of ${spec.batchSize} for at least ${spec.epochs} epochs, on until the dead fraction is flat (${moves}), at most ${maxEpochs}: the runs trained ${low === high ? low : `${low}–${high}`} epochs, ${capped} of ${runs.length} stopping at the cap, where the dead fraction may not have settled`;
}

/** The exact sign-flip test per configuration, for one comparison. */
function perConfigTable(id: string, configs: readonly ConfigComparison[], what: string): DocTable {
  return columnTable<ConfigComparison>(
    id,
    [
      left('label', 'entry', (c) => c.label),
      left('config', 'configuration', (c) => c.config),
      left('metric', 'metric', (c) => c.metric),
      rightColumn('seeds', 'seeds', (c) => c.seeds),
      rightColumn('diff', `mean (${what})`, (c) =>
        numberCell(c.meanDifference, c.meanDifference.toExponential(2)),
      ),
      rightColumn('p', 'sign-flip p (floor)', (c) =>
        numberCell(c.signFlipP, `${c.signFlipP.toPrecision(2)} (${c.smallestPossibleP.toPrecision(2)})`),
      ),
    ],
    configs,
  );
}

function runDetail(r: Input['runs'][number]): HtmlRunDetail {
  return {
    config: r.config,
    epochs: runDetailTable<SaeResult['records'][number]>(
      `run-records-${htmlId(r.id)}`,
      'Per record',
      [
        { key: 'step', label: 'step', value: (x) => x.step },
        { key: 'samples', label: 'training samples', value: (x) => x.samples },
        { key: 'loss', label: 'training loss', value: (x) => x.loss },
        { key: 'normalizedMse', label: 'normalised MSE', value: (x) => x.normalizedMse },
        { key: 'l0', label: 'L0', value: (x) => x.l0 },
        { key: 'deadFraction', label: 'dead fraction', value: (x) => x.deadFraction },
      ],
      r.result.records,
    ),
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

  // Titles name a data set by its plugin's display name, as every kind's figures do.
  const names = displayNames(spec.datasets, (n) => (datasets.has(n) ? datasets.get(n) : undefined));
  for (const entry of spec.datasets) {
    const label = entryLabel(entry);
    const name = names.get(label) ?? label;
    const here = runs.filter((r) => r.config.label === label);
    if (here.length === 0) continue;
    const info = artifacts.read(`data/${label}.json`, dataArtifactSchema);
    const configs = configTable(`configs-${htmlId(label)}`, here, info.truthCount > 0);
    tables.push(...configs.results);
    // A figure of this entry, with the AuxK and dictionary switches.
    const figure = (what: string, spec: object, yScale?: 'log'): DocBlock => ({
      type: 'figure',
      file: `${what}-${label}`,
      alt: `${what}-${label}`,
      spec,
      toggles: TOGGLES,
      ...(yScale && { yScale }),
    });
    const blocks: DocBlock[] = [
      {
        type: 'text',
        text: `${info.dataset}, d = ${info.d}, ${info.trainRows} training samples, metrics on ${info.evalRows} evaluation samples; ${trainingLength(spec, here)}. Dead: no firing (value > 1e-3 in the top k) in the last ${here[0].config.deadSamples} training samples.`,
      },
      configs.table,
      figure('mse', curveSpec(name, here, 'normalizedMse'), 'log'),
      figure('dead', curveSpec(name, here, 'deadFraction')),
      figure('density', densitySpec(name, here)),
    ];
    const withAtoms = here.filter((r) => r.result.atoms.most.length > 0);
    if (withAtoms.length > 0 && info.imageShape[0] > 1 && info.imageShape[1] > 1)
      blocks.push({
        type: 'image',
        file: `atoms-${label}`,
        alt: `atoms-${label}`,
        title: `${name}: decoder atoms, seed ${spec.firstSeed}`,
        caption: `Per configuration, its most used atoms (top row, most used first) and its least used (bottom row) on the evaluation set; seed ${spec.firstSeed}; each atom scaled to its own largest |entry|, grey = 0.`,
        png: imageGridPng({
          // The explanation is the caption: a long title left most of the canvas empty.
          title: `${name}: decoder atoms, most and least used (seed ${spec.firstSeed}, grey = 0)`,
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
              label: leastUsedLabel(Math.max(...r.result.atoms.least.map((a) => a.frequency))),
              images: r.result.atoms.least.map((a) => atomImage(a.atom)),
            },
          ]),
        }),
      });
    // The heading also names the entry's label, which the run ids and tables use.
    const heading = name === label || name.endsWith(`(${label})`) ? name : `${name} (${label})`;
    sections.push({ title: heading, blocks });
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
      ...(verdicts.length === 0
        ? [
            {
              type: 'text' as const,
              text: 'No run has its pair yet (the same configuration and seed with and without AuxK, or with the NMF and the standard dictionary), so there is no verdict.',
            },
          ]
        : [
            columnTable<Verdict>(
              'verdicts',
              [
                left('claim', 'claim', (v) => v.claim),
                left('label', 'entry', (v) => v.label),
                rightColumn('pairs', 'pairs', (v) => v.pairs),
                left('split', 'lower / equal / higher', (v) => `${v.lower} / ${v.ties} / ${v.higher}`),
                rightColumn('diff', 'mean difference', (v) =>
                  numberCell(v.meanDifference, v.meanDifference.toExponential(2)),
                ),
                rightColumn('t', 'paired t p', (v) =>
                  finiteCell(v.pairedTP, (p) => pWithDf(p.toPrecision(2), v.pairs)),
                ),
                {
                  ...rightColumn('p', 'Wilcoxon p', (v) => finiteCell(v.wilcoxonP, (p) => p.toPrecision(2))),
                  only: 'html',
                },
                left('status', 'verdict', (v) => v.status),
              ],
              verdicts,
            ),
            { type: 'list' as const, items: verdicts.map((v) => `${v.claim}: ${v.text}`) },
          ]),
    ],
    subsections:
      aux.configs.length + dict.configs.length === 0
        ? []
        : [
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

/** The atom grid's row label: "freq ≤ 0.0" read like a rounding; say so when none of them fired. */
function leastUsedLabel(maxFrequency: number): string {
  return maxFrequency === 0
    ? 'least used (never fired)'
    : `least used (freq ≤ ${maxFrequency.toPrecision(2)})`;
}

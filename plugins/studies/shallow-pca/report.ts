import { join } from 'node:path';
import {
  escapeMarkdownText,
  imageGridPng,
  type ShallowBias,
  type StudyReportFiles,
  type StudyReportInput,
  writeFigure,
  writeFileAtomicSync,
  writeVegaFigure,
} from 'nmfinit';
import { pcaArtifactSchema } from './data.ts';
import { BIAS_WORDS, configName, configTitle, type ShallowPcaResult, type ShallowPcaRun } from './run.ts';
import type { ShallowPcaSpec } from './spec.ts';
import { realImageVerdict, summarize, verdicts } from './verdicts.ts';

type Input = StudyReportInput<ShallowPcaSpec, ShallowPcaRun, ShallowPcaResult>;

const DASHES: readonly (readonly [ShallowBias, number[]])[] = [
  ['encoder', [1, 0]],
  ['none', [6, 3]],
  ['decoder', [1, 3]],
  ['both', [6, 2, 1, 2]],
];

/**
 * Mean over seeds of test MSE at each recorded step, log–log, with the PCA-K line: one panel each
 * for tied and untied weights, colour for g, the dash pattern for where the biases sit.
 */
export function learningCurveSpec(dataset: string, all: Input['runs'], pcaMse: number, k: number): object {
  // A diverged run's last finite losses would stretch the axis over many decades: left out, counted.
  const runs = all.filter((r) => !r.result.diverged);
  const diverged = [...new Set(all.filter((r) => r.result.diverged).map((r) => configName(r.config)))];
  const rows: object[] = [];
  const groups = new Map<string, Input['runs'][number][]>();
  for (const r of runs) groups.set(configName(r.config), [...(groups.get(configName(r.config)) ?? []), r]);
  for (const [config, g] of groups) {
    const steps = g[0].result.records.map((x) => x.step);
    steps.forEach((step, i) => {
      if (step === 0) return;
      const values = g
        .map((r) => r.result.records[i]?.testMse)
        .filter((v): v is number => Number.isFinite(v));
      if (values.length === 0) return;
      const c = g[0].config;
      rows.push({
        config,
        g: c.activation,
        weights: c.tied ? 'tied weights' : 'untied weights',
        biases: BIAS_WORDS[c.bias],
        step,
        mse: values.reduce((a, b) => a + b, 0) / values.length,
      });
    });
  }
  const seeds = Math.max(0, ...[...groups.values()].map((g) => g.length));
  // The placements these runs have, each with its dash pattern (the legend lists only those).
  const present = new Set(runs.map((r) => r.config.bias));
  const dashes = DASHES.filter(([b]) => present.has(b)).map(([b, d]) => [BIAS_WORDS[b], d] as const);
  const panels = [...new Set(rows.map((r) => (r as { weights: string }).weights))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${dataset}: test MSE over online SGD, mean of ${seeds} seed${seeds === 1 ? '' : 's'}`,
      subtitle: [
        `black: the PCA-${k} error ${pcaMse.toPrecision(4)}`,
        ...(diverged.length > 0
          ? [`left out, diverged: ${all.length - runs.length} runs (${diverged.join(', ')})`]
          : []),
      ],
    },
    data: { values: rows },
    facet: { column: { field: 'weights', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: 340,
      height: 300,
      layer: [
        {
          mark: { type: 'line', strokeWidth: 2 },
          encoding: {
            x: {
              field: 'step',
              type: 'quantitative',
              scale: { type: 'log', nice: false },
              // 1k, 10k: full numbers on a log axis run into each other.
              axis: { format: '~s', labelOverlap: 'greedy' },
              title: 'SGD step (one sample each)',
            },
            y: { field: 'mse', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'test MSE' },
            color: { field: 'g', type: 'nominal', title: 'g' },
            strokeDash: {
              field: 'biases',
              type: 'nominal',
              title: 'biases',
              legend: { symbolType: 'stroke', symbolSize: 900, symbolStrokeWidth: 2 },
              // Solid for the authors' placement (encoder), long dashes without biases.
              scale: { domain: dashes.map(([b]) => b), range: dashes.map(([, d]) => d) },
            },
            detail: { field: 'config' },
          },
        },
        {
          mark: { type: 'rule', color: 'black', strokeWidth: 1.5 },
          encoding: { y: { datum: pcaMse, type: 'quantitative' } },
        },
      ],
    },
  };
}

/** One run's per-component subspace overlap over time, one line per principal component. */
export function overlapSpec(dataset: string, run: Input['runs'][number], threshold: number): object {
  const rows = run.result.records.flatMap((r) =>
    r.step === 0 ? [] : r.subspace.map((o, m) => ({ step: r.step, overlap: o, component: `PC ${m + 1}` })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${dataset}, ${configTitle(run.config)} (seed ${run.config.seed}): each PC's overlap with span{w^k}`,
      subtitle: `grey: the threshold ${threshold} at which a component counts as learned`,
    },
    width: 620,
    height: 340,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: {
            field: 'step',
            type: 'quantitative',
            scale: { type: 'log', nice: false },
            axis: { format: '~s', labelOverlap: 'greedy' },
            title: 'SGD step',
          },
          y: {
            field: 'overlap',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            title: '‖projection of u_m on span{w^k}‖',
          },
          color: { field: 'component', type: 'nominal', title: 'component', sort: null },
        },
      },
      {
        data: { values: [{ t: threshold }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
        encoding: { y: { field: 't', type: 'quantitative' } },
      },
    ],
  };
}

/** Each w^k scaled to [0, 1] by its own extreme |value| (grey 0.5 = 0). */
function weightImage(w: readonly number[]): Float32Array {
  let peak = 0;
  for (const v of w) peak = Math.max(peak, Math.abs(v));
  return Float32Array.from(w, (v) => 0.5 + (peak > 0 ? v / (2 * peak) : 0));
}

export async function writeReport(
  input: Input,
  ctx: { log: (m: string) => void },
): Promise<StudyReportFiles> {
  const { spec, dir, artifacts } = input;
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
  const figures: string[] = [];
  const lines: string[] = [
    `# ${spec.name}: shallow autoencoders against the PCA error`,
    '',
    escapeMarkdownText(spec.description),
    '',
  ];
  for (const ds of spec.datasets) {
    const pca = artifacts.read(`pca/${ds.label}.json`, pcaArtifactSchema);
    const here = input.runs.filter((r) => r.config.dataset === ds.label);
    if (here.length === 0) continue;
    const title = ds.title ?? ds.label;
    figures.push(
      ...(await writeVegaFigure(
        dir,
        `curves-${ds.label}`,
        learningCurveSpec(title, here, pca.pcaMse, pca.k),
      )),
    );
    const shown =
      here.find((r) => r.config.activation === 'linear' && r.config.tied && r.config.bias === 'none') ??
      here[0];
    figures.push(
      ...(await writeVegaFigure(
        dir,
        `overlap-${ds.label}`,
        overlapSpec(title, shown, spec.overlapThreshold),
      )),
    );
    lines.push(
      `## ${escapeMarkdownText(title)}`,
      '',
      `D = ${pca.d}, K = ${pca.k}, ${ds.steps} steps (t = steps/D = ${(ds.steps / pca.d).toFixed(0)}), η = ${ds.lr}, PCA-${pca.k} test MSE ${pca.pcaMse.toPrecision(4)}; leading eigenvalues / D: ${pca.eigenvalues
        .slice(0, pca.k + 1)
        .map((e) => (e / pca.d).toPrecision(3))
        .join(', ')}.`,
      '',
      `![learning curves](curves-${ds.label}.png)`,
      '',
      `![overlaps](overlap-${ds.label}.png)`,
      '',
    );
    const withWeights = here.filter((r) => r.result.weights && r.config.seed === spec.firstSeed);
    if (withWeights.length > 0) {
      const png = imageGridPng({
        title: `${title}: learned w^k, seed ${spec.firstSeed} (grey = 0)`,
        imageShape: pca.imageShape,
        scale: 2,
        rows: withWeights.map((r) => ({
          label: configTitle(r.config),
          images: r.result.weights!.map(weightImage),
        })),
      });
      figures.push(...writeFigure(join(dir, `weights-${ds.label}`), { png }));
      lines.push(`![learned weights](weights-${ds.label}.png)`, '');
    }
  }
  lines.push(
    '## Verdicts',
    '',
    `Generated from the stored runs: "reaches" means final test MSE ≤ ${1 + spec.tolerance} × PCA-K on the test samples.`,
    '',
    '| claim | data | verdict | numbers |',
    '|---|---|---|---|',
    ...all.map(
      (v) => `| ${v.claim} | ${v.dataset} | ${v.holds ? 'holds' : 'does not hold'} | ${v.evidence} |`,
    ),
    '',
    '## Per configuration',
    '',
    '| data | configuration | reached | MSE / PCA-K per seed | components in order |',
    '|---|---|---|---|---|',
    ...summaries.map(
      (s) =>
        `| ${s.dataset} | ${s.config} | ${s.reached}/${s.seeds} | ${s.ratios.map((q) => (Number.isFinite(q) ? q.toFixed(3) : 'diverged')).join(', ')} | ${s.ordered}/${s.allCrossed} |`,
    ),
    '',
  );
  if (input.missing.length > 0) lines.push(`${input.missing.length} runs have no stored result.`, '');
  if (input.failed.length > 0)
    lines.push(`Failed: ${input.failed.map((f) => `${f.config.id}: ${f.error}`).join('; ')}`, '');
  const reportMd = join(dir, 'report.md');
  const resultsJson = join(dir, 'results.json');
  writeFileAtomicSync(reportMd, lines.join('\n'));
  writeFileAtomicSync(resultsJson, `${JSON.stringify({ verdicts: all, summaries }, null, 2)}\n`);
  ctx.log(`wrote ${reportMd}`);
  return { reportMd, resultsJson, figures };
}

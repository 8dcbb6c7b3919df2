import { join } from 'node:path';
import {
  escapeMarkdownText,
  formatMeanSd,
  imageGridPng,
  type StudyReportFiles,
  type StudyReportInput,
  writeFigure,
  writeFileAtomicSync,
  writeVegaFigure,
} from 'nmfinit';
import { dataArtifactSchema } from './data.ts';
import type { SaeResult } from './run.ts';
import { entryLabel, type SaeRun, type SaeSpec } from './spec.ts';
import { ALPHA, auxVerdicts, type ConfigComparison, dictionaryVerdicts, type StoredSae } from './verdicts.ts';

type Input = StudyReportInput<SaeSpec, SaeRun, SaeResult>;

const auxName = (aux: boolean) => (aux ? 'with AuxK' : 'without AuxK');
export const configName = (c: SaeRun) => `n = ${c.latents}, k = ${c.k}, ${auxName(c.aux)}, ${c.dictionary}`;

/** Runs grouped by configuration (everything but the seed), in the grid's order. */
export function byConfig(runs: readonly StoredSae[]): StoredSae[][] {
  const groups = new Map<string, StoredSae[]>();
  for (const r of runs) {
    const key = `${r.config.label}|${configName(r.config)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/** Mean over seeds of a record field at each recorded step, one row per configuration and step. */
function curveRows(runs: readonly StoredSae[], field: 'normalizedMse' | 'deadFraction') {
  const rows: object[] = [];
  for (const group of byConfig(runs)) {
    const c = group[0].config;
    group[0].result.records.forEach((rec, i) => {
      const values = group.map((r) => r.result.records[i]?.[field]).filter(Number.isFinite);
      if (values.length === 0) return;
      rows.push({
        n: `n = ${c.latents}`,
        k: `k = ${c.k}`,
        aux: auxName(c.aux),
        dictionary: c.dictionary,
        config: configName(c),
        samples: rec.samples,
        value: values.reduce((a, b) => a + b, 0) / values.length,
      });
    });
  }
  return rows;
}

function facetted(title: string, rows: object[], layer: object): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    facet: {
      row: { field: 'n', type: 'nominal', title: null, sort: null },
      column: { field: 'k', type: 'nominal', title: null, sort: null },
    },
    spec: { width: 220, height: 160, ...layer },
    resolve: { scale: { y: 'shared' } },
  };
}

export function curveSpec(
  label: string,
  runs: readonly StoredSae[],
  field: 'normalizedMse' | 'deadFraction',
) {
  const mse = field === 'normalizedMse';
  return facetted(
    `${label}: ${mse ? 'normalised MSE on the evaluation set' : 'fraction of dead latents'} over training (mean of seeds)`,
    curveRows(runs, field),
    {
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'samples', type: 'quantitative', title: 'training samples' },
        y: {
          field: 'value',
          type: 'quantitative',
          title: mse ? '‖x − x̂‖² / ‖x − mean‖²' : 'dead fraction',
          ...(mse ? { scale: { type: 'log' } } : { scale: { domain: [0, 1] } }),
        },
        color: { field: 'aux', type: 'nominal', title: null },
        strokeDash: { field: 'dictionary', type: 'nominal', title: null },
        detail: { field: 'config' },
      },
    },
  );
}

/** Latent density: the count of latents per log10-frequency bin (mean of seeds); never-fired latents at the far left. */
export function densitySpec(label: string, runs: readonly StoredSae[]) {
  const rows: object[] = [];
  let neverX = 0;
  for (const group of byConfig(runs)) {
    const c = group[0].config;
    const h = group[0].result.histogram;
    const width = h.edges.length > 1 ? h.edges[1] - h.edges[0] : 1;
    neverX = h.edges[0] - width;
    const meanOf = (f: (r: SaeResult) => number) => group.reduce((s, r) => s + f(r.result), 0) / group.length;
    const base = {
      n: `n = ${c.latents}`,
      k: `k = ${c.k}`,
      aux: auxName(c.aux),
      dictionary: c.dictionary,
      config: configName(c),
    };
    rows.push({ ...base, x: neverX, count: meanOf((r) => r.histogram.neverFired) });
    h.edges.forEach((e, b) => {
      rows.push({ ...base, x: e + width / 2, count: meanOf((r) => r.histogram.counts[b] ?? 0) });
    });
  }
  return facetted(
    `${label}: latent density on the evaluation set (leftmost point, x = ${neverX.toFixed(2)}: never fired)`,
    rows,
    {
      mark: { type: 'line', point: { size: 12 }, interpolate: 'step' },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'log10 firing frequency' },
        y: { field: 'count', type: 'quantitative', title: 'latents (mean of seeds)' },
        color: { field: 'aux', type: 'nominal', title: null },
        strokeDash: { field: 'dictionary', type: 'nominal', title: null },
        detail: { field: 'config' },
      },
    },
  );
}

/** Each atom scaled to [0, 1] by its own extreme |value| (grey 0.5 = 0). */
function atomImage(w: readonly number[]): Float32Array {
  let peak = 0;
  for (const v of w) peak = Math.max(peak, Math.abs(v));
  return Float32Array.from(w, (v) => 0.5 + (peak > 0 ? v / (2 * peak) : 0));
}

const pct = (values: number[]) =>
  formatMeanSd(
    values.map((v) => 100 * v),
    3,
  );

export async function writeSaeReport(
  input: Input,
  ctx: { log: (m: string) => void },
): Promise<StudyReportFiles> {
  const { spec, dir, artifacts } = input;
  const runs: StoredSae[] = input.runs.map((r) => ({ config: r.config, result: r.result }));
  const figures: string[] = [];
  const lines: string[] = [
    `# ${spec.name}: top-k sparse autoencoders`,
    '',
    escapeMarkdownText(spec.description),
    '',
  ];
  const tables: object[] = [];

  for (const entry of spec.datasets) {
    const label = entryLabel(entry);
    const here = runs.filter((r) => r.config.label === label);
    if (here.length === 0) continue;
    const info = artifacts.read(`data/${label}.json`, dataArtifactSchema);
    lines.push(
      `## ${label}`,
      '',
      `${info.dataset}, d = ${info.d}, ${info.trainRows} training samples, metrics on ${info.evalRows} evaluation samples; ${spec.epochs} epochs of batches of ${spec.batchSize}. Dead: no firing (value > 1e-3 in the top k) in the last ${here[0].config.deadSamples} training samples.`,
      '',
      `| n | k | AuxK | dictionary | seeds | normalised MSE | L0 | dead % | never fired on eval % |${info.truthCount > 0 ? ' recovery |' : ''} samples/s |`,
      `| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |${info.truthCount > 0 ? ' ---: |' : ''} ---: |`,
    );
    for (const group of byConfig(here)) {
      const c = group[0].config;
      const f = (g: (r: SaeResult) => number) => group.map((r) => g(r.result));
      const row = {
        label,
        latents: c.latents,
        k: c.k,
        aux: c.aux,
        dictionary: c.dictionary,
        seeds: group.length,
        normalizedMse: f((r) => r.final.normalizedMse),
        l0: f((r) => r.final.l0),
        deadFraction: f((r) => r.final.deadFraction),
        neverFiredFraction: f((r) => r.final.neverFiredFraction),
        recovery: info.truthCount > 0 ? f((r) => r.recovery ?? Number.NaN) : null,
        samplesPerSecond: f((r) => r.samplesPerSecond),
      };
      tables.push(row);
      lines.push(
        `| ${c.latents} | ${c.k} | ${c.aux ? 'yes' : 'no'} | ${c.dictionary} | ${group.length} | ${formatMeanSd(row.normalizedMse)} | ${formatMeanSd(row.l0)} | ${pct(row.deadFraction)} | ${pct(row.neverFiredFraction)} |${row.recovery ? ` ${formatMeanSd(row.recovery)} |` : ''} ${formatMeanSd(row.samplesPerSecond, 2)} |`,
      );
    }
    lines.push('');
    for (const [name, fig] of [
      [`mse-${label}`, curveSpec(label, here, 'normalizedMse')],
      [`dead-${label}`, curveSpec(label, here, 'deadFraction')],
      [`density-${label}`, densitySpec(label, here)],
    ] as const) {
      figures.push(...(await writeVegaFigure(dir, name, fig)));
      lines.push(`![${name}](${name}.png)`, '');
    }
    const withAtoms = here.filter((r) => r.result.atoms.most.length > 0);
    if (withAtoms.length > 0 && info.imageShape[0] > 1 && info.imageShape[1] > 1) {
      const png = imageGridPng({
        title: `${label}: decoder atoms, most used (left, top row) and least used (bottom row) on the evaluation set; seed ${spec.firstSeed}, grey = 0`,
        imageShape: info.imageShape,
        scale: info.imageShape[0] >= 20 ? 1 : 3,
        fontSize: 11,
        rows: withAtoms.flatMap((r) => [
          {
            label: `${configName(r.config)}: most`,
            images: r.result.atoms.most.map((a) => atomImage(a.atom)),
          },
          {
            label: `least (freq ≤ ${Math.max(...r.result.atoms.least.map((a) => a.frequency)).toPrecision(2)})`,
            images: r.result.atoms.least.map((a) => atomImage(a.atom)),
          },
        ]),
      });
      figures.push(...writeFigure(join(dir, `atoms-${label}`), { png }));
      lines.push(`![atoms-${label}](atoms-${label}.png)`, '');
    }
  }

  const aux = auxVerdicts(runs);
  const dataKey = (c: SaeRun) => {
    const e = spec.datasets[c.dataset];
    return `${e.name}|${JSON.stringify(e.params)}|${e.trainSamples}|${e.evalSamples}`;
  };
  const dict = dictionaryVerdicts(runs, dataKey);
  const verdicts = [...aux.verdicts, ...dict.verdicts];
  const configTable = (configs: ConfigComparison[], what: string) => [
    `| entry | configuration | metric | seeds | mean (${what}) | sign-flip p (floor) |`,
    '| --- | --- | --- | ---: | ---: | ---: |',
    ...configs.map(
      (c) =>
        `| ${c.label} | ${c.config} | ${c.metric} | ${c.seeds} | ${c.meanDifference.toExponential(2)} | ${c.signFlipP.toPrecision(2)} (${c.smallestPossibleP.toPrecision(2)}) |`,
    ),
  ];
  lines.push(
    '## Verdicts',
    '',
    `Generated from the stored runs. Each run with AuxK is paired with the run without it that shares the entry, n, k, dictionary and seed (the same initial dictionary and batch order); the NMF dictionary is paired likewise with the standard one. Verdict per entry: Wilcoxon's signed-rank test over all its (configuration, seed) pairs, two-sided, at ${ALPHA}; "holds" = lower and significant, "contradicted" = higher and significant. Per configuration the exact paired sign-flip test is shown: it assumes only symmetric differences, but with s seeds it cannot go below 2/2^s (0.25 for 3), so no single configuration can decide.`,
    '',
    '| claim | entry | pairs | lower / equal / higher | mean difference | Wilcoxon p | paired t p | verdict |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | --- |',
    ...verdicts.map(
      (v) =>
        `| ${v.claim} | ${v.label} | ${v.pairs} | ${v.lower} / ${v.ties} / ${v.higher} | ${v.meanDifference.toExponential(2)} | ${v.wilcoxonP.toPrecision(2)} | ${v.pairedTP.toPrecision(2)} | ${v.status} |`,
    ),
    '',
    ...verdicts.map((v) => `- ${v.claim}: ${v.text}`),
    '',
    '### Per configuration',
    '',
    ...configTable(aux.configs, 'aux − no aux'),
    '',
    ...(dict.configs.length > 0 ? [...configTable(dict.configs, 'nmf − standard'), ''] : []),
  );
  if (input.missing.length > 0) lines.push(`${input.missing.length} runs have no stored result.`, '');
  if (input.failed.length > 0)
    lines.push(
      `Failed: ${input.failed.map((f) => `${f.config.id}: ${f.error.split('\n')[0]}`).join('; ')}`,
      '',
    );
  const reportMd = join(dir, 'report.md');
  const resultsJson = join(dir, 'results.json');
  writeFileAtomicSync(reportMd, lines.join('\n'));
  writeFileAtomicSync(
    resultsJson,
    `${JSON.stringify({ schema: 'nmfinit.sae/1', verdicts, configurations: tables, perConfig: [...aux.configs, ...dict.configs] }, null, 2)}\n`,
  );
  ctx.log(`wrote ${reportMd}`);
  return { reportMd, resultsJson, figures };
}

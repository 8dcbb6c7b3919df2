// The shallow-pca study's figures as Vega-Lite specs and image tiles, drawn from stored runs:
// the learning curves against PCA-K, one run's subspace overlaps, and the learned weights.
import { decadeTicks, type ShallowBias, type StoredRun } from 'nmfinit';
import { BIAS_WORDS, configName, configTitle, type ShallowPcaResult, type ShallowPcaRun } from './run.ts';

type Input = { runs: readonly StoredRun<ShallowPcaRun, ShallowPcaResult>[] };

const DASHES: readonly (readonly [ShallowBias, number[]])[] = [
  ['encoder', [1, 0]],
  ['none', [6, 3]],
  ['decoder', [1, 3]],
  ['both', [6, 2, 1, 2]],
];

/** The log x axis of SGD steps, a label per decade (1, 10, 100, 1k): every 1…9 × 10^p ran into each other ("200300"). */
function stepAxis(rows: readonly { step: number }[], title: string) {
  return {
    field: 'step',
    type: 'quantitative',
    scale: { type: 'log', nice: false },
    axis: { values: decadeTicks(rows.map((r) => r.step)), format: '~s', labelOverlap: 'greedy' },
    title,
  };
}

/** How the runs drew their samples: online (a fresh one every step) or by cycling a finite set. */
function samplingWords(runs: Input['runs']): string {
  const online = runs.filter((r) => r.config.online).length;
  if (online === runs.length) return 'online: a fresh sample every step';
  if (online === 0) return 'cycling the training samples';
  return `${online} of ${runs.length} runs online, the rest cycling the training samples`;
}

/**
 * Mean over seeds of test MSE at each recorded step, log–log, with the PCA-K line: one panel each
 * for tied and untied weights, colour for g, the dash pattern for where the biases sit.
 */
export function learningCurveSpec(
  dataset: string,
  all: Input['runs'],
  pcaMse: number,
  k: number,
  /** PCA-m test MSE for m = 1…K (the paper's lines); the last is pcaMse. Empty: the PCA-K line only. */
  byRank: readonly number[] = [],
): object {
  // A diverged run's last finite losses would stretch the axis over many decades: left out, counted.
  const runs = all.filter((r) => !r.result.diverged);
  const diverged = [...new Set(all.filter((r) => r.result.diverged).map((r) => configName(r.config)))];
  const rows: { config: string; g: string; weights: string; biases: string; step: number; mse: number }[] =
    [];
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
  const panels = [...new Set(rows.map((r) => r.weights))];
  // The paper's lines below K: PCA-m for m < K, grey, each labelled at the left edge (where the
  // curves are still high above them).
  const lower = byRank.slice(0, Math.max(0, k - 1));
  const firstStep = Math.min(...rows.map((r) => r.step), Number.POSITIVE_INFINITY);
  const rankLayers = lower.flatMap((mse, i) => [
    {
      mark: { type: 'rule', color: '#888', strokeWidth: 1, strokeDash: [3, 3] },
      encoding: { y: { datum: mse, type: 'quantitative' } },
    },
    {
      mark: { type: 'text', color: '#555', align: 'left', baseline: 'bottom', dx: 2, dy: -2, fontSize: 10 },
      encoding: {
        x: { datum: Number.isFinite(firstStep) ? firstStep : 1, type: 'quantitative' },
        y: { datum: mse, type: 'quantitative' },
        text: { value: `PCA-${i + 1}` },
      },
    },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${dataset}: test MSE over SGD at batch 1 (${samplingWords(runs)}), mean of ${seeds} seed${seeds === 1 ? '' : 's'}`,
      subtitle: [
        `black: the PCA-${k} error ${pcaMse.toPrecision(4)}${lower.length > 1 ? `; grey: PCA-1…${lower.length}` : lower.length === 1 ? '; grey: PCA-1' : ''}`,
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
            x: stepAxis(rows, 'SGD step (one sample each)'),
            y: { field: 'mse', type: 'quantitative', scale: { type: 'log', nice: false }, title: 'test MSE' },
            color: { field: 'g', type: 'nominal', title: 'activation g' },
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
        ...rankLayers,
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
          x: stepAxis(rows, 'SGD step'),
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

/** At most this many moments in the overlap-matrix figure, log-spaced over the recorded steps. */
const MATRIX_MOMENTS = 6;

/**
 * One run's K × K overlap matrix |ŵ^k·u_m| at a few recorded steps (the paper's order-parameter
 * plots): a heat map per moment, unit k down, component m across. Null when the run kept none
 * (K > 10, or stored before the matrices were recorded).
 */
export function overlapMatrixSpec(dataset: string, run: Input['runs'][number]): object | null {
  const kept = run.result.records.filter((r) => r.overlap && r.overlap.length > 0 && r.step > 0);
  if (kept.length === 0) return null;
  const k = run.config.k;
  const m = kept[0].overlap!.length / k;
  // Evenly spaced picks over the records, which are log-spaced in steps; first and last included.
  const count = Math.min(MATRIX_MOMENTS, kept.length);
  const picks = [
    ...new Set(
      Array.from({ length: count }, (_, i) => Math.round((i * (kept.length - 1)) / Math.max(1, count - 1))),
    ),
  ].map((i) => kept[i]);
  const rows = picks.flatMap((r) =>
    r.overlap!.map((value, idx) => ({
      moment: `step ${r.step.toLocaleString('en-US')}`,
      order: r.step,
      unit: `w^${Math.floor(idx / m) + 1}`,
      component: `PC ${(idx % m) + 1}`,
      value,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `${dataset}, ${configTitle(run.config)} (seed ${run.config.seed}): overlaps |ŵ^k·u_m| over time`,
      subtitle: 'each panel one recorded step; 1 = the unit lies along the component',
    },
    data: { values: rows },
    facet: {
      column: {
        field: 'moment',
        type: 'ordinal',
        title: null,
        sort: { field: 'order', op: 'min' },
      },
    },
    spec: {
      width: 26 * m,
      height: 26 * k,
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'component', type: 'ordinal', title: null, sort: null },
        y: { field: 'unit', type: 'ordinal', title: null, sort: null },
        color: {
          field: 'value',
          type: 'quantitative',
          title: '|ŵ^k·u_m|',
          scale: { domain: [0, 1], scheme: 'blues' },
        },
      },
    },
  };
}

/** Each w^k scaled to [0, 1] by its own extreme |value| (grey 0.5 = 0). */
export function weightImage(w: readonly number[]): Float32Array {
  let peak = 0;
  for (const v of w) peak = Math.max(peak, Math.abs(v));
  return Float32Array.from(w, (v) => 0.5 + (peak > 0 ? v / (2 * peak) : 0));
}

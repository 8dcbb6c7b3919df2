import { logDomain, seriesStyle } from '../loss-plot-spec.ts';

/** One point of a curve: the mean over seeds of one series and split at one epoch. */
export interface CurvePoint {
  /** The series (an initializer): its colour and marker are fixed by its place in `series`. */
  series: string;
  /** E.g. 'train' or 'validation': solid for the first split given, dashed for the others. */
  split: string;
  epoch: number;
  mean: number;
  /** The seed band (e.g. min and max over seeds); give both or neither. */
  lower?: number;
  upper?: number;
  /** Seeds behind the mean. */
  n: number;
}

export interface CurvesChartOptions {
  title: string;
  points: readonly CurvePoint[];
  /** Every series in a fixed order, shown or not: the order gives each its colour and marker. */
  series: readonly string[];
  splits: readonly string[];
  xTitle?: string;
  yTitle?: string;
  logY?: boolean;
  /** A dashed horizontal line (e.g. the PCA reference). */
  reference?: { label: string; value: number };
  width?: number;
  height?: number;
}

const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 2, 2, 2],
];

/**
 * The Vega-Lite spec of an interactive curves chart (for report.html): a line per series and
 * split, a seed band, points with tooltips, and the reference line. Data are inline, so the
 * page's series toggles (fields `series` and `split`) filter them.
 */
export function curvesChartSpec(o: CurvesChartOptions): Record<string, unknown> {
  const color = {
    field: 'series',
    type: 'nominal',
    title: 'series',
    scale: { domain: [...o.series], range: o.series.map((s) => seriesStyle(s, o.series).color) },
  };
  const shape = {
    field: 'series',
    type: 'nominal',
    title: 'series',
    scale: { domain: [...o.series], range: o.series.map((s) => seriesStyle(s, o.series).shape) },
  };
  const dash = {
    field: 'split',
    type: 'nominal',
    title: 'split',
    scale: { domain: [...o.splits], range: o.splits.map((_, i) => DASHES[i % DASHES.length]) },
  };
  const x = {
    field: 'epoch',
    type: 'quantitative',
    title: o.xTitle ?? 'epoch',
    axis: { tickMinStep: 1, format: 'd' },
  };
  const rows = o.points.filter((p) => Number.isFinite(p.mean) && (!o.logY || p.mean > 0));
  const bands = rows.filter((p) => p.lower !== undefined && p.upper !== undefined && p.n > 1);
  // The log axis fits the data (ends on 1, 2 or 5 × 10^k); the page drops this domain once a
  // series is hidden or the axis switched, and the view then fits what it shows.
  const ys = [
    ...rows.map((p) => p.mean),
    ...bands.flatMap((p) => [p.lower!, p.upper!]),
    ...(o.reference ? [o.reference.value] : []),
  ].filter((v) => v > 0);
  const y = {
    field: 'mean',
    type: 'quantitative',
    title: o.yTitle ?? 'loss',
    scale:
      o.logY && ys.length > 0
        ? { type: 'log', domain: logDomain(ys), nice: false }
        : { type: 'linear', zero: false, nice: false },
  };
  const layer: unknown[] = [
    {
      data: { values: bands },
      mark: { type: 'area', opacity: 0.14 },
      encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color, detail: { field: 'split' } },
    },
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: { x, y, color, strokeDash: dash, detail: { field: 'split' } },
    },
    {
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 40 },
      encoding: {
        x,
        y,
        color,
        shape,
        tooltip: [
          { field: 'series', title: 'series' },
          { field: 'split', title: 'split' },
          { field: 'epoch', title: 'epoch' },
          { field: 'mean', title: 'mean', format: '.4g' },
          { field: 'lower', title: 'lowest seed', format: '.4g' },
          { field: 'upper', title: 'highest seed', format: '.4g' },
          { field: 'n', title: 'seeds' },
        ],
      },
    },
  ];
  if (o.reference) {
    layer.push({
      data: { values: [{ reference: o.reference.label, value: o.reference.value }] },
      mark: { type: 'rule', color: '#555555', strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: {
        y: { field: 'value', type: 'quantitative', scale: y.scale },
        tooltip: [{ field: 'reference' }, { field: 'value', format: '.4g' }],
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: o.width ?? 640,
    height: o.height ?? 360,
    background: 'white',
    layer,
    // The band layer would otherwise fade the legend's symbols.
    config: { font: 'DejaVu Sans', legend: { labelLimit: 400, symbolOpacity: 1 } },
  };
}

import type { TopLevelSpec } from 'vega-lite';
import { z } from 'zod';
import { parseOrThrow } from '../registry/parse.ts';
import { FONT_FAMILY } from './fonts.ts';

/** One line of a loss plot: the mean loss per epoch of one initializer, with an optional band. */
export interface LossSeries {
  /** The initializer's name, shown in the legend. Unique within a plot. */
  label: string;
  /** Epoch numbers, non-negative integers, strictly increasing; epoch 0 is before training. */
  epochs: readonly number[];
  /** Mean loss at each epoch (across seeds). */
  mean: readonly number[];
  /** Lower and upper edge of the shaded band (e.g. mean ∓ sd across seeds); give both or neither. */
  lower?: readonly number[];
  upper?: readonly number[];
  /**
   * The epoch at which training diverged (loss not finite). The line stops there, a cross marks
   * it and the legend says "(diverged @ N)"; values from that epoch on may be NaN or ±Infinity.
   */
  divergedAtEpoch?: number;
}

export interface LossPlotSpec {
  title: string;
  /** A second, smaller title line (how many seeds, what the band shows). */
  subtitle?: string;
  series: readonly LossSeries[];
  /** A dashed horizontal line, e.g. the PCA rank-32 reconstruction error, with a legend entry. */
  reference?: { label: string; value: number };
  /** Defaults: "epoch", "validation MSE", "initializer". */
  xLabel?: string;
  yLabel?: string;
  legendTitle?: string;
  /**
   * Logarithmic loss axis; needs every plotted value to be positive (band edges ≤ 0 are clipped).
   * Unset: log when the plotted values span more than a decade, linear otherwise.
   */
  logY?: boolean;
  /**
   * Every label of the study in a fixed order (e.g. the spec's initializers): a series takes the
   * colour and marker of its label's place here, so a label looks the same in every figure,
   * whichever series a figure holds. Default: the order of `series`.
   */
  styleOrder?: readonly string[];
  /** Size of the whole figure in CSS px, legend and axes included (default 700 × 450). */
  width?: number;
  height?: number;
}

/**
 * Okabe & Ito's colour-blind-safe categorical palette, reordered so the first colours are the most
 * distinct on white (yellow last), then four of Paul Tol's muted colours so that a study of up to
 * 12 initializers (data-init has 10) never repeats a colour. Series keep their colour by position.
 */
export const SERIES_COLORS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
  '#882255',
  '#332288',
  '#999933',
  '#8C564B',
] as const;
/** Point shapes, a second cue besides colour (7 shapes against 8 colours: 56 distinct pairs). */
const SERIES_SHAPES = [
  'circle',
  'square',
  'triangle-up',
  'diamond',
  'triangle-down',
  'triangle-right',
  'triangle-left',
];
/**
 * One colour per initializer in every figure of every study: the seed study's six keep the colours
 * their place gave them, the data-aware ones of data-init follow. An initializer not listed (a
 * variant's own label, a user's plugin) takes the next colour by its place that no listed one uses.
 */
export const INITIALIZER_COLORS: Readonly<Record<string, string>> = {
  nmf: '#0072B2',
  'random-normal': '#D55E00',
  'glorot-normal': '#009E73',
  'he-normal': '#CC79A7',
  'variance-scaling': '#E69F00',
  orthogonal: '#56B4E9',
  lsuv: '#000000',
  pca: '#882255',
  'nmf-data': '#332288',
  'data-dependent': '#999933',
  'pca-affine': '#8C564B',
};

/** The colour and marker of `label` by its place in `order` (labels not in it come after). */
export function seriesStyle(label: string, order: readonly string[]): { color: string; shape: string } {
  const i = order.indexOf(label);
  const at = i >= 0 ? i : order.length;
  const shape = SERIES_SHAPES[at % SERIES_SHAPES.length];
  const fixed = INITIALIZER_COLORS[label];
  if (fixed !== undefined) return { color: fixed, shape };
  // The palette less the colours the figure's listed initializers hold, by place among the unlisted.
  const taken = new Set(order.map((l) => INITIALIZER_COLORS[l]).filter((c) => c !== undefined));
  const free = SERIES_COLORS.filter((c) => !taken.has(c));
  const unlisted = [...order, ...(i >= 0 ? [] : [label])].filter((l) => INITIALIZER_COLORS[l] === undefined);
  const palette = free.length > 0 ? free : SERIES_COLORS;
  return { color: palette[unlisted.indexOf(label) % palette.length], shape };
}

/**
 * A Vega-Lite spec whose categories (series without explicit colours) take SERIES_COLORS, the loss
 * plots' palette, instead of Vega's own: one palette in every figure of every kind, PNG and
 * report.html alike. A spec's own `config.range` wins.
 */
export function withPalette<T extends object>(spec: T): T {
  const config = (spec as { config?: { range?: object } }).config ?? {};
  return { ...spec, config: { ...config, range: { category: [...SERIES_COLORS], ...(config.range ?? {}) } } };
}

/** Whether a loss axis should be logarithmic: its positive values span more than one decade. */
export function spansDecade(values: readonly number[]): boolean {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length > 0 && Math.max(...v) / Math.min(...v) > 10;
}

/**
 * Powers of ten from the one at or below the smallest positive value to the one at or above the
 * largest: a log axis with a tick and grid line per decade, never one per 1…9 × 10^p, and labels
 * that cannot run into each other ("200300").
 */
export function decadeTicks(values: readonly number[]): number[] {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return [];
  const lo = Math.floor(Math.log10(Math.min(...v)));
  const hi = Math.ceil(Math.log10(Math.max(...v)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => Number(`1e${lo + i}`));
}

/** Tick values 1, 2 and 5 × 10^k inside [lo, hi] (a log axis labelled evenly). */
export function logTicks(lo: number, hi: number): number[] {
  const within = (mantissas: readonly number[]) => {
    const ticks: number[] = [];
    for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++)
      for (const m of mantissas) {
        const t = Number((m * 10 ** p).toPrecision(12));
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
      }
    return ticks;
  };
  // A narrow axis (under a decade) would show two ticks or fewer: every integer mantissa then.
  const ticks = within([1, 2, 5]);
  return ticks.length >= 3 ? ticks : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

/** A linear axis domain: the values' range widened by `padding` of it on each side (5% by default). */
export function linearDomain(values: readonly number[], padding = 0.05): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? (hi - lo) * padding : Math.abs(hi) * padding || 1;
  return [lo - pad, hi + pad];
}

/** An "×" drawn as a stroked path: the divergence marker. */
const CROSS_PATH = 'M-1,-1L1,1M-1,1L1,-1';

const DEFAULT_WIDTH = 700;
const DEFAULT_HEIGHT = 450;

/** An error in a loss-plot spec, naming the field (e.g. `series[2].mean[5]`). */
export class LossPlotSpecError extends Error {
  override name = 'LossPlotSpecError';
}

interface Row {
  label: string;
  epoch: number;
  mean: number;
}
interface BandRow {
  label: string;
  epoch: number;
  lower: number;
  upper: number;
}

/** The series' legend label: its name, plus where it diverged. */
export function legendLabel(s: LossSeries): string {
  return s.divergedAtEpoch === undefined ? s.label : `${s.label} (diverged @ ${s.divergedAtEpoch})`;
}

/** Any number, NaN and ±Infinity included: a diverged series holds them after its divergence. */
const anyNumber = z.custom<number>((v) => typeof v === 'number', 'must be a number');
const got = (what: string) => (iss: { input?: unknown }) => `must be ${what}, got ${String(iss.input)}`;
const nonEmptyLabel = z.string().refine((v) => v.trim() !== '', 'must be a non-empty string');

const seriesSchema = z
  .object({
    label: nonEmptyLabel,
    epochs: z
      .array(
        z
          .number({ error: got('a non-negative integer') })
          .int({ error: got('a non-negative integer') })
          .min(0, { error: got('a non-negative integer') }),
      )
      .min(1, 'must be a non-empty array'),
    mean: z.array(anyNumber),
    lower: z.array(anyNumber).optional(),
    upper: z.array(anyNumber).optional(),
    divergedAtEpoch: z
      .number()
      .int({ error: got('a non-negative integer') })
      .min(0, { error: got('a non-negative integer') })
      .optional(),
  })
  .superRefine((s, ctx) => {
    const n = s.epochs.length;
    const issue = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: 'custom', path, message });
    for (let j = 1; j < n; j++) {
      if (s.epochs[j] <= s.epochs[j - 1])
        return issue(
          ['epochs'],
          `must increase strictly, but [${j}] = ${s.epochs[j]} follows ${s.epochs[j - 1]}`,
        );
    }
    if (s.mean.length !== n)
      return issue(['mean'], `has ${s.mean.length} values, expected ${n} (one per epoch)`);
    if ((s.lower === undefined) !== (s.upper === undefined))
      return issue([], 'give both lower and upper, or neither');
    for (const key of ['lower', 'upper'] as const) {
      const band = s[key];
      if (band !== undefined && band.length !== n)
        return issue([key], `has ${band.length} values, expected ${n}`);
    }
    for (let j = 0; j < n; j++) {
      if (s.divergedAtEpoch !== undefined && s.epochs[j] >= s.divergedAtEpoch) break;
      if (!Number.isFinite(s.mean[j]))
        return issue(
          ['mean', j],
          `(epoch ${s.epochs[j]}) is ${s.mean[j]}; a series that diverges needs divergedAtEpoch`,
        );
      const lo = s.lower?.[j];
      const hi = s.upper?.[j];
      if (lo !== undefined && hi !== undefined && !(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi))
        return issue(['lower', j], `= ${lo} and upper[${j}] = ${hi} must be finite with lower ≤ upper`);
    }
  });

/** The schema of a LossPlotSpec: every error names its field (e.g. `series[2].mean[5]`). */
export const lossPlotSpecSchema = z
  .object({
    title: z.string(),
    subtitle: z.string().optional(),
    series: z.array(seriesSchema).min(1, 'must be a non-empty array'),
    reference: z
      .object({ label: nonEmptyLabel, value: z.number({ error: got('a finite number') }) })
      .optional(),
    xLabel: z.string().optional(),
    yLabel: z.string().optional(),
    legendTitle: z.string().optional(),
    logY: z.boolean().optional(),
    width: z
      .number({ error: got('a number ≥ 100') })
      .min(100, { error: got('a number ≥ 100') })
      .optional(),
    height: z
      .number({ error: got('a number ≥ 100') })
      .min(100, { error: got('a number ≥ 100') })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.series.forEach((s, i) => {
      if (seen.has(s.label))
        ctx.addIssue({
          code: 'custom',
          path: ['series', i, 'label'],
          message: `'${s.label}' is used by an earlier series; labels must be unique`,
        });
      seen.add(s.label);
      if (!spec.logY) return;
      const j = s.mean.findIndex(
        (m, k) => (s.divergedAtEpoch === undefined || s.epochs[k] < s.divergedAtEpoch) && m <= 0,
      );
      if (j >= 0)
        ctx.addIssue({
          code: 'custom',
          path: ['series', i, 'mean', j],
          message: `is ${s.mean[j]}, but logY needs positive values`,
        });
    });
    if (spec.logY && spec.reference && spec.reference.value <= 0)
      ctx.addIssue({
        code: 'custom',
        path: ['reference', 'value'],
        message: `is ${spec.reference.value}, but logY needs a positive value`,
      });
  });

/** Checks a spec and throws a LossPlotSpecError naming the bad fields. */
export function validateLossPlotSpec(spec: LossPlotSpec): void {
  parseOrThrow(lossPlotSpecSchema, spec, 'loss plot', { error: LossPlotSpecError });
}

/** The points a series draws: those before its divergence epoch (all of them if it never diverged). */
function plottedRows(s: LossSeries): Row[] {
  const rows: Row[] = [];
  const label = legendLabel(s);
  s.epochs.forEach((epoch, j) => {
    if (s.divergedAtEpoch === undefined || epoch < s.divergedAtEpoch)
      rows.push({ label, epoch, mean: s.mean[j] });
  });
  // The divergence epoch's own value is drawn too when it is still finite.
  if (s.divergedAtEpoch !== undefined) {
    const j = s.epochs.indexOf(s.divergedAtEpoch);
    if (j >= 0 && Number.isFinite(s.mean[j])) rows.push({ label, epoch: s.divergedAtEpoch, mean: s.mean[j] });
  }
  return rows;
}

/**
 * A log-axis domain that ends on labelled ticks (1, 2 or 5 × 10^k) around the values. Vega's
 * own nice log domain runs to whole powers of ten, squeezing the curves into a strip.
 */
export function logDomain(values: readonly number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const steps = [1, 2, 5, 10];
  const below = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    return p * steps.filter((s) => s * p <= v * (1 + 1e-12)).at(-1)!;
  };
  const above = (v: number) => {
    const p = 10 ** Math.floor(Math.log10(v));
    return p * steps.find((s) => s * p >= v * (1 - 1e-12))!;
  };
  return [below(lo), above(hi)];
}

/**
 * The Vega-Lite spec of a loss plot (validated first): a band, a line with points and, where a
 * series diverged, a cross per series, plus the dashed reference line. The figure is exactly
 * width × height px (autosize "fit").
 */
export function lossPlotVegaLite(input: LossPlotSpec): TopLevelSpec {
  validateLossPlotSpec(input);
  const candidates = input.series.flatMap((s) => [...s.mean, ...(s.lower ?? []), ...(s.upper ?? [])]);
  const logY =
    input.logY ??
    (spansDecade([...candidates, ...(input.reference ? [input.reference.value] : [])]) &&
      input.series.every((s) =>
        s.mean.every((m, k) => !(m <= 0) || (s.divergedAtEpoch ?? Infinity) <= s.epochs[k]),
      ));
  const spec = { ...input, logY };
  const order = spec.styleOrder ?? spec.series.map((s) => s.label);
  const styles = spec.series.map((s) => seriesStyle(s.label, order));
  const labels = spec.series.map(legendLabel);
  const rows = spec.series.flatMap(plottedRows);
  const bands: BandRow[] = spec.series.flatMap((s) =>
    s.lower && s.upper
      ? plottedRows(s).map((r) => {
          const j = s.epochs.indexOf(r.epoch);
          return { label: r.label, epoch: r.epoch, lower: s.lower![j], upper: s.upper![j] };
        })
      : [],
  );
  const finiteYs = [...rows.map((r) => r.mean), ...(spec.reference ? [spec.reference.value] : [])];
  if (spec.logY) {
    // A band edge at or below zero (mean − sd of a wide spread) cannot be drawn on a log axis.
    const floor = Math.min(...finiteYs);
    for (const b of bands) b.lower = Math.max(b.lower, floor);
  }
  const top = finiteYs.length > 0 ? Math.max(...finiteYs) : 1;
  const crosses: Row[] = spec.series
    .filter((s) => s.divergedAtEpoch !== undefined)
    .map((s) => {
      const drawn = plottedRows(s);
      // At the last value drawn; a series with no finite value at all is marked at the top.
      return { label: legendLabel(s), epoch: s.divergedAtEpoch!, mean: drawn.at(-1)?.mean ?? top };
    });
  const maxEpoch = Math.max(...spec.series.flatMap((s) => [...s.epochs, s.divergedAtEpoch ?? 0]), 1);

  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: spec.xLabel ?? 'epoch',
    scale: { domain: [0, maxEpoch], nice: false },
    axis: { tickMinStep: 1, format: 'd', grid: true, labelFlush: false },
  };
  // The axis fits the data: a log axis ends on 1-2-5 ticks around it, a linear one pads it by 5%.
  const plotted = [...finiteYs, ...bands.flatMap((b) => [b.lower, b.upper])];
  const domain = spec.logY ? logDomain(plotted) : linearDomain(plotted);
  const yScale = spec.logY
    ? { type: 'log' as const, domain, nice: false }
    : { type: 'linear' as const, zero: false, nice: false, domain };
  const yAxis = spec.logY ? { values: logTicks(domain[0], domain[1]), format: '~g' } : {};
  const yTitle = spec.yLabel ?? 'validation MSE';
  const color = {
    field: 'label',
    type: 'nominal' as const,
    title: spec.legendTitle ?? 'initializer',
    scale: { domain: labels, range: styles.map((s) => s.color) },
    legend: { orient: 'right' as const, symbolStrokeWidth: 2, labelLimit: 1000 },
  };
  const shape = {
    field: 'label',
    type: 'nominal' as const,
    title: color.title,
    scale: { domain: labels, range: styles.map((s) => s.shape) },
  };

  const layer: unknown[] = [];
  if (bands.length > 0) {
    layer.push({
      data: { values: bands },
      mark: { type: 'area', opacity: 0.16 },
      encoding: {
        x,
        y: { field: 'lower', type: 'quantitative', scale: yScale, title: yTitle, axis: yAxis },
        y2: { field: 'upper' },
        color,
      },
    });
  }
  layer.push(
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative', scale: yScale, title: yTitle, axis: yAxis },
        color,
        detail: { field: 'label' },
      },
    },
    {
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 36, opacity: 1 },
      encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, shape },
    },
  );
  if (crosses.length > 0) {
    layer.push({
      data: { values: crosses },
      mark: { type: 'point', shape: CROSS_PATH, filled: false, strokeWidth: 3, size: 150, opacity: 1 },
      encoding: { x, y: { field: 'mean', type: 'quantitative' }, color },
    });
  }
  if (spec.reference) {
    const { label, value } = spec.reference;
    layer.push({
      data: { values: [{}] }, // one rule; without data of its own the layer would draw nothing
      mark: { type: 'rule', color: '#555555', strokeWidth: 1.5 },
      encoding: {
        y: { datum: value, type: 'quantitative' },
        strokeDash: {
          datum: label,
          type: 'nominal',
          title: 'reference',
          scale: { domain: [label], range: [[6, 4]] },
          legend: {
            orient: 'right',
            symbolType: 'stroke',
            symbolSize: 500,
            symbolStrokeColor: '#555555',
            symbolStrokeWidth: 1.5,
            labelLimit: 1000,
          },
        },
      },
    });
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: spec.title,
      ...(spec.subtitle ? { subtitle: spec.subtitle, subtitleFontSize: 12, subtitleColor: '#444' } : {}),
      anchor: 'start',
      fontSize: 15,
      fontWeight: 'bold',
      offset: 10,
    },
    width: spec.width ?? DEFAULT_WIDTH,
    height: spec.height ?? DEFAULT_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 10,
    background: 'white',
    layer,
    resolve: { scale: { color: 'shared', shape: 'shared' } },
    config: {
      font: FONT_FAMILY,
      axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
      legend: {
        labelFontSize: 11,
        titleFontSize: 12,
        titleFontWeight: 'bold',
        symbolSize: 80,
        symbolOpacity: 1,
      },
      view: { stroke: '#bbbbbb' },
    },
  } as TopLevelSpec;
}

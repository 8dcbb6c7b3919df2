// The sae study's figures as Vega-Lite specs and image tiles, drawn from stored runs: normalised
// MSE and dead fraction over training, latent density, decoder atoms; one panel per n × k.
import type { SaeResult } from './run.ts';
import type { SaeRun } from './spec.ts';
import type { StoredSae } from './verdicts.ts';

const auxName = (aux: boolean) => (aux ? 'with AuxK' : 'without AuxK');
const nLabel = (latents: number) => `n = ${latents}`;
const kLabel = (k: number) => `k = ${k}`;
export const configName = (c: SaeRun) =>
  `${nLabel(c.latents)}, ${kLabel(c.k)}, ${auxName(c.aux)}, ${c.dictionary}`;

/** Runs grouped by configuration (everything but the seed), in the grid's order. */
export function byConfig(runs: readonly StoredSae[]): StoredSae[][] {
  const groups = new Map<string, StoredSae[]>();
  for (const r of runs) {
    const key = `${r.config.label}|${configName(r.config)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // Stored runs come sorted by id, where k = 16 sorts before k = 2: order n and k as numbers,
  // keeping the entries' and the rest's order as they come.
  const entries = [...new Set(runs.map((r) => r.config.label))];
  return [...groups.values()].sort((a, b) => {
    const [x, y] = [a[0].config, b[0].config];
    return entries.indexOf(x.label) - entries.indexOf(y.label) || x.latents - y.latents || x.k - y.k;
  });
}

/** Mean over seeds of a record field at each recorded step, one row per configuration and step. */
function curveRows(runs: readonly StoredSae[], field: 'normalizedMse' | 'deadFraction') {
  const rows: FacetRow[] = [];
  for (const group of byConfig(runs)) {
    const c = group[0].config;
    group[0].result.records.forEach((rec, i) => {
      const values = group.map((r) => r.result.records[i]?.[field]).filter(Number.isFinite);
      if (values.length === 0) return;
      rows.push({
        n: nLabel(c.latents),
        k: kLabel(c.k),
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

/** The distinct values, smallest first, as their facet labels. */
const numericOrder = (values: readonly number[], label: (v: number) => string) =>
  [...new Set(values)].sort((a, b) => a - b).map(label);

/** A figure row: its facet ('n = 1024', 'k = 8') and whatever the marks read. */
type FacetRow = { n: string; k: string } & Record<string, unknown>;

function facetted(
  title: string,
  runs: readonly StoredSae[],
  rows: readonly FacetRow[],
  layer: object,
): object {
  // Vega-Lite sorts nominal facet values as strings ("k = 16" before "k = 8"), and `sort: null`
  // does not keep the data's order: name the order, from the runs' n and k as numbers.
  const latents = runs.map((r) => r.config.latents);
  const ks = runs.map((r) => r.config.k);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    facet: {
      row: { field: 'n', type: 'nominal', title: null, sort: numericOrder(latents, nLabel) },
      column: { field: 'k', type: 'nominal', title: null, sort: numericOrder(ks, kLabel) },
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
    runs,
    curveRows(runs, field),
    {
      mark: { type: 'line', ...(pointsReadable(runs) && { point: { size: 12 } }) },
      encoding: {
        // SI labels (500k, 1M, 1.5M): the full numbers of a long run overlap, and Vega drops all
        // but the first and last. Vega gives every tick the span's prefix, so 0 would read "0M".
        x: {
          field: 'samples',
          type: 'quantitative',
          title: 'training samples',
          axis: { format: '~s', tickCount: 6, labelExpr: "datum.value === 0 ? '0' : datum.label" },
        },
        y: {
          field: 'value',
          type: 'quantitative',
          title: mse ? '‖x − x̂‖² / ‖x − mean‖²' : 'dead fraction',
          ...(mse ? { scale: { type: 'log' } } : { scale: { domain: [0, 1] } }),
        },
        ...auxAndDictionary(runs),
      },
    },
  );
}

/**
 * A point per record while they stay apart; a long run records hundreds per panel, where the
 * points merge into a thick band that hides the line and the curve under it.
 */
const MAX_POINTS_PER_CURVE = 60;
const pointsReadable = (runs: readonly StoredSae[]) =>
  runs.every((r) => r.result.records.length <= MAX_POINTS_PER_CURVE);

/**
 * With and without AuxK often give the same curve: the one with AuxK is drawn wide and pale under
 * the other, so two identical curves read as a thin line inside a halo instead of hiding each other.
 * The dictionary is a dash pattern only where the entry has more than one (a legend entry for a
 * single dictionary matched no mark), and its legend shows strokes, not points.
 */
function auxAndDictionary(runs: readonly StoredSae[]): object {
  const domain = [auxName(true), auxName(false)];
  const dictionaries = new Set(runs.map((r) => r.config.dictionary));
  return {
    color: { field: 'aux', type: 'nominal', title: null, scale: { domain } },
    // Ordinal with the domain's order: Vega-Lite warns about size channels on an unsorted nominal field.
    strokeWidth: {
      field: 'aux',
      type: 'ordinal',
      sort: domain,
      title: null,
      scale: { domain, range: [6, 1.8] },
    },
    opacity: {
      field: 'aux',
      type: 'ordinal',
      sort: domain,
      title: null,
      scale: { domain, range: [0.45, 1] },
    },
    ...(dictionaries.size > 1 && {
      strokeDash: {
        field: 'dictionary',
        type: 'nominal',
        title: 'dictionary',
        legend: { symbolType: 'stroke' },
      },
    }),
    detail: { field: 'config' },
  };
}

/** Latent density: the count of latents per log10-frequency bin (mean of seeds); never-fired latents at the far left. */
export function densitySpec(label: string, runs: readonly StoredSae[]) {
  const rows: FacetRow[] = [];
  let neverX = 0;
  for (const group of byConfig(runs)) {
    const c = group[0].config;
    const h = group[0].result.histogram;
    const width = h.edges.length > 1 ? h.edges[1] - h.edges[0] : 1;
    neverX = h.edges[0] - width;
    const meanOf = (f: (r: SaeResult) => number) => group.reduce((s, r) => s + f(r.result), 0) / group.length;
    const base = {
      n: nLabel(c.latents),
      k: kLabel(c.k),
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
    runs,
    rows,
    {
      mark: { type: 'line', point: { size: 12 }, interpolate: 'step' },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'log10 firing frequency' },
        y: { field: 'count', type: 'quantitative', title: 'latents (mean of seeds)' },
        ...auxAndDictionary(runs),
      },
    },
  );
}

/** Each atom scaled to [0, 1] by its own extreme |value| (grey 0.5 = 0). */
export function atomImage(w: readonly number[]): Float32Array {
  let peak = 0;
  for (const v of w) peak = Math.max(peak, Math.abs(v));
  return Float32Array.from(w, (v) => 0.5 + (peak > 0 ? v / (2 * peak) : 0));
}

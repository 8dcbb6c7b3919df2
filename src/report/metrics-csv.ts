// metrics.csv: every per-epoch (or per-step) number of a study in long format, one value a row,
// so pandas (`pd.read_csv`) and R (`read.csv`) read it without any reshaping. Written with
// csv-stringify: RFC 4180 quoting (a field holding a comma, quote or line break is quoted, quotes
// doubled), a header row, '\n' line ends.
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { writeFileAtomicSync } from '../util/files.ts';

/** The columns of metrics.csv, in order. */
export const METRICS_CSV_COLUMNS = [
  'run',
  'dataset',
  'initializer',
  'seed',
  'epoch',
  'split',
  'metric',
  'value',
] as const;

/**
 * One number of one run. `epoch` is the epoch (0 = before training) for kinds that train in
 * epochs, and the training step for kinds that record by step (shallow-pca, sae). `initializer`
 * is what the kind compares (an initializer, a dictionary, a model configuration).
 */
export interface MetricRow {
  run: string;
  dataset: string;
  initializer: string;
  seed: number;
  epoch: number;
  /** 'train', 'validation', 'test' or 'eval'. */
  split: string;
  /** snake_case, e.g. 'loss', 'mse', 'normalized_mse', 'dead_fraction'. */
  metric: string;
  value: number;
}

/** A number as R and pandas read it: shortest round-trip decimal, NaN, Inf, -Inf. */
export function formatMetricValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The CSV text of `rows`, header first. */
export function metricsCsv(rows: Iterable<MetricRow>): string {
  const records: string[][] = [];
  for (const r of rows)
    records.push([
      r.run,
      r.dataset,
      r.initializer,
      String(r.seed),
      String(r.epoch),
      r.split,
      r.metric,
      formatMetricValue(r.value),
    ]);
  return stringify(records, { header: true, columns: [...METRICS_CSV_COLUMNS] });
}

/** Writes `<dir>/metrics.csv` atomically and returns its path. */
export function writeMetricsCsv(dir: string, rows: Iterable<MetricRow>): string {
  const path = join(dir, 'metrics.csv');
  writeFileAtomicSync(path, metricsCsv(rows));
  return path;
}

// What the shared machinery adds to every kind's report: metrics.csv and TensorBoard events (from
// the kind's `metrics` hook), and which nmfinit wrote it (results.json, report.md). Done here, not
// in each kind, so no kind can forget it.

import { writeMetricsCsv } from '../report/metrics-csv.ts';
import { stampProvenance } from '../report/provenance.ts';
import { writeTensorboardEvents } from '../report/tensorboard.ts';
import type { BaseStudySpec, StudyReportFiles, StudyReportInput, StudyRun } from './study-kind.ts';
import type { AnyKind } from './validate.ts';

/** The files written from the kind's `metrics` rows, and one line for each in the report. */
export interface MetricExports {
  readonly metricsCsv?: string;
  readonly tensorboard?: readonly string[];
  /** "metrics.csv (N rows: …)", "TensorBoard events for N runs (…)". */
  readonly lines: readonly string[];
}

/** Writes metrics.csv (and, with `outputs.tensorboard`, TensorBoard events) when the kind has `metrics`. */
export function writeMetricExports(
  kind: AnyKind,
  input: StudyReportInput<BaseStudySpec, StudyRun, unknown>,
): MetricExports {
  if (!kind.metrics) return { lines: [] };
  const rows = kind.metrics(input);
  const metricsCsv = writeMetricsCsv(input.dir, rows);
  const lines = [
    `metrics.csv (${rows.length} rows: run, dataset, initializer, seed, epoch, split, metric, value)`,
  ];
  if (input.spec.outputs.tensorboard !== true) return { metricsCsv, lines };
  const timings = new Map(input.runs.map((r) => [r.id, r.timing]));
  const tensorboard = writeTensorboardEvents(input.dir, rows, timings);
  lines.push(`TensorBoard events for ${tensorboard.length} runs (\`tensorboard --logdir tensorboard\`)`);
  return { metricsCsv, tensorboard, lines };
}

/** For a kind that wrote its own report.md and results.json: the exports, then provenance stamped in. */
export function writeStudyExports(
  kind: AnyKind,
  input: StudyReportInput<BaseStudySpec, StudyRun, unknown>,
  files: StudyReportFiles,
): StudyReportFiles {
  const { lines, ...written } = writeMetricExports(kind, input);
  stampProvenance(files.resultsJson, files.reportMd, lines);
  return { ...files, ...written };
}

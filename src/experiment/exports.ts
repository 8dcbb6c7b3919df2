// What the shared machinery adds to every kind's report, after the kind wrote it: metrics.csv and
// TensorBoard events (from the kind's `metrics` hook), and which nmfinit wrote it (results.json,
// report.md). Done here, not in each kind, so no kind can forget it.

import { writeMetricsCsv } from '../report/metrics-csv.ts';
import { stampProvenance } from '../report/provenance.ts';
import { writeTensorboardEvents } from '../report/tensorboard.ts';
import type { BaseStudySpec, StudyReportFiles, StudyReportInput, StudyRun } from './study-kind.ts';
import type { AnyKind } from './validate.ts';

export function writeStudyExports(
  kind: AnyKind,
  input: StudyReportInput<BaseStudySpec, StudyRun, unknown>,
  files: StudyReportFiles,
): StudyReportFiles {
  let out = files;
  const exports: string[] = [];
  if (kind.metrics) {
    const rows = kind.metrics(input);
    out = { ...out, metricsCsv: writeMetricsCsv(input.dir, rows) };
    exports.push(
      `metrics.csv (${rows.length} rows: run, dataset, initializer, seed, epoch, split, metric, value)`,
    );
    if (input.spec.outputs.tensorboard === true) {
      const timings = new Map(input.runs.map((r) => [r.id, r.timing]));
      const tensorboard = writeTensorboardEvents(input.dir, rows, timings);
      out = { ...out, tensorboard };
      exports.push(
        `TensorBoard events for ${tensorboard.length} runs (\`tensorboard --logdir tensorboard\`)`,
      );
    }
  }
  stampProvenance(out.resultsJson, out.reportMd, exports);
  return out;
}

// The parts every kind's report.html shares around its runs: element ids, the run count in the
// header, and the index of runs whose first column opens each run's detail view.
import type { HtmlReport, HtmlRunDetail, HtmlTable } from './model.ts';

/** A string made safe as an element id (runs and data-set labels may hold any character). */
export const htmlId = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');

/** The header line "N stored, M missing". */
export function runCountMeta(input: { runs: readonly unknown[]; missing: readonly unknown[] }) {
  return { label: 'runs', value: `${input.runs.length} stored, ${input.missing.length} missing` };
}

/** The sortable index of runs (a leading `run` column that links to each detail) and the details. */
export function runsIndex<R extends { id: string }>(
  runs: readonly R[],
  columns: HtmlTable['columns'],
  row: (run: R) => Omit<HtmlTable['rows'][number], 'id'>,
  detail: (run: R) => HtmlRunDetail,
): NonNullable<HtmlReport['runs']> {
  return {
    table: {
      type: 'table',
      id: 'runs',
      columns: [{ key: 'id', label: 'run', link: 'run' }, ...columns],
      rows: runs.map((r) => ({ id: r.id, ...row(r) })),
    },
    details: Object.fromEntries(runs.map((r) => [r.id, detail(r)])),
  };
}

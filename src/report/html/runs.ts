// The parts every kind's report.html shares around its runs: element ids, the run count in the
// header, and the index of runs whose first column opens each run's detail view.
import { columnRows, columnTable, type ValueColumn } from '../columns.ts';
import { htmlTableOf } from '../document.ts';
import type { HtmlReport, HtmlRunDetail, HtmlTable } from './model.ts';

/** A string made safe as an element id (runs and data-set labels may hold any character). */
export const htmlId = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '-');

/** The header line "N stored, M missing". */
export function runCountMeta(input: { runs: readonly unknown[]; missing: readonly unknown[] }) {
  return { label: 'runs', value: `${input.runs.length} stored, ${input.missing.length} missing` };
}

/**
 * The sortable index of runs: a leading `run` column that links to each run's detail view, then
 * the kind's columns (each with how it reads its cell from a run), and the details.
 */
export function runsIndex<R extends { id: string }>(
  runs: readonly R[],
  columns: readonly ValueColumn<R>[],
  detail: (run: R) => HtmlRunDetail,
): NonNullable<HtmlReport['runs']> {
  const rows = columnRows(columns, runs);
  return {
    table: {
      type: 'table',
      id: 'runs',
      columns: [
        { key: 'id', label: 'run', link: 'run' },
        ...columns.map((c) => ({ key: c.key, label: c.label })),
      ],
      rows: runs.map((r, i) => ({ id: r.id, ...rows[i] })),
    },
    details: Object.fromEntries(runs.map((r) => [r.id, detail(r)])),
  };
}

/** A table of a run's detail view (its epochs or records), declared column by column. */
export function runDetailTable<T>(
  id: string,
  title: string,
  columns: readonly ValueColumn<T>[],
  items: readonly T[],
): HtmlTable {
  return htmlTableOf(columnTable(id, columns, items, title));
}

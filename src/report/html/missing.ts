import { columnTable, type ValueColumn } from '../columns.ts';
import { htmlTableOf } from '../document.ts';
import type { HtmlReport } from './model.ts';

/** Every run of the grid without a stored result, with its recorded failure's first line or 'not run'. */
export function missingRuns(
  missing: readonly { id: string }[],
  failed: readonly { config: { id: string }; error: string }[],
): { id: string; why: string }[] {
  const errors = new Map(failed.map((f) => [f.config.id, f.error.split('\n')[0]]));
  return missing.map((c) => ({ id: c.id, why: errors.get(c.id) ?? 'not run' }));
}

/** The "Missing runs" section of a report.html, from `missingRuns`. No section when none is missing. */
export function missingRunsTable(rows: readonly { id: string; why: string }[]): HtmlReport['sections'] {
  if (rows.length === 0) return [];
  const columns: ValueColumn<{ id: string; why: string }>[] = [
    { key: 'id', label: 'run', value: (r) => r.id },
    { key: 'why', label: 'why', value: (r) => r.why },
  ];
  return [{ title: 'Missing runs', blocks: [htmlTableOf(columnTable('missing-runs', columns, rows))] }];
}

/**
 * The "Missing runs" section of a report.html: every run of the grid without a stored result,
 * with its recorded failure's first line where there is one. No section when none is missing.
 */
export function missingRunsSection(
  missing: readonly { id: string }[],
  failed: readonly { config: { id: string }; error: string }[],
): HtmlReport['sections'] {
  return missingRunsTable(missingRuns(missing, failed));
}

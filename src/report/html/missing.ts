import type { HtmlReport } from './model.ts';

/**
 * The "Missing runs" section of a report.html: every run of the grid without a stored result,
 * with its recorded failure's first line where there is one. No section when none is missing.
 */
export function missingRunsSection(
  missing: readonly { id: string }[],
  failed: readonly { config: { id: string }; error: string }[],
): HtmlReport['sections'] {
  if (missing.length === 0) return [];
  const errors = new Map(failed.map((f) => [f.config.id, f.error.split('\n')[0]]));
  return [
    {
      title: 'Missing runs',
      blocks: [
        {
          type: 'table',
          id: 'missing-runs',
          columns: [
            { key: 'id', label: 'run' },
            { key: 'why', label: 'why' },
          ],
          rows: missing.map((c) => ({ id: c.id, why: errors.get(c.id) ?? 'not run' })),
        },
      ],
    },
  ];
}

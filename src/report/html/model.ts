import { z } from 'zod';
import { parseOrThrow } from '../../registry/parse.ts';

// What a study kind hands to the HTML writer: plain, JSON-serialisable data. The page's script
// (client.js) draws it; the kind never writes HTML.

/** A table cell: a number or text, or a sort value with its own display text. */
const cellSchema = z.union([
  z.string(),
  z.number(),
  z.null(),
  z
    .object({
      value: z.union([z.string(), z.number(), z.null()]),
      text: z.string(),
      /** Shown in bold, as report.md prints it (e.g. a significant p-value). */
      bold: z.boolean().optional(),
    })
    .strict(),
]);

const columnSchema = z
  .object({
    /** The row field this column shows. */
    key: z.string().min(1),
    label: z.string(),
    /** Cells of a 'run' column are run ids: clicking one opens that run's detail view. */
    link: z.literal('run').optional(),
  })
  .strict();

/** The fields a table and a chart share: an id unique in the report (the page and its tests find the block by it), a title, a caption. */
const namedBlockFields = {
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  title: z.string().optional(),
  caption: z.string().optional(),
};

const tableSchema = z
  .object({
    type: z.literal('table'),
    ...namedBlockFields,
    columns: z.array(columnSchema).min(1),
    rows: z.array(z.record(z.string(), cellSchema)),
  })
  .strict();

const chartSchema = z
  .object({
    type: z.literal('chart'),
    ...namedBlockFields,
    /**
     * A Vega-Lite spec whose data are inline (`data.values`, at the top or in layers): the page
     * filters those values for the series toggles.
     */
    spec: z.record(z.string(), z.unknown()),
    /** One group of checkboxes per field: unticking a value hides its rows in every layer. */
    toggles: z.array(z.object({ field: z.string().min(1), label: z.string() }).strict()).default([]),
    /** When set, a log/linear switch starting here; it sets the type of every quantitative y scale. */
    yScale: z.enum(['linear', 'log']).optional(),
  })
  .strict();

const imageSchema = z
  .object({
    type: z.literal('image'),
    title: z.string().optional(),
    /** A `data:image/png;base64,…` URI (see pngDataUri): the page loads nothing. */
    src: z.string().startsWith('data:image/'),
    alt: z.string().min(1),
    caption: z.string().optional(),
  })
  .strict();

/** A paragraph; `**bold**`, `` `code` `` and `[text](href)` are drawn as such, the rest is text. */
const textSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();

const blockSchema = z.discriminatedUnion('type', [textSchema, chartSchema, tableSchema, imageSchema]);

const sectionSchema = z.object({ title: z.string().min(1), blocks: z.array(blockSchema) }).strict();

const runDetailSchema = z
  .object({
    /** The run's configuration as stored, shown as JSON. */
    config: z.unknown(),
    /** Per-epoch (or per-step) numbers. */
    epochs: tableSchema.optional(),
    chart: chartSchema.optional(),
    /** Anything else worth showing (a result without epochs), as JSON. */
    result: z.unknown().optional(),
  })
  .strict();

export const htmlReportSchema = z
  .object({
    title: z.string().min(1),
    description: z.string().default(''),
    /** Short facts shown under the title: version, commit, when it was written. */
    meta: z.array(z.object({ label: z.string(), value: z.string() }).strict()).default([]),
    sections: z.array(sectionSchema),
    /** Every run: a sortable table whose 'run' column opens `details[id]`. */
    runs: z
      .object({
        table: tableSchema,
        details: z.record(z.string(), runDetailSchema),
      })
      .strict()
      .optional(),
  })
  .strict();

export type HtmlReport = z.input<typeof htmlReportSchema>;
export type HtmlReportParsed = z.output<typeof htmlReportSchema>;
export type HtmlBlock = z.input<typeof blockSchema>;
export type HtmlChart = z.input<typeof chartSchema>;
export type HtmlTable = z.input<typeof tableSchema>;
export type HtmlImage = z.input<typeof imageSchema>;
export type HtmlCell = z.input<typeof cellSchema>;
export type HtmlRunDetail = z.input<typeof runDetailSchema>;

/** Every id a chart or table has in the report, in order (ids of run details included). */
function blockIds(r: HtmlReportParsed): string[] {
  const ids: string[] = [];
  for (const s of r.sections)
    for (const b of s.blocks) if (b.type === 'chart' || b.type === 'table') ids.push(b.id);
  if (r.runs) {
    ids.push(r.runs.table.id);
    for (const d of Object.values(r.runs.details)) {
      if (d.epochs) ids.push(d.epochs.id);
      if (d.chart) ids.push(d.chart.id);
    }
  }
  return ids;
}

/** Validates a report (schema, unique ids, run links that resolve) or throws naming the field. */
export function parseHtmlReport(raw: unknown): HtmlReportParsed {
  const r = parseOrThrow(htmlReportSchema, raw, 'report.html');
  const seen = new Set<string>();
  for (const id of blockIds(r)) {
    if (seen.has(id))
      throw new Error(`report.html: the id '${id}' is used twice; chart and table ids must be unique`);
    seen.add(id);
  }
  const tables = r.sections.flatMap((s) => s.blocks.filter((b) => b.type === 'table'));
  if (r.runs) tables.push(r.runs.table);
  for (const t of tables) {
    for (const c of t.columns.filter((c) => c.link === 'run')) {
      for (const row of t.rows) {
        const cell = row[c.key];
        const id = cell !== null && typeof cell === 'object' ? cell.value : cell;
        if (id !== null && id !== undefined && !r.runs?.details[String(id)])
          throw new Error(`report.html: table '${t.id}' links to run '${id}', which has no detail view`);
      }
    }
  }
  return r;
}

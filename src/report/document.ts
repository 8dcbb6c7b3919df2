import type { HtmlCell, HtmlReport, HtmlTable } from './html/model.ts';

// A study's report as data. A kind describes what it found; the machinery
// (src/experiment/report-files.ts) renders the same document to report.md (./markdown.ts) and to
// report.html (./html/document.ts), writes the figures, results.json and every other file, and
// appends what every kind shares (missing and failed runs, provenance, exports). The kind writes
// no file, so its report is testable without a disk.

/** A paragraph of Markdown written by the kind (`**bold**`, `[link](file.png)`, `` `code` ``). */
export interface DocText {
  readonly type: 'text';
  readonly text: string;
}

/** A bulleted list: one Markdown line per item. */
export interface DocList {
  readonly type: 'list';
  readonly items: readonly string[];
}

/**
 * A cell: a number or text, or a value with the text to print for it (and `bold`, e.g. where a
 * difference is significant). report.md prints the text; report.html shows it and sorts by value.
 */
export type DocCell =
  | string
  | number
  | null
  | { readonly value: string | number | null; readonly text: string; readonly bold?: boolean };

export interface DocColumn {
  /** The row field this column shows. */
  readonly key: string;
  readonly label: string;
  /** Markdown alignment; numbers are right-aligned. Default 'left'. */
  readonly align?: 'left' | 'right';
  /** 'html': a column only report.html shows (sortable detail report.md leaves to results.json). */
  readonly only?: 'html';
}

export interface DocTable {
  readonly type: 'table';
  /** Unique in the report: report.html and its tests find the table by it. */
  readonly id: string;
  /** Shown above the table in report.html only (report.md has the section heading). */
  readonly title?: string;
  readonly columns: readonly DocColumn[];
  readonly rows: readonly Readonly<Record<string, DocCell>>[];
}

/**
 * A Vega-Lite figure, written as `<file>.svg` and `<file>.png` and shown in report.md as
 * `![alt](<file>.png)`; report.html draws `interactive` (default: `spec` with tooltips) with a
 * switch per toggle field and, with `yScale`, a log/linear switch.
 */
export interface DocFigure {
  readonly type: 'figure';
  /** Path under the output directory, without extension; unique in the report. */
  readonly file: string;
  readonly alt: string;
  readonly spec: object;
  readonly interactive?: object;
  readonly toggles?: readonly { field: string; label: string }[];
  readonly yScale?: 'linear' | 'log';
}

/** A chart report.html draws in place of a static figure (see HtmlChart). */
export interface DocInteractive {
  readonly spec: object;
  readonly title?: string;
  readonly caption?: string;
  readonly toggles?: readonly { field: string; label: string }[];
  readonly yScale?: 'linear' | 'log';
}

/**
 * A figure the kind drew itself (an image grid, a loss plot), written as `<file>.png` (and
 * `<file>.svg` when given) and shown in report.md; report.html shows the PNG, or `interactive`.
 */
export interface DocImage {
  readonly type: 'image';
  /** Path under the output directory, without extension. */
  readonly file: string;
  readonly png: Uint8Array;
  readonly svg?: string;
  /** The Markdown alt text. */
  readonly alt: string;
  /** The heading of the image in report.html (default: the alt text). */
  readonly title?: string;
  readonly caption?: string;
  readonly interactive?: DocInteractive;
}

export type DocBlock = DocText | DocList | DocTable | DocFigure | DocImage;

export interface DocSection {
  readonly title: string;
  readonly blocks: readonly DocBlock[];
  /** Shown under this section (report.md: `###` headings). */
  readonly subsections?: readonly DocSection[];
}

/** What a kind's report describes; `results` becomes results.json (provenance stamped in). */
export interface ReportDocument {
  readonly title: string;
  readonly description: string;
  /** Blocks between the description and the first section. */
  readonly intro: readonly DocBlock[];
  readonly sections: readonly DocSection[];
  /** Facts for report.html's header besides nmfinit's version, commit, time and the run count. */
  readonly meta?: readonly { label: string; value: string }[];
  /** report.html's index of runs and their detail views (see `runsIndex`). */
  readonly runs?: NonNullable<HtmlReport['runs']>;
  /** PNGs written beside the report but shown in neither format (linked from a text block). */
  readonly attachments?: readonly { file: string; png: Uint8Array }[];
  /** results.json: a JSON object; its `schema` field, where it has one, names its layout. */
  readonly results: { readonly schema?: string } & Readonly<Record<string, unknown>>;
}

/** Every block of a section and of its subsections, depth first. */
export function sectionBlocks(s: DocSection): DocBlock[] {
  return [...s.blocks, ...(s.subsections ?? []).flatMap(sectionBlocks)];
}

/** Every block of the document, in reading order. */
export function documentBlocks(doc: ReportDocument): DocBlock[] {
  return [...doc.intro, ...doc.sections.flatMap(sectionBlocks)];
}

/** A cell for report.html: a non-finite number (no mean of no runs) sorts last and reads as printed. */
function htmlCell(c: DocCell): HtmlCell {
  if (typeof c === 'number') return Number.isFinite(c) ? c : { value: null, text: String(c) };
  if (c !== null && typeof c === 'object' && typeof c.value === 'number' && !Number.isFinite(c.value))
    return { ...c, value: null };
  return c;
}

/** A DocTable as report.html's table block (same id, columns and cells). */
export function htmlTableOf(t: DocTable): HtmlTable {
  return {
    type: 'table',
    id: t.id,
    ...(t.title !== undefined && { title: t.title }),
    columns: t.columns.map((c) => ({ key: c.key, label: c.label })),
    rows: t.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, htmlCell(v)]))),
  };
}

import type { DocBlock, DocCell, DocSection, DocTable, ReportDocument } from './document.ts';
import { escapeMarkdownText } from './format.ts';

// report.md from a ReportDocument: the title, the description, the kind's blocks and sections,
// then what the machinery adds to every report (missing runs, provenance, the other files).
// Pure: the figures are written by the machinery; here they are only linked.

/** What every report ends with, gathered by the machinery. */
export interface SharedSections {
  /** Runs of the grid without a stored result, with the first line of their failure or 'not run'. */
  readonly missing: readonly { id: string; why: string }[];
  /** "nmfinit 0.1.0, commit 0123456789ab" (see provenanceLine). */
  readonly writtenBy: string;
  /** The files the machinery wrote besides the report's own (metrics.csv, TensorBoard events). */
  readonly exports: readonly string[];
}

function cellText(c: DocCell | undefined): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'object') return c.bold ? `**${c.text}**` : c.text;
  return String(c);
}

function tableLines(t: DocTable): string[] {
  const columns = t.columns.filter((c) => c.only !== 'html');
  return [
    `| ${columns.map((c) => c.label).join(' | ')} |`,
    `| ${columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${columns.map((c) => cellText(r[c.key])).join(' | ')} |`),
  ];
}

/** One block as Markdown lines (no blank line around it). */
export function markdownBlock(b: DocBlock): string[] {
  switch (b.type) {
    case 'text':
      return [b.text];
    case 'list':
      return b.items.map((i) => `- ${i}`);
    case 'table':
      return tableLines(b);
    case 'figure':
    case 'image':
      return [`![${b.alt}](${b.file}.png)`];
  }
}

function sectionLines(s: DocSection, depth: number): string[] {
  // Section titles carry user-given labels (data sets, initializers): shown literally.
  const out = [`${'#'.repeat(depth)} ${escapeMarkdownText(s.title)}`, ''];
  for (const b of s.blocks) out.push(...markdownBlock(b), '');
  for (const sub of s.subsections ?? []) out.push(...sectionLines(sub, depth + 1));
  return out;
}

/** The shared sections at the end of every report, as the document's sections. */
export function sharedSections(shared: SharedSections): DocSection[] {
  const sections: DocSection[] = [];
  if (shared.missing.length > 0)
    sections.push({
      title: `Missing runs (${shared.missing.length})`,
      blocks: [{ type: 'list', items: shared.missing.map((m) => `${m.id}: ${m.why}`) }],
    });
  const provenance: DocBlock[] = [{ type: 'text', text: `Written by ${shared.writtenBy}.` }];
  if (shared.exports.length > 0)
    provenance.push({ type: 'text', text: 'Also written:' }, { type: 'list', items: shared.exports });
  sections.push({ title: 'Provenance', blocks: provenance });
  return sections;
}

/** The whole report.md. */
export function renderMarkdown(doc: ReportDocument, shared: SharedSections): string {
  const out = [`# ${doc.title}`, ''];
  // The description is the user's text: raw HTML in it stays text, as in report.html.
  if (doc.description !== '') out.push(escapeMarkdownText(doc.description), '');
  for (const b of doc.intro) out.push(...markdownBlock(b), '');
  for (const s of [...doc.sections, ...sharedSections(shared)]) out.push(...sectionLines(s, 2));
  return `${out.join('\n').replace(/\s+$/, '')}\n`;
}

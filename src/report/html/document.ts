import type { DocBlock, DocSection, ReportDocument } from '../document.ts';
import { htmlTableOf } from '../document.ts';
import { withPalette } from '../loss-plot-spec.ts';
import type { SharedSections } from '../markdown.ts';
import { pngDataUri } from './image.ts';
import { reportMeta } from './meta.ts';
import { missingRunsTable } from './missing.ts';
import type { HtmlBlock, HtmlReport } from './model.ts';
import { htmlId } from './runs.ts';
import { withTooltips } from './tooltips.ts';

// report.html's data from a ReportDocument: the same blocks as report.md, drawn interactively
// (figures as Vega-Lite charts with switches, tables sortable, image grids inlined), then the
// shared sections: missing runs, provenance and the other files; the runs index at the end.

function htmlBlocks(b: DocBlock): HtmlBlock[] {
  switch (b.type) {
    case 'text':
      return [{ type: 'text', text: b.text }];
    case 'list':
      return b.items.map((text) => ({ type: 'text' as const, text: `• ${text}` }));
    case 'table':
      return [htmlTableOf(b)];
    case 'figure':
      return [
        {
          type: 'chart',
          id: `figure-${htmlId(b.file)}`,
          spec: withPalette(b.interactive ?? withTooltips(b.spec)) as Record<string, unknown>,
          toggles: [...(b.toggles ?? [])],
          ...(b.yScale !== undefined && { yScale: b.yScale }),
        },
      ];
    case 'image': {
      const i = b.interactive;
      if (i !== undefined)
        return [
          {
            type: 'chart',
            id: `figure-${htmlId(b.file)}`,
            spec: withPalette(i.spec) as Record<string, unknown>,
            toggles: [...(i.toggles ?? [])],
            ...(i.title !== undefined && { title: i.title }),
            ...(i.caption !== undefined && { caption: i.caption }),
            ...(i.yScale !== undefined && { yScale: i.yScale }),
          },
        ];
      return [
        {
          type: 'image',
          title: b.title ?? b.alt,
          alt: b.alt,
          src: pngDataUri(b.png),
          ...(b.caption !== undefined && { caption: b.caption }),
        },
      ];
    }
  }
}

/** A section and its subsections, flat: report.html has one level of sections. */
function htmlSections(s: DocSection): HtmlReport['sections'] {
  return [
    ...(s.blocks.length > 0 ? [{ title: s.title, blocks: s.blocks.flatMap(htmlBlocks) }] : []),
    ...(s.subsections ?? []).flatMap(htmlSections),
  ];
}

/** The whole report.html data (validate and write it with writeReportHtml). */
export function documentToHtml(
  doc: ReportDocument,
  shared: SharedSections,
  runCount: { label: string; value: string },
): HtmlReport {
  const intro = doc.intro.flatMap(htmlBlocks);
  const provenance: HtmlBlock[] = [{ type: 'text', text: `Written by ${shared.writtenBy}.` }];
  if (shared.exports.length > 0)
    provenance.push(
      { type: 'text', text: 'Also written:' },
      ...shared.exports.map((e) => ({ type: 'text' as const, text: `• ${e}` })),
    );
  return {
    title: doc.title,
    description: doc.description,
    meta: reportMeta([...(doc.meta ?? []), runCount]),
    sections: [
      ...(intro.length > 0 ? [{ title: 'About', blocks: intro }] : []),
      ...doc.sections.flatMap(htmlSections),
      ...missingRunsTable(shared.missing),
      { title: 'Provenance', blocks: provenance },
    ],
    ...(doc.runs !== undefined && { runs: doc.runs }),
  };
}

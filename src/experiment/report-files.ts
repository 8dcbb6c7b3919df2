// Every file of a study's report, from the document its kind describes: the figures and image
// grids, metrics.csv and TensorBoard events, report.md and report.html rendered from the one
// document with the shared sections appended, and results.json with provenance stamped in.

import { join } from 'node:path';
import { documentBlocks, type ReportDocument } from '../report/document.ts';
import { documentToHtml } from '../report/html/document.ts';
import { missingRuns } from '../report/html/missing.ts';
import { writeReportHtml } from '../report/html/page.ts';
import { runCountMeta } from '../report/html/runs.ts';
import { renderMarkdown, type SharedSections } from '../report/markdown.ts';
import { nmfinitProvenance, type Provenance, provenanceLine } from '../report/provenance.ts';
import { writeVegaFigure } from '../report/vega-figure.ts';
import { writeFigure } from '../report/write-figure.ts';
import { writeFileAtomicSync } from '../util/files.ts';
import { writeMetricExports } from './exports.ts';
import type { BaseStudySpec, StudyReportFiles, StudyReportInput, StudyRun } from './study-kind.ts';
import type { AnyKind } from './validate.ts';

/** Writes the figures, image grids and attachments a document names; returns the paths, in order. */
async function writeDocumentFigures(dir: string, doc: ReportDocument): Promise<string[]> {
  const written: string[] = [];
  const seen = new Set<string>();
  const claim = (file: string) => {
    if (seen.has(file)) throw new Error(`report: two figures of the report are both named '${file}'`);
    seen.add(file);
  };
  for (const b of documentBlocks(doc)) {
    if (b.type === 'figure') {
      claim(b.file);
      written.push(...(await writeVegaFigure(dir, b.file, b.spec)));
    } else if (b.type === 'image') {
      claim(b.file);
      written.push(
        ...writeFigure(join(dir, b.file), { png: b.png, ...(b.svg !== undefined && { svg: b.svg }) }),
      );
    }
  }
  for (const a of doc.attachments ?? []) {
    claim(a.file);
    written.push(...writeFigure(join(dir, a.file), { png: a.png }));
  }
  return written;
}

/** results.json: the document's results with `nmfinit` (provenance) first, after `schema` if any. */
export function resultsWithProvenance(results: ReportDocument['results'], p: Provenance): object {
  const { schema, nmfinit: _, ...rest } = results;
  return { ...(schema === undefined ? {} : { schema }), nmfinit: p, ...rest };
}

export async function writeDocumentReport(
  kind: AnyKind,
  input: StudyReportInput<BaseStudySpec, StudyRun, unknown>,
  doc: ReportDocument,
): Promise<StudyReportFiles> {
  const { dir } = input;
  const figures = await writeDocumentFigures(dir, doc);
  const { lines, ...exported } = writeMetricExports(kind, input);
  const p = nmfinitProvenance();
  const shared: SharedSections = {
    missing: missingRuns(input.missing, input.failed),
    writtenBy: provenanceLine(p),
    exports: lines,
  };
  const reportMd = join(dir, 'report.md');
  writeFileAtomicSync(reportMd, renderMarkdown(doc, shared));
  const resultsJson = join(dir, 'results.json');
  writeFileAtomicSync(resultsJson, `${JSON.stringify(resultsWithProvenance(doc.results, p), null, 2)}\n`);
  const reportHtml = writeReportHtml(dir, documentToHtml(doc, shared, runCountMeta(input)));
  return { reportMd, resultsJson, figures, reportHtml, ...exported };
}

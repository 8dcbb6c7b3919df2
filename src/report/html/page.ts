import { join } from 'node:path';
import { writeFileAtomicSync } from '../../util/files.ts';
import { clientScript, vegaScripts } from './assets.ts';
import { type HtmlReport, parseHtmlReport } from './model.ts';
import { REPORT_CSS } from './style.ts';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** JSON that is safe inside a <script> element: no "</script>", no "<!--". */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

// The page may load nothing: no connections, no images but data: URIs. 'unsafe-eval' because
// Vega compiles its expressions with Function; connect-src 'self' lets `nmfinit view` reload it.
const CSP =
  "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'";

/** The report as one self-contained HTML document (vega-embed and the data inlined). */
export function renderReportHtml(report: HtmlReport): string {
  const parsed = parseHtmlReport(report);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<link rel="icon" href="data:,">',
    `<title>${escapeHtml(parsed.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<main id="main"></main>',
    '<section id="run-detail" hidden></section>',
    `<script type="application/json" id="nmfinit-data">${scriptJson(parsed)}</script>`,
    `<script>${vegaScripts()}</script>`,
    `<script>${clientScript()}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Writes `report.html` into `dir` (atomically: a watching browser never reads half a page). */
export function writeReportHtml(dir: string, report: HtmlReport): string {
  const path = join(dir, 'report.html');
  writeFileAtomicSync(path, renderReportHtml(report));
  return path;
}

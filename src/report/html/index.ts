// report.html: a self-contained interactive report drawn from data a study kind hands over.
export { type CurvePoint, type CurvesChartOptions, curvesChartSpec } from './curves.ts';
export { documentToHtml } from './document.ts';
export { imageFileBlock, pngDataUri } from './image.ts';
export { reportMeta } from './meta.ts';
export { missingRuns, missingRunsSection } from './missing.ts';
export {
  type HtmlBlock,
  type HtmlCell,
  type HtmlChart,
  type HtmlImage,
  type HtmlReport,
  type HtmlRunDetail,
  type HtmlTable,
  htmlReportSchema,
  parseHtmlReport,
} from './model.ts';
export { renderReportHtml, writeReportHtml } from './page.ts';
export { htmlId, runCountMeta, runDetailTable, runsIndex } from './runs.ts';
export { withTooltips } from './tooltips.ts';

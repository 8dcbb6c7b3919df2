// Figures and table formatting for reports.

export { columnRows, columnTable, finiteCell, numberCell, rightColumn, type ValueColumn } from './columns.ts';
export { displayNames } from './display-names.ts';
export type {
  DocBlock,
  DocCell,
  DocColumn,
  DocFigure,
  DocImage,
  DocInteractive,
  DocList,
  DocSection,
  DocTable,
  DocText,
  ReportDocument,
} from './document.ts';
export { FONT_FAMILY, FONT_FILES, measureTextWidth } from './fonts.ts';
export {
  escapeMarkdownText,
  formatMeanSd,
  MISSING_MARK,
  meanSd,
  WALL_TIME_NOTE,
  wallLabel,
} from './format.ts';
export * from './html/index.ts';
export {
  ERROR_COLOR,
  type ImageGridLayout,
  type ImageGridRow,
  type ImageGridSpec,
  ImageGridSpecError,
  imageGrid,
  imageGridLayout,
  imageGridPng,
  inkOnPaper,
  scaleToOwnRange,
  validateImageGridSpec,
} from './image-grid.ts';
export { lossPlot, PNG_SCALE, type RenderedFigure, vegaLiteToSvg } from './loss-plot.ts';
export {
  decadeTicks,
  INITIALIZER_COLORS,
  type LossPlotSpec,
  LossPlotSpecError,
  type LossSeries,
  legendLabel,
  linearDomain,
  logDomain,
  logTicks,
  lossPlotVegaLite,
  SERIES_COLORS,
  seriesStyle,
  spansDecade,
  validateLossPlotSpec,
  withPalette,
} from './loss-plot-spec.ts';
export { renderMarkdown, type SharedSections } from './markdown.ts';
export {
  formatMetricValue,
  METRICS_CSV_COLUMNS,
  type MetricRow,
  metricsCsv,
  writeMetricsCsv,
} from './metrics-csv.ts';
export { panelFigure } from './panels.ts';
export {
  nmfinitProvenance,
  type Provenance,
  provenanceLine,
  provenanceOf,
  provenanceSchema,
  stampProvenance,
} from './provenance.ts';
export { svgToPng } from './render.ts';
export {
  encodeRunEvents,
  maskedCrc32c,
  tensorboardTag,
  tfRecord,
  writeTensorboardEvents,
} from './tensorboard.ts';
export { writeVegaFigure } from './vega-figure.ts';
export { writeFigure } from './write-figure.ts';

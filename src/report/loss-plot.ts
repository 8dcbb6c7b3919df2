import * as vega from 'vega';
import { compile } from 'vega-lite';
import { FONT_FAMILY, measureTextWidth } from './fonts.ts';
import { type LossPlotSpec, lossPlotVegaLite } from './loss-plot-spec.ts';
import { svgToPng } from './render.ts';

/** A rendered figure: the SVG and a PNG of it. */
export interface RenderedFigure {
  svg: string;
  png: Buffer;
}

/** PNG pixels per SVG px: 2 keeps text crisp (a 700 × 450 figure becomes 1400 × 900 px). */
export const PNG_SCALE = 2;

type TextItem = { fontSize?: number; fontWeight?: string | number };
type TextMetrics = { width: (item: TextItem, text: string) => number };

let metricsInstalled = false;

/**
 * Vega sizes legends and truncates labels with text widths; without a canvas it guesses
 * 0.8 em per character, far from DejaVu Sans. Vega lets a caller replace `textMetrics.width`
 * (vl-convert does the same); we measure with resvg and the bundled font. Process-wide, once.
 */
function installTextMetrics(): void {
  if (metricsInstalled) return;
  const metrics = (vega as unknown as { textMetrics?: TextMetrics }).textMetrics;
  if (!metrics) throw new Error('vega no longer exports textMetrics; loss plots cannot measure text');
  metrics.width = (item, text) => {
    const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
    return measureTextWidth(String(text ?? '').trim(), item.fontSize ?? 11, bold);
  };
  metricsInstalled = true;
}

/** Renders a Vega-Lite spec to SVG with vega's headless view. */
export async function vegaLiteToSvg(spec: Parameters<typeof compile>[0]): Promise<string> {
  installTextMetrics();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // vega writes font-family from the config; resvg then finds it among the bundled fonts.
    if (!svg.includes(FONT_FAMILY)) throw new Error(`rendered SVG does not use ${FONT_FAMILY}`);
    return svg;
  } finally {
    view.finalize();
  }
}

/**
 * Validation loss per epoch, one line per initializer (see LossPlotSpec), as SVG and as PNG at
 * PNG_SCALE×. Same spec → byte-identical output.
 */
export async function lossPlot(spec: LossPlotSpec): Promise<RenderedFigure> {
  const svg = await vegaLiteToSvg(lossPlotVegaLite(spec));
  return { svg, png: svgToPng(svg, PNG_SCALE) };
}

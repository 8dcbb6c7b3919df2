import { join } from 'node:path';
import { FONT_FAMILY } from './fonts.ts';
import { PNG_SCALE, vegaLiteToSvg } from './loss-plot.ts';
import { withPalette } from './loss-plot-spec.ts';
import { svgToPng } from './render.ts';
import { writeFigure } from './write-figure.ts';

/**
 * Renders a Vega-Lite spec and writes `<dir>/<name>.svg` and `<dir>/<name>.png` (PNG_SCALE×), in
 * the bundled font unless the spec's config names another, its categories in SERIES_COLORS (withPalette). Returns the paths written, PNG first.
 */
export async function writeVegaFigure(dir: string, name: string, spec: object): Promise<string[]> {
  const colored = withPalette(spec);
  const config = { font: FONT_FAMILY, ...(colored as { config?: object }).config };
  const svg = await vegaLiteToSvg({ ...colored, config } as Parameters<typeof vegaLiteToSvg>[0]);
  return writeFigure(join(dir, name), { svg, png: svgToPng(svg, PNG_SCALE) });
}

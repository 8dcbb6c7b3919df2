import { join } from 'node:path';
import { FONT_FAMILY } from './fonts.ts';
import { PNG_SCALE, vegaLiteToSvg } from './loss-plot.ts';
import { svgToPng } from './render.ts';
import { writeFigure } from './write-figure.ts';

/**
 * Renders a Vega-Lite spec and writes `<dir>/<name>.svg` and `<dir>/<name>.png` (PNG_SCALE×), in
 * the bundled font unless the spec's config names another. Returns the paths written, PNG first.
 */
export async function writeVegaFigure(dir: string, name: string, spec: object): Promise<string[]> {
  const config = { font: FONT_FAMILY, ...((spec as { config?: object }).config ?? {}) };
  const svg = await vegaLiteToSvg({ ...spec, config } as Parameters<typeof vegaLiteToSvg>[0]);
  return writeFigure(join(dir, name), { svg, png: svgToPng(svg, PNG_SCALE) });
}

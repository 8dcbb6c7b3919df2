import { Resvg } from '@resvg/resvg-js';
import { resvgOptions } from './fonts.ts';

/** Renders an SVG to PNG bytes with the bundled fonts, `scale`× its own size. */
export function svgToPng(svg: string, scale = 1): Buffer {
  return new Resvg(svg, resvgOptions(scale)).render().asPng();
}

/** Renders an SVG at its own size to RGBA pixels, row-major, with premultiplied alpha (as resvg keeps them). */
export function svgToPremultipliedRgba(svg: string): { width: number; height: number; pixels: Buffer } {
  const image = new Resvg(svg, resvgOptions(1)).render();
  return { width: image.width, height: image.height, pixels: image.pixels };
}

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

/** The one font family every figure uses, so an SVG and its PNG look the same on any machine. */
export const FONT_FAMILY = 'DejaVu Sans';

const require = createRequire(import.meta.url);
const fontDir = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

/** The DejaVu Sans TTFs (regular and bold) shipped by the `dejavu-fonts-ttf` package. */
export const FONT_FILES: readonly string[] = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
  join(fontDir, f),
);

/**
 * resvg options that use only the bundled DejaVu fonts (no system fonts, so the PNG does not
 * depend on the machine), zoomed by `scale`.
 */
export function resvgOptions(scale = 1): ResvgRenderOptions {
  return {
    font: { fontFiles: [...FONT_FILES], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY },
    fitTo: { mode: 'zoom', value: scale },
    shapeRendering: 2,
    textRendering: 1,
  };
}

/** Escapes text for use inside an SVG element or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const widthCache = new Map<string, number>();

/**
 * The width in px of `text` set in DejaVu Sans at `fontSize` px, measured by laying it out with
 * resvg (left edge at x = 0, so the ink's right edge approximates the advance width). Cached.
 */
export function measureTextWidth(text: string, fontSize: number, bold = false): number {
  if (text.length === 0 || !(fontSize > 0)) return 0;
  const key = `${fontSize}|${bold ? 'b' : 'n'}|${text}`;
  const cached = widthCache.get(key);
  if (cached !== undefined) return cached;
  const box = new Resvg(
    `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text x="0" y="${fontSize}" ` +
      `font-family="${FONT_FAMILY}" font-size="${fontSize}"${bold ? ' font-weight="bold"' : ''} ` +
      `xml:space="preserve">${escapeXml(text)}</text></svg>`,
    resvgOptions(),
  ).getBBox();
  const width = box ? box.x + box.width : 0;
  widthCache.set(key, width);
  return width;
}

import { escapeXml, FONT_FAMILY } from './fonts.ts';
import { PNG_SCALE, type RenderedFigure } from './loss-plot.ts';
import { svgToPng } from './render.ts';

const GAP = 12;
const LABEL = 22;

const sizeOf = (svg: string): { width: number; height: number } => {
  const head = /<svg[^>]*>/.exec(svg)?.[0] ?? '';
  const width = Number(/\bwidth="([\d.]+)"/.exec(head)?.[1]);
  const height = Number(/\bheight="([\d.]+)"/.exec(head)?.[1]);
  if (!(width > 0 && height > 0)) throw new Error('panel figure: a panel SVG has no width and height');
  return { width, height };
};

/**
 * Several SVG figures on one page, in a grid of rows × columns (panels[r][c], null for a gap),
 * with a title and a label over each column and beside each row: the seed README's table of
 * loss plots as one figure. Returns the SVG and a PNG of it.
 */
export function panelFigure(o: {
  title: string;
  panels: readonly (readonly (string | null)[])[];
  rowLabels?: readonly string[];
  columnLabels?: readonly string[];
}): RenderedFigure {
  const sizes = o.panels.map((row) => row.map((p) => (p === null ? null : sizeOf(p))));
  const columns = Math.max(...o.panels.map((r) => r.length));
  const colWidth = Array.from({ length: columns }, (_, c) =>
    Math.max(0, ...sizes.map((r) => r[c]?.width ?? 0)),
  );
  const rowHeight = sizes.map((r) => Math.max(0, ...r.map((s) => s?.height ?? 0)));
  const left = o.rowLabels ? LABEL + GAP : GAP;
  const top = 36 + (o.columnLabels ? LABEL : 0);
  const width = left + colWidth.reduce((a, b) => a + b + GAP, 0);
  const height = top + rowHeight.reduce((a, b) => a + b + GAP, 0);
  const text = (x: number, y: number, s: string, size: number, extra = '') =>
    `<text x="${x}" y="${y}" font-family="${FONT_FAMILY}" font-size="${size}" ${extra}>${escapeXml(s)}</text>`;
  const parts: string[] = [
    `<rect width="${width}" height="${height}" fill="white"/>`,
    text(GAP, 24, o.title, 17, 'font-weight="bold"'),
  ];
  let y = top;
  o.panels.forEach((row, r) => {
    let x = left;
    row.forEach((p, c) => {
      if (p !== null) parts.push(p.replace(/<svg\b/, `<svg x="${x}" y="${y}"`));
      if (r === 0 && o.columnLabels?.[c])
        parts.push(text(x + colWidth[c] / 2, top - 8, o.columnLabels[c], 14, 'text-anchor="middle"'));
      x += colWidth[c] + GAP;
    });
    if (o.rowLabels?.[r]) {
      const cy = y + rowHeight[r] / 2;
      parts.push(
        text(
          0,
          0,
          o.rowLabels[r],
          14,
          `text-anchor="middle" transform="translate(${LABEL - 4} ${cy}) rotate(-90)"`,
        ),
      );
    }
    y += rowHeight[r] + GAP;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
  return { svg, png: svgToPng(svg, PNG_SCALE) };
}

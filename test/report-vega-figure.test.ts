import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FONT_FAMILY } from '../src/report/fonts.ts';
import { PNG_SCALE } from '../src/report/loss-plot.ts';
import { writeVegaFigure } from '../src/report/vega-figure.ts';

const dir = mkdtempSync(join(tmpdir(), 'nmfinit-vega-figure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bars = (config?: object) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 200,
  height: 100,
  background: 'white',
  data: {
    values: [
      { a: 'x', b: 1 },
      { a: 'y', b: 3 },
    ],
  },
  mark: 'bar',
  encoding: { x: { field: 'a', type: 'nominal' }, y: { field: 'b', type: 'quantitative' } },
  ...(config && { config }),
});

describe('writeVegaFigure', () => {
  it('writes the SVG and a PNG of PNG_SCALE × its size, in the bundled font', async () => {
    const written = await writeVegaFigure(dir, 'bars', bars());
    expect(written).toEqual([join(dir, 'bars.png'), join(dir, 'bars.svg')]);
    const svg = readFileSync(join(dir, 'bars.svg'), 'utf8');
    expect(svg).toContain(FONT_FAMILY);
    const width = Number(/<svg[^>]*width="(\d+(?:\.\d+)?)"/.exec(svg)?.[1]);
    const png = PNG.sync.read(readFileSync(join(dir, 'bars.png')));
    expect(png.width).toBe(Math.round(width * PNG_SCALE));
  });

  it("keeps the spec's own config (here: an axis colour) beside the font", async () => {
    await writeVegaFigure(dir, 'red', bars({ axis: { domainColor: '#ff0000' } }));
    const svg = readFileSync(join(dir, 'red.svg'), 'utf8');
    expect(svg).toContain('#ff0000');
    expect(svg).toContain(FONT_FAMILY);
  });
});

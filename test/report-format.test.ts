import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finiteCell } from '../src/report/columns.ts';
import { formatMeanSd, MISSING_MARK, meanSd } from '../src/report/format.ts';
import { writeFigure } from '../src/report/write-figure.ts';

describe('finiteCell', () => {
  it('prints a finite number through its format, sorting by the number; anything else as the missing mark, sorting as none', () => {
    expect(finiteCell(0.0123, (v) => v.toPrecision(2))).toEqual({ value: 0.0123, text: '0.012' });
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(finiteCell(v, () => 'never called')).toEqual({ value: null, text: MISSING_MARK });
    }
    expect(MISSING_MARK).toBe(formatMeanSd([]));
  });
});

describe('formatMeanSd', () => {
  it('prints the mean to `digits` significant digits and the sd to the same decimal place', () => {
    expect(formatMeanSd([0.0211, 0.0215])).toBe('0.0213 ± 0.0003');
    expect(formatMeanSd([123.4])).toBe('123');
    expect(formatMeanSd([1, 2, 3], 2)).toBe('2.0 ± 1.0');
    expect(formatMeanSd([])).toBe('—');
    expect(formatMeanSd([0.5, Number.NaN, 0.5])).toBe('0.500 ± 0.000 (1/3 non-finite)');
    expect(formatMeanSd([Number.POSITIVE_INFINITY])).toBe('non-finite (1/1)');
    expect(() => formatMeanSd([1], 0)).toThrow(/digits must be an integer in 1\.\.15, got 0/);
  });

  it('round-trips: the printed mean and sd are within half a unit of the last printed digit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        (values, digits) => {
          const text = formatMeanSd(values, digits);
          const [m, s] = text.split(' ± ').map(Number);
          const decimals = (text.split(' ± ')[0].split('.')[1] ?? '').length;
          const half = 0.5 * 10 ** -decimals * (1 + 1e-9);
          const { mean, sd } = meanSd(values);
          // An independent two-pass float64 mean and sample sd.
          const oracleMean = values.reduce((a, v) => a + v, 0) / values.length;
          const oracleSd = Math.sqrt(
            values.reduce((a, v) => a + (v - oracleMean) ** 2, 0) / (values.length - 1),
          );
          expect(mean).toBeCloseTo(oracleMean, 6);
          expect(sd).toBeCloseTo(oracleSd, 6);
          expect(Math.abs(m - oracleMean)).toBeLessThanOrEqual(half + 1e-9 * Math.abs(oracleMean));
          expect(Math.abs(s - oracleSd)).toBeLessThanOrEqual(half + 1e-9 * oracleSd);
        },
      ),
    );
  });
});

describe('writeFigure', () => {
  it('writes the PNG and SVG next to each other and refuses a path with an extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfinit-figure-'));
    try {
      const base = join(dir, 'sub', 'mnist_digit_loss_3000_10');
      const png = new Uint8Array([137, 80, 78, 71]);
      expect(writeFigure(base, { svg: '<svg/>', png })).toEqual([`${base}.png`, `${base}.svg`]);
      expect(readFileSync(`${base}.svg`, 'utf8')).toBe('<svg/>');
      expect([...readFileSync(`${base}.png`)]).toEqual([...png]);
      expect(writeFigure(join(dir, 'grid'), { png })).toEqual([join(dir, 'grid.png')]);
      expect(() => writeFigure(`${base}.png`, { png })).toThrow(/without extension/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { lossPlot, PNG_SCALE } from '../src/report/loss-plot.ts';
import {
  INITIALIZER_COLORS,
  type LossPlotSpec,
  LossPlotSpecError,
  type LossSeries,
  logDomain,
  lossPlotVegaLite,
  SERIES_COLORS,
  seriesStyle,
} from '../src/report/loss-plot-spec.ts';

const epochs = [0, 1, 2, 3, 4, 5, 6];
const decay = (start: number, rate: number) => epochs.map((e) => 0.02 + start * Math.exp(-e * rate));
const series: LossSeries[] = [
  { label: 'nmf', epochs, mean: decay(0.1, 0.9), lower: decay(0.09, 0.9), upper: decay(0.11, 0.9) },
  { label: 'glorot-normal', epochs, mean: decay(0.12, 0.4) },
  {
    label: 'he <&> normal',
    epochs,
    mean: decay(0.13, 0.3).map((v, i) => (i >= 4 ? Number.NaN : v)),
    divergedAtEpoch: 4,
  },
];
const sample: LossPlotSpec = {
  title: 'MNIST digits, 3000 samples',
  series,
  reference: { label: 'PCA rank 32', value: 0.019 },
};

/** Pixels of the decoded PNG within `tol` of an #rrggbb colour. */
function countColour(png: PNG, hex: string, tol = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let count = 0;
  for (let i = 0; i < png.data.length; i += 4) {
    if (
      Math.abs(png.data[i] - r) <= tol &&
      Math.abs(png.data[i + 1] - g) <= tol &&
      Math.abs(png.data[i + 2] - b) <= tol
    ) {
      count++;
    }
  }
  return count;
}

describe('seriesStyle: one colour per initializer in every figure', () => {
  it('gives a listed initializer its colour whatever its place, and unlisted ones distinct free colours', () => {
    const mnist = ['nmf', 'random-normal', 'glorot-normal', 'he-normal', 'variance-scaling', 'orthogonal'];
    const dataInit = [...mnist, 'lsuv', 'data-dependent', 'pca', 'nmf-data'];
    const ablation = ['he-normal', 'nmf-nndsvd', 'nmf', 'nmf-mu', 'pca'];
    for (const order of [mnist, dataInit, ablation, [...dataInit].reverse()]) {
      const colours = order.map((l) => seriesStyle(l, order).color);
      // Never two series of one figure in one colour (up to the palette's 12).
      expect(new Set(colours).size).toBe(order.length);
      for (const [i, l] of order.entries()) {
        if (INITIALIZER_COLORS[l] !== undefined) expect(colours[i]).toBe(INITIALIZER_COLORS[l]);
        expect(SERIES_COLORS).toContain(colours[i]);
      }
    }
    expect(seriesStyle('nmf', ablation).color).toBe(seriesStyle('nmf', mnist).color);
  });
});

describe('lossPlot', () => {
  it('renders a PNG of PNG_SCALE × the figure size, and an SVG naming every series and the reference', async () => {
    const fig = await lossPlot({ ...sample, width: 500, height: 320 });
    const png = PNG.sync.read(fig.png);
    expect([png.width, png.height]).toEqual([500 * PNG_SCALE, 320 * PNG_SCALE]);
    expect(fig.svg).toContain('nmf');
    expect(fig.svg).toContain('glorot-normal');
    expect(fig.svg).toContain('he &lt;&amp;&gt; normal (diverged @ 4)');
    expect(fig.svg).toContain('PCA rank 32');
    expect(fig.svg).toContain('validation MSE');
    expect(fig.svg).toMatch(/font-family="DejaVu Sans/);
    // Each series is drawn in its own colour, and enough of it reaches the PNG to be a line.
    const order = series.map((s) => s.label);
    for (const s of series) {
      const { color } = seriesStyle(s.label, order);
      expect(fig.svg).toContain(`stroke="${color}"`);
      expect(countColour(png, color)).toBeGreaterThan(200);
    }
    // The dashed reference line and its legend symbol: many more dark grey pixels than the same
    // plot without it (axis text has grey anti-aliased edges too, hence the comparison).
    const without = PNG.sync.read(
      (await lossPlot({ ...sample, width: 500, height: 320, reference: undefined })).png,
    );
    expect(countColour(png, '#555555', 20) - countColour(without, '#555555', 20)).toBeGreaterThan(500);
  });

  it('defaults to 700 × 450 and is byte-for-byte deterministic', async () => {
    const a = await lossPlot(sample);
    const b = await lossPlot(structuredClone(sample));
    const png = PNG.sync.read(a.png);
    expect([png.width, png.height]).toEqual([1400, 900]);
    expect(b.svg).toBe(a.svg);
    expect(b.png.equals(a.png)).toBe(true);
  });

  it('ends a diverged series at its divergence epoch and marks it with a cross', () => {
    const vl = lossPlotVegaLite(sample) as unknown as {
      layer: { data: { values: Record<string, number | string>[] }; mark: { shape?: string } }[];
    };
    const label = 'he <&> normal (diverged @ 4)';
    const lines = vl.layer[1].data.values.filter((r) => r.label === label);
    expect(lines.map((r) => r.epoch)).toEqual([0, 1, 2, 3]);
    const crossLayer = vl.layer.find((l) => typeof l.mark.shape === 'string' && l.mark.shape.startsWith('M'));
    expect(crossLayer?.data.values).toEqual([{ label, epoch: 4, mean: series[2].mean[3] }]);
  });

  it('log axis domains end on 1-2-5 ticks and contain every value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1e-6, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (vs) => {
          const [lo, hi] = logDomain(vs);
          expect(lo).toBeLessThanOrEqual(Math.min(...vs) * (1 + 1e-12));
          expect(hi).toBeGreaterThanOrEqual(Math.max(...vs) * (1 - 1e-12));
          for (const end of [lo, hi]) {
            const mantissa = end / 10 ** Math.floor(Math.log10(end) + 1e-12);
            expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
          }
          // Tight: no more than one 1-2-5 step beyond the data on either side.
          expect(lo * 2.5).toBeGreaterThan(Math.min(...vs) * (1 - 1e-9));
          expect(hi / 2.5).toBeLessThan(Math.max(...vs) * (1 + 1e-9));
        },
      ),
    );
  });

  it.each<[string, (s: LossPlotSpec) => LossPlotSpec, RegExp]>([
    ['empty series', (s) => ({ ...s, series: [] }), /series: must be a non-empty array/],
    [
      'non-finite reference',
      (s) => ({ ...s, reference: { label: 'pca', value: Number.NaN } }),
      /reference\.value: must be a finite number, got NaN/,
    ],
    ['blank reference label', (s) => ({ ...s, reference: { label: ' ', value: 1 } }), /reference\.label/],
    [
      'mean of wrong length',
      (s) => ({ ...s, series: [s.series[0], { ...s.series[1], mean: [1, 2] }] }),
      /series\[1\]\.mean: has 2 values, expected 7/,
    ],
    [
      'NaN without divergence',
      (s) => ({
        ...s,
        series: [{ ...s.series[1], mean: s.series[1].mean.map((v, i) => (i === 2 ? Number.NaN : v)) }],
      }),
      /series\[0\]\.mean\[2\]: \(epoch 2\) is NaN.*divergedAtEpoch/,
    ],
    [
      'duplicate label',
      (s) => ({ ...s, series: [s.series[1], s.series[1]] }),
      /series\[1\]\.label: 'glorot-normal' is used by an earlier series/,
    ],
    [
      'lower without upper',
      (s) => ({ ...s, series: [{ ...s.series[1], lower: s.series[1].mean }] }),
      /series\[0\]: give both lower and upper/,
    ],
    [
      'band upside down',
      (s) => ({ ...s, series: [{ ...s.series[0], lower: s.series[0].upper, upper: s.series[0].lower }] }),
      /series\[0\]\.lower\[0\].*lower ≤ upper/,
    ],
    [
      'epochs not increasing',
      (s) => ({ ...s, series: [{ label: 'a', epochs: [0, 2, 1], mean: [1, 1, 1] }] }),
      /series\[0\]\.epochs: must increase strictly, but \[2\] = 1 follows 2/,
    ],
    [
      'fractional epoch',
      (s) => ({ ...s, series: [{ label: 'a', epochs: [0, 0.5], mean: [1, 1] }] }),
      /series\[0\]\.epochs\[1\]: must be a non-negative integer, got 0\.5/,
    ],
    [
      'log axis with zero',
      (s) => ({ ...s, logY: true, series: [{ label: 'a', epochs: [0, 1], mean: [1, 0] }] }),
      /series\[0\]\.mean\[1\]: is 0, but logY needs positive values/,
    ],
    ['tiny width', (s) => ({ ...s, width: 10 }), /width: must be a number ≥ 100, got 10/],
  ])('rejects %s with an error naming the field', (_, mutate, message) => {
    const bad = mutate(sample);
    expect(() => lossPlotVegaLite(bad)).toThrow(LossPlotSpecError);
    expect(() => lossPlotVegaLite(bad)).toThrow(message);
  });
});

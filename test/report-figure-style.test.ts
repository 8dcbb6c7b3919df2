import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lossPlot } from '../src/report/loss-plot.ts';
import {
  type LossPlotSpec,
  type LossSeries,
  linearDomain,
  logDomain,
  logTicks,
  lossPlotVegaLite,
} from '../src/report/loss-plot-spec.ts';

type Scale = { type?: string; domain: unknown[]; range?: unknown[] };
type Layer = {
  encoding: {
    color?: { scale: Scale };
    shape?: { scale: Scale };
    y?: { scale?: Scale; axis?: { values?: number[] } };
  };
};
const layers = (spec: LossPlotSpec) => (lossPlotVegaLite(spec) as unknown as { layer: Layer[] }).layer;

/** label → [colour, shape] as the plot's scales assign them. */
function styles(spec: LossPlotSpec): Map<string, [unknown, unknown]> {
  const ls = layers(spec);
  const color = ls.find((l) => l.encoding.color)!.encoding.color!.scale;
  const shape = ls.find((l) => l.encoding.shape)!.encoding.shape!.scale;
  return new Map(
    color.domain.map((d, i) => [String(d), [color.range![i], shape.range![shape.domain.indexOf(d)]]]),
  );
}
const yScale = (spec: LossPlotSpec) => layers(spec).find((l) => l.encoding.y?.scale)!.encoding.y!.scale!;

const epochs = [0, 1, 2, 3];
const series = (label: string, start: number): LossSeries => ({
  label,
  epochs,
  mean: epochs.map((e) => start * 0.8 ** e),
});
const ORDER = ['nmf', 'glorot-normal', 'he-normal', 'orthogonal', 'zeros'];

describe('the style of a label', () => {
  it('is the same in two plots that hold different subsets of the series', () => {
    const a = styles({ title: 'a', series: [series('nmf', 1), series('he-normal', 2)], styleOrder: ORDER });
    const b = styles({
      title: 'b',
      series: [series('orthogonal', 1), series('he-normal', 3), series('zeros', 2)],
      styleOrder: ORDER,
    });
    expect(a.get('he-normal')).toEqual(b.get('he-normal'));
    // And different labels look different.
    const all = [...a.values(), ...b.values()].map((s) => JSON.stringify(s));
    expect(new Set(all).size).toBe(4);
  });

  it('without a styleOrder follows the order of the series (the old behaviour)', () => {
    const s = styles({ title: 'x', series: [series('b', 1), series('a', 2)] });
    const t = styles({ title: 'x', series: [series('a', 1), series('b', 2)] });
    expect(s.get('b')).toEqual(t.get('a'));
  });
});

const positive = fc.double({ min: 1e-6, max: 1e3, noNaN: true });

describe('the loss axis', () => {
  it('a linear domain contains every value, padded by at most 5% of their range each side', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (vs) => {
          const [lo, hi] = linearDomain(vs);
          const min = Math.min(...vs);
          const max = Math.max(...vs);
          expect(lo).toBeLessThan(min + 1e-12);
          expect(hi).toBeGreaterThan(max - 1e-12);
          if (max > min) {
            expect(min - lo).toBeLessThanOrEqual(0.05 * (max - min) * (1 + 1e-9));
            expect(hi - max).toBeLessThanOrEqual(0.05 * (max - min) * (1 + 1e-9));
          }
        },
      ),
    );
  });

  it('a log domain contains every value and ends within a 1-2-5 step of them', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 30 }), (vs) => {
        const [lo, hi] = logDomain(vs);
        expect(lo).toBeLessThanOrEqual(Math.min(...vs) * (1 + 1e-9));
        expect(hi).toBeGreaterThanOrEqual(Math.max(...vs) * (1 - 1e-9));
        // The widest 1-2-5 step is 5 → 10 or 2 → 5: a factor of 2.5.
        expect(Math.min(...vs) / lo).toBeLessThanOrEqual(2.5 * (1 + 1e-9));
        expect(hi / Math.max(...vs)).toBeLessThanOrEqual(2.5 * (1 + 1e-9));
      }),
    );
  });

  it('the plot takes its domain from its data: every mean and band edge inside, no wider than the padding', () => {
    const spec: LossPlotSpec = {
      title: 'linear',
      logY: false,
      series: [{ ...series('nmf', 0.05), lower: epochs.map(() => 0.02), upper: epochs.map(() => 0.06) }],
    };
    const [lo, hi] = yScale(spec).domain as [number, number];
    expect(lo).toBeCloseTo(0.02 - 0.05 * 0.04, 12);
    expect(hi).toBeCloseTo(0.06 + 0.05 * 0.04, 12);
  });

  it('is logarithmic by default when the values span more than a decade, linear otherwise', () => {
    expect(yScale({ title: 'wide', series: [series('a', 1), series('b', 0.01)] }).type).toBe('log');
    expect(yScale({ title: 'narrow', series: [series('a', 0.05), series('b', 0.04)] }).type).toBe('linear');
    // An explicit choice wins.
    expect(yScale({ title: 'forced', logY: false, series: [series('a', 1), series('b', 0.01)] }).type).toBe(
      'linear',
    );
  });

  it('log ticks of a plotted domain are 1, 2 and 5 × 10^k, in order, and label both ends', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 10 }), (vs) => {
        const [lo, hi] = logDomain(vs);
        const ticks = logTicks(lo, hi);
        expect([...ticks].sort((a, b) => a - b)).toEqual(ticks);
        expect(ticks[0]).toBeCloseTo(lo, 12);
        expect(ticks.at(-1)! / hi).toBeCloseTo(1, 9);
        // Under three 1-2-5 ticks (a narrow axis), every integer mantissa is labelled instead.
        const mantissas =
          logTicks(lo, hi).length >= 3 && hi / lo >= 5 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
        for (const t of ticks) {
          expect(t).toBeGreaterThanOrEqual(lo * (1 - 1e-9));
          expect(t).toBeLessThanOrEqual(hi * (1 + 1e-9));
          const m = t / 10 ** Math.floor(Math.log10(t) + 1e-12);
          expect(mantissas.some((x) => Math.abs(x - m) < 1e-6)).toBe(true);
        }
      }),
    );
  });

  it('the rendered log axis labels exactly those ticks', async () => {
    const spec: LossPlotSpec = { title: 'log', logY: true, series: [series('a', 0.5), series('b', 0.004)] };
    const ticks = yScale(spec).domain as [number, number];
    const want = logTicks(ticks[0], ticks[1]);
    const { svg } = await lossPlot(spec);
    // Vega writes each y-axis label as a <text> inside the axis-label group; the y axis comes second.
    const groups = [...svg.matchAll(/role-axis-label"[^>]*>([\s\S]*?)<\/g>/g)].map((m) =>
      [...m[1].matchAll(/>([^<]+)<\/text>/g)].map((t) => t[1]),
    );
    const yLabels = groups.find((g) => g.length === want.length && g.every((t) => !Number.isNaN(Number(t))));
    expect(yLabels?.map(Number)).toEqual(want);
  });
});

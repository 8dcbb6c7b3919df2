// The nmf-data study's learning curves from stored runs: the mean over seeds per data set × k ×
// init × sample count, the sentences generated from them, and the curve as a Vega-Lite spec.
import type { StoredRun } from 'nmfinit';
import type { NmfDataResult, NmfDataRun } from './run.ts';

type Stored = StoredRun<NmfDataRun, NmfDataResult>;

/** One point of a learning curve: the mean over seeds of one dataset × k × init × sample count. */
export interface CurvePoint {
  dataset: string;
  k: number;
  init: string;
  series: string;
  samples: number;
  seeds: number;
  testMse: number;
  trainMse: number;
  reconstructionErr: number;
  hoyer: number;
  nearZero: number;
  nIter: number;
  fitSeconds: number;
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
export const seriesName = (k: number, init: string) => `k = ${k}, ${init}`;
export const fmt = (n: number) => n.toLocaleString('en-US');

export function curvePoints(runs: readonly Stored[]): CurvePoint[] {
  const groups = new Map<string, Stored[]>();
  for (const r of runs) {
    const key = `${r.config.dataset}|${r.config.k}|${r.config.init}|${r.result.trainCount}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()]
    .map((g) => {
      const { dataset, k, init } = g[0].config;
      const of = (f: (r: NmfDataResult) => number) => mean(g.map((r) => f(r.result)));
      return {
        dataset,
        k,
        init,
        series: seriesName(k, init),
        samples: g[0].result.trainCount,
        seeds: g.length,
        testMse: of((r) => r.testMse),
        trainMse: of((r) => r.trainMse),
        reconstructionErr: of((r) => r.reconstructionErr),
        hoyer: of((r) => r.hoyer),
        nearZero: of((r) => r.nearZero),
        nIter: of((r) => r.nIter),
        fitSeconds: of((r) => r.fitSeconds),
      };
    })
    .sort(
      (a, b) =>
        (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) ||
        b.k - a.k ||
        (a.init < b.init ? -1 : a.init > b.init ? 1 : 0) ||
        a.samples - b.samples,
    );
}

/** Sentences from the numbers: how each curve falls, how sparsity moves, and init against init. */
export function generatedFindings(points: readonly CurvePoint[]): string[] {
  const lines: string[] = [];
  const bySeries = new Map<string, CurvePoint[]>();
  for (const p of points)
    bySeries.set(`${p.dataset}|${p.series}`, [...(bySeries.get(`${p.dataset}|${p.series}`) ?? []), p]);
  for (const ps of bySeries.values()) {
    if (ps.length < 2) continue;
    const a = ps[0];
    const b = ps[ps.length - 1];
    const falls = b.testMse < a.testMse;
    lines.push(
      `${a.dataset}, ${a.series}: test MSE ${falls ? 'falls' : 'rises'} from ${a.testMse.toPrecision(4)} at ${fmt(a.samples)} training samples to ${b.testMse.toPrecision(4)} at ${fmt(b.samples)} (×${(b.testMse / a.testMse).toFixed(3)}); the gap test − train MSE goes from ${(a.testMse - a.trainMse).toPrecision(3)} to ${(b.testMse - b.trainMse).toPrecision(3)}; mean Hoyer sparsity of the components goes from ${a.hoyer.toFixed(3)} to ${b.hoyer.toFixed(3)} and the near-zero fraction from ${a.nearZero.toFixed(3)} to ${b.nearZero.toFixed(3)}.`,
    );
  }
  // Init against init at the same data set, k and sample count.
  const pairs = new Map<string, CurvePoint[]>();
  for (const p of points) {
    const key = `${p.dataset}|${p.k}`;
    pairs.set(key, [...(pairs.get(key) ?? []), p]);
  }
  for (const ps of pairs.values()) {
    const inits = [...new Set(ps.map((p) => p.init))].sort();
    if (inits.length < 2) continue;
    for (let i = 0; i < inits.length; i++)
      for (let j = i + 1; j < inits.length; j++) {
        const shared = [...new Set(ps.map((p) => p.samples))].filter(
          (n) =>
            ps.some((p) => p.samples === n && p.init === inits[i]) &&
            ps.some((p) => p.samples === n && p.init === inits[j]),
        );
        if (shared.length === 0) continue;
        const at = (init: string, n: number) =>
          ps.find((p) => p.init === init && p.samples === n) as CurvePoint;
        const wins = shared.filter((n) => at(inits[i], n).testMse < at(inits[j], n).testMse).length;
        const ratios = shared.map((n) => at(inits[i], n).testMse / at(inits[j], n).testMse);
        lines.push(
          `${ps[0].dataset}, k = ${ps[0].k}: ${inits[i]} has a lower test MSE than ${inits[j]} at ${wins} of ${shared.length} sample counts (test-MSE ratio ${inits[i]}/${inits[j]} from ${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)}).`,
        );
      }
  }
  return lines;
}

/** The learning curve of one data set: test MSE against training samples (log x), a line per k × init. */
export function learningCurveSpec(dataset: string, points: readonly CurvePoint[]): object {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${dataset}: NMF test MSE against training samples`,
    width: 520,
    height: 320,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'samples',
        type: 'quantitative',
        title: 'training samples (log scale)',
        scale: { type: 'log', nice: false, padding: 12 },
        axis: { values: [...new Set(points.map((p) => p.samples))], format: ',d' },
      },
      y: {
        field: 'testMse',
        type: 'quantitative',
        title: 'test MSE (transform with H fixed)',
        scale: { zero: false },
      },
      color: { field: 'series', type: 'nominal', title: null },
    },
  };
}

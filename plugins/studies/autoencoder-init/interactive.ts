// What report.html draws interactively for the autoencoder study: per result set the train and
// validation curves in place of the static loss plot, and every run with its curves and epochs.
import {
  type CurvePoint,
  curvesChartSpec,
  type DocInteractive,
  htmlId,
  meanSd,
  type ReportDocument,
  runDetailTable,
  runsIndex,
  type StudyReportInput,
  spansDecade,
} from 'nmfinit';
import { type AutoencoderRun, type ResultSet, recipeName } from './grid.ts';
import type { PcaReference } from './pca.ts';
import type { AutoencoderResult } from './result.ts';
import { type AutoencoderSpec, labelOf } from './spec.ts';

type Input = StudyReportInput<AutoencoderSpec, AutoencoderRun, AutoencoderResult>;
type Run = Input['runs'][number];

const SPLITS = ['validation', 'train'] as const;

/** Loss at epochs 0..E (0 = at initialization) of one split; NaN where the run has none. */
function curve(r: AutoencoderResult, split: (typeof SPLITS)[number], epochs: number): number[] {
  const h = r.history;
  const c = split === 'train' ? [h.initialLoss, ...h.loss] : [h.initialValLoss, ...h.valLoss];
  return Array.from({ length: epochs + 1 }, (_, e) => (e < c.length ? c[e] : Number.NaN));
}

/** The mean over seeds per initializer, split and epoch, with a min–max band over the seeds. */
function curvePoints(label: string, runs: readonly AutoencoderResult[], epochs: number): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const split of SPLITS) {
    const curves = runs.map((r) => curve(r, split, epochs));
    for (let e = 0; e <= epochs; e++) {
      const values = curves.map((c) => c[e]).filter(Number.isFinite);
      if (values.length === 0) continue;
      points.push({
        series: label,
        split,
        epoch: e,
        mean: meanSd(values).mean,
        lower: Math.min(...values),
        upper: Math.max(...values),
        n: values.length,
      });
    }
  }
  return points;
}

/** The spec's loss scale, 'auto' resolved by the values drawn: log where they span a decade. */
const scaleOf = (spec: AutoencoderSpec, points: readonly CurvePoint[]): 'log' | 'linear' =>
  spec.outputs.lossScale === 'auto'
    ? spansDecade(points.map((p) => p.mean))
      ? 'log'
      : 'linear'
    : spec.outputs.lossScale;

const finiteOrNull = (x: number | undefined): number | null =>
  x !== undefined && Number.isFinite(x) ? x : null;
const testMseAt = (r: Run, epoch: number) => r.result.snapshots.find((s) => s.epoch === epoch)?.testMse;

/**
 * The chart report.html draws in place of a result set's loss plot: the train and validation
 * curves of every initializer (mean over seeds, a min–max band), a switch per initializer and
 * split, and the PCA line.
 */
export function interactiveCurves(
  spec: AutoencoderSpec,
  set: ResultSet,
  byInit: readonly { label: string; runs: readonly AutoencoderResult[] }[],
  ref: PcaReference | undefined,
  shownName: string,
): DocInteractive {
  const groups = byInit.filter((g) => g.runs.length > 0);
  const seeds = [...new Set(groups.map((g) => g.runs.length))].sort((a, b) => a - b).join('–');
  const points = groups.flatMap((g) => curvePoints(g.label, g.runs, set.epochs));
  const scale = scaleOf(spec, points);
  return {
    title: `Loss per epoch (mean over ${seeds} seed${seeds === '1' ? '' : 's'}; band: lowest to highest seed)`,
    spec: curvesChartSpec({
      title: `${shownName}, ${set.samples} samples, ${set.epochs} epochs${set.recipe ? `, ${recipeName(set.recipe)}` : ''}`,
      points,
      series: spec.initializers.map(labelOf),
      splits: SPLITS,
      yTitle: `${spec.training.loss.toUpperCase()} loss`,
      logY: scale === 'log',
      reference: ref ? { label: `PCA rank ${ref.rank} (validation)`, value: ref.valMse } : undefined,
    }),
    caption: ref
      ? `Solid: validation, dashed: training loss. The grey dashed line is PCA of rank ${ref.rank} on the validation part (${ref.valMse.toPrecision(3)}), what a linear autoencoder of that width can reach.`
      : 'Solid: validation, dashed: training loss.',
    toggles: [
      { field: 'series', label: 'initializer' },
      { field: 'split', label: 'split' },
    ],
    yScale: scale,
  };
}

/** report.html's index of every run, each opening its curves and per-epoch numbers. */
export function runIndex(input: Input): NonNullable<ReportDocument['runs']> {
  return runsIndex(
    input.runs,
    [
      { key: 'dataset', label: 'dataset', value: (r) => r.config.datasetLabel },
      { key: 'samples', label: 'samples', value: (r) => r.config.samples },
      { key: 'initializer', label: 'initializer', value: (r) => r.config.initializerLabel },
      { key: 'seed', label: 'seed', value: (r) => r.config.seed },
      { key: 'backend', label: 'backend', value: (r) => r.config.backend },
      { key: 'train', label: 'final train loss', value: (r) => finiteOrNull(r.result.history.loss.at(-1)) },
      { key: 'val', label: 'final val loss', value: (r) => finiteOrNull(r.result.history.valLoss.at(-1)) },
      { key: 'test', label: 'final test MSE', value: (r) => finiteOrNull(testMseAt(r, r.config.epochs)) },
      {
        key: 'diverged',
        label: 'diverged at',
        value: (r) => (r.result.diverged ? r.result.diverged.epoch : null),
      },
      { key: 'seconds', label: 'training s', value: (r) => r.result.timing.trainingSeconds },
    ],
    (r) => runDetail(r, input.spec),
  );
}

function runDetail(r: Run, spec: AutoencoderSpec) {
  const n = r.config.epochs;
  const train = curve(r.result, 'train', n);
  const val = curve(r.result, 'validation', n);
  const key = htmlId(r.id);
  const scale =
    spec.outputs.lossScale === 'auto'
      ? spansDecade([...train, ...val])
        ? 'log'
        : 'linear'
      : spec.outputs.lossScale;
  return {
    config: r.config,
    chart: {
      type: 'chart' as const,
      id: `run-curves-${key}`,
      spec: curvesChartSpec({
        title: r.id,
        points: SPLITS.flatMap((split) =>
          (split === 'train' ? train : val).map((mean, epoch) => ({
            series: r.config.initializerLabel,
            split,
            epoch,
            mean,
            n: 1,
          })),
        ),
        series: spec.initializers.map(labelOf),
        splits: SPLITS,
        yTitle: `${spec.training.loss.toUpperCase()} loss`,
        logY: scale === 'log',
      }),
      toggles: [{ field: 'split', label: 'split' }],
      yScale: scale,
    },
    epochs: runDetailTable<number>(
      `run-epochs-${key}`,
      'Per epoch (0 = at initialization)',
      [
        { key: 'epoch', label: 'epoch', value: (epoch) => epoch },
        { key: 'train', label: 'train loss', value: (epoch) => finiteOrNull(train[epoch]) },
        { key: 'val', label: 'validation loss', value: (epoch) => finiteOrNull(val[epoch]) },
        { key: 'test', label: 'test MSE', value: (epoch) => finiteOrNull(testMseAt(r, epoch)) },
      ],
      train.map((_, epoch) => epoch),
    ),
    result: {
      diverged: r.result.diverged,
      timing: r.result.timing,
      trainSamples: r.result.trainSamples,
      valSamples: r.result.valSamples,
    },
  };
}

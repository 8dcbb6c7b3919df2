import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type CurvePoint,
  curvesChartSpec,
  datasets,
  formatMeanSd,
  type HtmlBlock,
  type HtmlCell,
  type HtmlReport,
  htmlId,
  imageFileBlock,
  meanSd,
  pngDataUri,
  reportMeta,
  runCountMeta,
  runsIndex,
  type StudyReportInput,
  spansDecade,
  writeReportHtml,
} from 'nmfinit';
import { readDisplaySets } from './data.ts';
import type { RunConfig } from './grid.ts';
import { methodImages } from './method-images.ts';
import { PCA_FOLDER, pcaReferenceSchema } from './pca.ts';
import type { AutoencoderResult } from './result.ts';
import { displayNames, type ExperimentSpec, labelOf } from './spec.ts';

type Input = StudyReportInput<ExperimentSpec, RunConfig, AutoencoderResult>;
type Run = Input['runs'][number];

const SPLITS = ['validation', 'train'] as const;

/** Loss at epochs 0..E (0 = at initialization) of one split; NaN where the run has none. */
function curve(r: AutoencoderResult, split: (typeof SPLITS)[number], epochs: number): number[] {
  const h = r.history;
  const c = split === 'train' ? [h.initialLoss, ...h.loss] : [h.initialValLoss, ...h.valLoss];
  return Array.from({ length: epochs + 1 }, (_, e) => (e < c.length ? c[e] : Number.NaN));
}

/** The mean over seeds per initializer, split and epoch, with a min–max band over the seeds. */
function curvePoints(label: string, runs: readonly Run[], epochs: number): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const split of SPLITS) {
    const curves = runs.map((r) => curve(r.result, split, epochs));
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
const scaleOf = (spec: ExperimentSpec, points: readonly CurvePoint[]): 'log' | 'linear' =>
  spec.outputs.lossScale === 'auto'
    ? spansDecade(points.map((p) => p.mean))
      ? 'log'
      : 'linear'
    : spec.outputs.lossScale;

const finiteOrNull = (x: number | undefined): number | null =>
  x !== undefined && Number.isFinite(x) ? x : null;
const testMseAt = (r: Run, epoch: number) => r.result.snapshots.find((s) => s.epoch === epoch)?.testMse;

/** A mean ± sd cell that sorts by the mean. */
function meanCell(values: number[]): HtmlCell {
  const finite = values.filter(Number.isFinite);
  return { value: finite.length > 0 ? meanSd(finite).mean : null, text: formatMeanSd(values, 3) };
}

/**
 * The autoencoder study's report.html: per data set and training-set size, the train and
 * validation curves of every initializer, a table at the report's epochs and the figures the
 * Markdown report drew (reconstruction grids and any other image but the static loss plots);
 * then every run with its configuration and per-epoch numbers.
 */
export function writeAutoencoderHtml(input: Input, figures: readonly string[]): string {
  const { spec, runs } = input;
  const labels = spec.initializers.map(labelOf);
  const epochs = Math.max(...spec.grid.epochs);
  const pca = input.artifacts.list(PCA_FOLDER).map((f) => input.artifacts.read(f, pcaReferenceSchema));
  const pngs = figures.filter((f) => f.endsWith('.png') && !basename(f).includes('_loss_'));
  const used = new Set<string>();
  const names = displayNames(spec.datasets, (n) => (datasets.has(n) ? datasets.get(n) : undefined));
  const sections: HtmlReport['sections'] = [];

  for (const dataset of spec.datasets.map(labelOf)) {
    for (const { count: samples } of spec.grid.samples) {
      const inSet = runs.filter((r) => r.config.datasetLabel === dataset && r.config.samples === samples);
      if (inSet.length === 0) continue;
      const key = htmlId(`${dataset}_${samples}`);
      const byInit = labels
        .map((label) => ({ label, runs: inSet.filter((r) => r.config.initializerLabel === label) }))
        .filter((g) => g.runs.length > 0);
      const ref = pca.find((p) => p.datasetLabel === dataset && p.samples === samples);
      const seeds = [...new Set(byInit.map((g) => g.runs.length))].sort((a, b) => a - b).join('–');
      const points = byInit.flatMap((g) => curvePoints(g.label, g.runs, epochs));
      const scale = scaleOf(spec, points);
      const blocks: HtmlBlock[] = [
        {
          type: 'chart',
          id: `curves-${key}`,
          title: `Loss per epoch (mean over ${seeds} seed${seeds === '1' ? '' : 's'}; band: lowest to highest seed)`,
          spec: curvesChartSpec({
            title: `${names.get(dataset) ?? dataset}, ${samples} samples`,
            points,
            series: labels,
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
        },
      ];
      const tableEpochs = [...new Set([...spec.outputs.tableEpochs.filter((e) => e <= epochs), epochs])].sort(
        (a, b) => a - b,
      );
      blocks.push({
        type: 'table',
        id: `table-${key}`,
        title: 'Validation loss by initializer (mean ± sd over seeds)',
        columns: [
          { key: 'initializer', label: 'initializer' },
          { key: 'seeds', label: 'seeds' },
          ...tableEpochs.map((e) => ({ key: `val${e}`, label: `val @ ${e}` })),
          { key: 'train', label: `train @ ${epochs}` },
          { key: 'test', label: `test MSE @ ${epochs}` },
          { key: 'diverged', label: 'diverged' },
        ],
        rows: byInit.map((g) => ({
          initializer: g.label,
          seeds: g.runs.length,
          ...Object.fromEntries(
            tableEpochs.map((e) => [
              `val${e}`,
              meanCell(g.runs.map((r) => curve(r.result, 'validation', epochs)[e])),
            ]),
          ),
          train: meanCell(g.runs.map((r) => curve(r.result, 'train', epochs)[epochs])),
          test: meanCell(g.runs.map((r) => testMseAt(r, epochs) ?? Number.NaN)),
          diverged: g.runs.filter((r) => r.result.diverged).length,
        })),
      });
      const prefix = `${dataset}_`;
      for (const f of pngs.filter(
        (f) => basename(f).startsWith(prefix) && basename(f).includes(`_${samples}_`),
      )) {
        used.add(f);
        blocks.push(imageBlock(f));
      }
      sections.push({
        title: `${names.get(dataset) ?? dataset}: ${samples} training samples, ${epochs} epochs`,
        blocks,
      });
    }
  }
  // The method's own images (NMF factors, PCA components), with their generated captions.
  const methodBlocks: HtmlBlock[] = [];
  for (const m of methodImages(spec, input.artifacts, readDisplaySets(input.artifacts), names)) {
    const file = pngs.find((f) => basename(f) === `${m.name}.png`);
    if (file === undefined) continue;
    used.add(file);
    methodBlocks.push(imageFileBlock(file, m.title, m.caption));
  }
  if (methodBlocks.length > 0) sections.push({ title: "The method's own images", blocks: methodBlocks });
  const others = pngs.filter((f) => !used.has(f));
  if (others.length > 0) sections.push({ title: 'Other figures', blocks: others.map(imageBlock) });
  if (input.missing.length > 0) {
    const errors = new Map(input.failed.map((f) => [f.config.id, f.error.split('\n')[0]]));
    sections.push({
      title: 'Missing runs',
      blocks: [
        {
          type: 'table',
          id: 'missing-runs',
          columns: [
            { key: 'id', label: 'run' },
            { key: 'why', label: 'why' },
          ],
          rows: input.missing.map((c) => ({ id: c.id, why: errors.get(c.id) ?? 'not run' })),
        },
      ],
    });
  }

  const report: HtmlReport = {
    title: spec.name,
    description: spec.description,
    meta: reportMeta([
      { label: 'model', value: `${spec.model.sizes.join('-')} (${spec.model.hidden}, ${spec.model.output})` },
      runCountMeta({ runs, missing: input.missing }),
    ]),
    sections,
    runs: runsIndex(
      runs,
      [
        { key: 'dataset', label: 'dataset' },
        { key: 'samples', label: 'samples' },
        { key: 'initializer', label: 'initializer' },
        { key: 'seed', label: 'seed' },
        { key: 'backend', label: 'backend' },
        { key: 'train', label: 'final train loss' },
        { key: 'val', label: 'final val loss' },
        { key: 'test', label: 'final test MSE' },
        { key: 'diverged', label: 'diverged at' },
        { key: 'seconds', label: 'training s' },
      ],
      (r) => ({
        dataset: r.config.datasetLabel,
        samples: r.config.samples,
        initializer: r.config.initializerLabel,
        seed: r.config.seed,
        backend: r.config.backend,
        train: finiteOrNull(r.result.history.loss.at(-1)),
        val: finiteOrNull(r.result.history.valLoss.at(-1)),
        test: finiteOrNull(testMseAt(r, r.config.epochs)),
        diverged: r.result.diverged ? r.result.diverged.epoch : null,
        seconds: r.result.timing.trainingSeconds,
      }),
      (r) => runDetail(r, spec),
    ),
  };
  return writeReportHtml(input.dir, report);
}

function imageBlock(file: string): HtmlBlock {
  const name = basename(file, '.png');
  return { type: 'image', title: name, src: pngDataUri(readFileSync(file)), alt: name };
}

function runDetail(r: Run, spec: ExperimentSpec) {
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
    epochs: {
      type: 'table' as const,
      id: `run-epochs-${key}`,
      title: 'Per epoch (0 = at initialization)',
      columns: [
        { key: 'epoch', label: 'epoch' },
        { key: 'train', label: 'train loss' },
        { key: 'val', label: 'validation loss' },
        { key: 'test', label: 'test MSE' },
      ],
      rows: train.map((t, epoch) => ({
        epoch,
        train: finiteOrNull(t),
        val: finiteOrNull(val[epoch]),
        test: finiteOrNull(testMseAt(r, epoch)),
      })),
    },
    result: {
      diverged: r.result.diverged,
      timing: r.result.timing,
      trainSamples: r.result.trainSamples,
      valSamples: r.result.valSamples,
    },
  };
}

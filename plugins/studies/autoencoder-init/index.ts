import { defineStudyKind } from 'nmfinit';
import { autoencoderBuffers, autoencoderGridAxes, resolvePluginParamsAndCheckModel } from './check.ts';
import { type PrepareData, prepareData } from './data.ts';
import { type AutoencoderRun, autoencoderOverrides, expandRuns, quickSpec } from './grid.ts';
import { autoencoderMetrics } from './metrics.ts';
import { autoencoderDocument } from './report.ts';
import { type AutoencoderResult, autoencoderResultSchema } from './result.ts';
import { executeRun } from './run.ts';
import { AUTOENCODER_KIND, type AutoencoderSpec, autoencoderSpecSchema } from './spec.ts';
import { autoencoderWorkload } from './workload.ts';

/**
 * The seed study's kind: an autoencoder × initializer grid over data sets, training-set sizes and
 * seeds, read at several epoch counts. Specs that name no kind are of this one.
 */
export const autoencoderInitStudy = defineStudyKind<
  AutoencoderSpec,
  AutoencoderRun,
  AutoencoderResult,
  PrepareData
>({
  name: AUTOENCODER_KIND,
  description:
    'autoencoder × initializer grid: loss curves, reconstructions and PCA reference per result set',
  params: autoencoderSpecSchema,
  check: resolvePluginParamsAndCheckModel,
  gridAxes: autoencoderGridAxes,
  buffers: autoencoderBuffers,
  // `auto` times the candidates on this model's training step (through a device trainer too).
  workload: autoencoderWorkload,
  expand: expandRuns,
  prepare: (spec, _runs, ctx) => prepareData(spec, ctx),
  // Work in sample-epochs, so the ETA weighs a 60,000-sample run more than a 3,000 one.
  cost: (run, data) =>
    run.epochs * (run.samples === 'all' ? data[run.datasetLabel].train.count : run.samples),
  execute: (run, data, ctx) => executeRun(run, data[run.datasetLabel], ctx),
  result: autoencoderResultSchema,
  resultVersion: 2,
  summarize: (r) => {
    const last = r.history.valLoss.at(-1) ?? Number.NaN;
    const div = r.diverged ? `, diverged at epoch ${r.diverged.epoch}` : '';
    return `val ${r.history.initialValLoss.toFixed(4)} → ${last.toFixed(4)} in ${r.history.valLoss.length} epochs, ${r.timing.trainingSeconds.toFixed(1)} s${div}`;
  },
  cliOverrides: autoencoderOverrides,
  quick: quickSpec,
  metrics: autoencoderMetrics,
  document: autoencoderDocument,
});

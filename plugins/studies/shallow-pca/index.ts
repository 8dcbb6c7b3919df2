import { defineStudyKind } from 'nmfinit';
// The study kind 'shallow-pca': Refinetti & Goldt's shallow autoencoders (ICML 2022) trained by
// online SGD against the PCA error, with the alignment of w^k to the principal components over time.
import { prepareAll, type ShallowPcaData } from './data.ts';
import { shallowPcaMetrics } from './metrics.ts';
import { shallowPcaDocument } from './report.ts';
import {
  executeRun,
  expandRuns,
  runGroup,
  type ShallowPcaResult,
  type ShallowPcaRun,
  shallowPcaResultSchema,
} from './run.ts';
import {
  checkShallowPca,
  type ShallowPcaSpec,
  type ShallowPcaSpecInput,
  shallowPcaBuffers,
  shallowPcaGridAxes,
  shallowPcaSpecSchema,
} from './spec.ts';

export const shallowPcaStudy = defineStudyKind<
  ShallowPcaSpec,
  ShallowPcaRun,
  ShallowPcaResult,
  ShallowPcaData
>({
  name: 'shallow-pca',
  description:
    'Shallow autoencoders x̂ = Σ v^k g(w^k·x/√D) (linear, ReLU, sigmoid, erf; tied or not; biases in the encoder, on the output, both or none) trained by online SGD, against the PCA-K error',
  params: shallowPcaSpecSchema,
  check: checkShallowPca,
  gridAxes: shallowPcaGridAxes,
  buffers: shallowPcaBuffers,
  expand: expandRuns,
  prepare: (spec, _runs, ctx) => prepareAll(spec, ctx),
  // Measured at D = 784, K = 4: a step streams the K·D weights and a few D-long vectors (hence
  // K + 4); a tied step does both uses of W (about 1.5×); a test sample is a forward pass (½ step).
  cost: (run, data) => {
    const p = data[run.dataset];
    const d = p?.d ?? 1;
    const evaluation = 0.5 * run.records * (p?.testCount ?? 0);
    return d * (run.k + 4) * (run.steps * (run.tied ? 1.5 : 1) + evaluation);
  },
  group: runGroup,
  execute: executeRun,
  result: shallowPcaResultSchema,
  // 3: run configs name the bias placement (`bias`), and the encoder bias steps at the authors' η/D.
  resultVersion: 3,
  summarize: (r) =>
    r.finalTestMse === null
      ? 'diverged'
      : `test MSE ${r.finalTestMse.toPrecision(4)} = ${(r.finalTestMse / r.pcaMse).toFixed(3)}× PCA`,
  // The same grid and pipeline, small: one seed, a thirtieth of the steps (at most 20,000: the
  // authors' 5·10⁷), fewer samples (the PCA of the training samples is a large part of a quick
  // run on images).
  quick: (spec: ShallowPcaSpecInput) => ({
    ...spec,
    seeds: 1,
    records: 12,
    datasets: spec.datasets.map((d) => ({
      ...d,
      trainCount: Math.min(d.trainCount, 4000),
      testCount: Math.min(d.testCount, 200),
      steps: Math.min(20000, Math.max(1000, Math.round(d.steps / 30))),
    })),
  }),
  metrics: shallowPcaMetrics,
  document: shallowPcaDocument,
});

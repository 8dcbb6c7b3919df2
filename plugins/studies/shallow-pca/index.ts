import { defineStudyKind } from 'nmfinit';
// The study kind 'shallow-pca': Refinetti & Goldt's shallow autoencoders (ICML 2022) trained by
// online SGD against the PCA error, with the alignment of w^k to the principal components over time.
import { prepareAll, type ShallowPcaData } from './data.ts';
import { writeReport } from './report.ts';
import {
  executeRun,
  expandRuns,
  type ShallowPcaResult,
  type ShallowPcaRun,
  shallowPcaResultSchema,
} from './run.ts';
import { type ShallowPcaSpec, type ShallowPcaSpecInput, shallowPcaSpecSchema } from './spec.ts';

export const shallowPcaStudy = defineStudyKind<
  ShallowPcaSpec,
  ShallowPcaRun,
  ShallowPcaResult,
  ShallowPcaData
>({
  name: 'shallow-pca',
  description:
    'Shallow autoencoders x̂ = Σ v^k g(w^k·x/√D) (linear, ReLU, sigmoid, erf; tied or not; with or without biases) trained by online SGD, against the PCA-K error',
  params: shallowPcaSpecSchema,
  expand: expandRuns,
  prepare: (spec, _runs, ctx) => prepareAll(spec, ctx),
  cost: (run, data) => run.steps * run.k * (data[run.dataset]?.d ?? 1),
  execute: executeRun,
  result: shallowPcaResultSchema,
  resultVersion: 1,
  summarize: (r) =>
    r.finalTestMse === null
      ? 'diverged'
      : `test MSE ${r.finalTestMse.toPrecision(4)} = ${(r.finalTestMse / r.pcaMse).toFixed(3)}× PCA`,
  quick: (spec: ShallowPcaSpecInput) => ({
    ...spec,
    seeds: 1,
    records: 20,
    datasets: spec.datasets.map((d) => ({
      ...d,
      trainCount: Math.min(d.trainCount, 20000),
      testCount: Math.min(d.testCount, 300),
      steps: Math.max(1000, Math.round(d.steps / 5)),
    })),
  }),
  report: writeReport,
});

// The study kind 'sae': top-k sparse autoencoders (Gao et al. 2024; the notes' O'Neill et al.
// section) over n, k, with and without the auxiliary loss, from pluggable dictionaries, with
// normalised MSE, L0, dead fraction, latent density, atoms and feature recovery.
import { defineStudyKind, trainingStepWorkload } from 'nmfinit';
import { prepareSae, type SaeData } from './data.ts';
import { saeMetrics } from './metrics.ts';
import { saeOverrides } from './overrides.ts';
import { saeDocument } from './report.ts';
import { executeSae, type SaeResult, saeResultSchema } from './run.ts';
import {
  checkSae,
  expandSae,
  REFERENCE_PRESET,
  type SaeRun,
  type SaeSpec,
  type SaeSpecInput,
  saeBuffers,
  saeGridAxes,
  saeSpecSchema,
} from './spec.ts';

// --quick: n capped at 256 (duplicates dropped), k ≤ 16 (or the smallest), 2 seeds, 3 epochs (no
// settling), 2,048 samples.
const small = (ns: number[]) => [...new Set(ns.map((n) => Math.min(n, 256)))];
const fewK = (ks: number[]) => (ks.some((k) => k <= 16) ? ks.filter((k) => k <= 16) : [Math.min(...ks)]);

export const saeStudy = defineStudyKind<SaeSpec, SaeRun, SaeResult, SaeData>({
  name: 'sae',
  description:
    'Top-k sparse autoencoders: normalised MSE, L0, dead latents with and without the auxiliary loss, latent density, atoms, recovery of planted features',
  params: saeSpecSchema,
  check: checkSae,
  gridAxes: saeGridAxes,
  buffers: saeBuffers,
  // `auto`: the widest dictionary's training step, d → latents → d at d = 784 (28×28 images; a data
  // set's size is known only once it is loaded).
  workload: (spec) =>
    trainingStepWorkload(
      [784, Math.max(...spec.latents, ...spec.datasets.flatMap((d) => d.latents ?? [])), 784],
      spec.batchSize,
    ),
  expand: expandSae,
  prepare: (spec, _runs, ctx) => prepareSae(spec, ctx),
  cliOverrides: saeOverrides,
  cost: (run, data) => run.epochs * (data[run.dataset]?.trainRows ?? 1) * run.latents,
  execute: executeSae,
  result: saeResultSchema,
  resultVersion: 1,
  summarize: (r) =>
    `nMSE ${r.final.normalizedMse.toPrecision(3)}, L0 ${r.final.l0.toFixed(1)}, dead ${(100 * r.final.deadFraction).toFixed(1)}%${r.recovery === null ? '' : `, recovery ${r.recovery.toFixed(3)}`}${r.matching ? `, matched ${r.matching.meanCosine.toFixed(3)}` : ''}, ${r.samplesPerSecond.toFixed(0)} samples/s`,
  quick: (spec: SaeSpecInput) =>
    ({
      ...spec,
      seeds: Math.min(spec.seeds ?? 3, 2),
      epochs: Math.min(spec.epochs ?? 5, 3),
      // A settling run may train far past `epochs`: quick trains to `epochs` only.
      settle: undefined,
      // A dead window longer than quick's 2,048 samples would leave AuxK idle.
      ...(spec.deadSamples !== undefined || spec.preset === 'reference'
        ? { deadSamples: Math.min(spec.deadSamples ?? REFERENCE_PRESET.deadSamples, 2048) }
        : {}),
      latents: small(spec.latents),
      k: fewK(spec.k),
      datasets: spec.datasets.map((d) => ({
        ...d,
        trainSamples: Math.min(d.trainSamples, 2048),
        evalSamples: Math.min(d.evalSamples ?? 1000, 256),
        ...(d.latents ? { latents: small(d.latents) } : {}),
        ...(d.k ? { k: fewK(d.k) } : {}),
      })),
    }) as SaeSpecInput,
  metrics: saeMetrics,
  document: saeDocument,
});

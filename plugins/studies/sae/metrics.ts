import type { MetricRow, StoredRun } from 'nmfinit';
import type { SaeResult } from './run.ts';
import type { SaeRun } from './spec.ts';

/**
 * metrics.csv rows of the sae runs, per record: `epoch` is the training step, `initializer` the
 * dictionary the atoms start from. The training loss of the step before the record (none before
 * the first step) and the dead fraction by the training counter are split 'train'; normalised
 * MSE and L0 on the evaluation set are split 'eval', as is recovery of planted directions after
 * the last step (mean max cosine; mean matched cosine and recovery_matched_fraction, the fraction of
 * directions matched above cosine 0.9, issue 23).
 */
export function saeMetrics(input: { runs: readonly StoredRun<SaeRun, SaeResult>[] }): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const { id, config, result } of input.runs) {
    const base = { run: id, dataset: config.label, initializer: config.dictionary, seed: config.seed };
    for (const r of result.records) {
      const at = { ...base, epoch: r.step };
      if (r.loss !== null) rows.push({ ...at, split: 'train', metric: 'loss', value: r.loss });
      rows.push({ ...at, split: 'train', metric: 'dead_fraction', value: r.deadFraction });
      rows.push({ ...at, split: 'eval', metric: 'normalized_mse', value: r.normalizedMse });
      rows.push({ ...at, split: 'eval', metric: 'l0', value: r.l0 });
    }
    // Recovery of planted directions, after the last step: mean max cosine, and by optimal matching.
    const end = { ...base, epoch: result.records.at(-1)?.step ?? 0, split: 'eval' };
    if (result.recovery !== null)
      rows.push({ ...end, metric: 'recovery_max_cosine', value: result.recovery });
    if (result.matching) {
      rows.push({ ...end, metric: 'recovery_matched_cosine', value: result.matching.meanCosine });
      rows.push({ ...end, metric: 'recovery_matched_fraction', value: result.matching.fractionAbove });
    }
  }
  return rows;
}

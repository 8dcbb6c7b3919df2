import type { MetricRow, StoredRun } from 'nmfinit';
import type { SaeResult } from './run.ts';
import type { SaeRun } from './spec.ts';

/**
 * metrics.csv rows of the sae runs, per record: `epoch` is the training step, `initializer` the
 * dictionary the atoms start from. The training loss of the step before the record (none before
 * the first step) and the dead fraction by the training counter are split 'train'; normalised
 * MSE and L0 on the evaluation set are split 'eval'.
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
  }
  return rows;
}

import type { MetricRow, StoredRun } from 'nmfinit';
import { configName, type ShallowPcaResult, type ShallowPcaRun } from './run.ts';

/**
 * metrics.csv rows of the shallow-pca runs, per record: `epoch` is the SGD step (online
 * learning has no epochs), `initializer` the model configuration (e.g. erf-tied-bias). Per record
 * the test MSE, and per principal component m the subspace overlap (`subspace_pc<m>`) and the
 * best unit's overlap (`best_unit_pc<m>`).
 */
export function shallowPcaMetrics(input: {
  runs: readonly StoredRun<ShallowPcaRun, ShallowPcaResult>[];
}): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const { id, config, result } of input.runs) {
    const base = { run: id, dataset: config.dataset, initializer: configName(config), seed: config.seed };
    for (const r of result.records) {
      const at = { ...base, epoch: r.step, split: 'test' };
      rows.push({ ...at, metric: 'mse', value: r.testMse });
      r.subspace.forEach((value, m) => {
        rows.push({ ...at, metric: `subspace_pc${m + 1}`, value });
      });
      r.bestUnit.forEach((value, m) => {
        rows.push({ ...at, metric: `best_unit_pc${m + 1}`, value });
      });
    }
  }
  return rows;
}

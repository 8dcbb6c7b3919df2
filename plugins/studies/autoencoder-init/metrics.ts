import type { MetricRow, StoredRun } from 'nmfinit';
import type { AutoencoderRun } from './grid.ts';
import type { AutoencoderResult } from './result.ts';

/**
 * metrics.csv rows of the autoencoder runs: per epoch (0 = before training) the training and
 * validation loss, and the test MSE at every snapshot epoch. A diverged run's history ends at
 * the last finite epoch; a NaN stored as null is written as NaN.
 */
export function autoencoderMetrics(input: {
  runs: readonly StoredRun<AutoencoderRun, AutoencoderResult>[];
}): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const { id, config, result } of input.runs) {
    const base = {
      run: id,
      dataset: config.datasetLabel,
      initializer: config.initializerLabel,
      seed: config.seed,
    };
    const { history } = result;
    const loss = [history.initialLoss, ...history.loss];
    const valLoss = [history.initialValLoss, ...history.valLoss];
    loss.forEach((value, epoch) => {
      rows.push({ ...base, epoch, split: 'train', metric: 'loss', value });
    });
    valLoss.forEach((value, epoch) => {
      rows.push({ ...base, epoch, split: 'validation', metric: 'loss', value });
    });
    for (const s of result.snapshots)
      rows.push({ ...base, epoch: s.epoch, split: 'test', metric: 'mse', value: s.testMse });
  }
  return rows;
}

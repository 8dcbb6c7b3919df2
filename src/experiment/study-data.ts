import { loadDataset } from '../data/load.ts';
import { datasets } from '../data/registry.ts';
import type { Dataset, DatasetPlugin } from '../data/types.ts';
import type { StudyContext } from './study-kind.ts';

/**
 * How a kind's `prepare` loads the splits of one data set entry of its spec: the plugin the entry
 * names, with the entry's parameters, into the study's cache, logging to the study's log.
 */
export function entrySplits(
  entry: { readonly name: string; readonly params?: unknown },
  ctx: Pick<StudyContext, 'cacheDir' | 'log'>,
): { plugin: DatasetPlugin; load: (split: 'train' | 'test', limit?: number) => Promise<Dataset> } {
  const plugin = datasets.get(entry.name);
  return {
    plugin,
    load: (split, limit) =>
      loadDataset(plugin, { split, limit, params: entry.params, cacheDir: ctx.cacheDir, log: ctx.log }),
  };
}

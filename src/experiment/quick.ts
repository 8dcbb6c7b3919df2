import type { RunOverrides } from './run.ts';
import type { ExperimentSpecInput } from './spec.ts';

/**
 * The quick version of a study: every data set and initializer, but 2,000 samples, 5 epochs and
 * one seed, written next to the full results. Explicit flags still win over it.
 */
export function quickOverrides(spec: ExperimentSpecInput, flags: RunOverrides): RunOverrides {
  return {
    samples: [2000],
    epochs: [5],
    seeds: 1,
    out: `${spec.outputs.dir.replace(/\/+$/, '')}-quick`,
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
  };
}

import type { z } from 'zod';
import type { PluginBase } from '../registry/registry.ts';
import type { Rng } from '../tensor/rng.ts';

// An SAE dictionary initializer: a plugin, registry-compatible like initializer and dataset
// plugins (the `dictionaries` registry), that proposes the n decoder atoms. The model normalises them to unit norm, sets the
// encoder to their transpose and b_e = 0 (src/sae/model.ts, setDictionary).

export interface DictionaryContext<P> {
  /** n, atoms wanted. */
  readonly latents: number;
  /** d, the input dimension. */
  readonly inputDim: number;
  /** The training data, rows × d, for data-driven dictionaries. */
  readonly data: { readonly x: Float32Array; readonly rows: number };
  readonly params: P;
  /** This run's initializer stream. */
  readonly rng: Rng;
  readonly cacheDir?: string;
  readonly log?: (message: string) => void;
}

export interface DictionaryInitializer<S extends z.ZodType = z.ZodType> extends PluginBase {
  readonly params: S;
  /** True when different seeds give different dictionaries. */
  readonly random: boolean;
  /** n × d atoms, row j = atom j, any norm but non-zero. */
  init(ctx: DictionaryContext<z.output<S>>): Float32Array | Promise<Float32Array>;
}

export function defineDictionaryInitializer<S extends z.ZodType>(
  plugin: DictionaryInitializer<S>,
): DictionaryInitializer<S> {
  return plugin;
}

import { Registry } from '../registry/registry.ts';
import type { DictionaryInitializer } from './dictionary.ts';

/** The SAE dictionary initializers (sae-standard, sae-nmf, …). Built-ins register with `nmfinit/plugins`. */
export const dictionaries = new Registry<DictionaryInitializer>('dictionary initializer');

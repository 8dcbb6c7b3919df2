import type { BackendFactory } from '../backend/types.ts';
import type { DatasetPlugin } from '../data/types.ts';
import type { StudyKind } from '../experiment/study-kind.ts';
import type { InitializerPlugin } from '../initializers/types.ts';
import type { DictionaryInitializer } from '../sae/dictionary.ts';
import { Registry } from './registry.ts';

/** The weight-initializer plugins. Built-ins register when `nmfinit/plugins` is imported. */
export const initializers = new Registry<InitializerPlugin>('initializer');

/** The dataset plugins. */
export const datasets = new Registry<DatasetPlugin>('dataset');

/** The matmul backends; the built-ins register when the backend module loads. */
export const backends = new Registry<BackendFactory>('backend');

/** The study kinds (autoencoder-init, nmf-identity, …). Built-ins register with `nmfinit/plugins`. */
export const studies = new Registry<StudyKind>('study kind');

/** The SAE dictionary initializers (sae-standard, sae-nmf, …). Built-ins register with `nmfinit/plugins`. */
export const dictionaries = new Registry<DictionaryInitializer>('dictionary initializer');

import type { DatasetPlugin } from '../data/types.ts';
import type { InitializerPlugin } from '../initializers/types.ts';
import { Registry } from './registry.ts';

/** The weight-initializer plugins. Built-ins register when `nmfinit/plugins` is imported. */
export const initializers = new Registry<InitializerPlugin>('initializer');

/** The dataset plugins. */
export const datasets = new Registry<DatasetPlugin>('dataset');

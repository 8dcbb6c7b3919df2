import { Registry } from '../registry/registry.ts';
import type { DatasetPlugin } from './types.ts';

/** The dataset plugins. Built-ins register when `nmfinit/plugins` is imported. */
export const datasets = new Registry<DatasetPlugin>('dataset');

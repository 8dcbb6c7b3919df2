import { Registry } from '../registry/registry.ts';
import type { InitializerPlugin } from './types.ts';

/** The weight-initializer plugins. Built-ins register when `nmfinit/plugins` is imported. */
export const initializers = new Registry<InitializerPlugin>('initializer');

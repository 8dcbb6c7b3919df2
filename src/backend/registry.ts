import { Registry } from '../registry/registry.ts';
import type { BackendFactory } from './types.ts';

/** The matmul backends; the built-ins register when the backend module loads. */
export const backends = new Registry<BackendFactory>('backend');

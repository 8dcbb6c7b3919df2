import { Registry } from '../registry/registry.ts';
import type { StudyKind } from './study-kind.ts';

/** The study kinds (autoencoder-init, nmf-identity, …). Built-ins register with `nmfinit/plugins`. */
export const studies = new Registry<StudyKind>('study kind');

import { autoencoderInitStudy } from './autoencoder-init/index.ts';

/** The built-in study kinds. */
export const builtinStudies = [autoencoderInitStudy];

export { defineAutoencoderStudy } from './autoencoder-init/spec.ts';
export { autoencoderInitStudy };

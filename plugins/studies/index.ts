import { autoencoderInitStudy } from './autoencoder-init/index.ts';
import { nmfIdentityStudy } from './nmf-identity/index.ts';

/** The built-in study kinds. */
export const builtinStudies = [autoencoderInitStudy, nmfIdentityStudy];

export { defineAutoencoderStudy } from './autoencoder-init/spec.ts';
export { autoencoderInitStudy, nmfIdentityStudy };

import { autoencoderInitStudy } from './autoencoder-init/index.ts';
import { nmfDataStudy } from './nmf-data/index.ts';
import { nmfIdentityStudy } from './nmf-identity/index.ts';
import { saeStudy } from './sae/index.ts';
import { shallowPcaStudy } from './shallow-pca/index.ts';

/** The built-in study kinds. */
export const builtinStudies = [
  autoencoderInitStudy,
  nmfIdentityStudy,
  shallowPcaStudy,
  nmfDataStudy,
  saeStudy,
];

export { autoencoderInitStudy, nmfDataStudy, nmfIdentityStudy, saeStudy, shallowPcaStudy };

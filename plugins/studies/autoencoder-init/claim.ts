// The claim the autoencoder study judges: the seed study's, as its README states it. The study
// declares it; src/report only judges whatever claim it is given.
import type { StudyClaim } from 'nmfinit';

export const SEED_CLAIM: StudyClaim = {
  statement: 'NMF reaches a better reconstruction after fewer epochs, even with fewer samples.',
  subject: 'NMF',
};

/** The initializer plugin the claim is about: a spec's first initializer of it is the subject. */
export const CLAIM_PLUGIN = 'nmf';

import type { InitializerPlugin } from 'nmfinit';
import { constant, identity, ones, zeros } from './constant.ts';
import { dataDependentInitializer } from './data-dependent.ts';
import { lsuvInitializer } from './lsuv.ts';
import { nmfDataInitializer } from './nmf-data.ts';
import { orthogonal } from './orthogonal.ts';
import { pcaInitializer } from './pca.ts';
import { pcaAffineInitializer } from './pca-affine.ts';
import { glorotNormal, glorotUniform, heNormal, heUniform, lecunNormal, lecunUniform } from './presets.ts';
import { randomNormal, randomUniform, truncatedNormal } from './random.ts';
import { varianceScalingInitializer } from './variance-scaling.ts';

export * from './constant.ts';
export * from './data-dependent.ts';
export * from './lsuv.ts';
export * from './nmf-data.ts';
export * from './orthogonal.ts';
export * from './pca.ts';
export * from './pca-affine.ts';
export * from './presets.ts';
export * from './random.ts';
export * from './variance-scaling.ts';

/** The built-in Keras-semantics initializers (NMF lives in ./nmf.ts). Registration is the caller's. */
export const builtinInitializers: InitializerPlugin[] = [
  varianceScalingInitializer,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  lecunNormal,
  lecunUniform,
  randomNormal,
  randomUniform,
  truncatedNormal,
  orthogonal,
  zeros,
  ones,
  constant,
  identity,
  // Data-aware: they see a sample of the training split (plugin.data).
  lsuvInitializer,
  dataDependentInitializer,
  pcaInitializer,
  pcaAffineInitializer,
  nmfDataInitializer,
];

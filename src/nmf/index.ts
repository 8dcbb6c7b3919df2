// NMF: solvers, inits and the factor cache (the public part).

export {
  type CachedNmfOptions,
  type CachedNmfResult,
  cachedNmf,
  decodeNmfResult,
  encodeNmfResult,
  NMF_CODE_VERSION,
  NmfCacheError,
  nmfCacheKey,
  nmfCachePath,
} from './cache.ts';
export { squaredDistanceToProduct } from './linalg.ts';
export { type DenseMatrix, denseMatrix, identityMatrix, type NmfMatrix } from './matrix.ts';
export {
  defaultInitMethod,
  NMF_BETA_LOSSES,
  NMF_INIT_METHODS,
  NMF_SOLVERS,
  type NmfDataOptions,
  type NmfDataOptionsInput,
  NmfError,
  type NmfInitMethod,
  type NmfOptions,
  type NmfOptionsInput,
  type NmfSolverName,
  type NmfStopping,
  type NmfStoppingInput,
  nmfDataOptionsSchema,
  nmfOptionsSchema,
  nmfStoppingSchema,
} from './options.ts';
export {
  fitCoordinateDescent,
  fitMultiplicativeUpdate,
  initializeNmf,
  type NmfFactors,
  type NmfResult,
  nmf,
} from './solve.ts';

// Reference analyses the experiments compare with.
export { type CovarianceOptions, covarianceMatrix, PcaInputError } from './covariance.ts';
export {
  type GeometricMedian,
  type GeometricMedianOptions,
  geometricMedian,
  sumOfDistances,
} from './geometric-median.ts';
export { type Assignment, minCostAssignment } from './hungarian.ts';
export {
  fitPca,
  type Pca,
  type PcaOptions,
  pcaReconstruct,
  pcaReconstructionMse,
  pcaTrainMseFromEigenvalues,
} from './pca.ts';
export {
  type CachedPca,
  type CachedPcaOptions,
  cachedFitPca,
  decodePca,
  encodePca,
  PCA_CODE_VERSION,
  PcaCacheError,
  pcaCacheKey,
} from './pca-cache.ts';

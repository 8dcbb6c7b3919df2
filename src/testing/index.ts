// nmfinit/testing: helpers for plugin authors' and NMF users' tests (needs fast-check, a dev dependency).
export {
  type CheckInitializerOptions,
  checkInitializer,
  InitializerCheckError,
} from './check-initializer.ts';
export {
  ALL_NMF_METHODS,
  type CheckNmfIdentityOptions,
  checkNmfIdentity,
  distanceToIdentity,
  NEAR_OPTIMAL_NMF_METHODS,
  NMF_OPTIMUM_TOLERANCE,
  type NmfFactorization,
  NmfIdentityCheckError,
  type NmfIdentityFactors,
  type NmfIdentityProblem,
  type NmfIdentityProblemOptions,
  type NmfMethod,
  nearOptimalIdentityProblems,
  nmfIdentityProblems,
} from './nmf-identity.ts';
export {
  type AutoencoderStackOptions,
  autoencoderStack,
  type DenseStackOptions,
  denseStack,
  layerSpecs,
} from './stacks.ts';

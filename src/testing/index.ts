// nmfinit/testing: helpers for plugin authors' tests (needs fast-check, a dev dependency).
export {
  type CheckInitializerOptions,
  checkInitializer,
  InitializerCheckError,
} from './check-initializer.ts';
export {
  type AutoencoderStackOptions,
  autoencoderStack,
  type DenseStackOptions,
  denseStack,
  layerSpecs,
} from './stacks.ts';

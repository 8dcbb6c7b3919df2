// The public API of nmfinit. Plugins and experiments import only from here ('nmfinit').
export * from './backend/index.ts';
export * from './data/index.ts';
export * from './data/types.ts';
export * from './initializers/types.ts';
export * from './nmf/index.ts';
export * from './registry/kinds.ts';
export { Registry, RegistryError, type PluginBase } from './registry/registry.ts';
export { formatZodIssues } from './registry/zod-errors.ts';
export * from './report/index.ts';
export { Rng } from './tensor/rng.ts';
export { assertSameShape, firstNonFinite, formatShape, ShapeError, shapeSize, Tensor } from './tensor/tensor.ts';
export { z } from 'zod';

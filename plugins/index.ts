// Importing this module registers every built-in plugin (the package entry `nmfinit/plugins`).
import { datasets, initializers } from 'nmfinit';
import { builtinDatasets } from './datasets/index.ts';
import { builtinInitializers } from './initializers/index.ts';
import { nmfInitializer } from './initializers/nmf.ts';

for (const plugin of [nmfInitializer, ...builtinInitializers]) {
  if (!initializers.has(plugin.name)) initializers.register(plugin);
}
for (const plugin of builtinDatasets) {
  if (!datasets.has(plugin.name)) datasets.register(plugin);
}

export { builtinDatasets, builtinInitializers, nmfInitializer };

// Importing this module registers every built-in plugin (the package entry `nmfinit/plugins`).
import { datasets, dictionaries, initializers, studies } from 'nmfinit';
import { builtinDatasets } from './datasets/index.ts';
import { builtinInitializers } from './initializers/index.ts';
import { nmfInitializer } from './initializers/nmf.ts';
import { builtinDictionaries } from './sae/dictionaries.ts';
import { builtinStudies } from './studies/index.ts';

for (const plugin of [nmfInitializer, ...builtinInitializers]) {
  if (!initializers.has(plugin.name)) initializers.register(plugin);
}
for (const plugin of builtinDatasets) {
  if (!datasets.has(plugin.name)) datasets.register(plugin);
}
for (const plugin of builtinDictionaries) {
  if (!dictionaries.has(plugin.name)) dictionaries.register(plugin);
}
for (const kind of builtinStudies) {
  if (!studies.has(kind.name)) studies.register(kind);
}

export { autoencoderInitStudy } from './studies/index.ts';
export { builtinDatasets, builtinDictionaries, builtinInitializers, builtinStudies, nmfInitializer };

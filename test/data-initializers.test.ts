import fc from 'fast-check';
import { getBackend, initializerData, type LayerWeights, Rng } from 'nmfinit';
import { checkInitializer, layerSpecs } from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import { dataDependentInitializer } from '../plugins/initializers/data-dependent.ts';
import { lsuvInitializer, variance } from '../plugins/initializers/lsuv.ts';
import { nmfDataInitializer } from '../plugins/initializers/nmf-data.ts';
import { pcaInitializer } from '../plugins/initializers/pca.ts';

const backend = getBackend('reference');

describe('data-aware initializers pass checkInitializer', () => {
  for (const plugin of [lsuvInitializer, dataDependentInitializer, pcaInitializer, nmfDataInitializer]) {
    it(plugin.name, async () => {
      await expect(checkInitializer(plugin, { numRuns: 8 })).resolves.toBeUndefined();
    });
  }
  it('lsuv and data-dependent on random dense chains too', async () => {
    await checkInitializer(lsuvInitializer, { stacks: 'dense', numRuns: 8 });
    await checkInitializer(dataDependentInitializer, { stacks: 'dense', numRuns: 8 });
  });
});

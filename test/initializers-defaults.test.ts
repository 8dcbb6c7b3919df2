import { type InitializerPlugin, initializers, noParams } from 'nmfinit';
import { checkInitializer, InitializerCheckError } from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import '../plugins/index.ts';

// What a plugin author runs first: `checkInitializer(plugin)` with nothing else. Every built-in
// must pass it as it is, including those whose supports() takes only some networks ('nmf' only
// mirrored autoencoders, which the default dense chains never are).
describe('every built-in initializer passes checkInitializer with its default options', () => {
  const all = initializers.list();
  it('the registry holds the built-ins, nmf among them', () => {
    expect(all.map((p) => p.name)).toContain('nmf');
    expect(all.length).toBeGreaterThanOrEqual(20);
  });
  for (const plugin of all) {
    it(plugin.name, async () => {
      await expect(checkInitializer(plugin)).resolves.toBeUndefined();
    }, 120_000);
  }
});

describe('checkInitializer on a plugin whose supports() rejects the networks', () => {
  const pickyPlugin = (accepts: (fanIn: number) => boolean): InitializerPlugin => ({
    name: 'picky',
    description: 'supports only some networks',
    params: noParams,
    random: false,
    supports: (layers) => (layers.every((l) => accepts(l.fanIn)) ? null : 'it wants fanIn 7 everywhere'),
    init: ({ layers }) =>
      layers.map((l) => ({ kernel: new Float32Array(l.fanIn * l.fanOut), bias: new Float32Array(l.fanOut) })),
  });

  it('says so in one clear message, with the last rejected network and its reason', async () => {
    const failure = checkInitializer(pickyPlugin(() => false));
    await expect(failure).rejects.toBeInstanceOf(InitializerCheckError);
    await expect(failure).rejects.toThrow(
      /^initializer 'picky': its supports\(\) rejected every one of the random networks tried; the last one, \[.+\], because it wants fanIn 7 everywhere; pass options\.stacks/,
    );
    await expect(failure).rejects.not.toThrow(/no error recorded/);
  });

  it('the same message when the stacks are given and all rejected', async () => {
    await expect(
      checkInitializer(
        pickyPlugin(() => false),
        { stacks: 'autoencoder' },
      ),
    ).rejects.toThrow(/rejected every one of the random networks tried/);
  });
});

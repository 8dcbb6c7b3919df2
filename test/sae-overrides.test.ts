import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { saeStudy } from '../plugins/studies/sae/index.ts';
import { keepLatents } from '../plugins/studies/sae/overrides.ts';
import { expandSae, type SaeSpecInput, saeSpecSchema } from '../plugins/studies/sae/spec.ts';
import { applyCliOverrides } from '../src/experiment/cli-overrides.ts';
import { runConfigHash } from '../src/experiment/hash.ts';

// `--latents` keeps part of an SAE grid. Its law: the runs it leaves are exactly the full spec's
// runs with those n, with the same ids and config hashes, so a folder trained part by part is
// the folder the full spec would have trained.

// The parts are declared `as const`; their readonly arrays are read here, never written.
const referencePart = async () =>
  (await import('../experiments/sae-reference.ts')).parts.reference as unknown as SaeSpecInput;

const hashes = (spec: SaeSpecInput) =>
  new Map(expandSae(saeSpecSchema.parse(spec), 'simd').map((r) => [r.id, runConfigHash('sae', 1, r)]));

describe('--latents (the sae kind)', () => {
  it("keeps the full spec's runs with those n, ids and hashes unchanged, on the reference part", async () => {
    const reference = await referencePart();
    const full = hashes(reference);
    const kept = hashes(keepLatents(reference, [1024]));
    const expected = [...full].filter(([id]) => id.includes('__n1024__'));
    expect(expected.length).toBe(36);
    expect([...kept]).toEqual(expected);
  });

  it('holds for any grid: entries with their own n and without, any non-empty choice that leaves each entry a run', () => {
    const ns = [64, 128, 256, 512];
    const subset = fc.subarray(ns, { minLength: 1 });
    fc.assert(
      fc.property(
        subset,
        fc.array(fc.option(subset, { nil: undefined }), { minLength: 1, maxLength: 3 }),
        subset,
        (top, own, keep) => {
          const spec: SaeSpecInput = {
            kind: 'sae',
            name: 's',
            description: 'd',
            outputs: { dir: '/tmp/sae-overrides' },
            latents: top,
            k: [8, 100],
            datasets: own.map((latents, i) => ({
              label: `e${i}`,
              name: 'mnist',
              trainSamples: 100,
              ...(latents ? { latents } : {}),
            })),
          };
          const full = [...hashes(spec)];
          const present = new Set([...top, ...own.flatMap((o) => o ?? [])]);
          const leavesEachOne = own.every((o) => (o ?? top).some((n) => keep.includes(n)));
          if (!keep.every((n) => present.has(n)) || !leavesEachOne) {
            expect(() => keepLatents(spec, keep)).toThrow(/--latents/);
            return;
          }
          const kept = [...hashes(keepLatents(spec, keep))];
          expect(kept).toEqual(full.filter(([id]) => keep.some((n) => id.includes(`__n${n}__`))));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('names the value, the entry and what was expected when it cannot keep them', async () => {
    const reference = await referencePart();
    expect(() => keepLatents(reference, [512])).toThrow('--latents: 512 not in the spec (it has 1024, 4096)');
    expect(() => keepLatents(reference, [4096])).toThrow(
      "--latents 4096 leaves no runs to data set entry 'mnist-nmf' (n = 1024); runs name their entry by position, so an entry cannot be left out: keep one of its n",
    );
  });

  it('is a flag of the sae kind, parsed from the command line', async () => {
    const reference = await referencePart();
    const out = applyCliOverrides(saeStudy, reference, { latents: ['1024'] }) as SaeSpecInput;
    expect(out.datasets.map((d) => d.latents)).toEqual([[1024], [1024]]);
    expect(() => applyCliOverrides(saeStudy, reference, { latents: ['x'] })).toThrow(
      '--latents takes positive integers, got x',
    );
  });
});

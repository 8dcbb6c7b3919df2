import { describe, expect, it } from 'vitest';
import { expandSae, saeSpecSchema } from '../plugins/studies/sae/spec.ts';
import { pairedTest } from '../plugins/studies/sae/verdict-test.ts';

describe('sae study parts', () => {
  it('expands dataset × n × k × aux × dictionary × seed, skipping k > n, with unique ids', () => {
    const spec = saeSpecSchema.parse({
      name: 't',
      kind: 'sae',
      datasets: [{ name: 'superposition', trainSamples: 100 }],
      latents: [8, 64],
      k: [16, 32],
      dictionaries: [{ name: 'sae-standard' }, { name: 'sae-nmf' }],
      outputs: { dir: 'out' },
    });
    const runs = expandSae(spec, 'simd');
    // n = 8 admits neither k; n = 64 admits both: 2 k × 2 aux × 2 dictionaries × 3 seeds.
    expect(runs.length).toBe(24);
    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    expect(runs.every((r) => r.k <= r.latents)).toBe(true);
  });

  it('rejects an unknown field by path', () => {
    const r = saeSpecSchema.safeParse({
      name: 't',
      kind: 'sae',
      datasets: [],
      latents: [1],
      k: [1],
      outputs: { dir: 'o' },
      bogus: 1,
    });
    expect(r.success).toBe(false);
  });

  it('the paired sign-flip test: exact p-values, symmetric, and its floor for 3 seeds', () => {
    expect(pairedTest([1, 2, 3], [0, 1, 2]).p).toBeCloseTo(0.25, 12); // all 3 differences +1: 2 of 8 flips as extreme
    expect(pairedTest([0, 1, 2], [1, 2, 3]).p).toBeCloseTo(0.25, 12);
    expect(pairedTest([1, -1, 1, -1], [0, 0, 0, 0]).p).toBe(1);
    expect(pairedTest([5, 5, 5], [0, 0, 0]).smallestPossibleP).toBeCloseTo(0.25, 12);
  });
});

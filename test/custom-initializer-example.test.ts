import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { initializers } from 'nmfinit';
import { checkInitializer } from 'nmfinit/testing';
import { describe, expect, it } from 'vitest';
import { sparseNormal, spec } from '../experiments/custom-initializer.ts';
import type { AutoencoderSpec } from '../plugins/studies/autoencoder-init/spec.ts';
import { studyKindOf, validateSpec } from '../src/experiment/validate.ts';
import { Rng } from '../src/tensor/rng.ts';
import 'nmfinit/plugins';

// The README's "Write an initializer plugin" example is this file, verbatim; this test keeps
// the example true: it registers, passes the plugin-author checks, and its experiment validates.
describe('the README plugin example', () => {
  it('is quoted verbatim in README.md', () => {
    const source = readFileSync(new URL('../experiments/custom-initializer.ts', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(source.trim());
  });

  it('registers on import and passes checkInitializer', async () => {
    expect(initializers.get('sparse-normal')).toBe(sparseNormal);
    await checkInitializer(sparseNormal, { numRuns: 20 });
  });

  it('gives each unit exactly min(nonZero, fanIn) non-zero weights', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 30 }),
        (fanIn, fanOut, nonZero) => {
          const [w] = sparseNormal.init({
            layers: [{ index: 0, fanIn, fanOut, activation: 'relu' }],
            params: { nonZero, gain: 1 },
            rng: Rng.seeded(1),
          }) as { kernel: Float32Array }[];
          for (let unit = 0; unit < fanOut; unit++) {
            let count = 0;
            for (let i = 0; i < fanIn; i++) if (w.kernel[i * fanOut + unit] !== 0) count++;
            expect(count).toBe(Math.min(nonZero, fanIn));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('its experiment spec validates', () => {
    const validated = validateSpec(studyKindOf(spec), spec) as AutoencoderSpec;
    expect(validated.initializers.map((i) => i.name)).toEqual(['sparse-normal', 'nmf', 'glorot-normal']);
  });
});

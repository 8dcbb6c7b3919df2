import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeDifferences } from '../src/experiment/config-diff.ts';

// The "another configuration" messages name the fields that differ (issue 22).
describe('describeDifferences', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const key = fc.stringMatching(/^[a-z]{1,6}$/);
  const config = fc.dictionary(key, json, { minKeys: 1, maxKeys: 6 });

  it('finds no difference between a value and a copy of it', () => {
    fc.assert(fc.property(json, (v) => describeDifferences(v, structuredClone(v)) === 'no field differs'));
  });

  it('names exactly the one leaf that changed, with both values', () => {
    fc.assert(
      fc.property(config, fc.nat(), fc.integer(), (a, pick, value) => {
        const keys = Object.keys(a).sort();
        const k = keys[pick % keys.length];
        const b = { ...structuredClone(a), [k]: { changed: value } };
        const was = { ...structuredClone(a), [k]: { changed: value + 1 } };
        expect(describeDifferences(was, b)).toBe(`${k}.changed: ${value + 1} → ${value}`);
      }),
    );
  });

  it('walks nested objects and arrays, marks absent fields, and shortens the list', () => {
    const a = { training: { batchSize: 32, layers: [64, 32] }, seed: 0, name: 'a' };
    const b = { training: { batchSize: 64, layers: [64, 16] }, seed: 0, extra: true, name: 'a' };
    expect(describeDifferences(a, b)).toBe(
      'extra: (absent) → true, training.batchSize: 32 → 64, training.layers[1]: 32 → 16',
    );
    expect(describeDifferences(a, b, 1)).toBe('extra: (absent) → true and 2 more');
    expect(describeDifferences([1, 2], [1, 2, 3])).toBe('(the whole value): [1,2] → [1,2,3]');
    expect(describeDifferences({ s: 'x'.repeat(100) }, { s: 'y' })).toMatch(/^s: "x{36}… → "y"$/);
  });
});

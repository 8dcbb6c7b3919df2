import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ACTIVATION_RULES, ACTIVATIONS } from '../src/backend/activations.ts';
import { getBackend, listBackends, parseBackendName } from '../src/backend/index.ts';
import { kernelsOf, referenceKernels } from '../src/backend/kernels.ts';
import { backends } from '../src/backend/registry.ts';
import { parseOrThrow, ValidationError } from '../src/registry/parse.ts';
import { MAX_NAMED_ISSUES } from '../src/registry/zod-errors.ts';
import { Rng } from '../src/tensor/rng.ts';

const available = listBackends()
  .filter((b) => b.available && !b.name.startsWith('gpujs'))
  .map((b) => b.name);

describe('the one activation table', () => {
  it('lists every activation the type allows, each rule named after its key', () => {
    expect([...ACTIVATIONS].sort()).toEqual(['linear', 'relu', 'sigmoid', 'tanh']);
    for (const [name, rule] of Object.entries(ACTIVATION_RULES)) expect(rule.name).toBe(name);
  });

  // Every backend implements every activation of the table: its kernels agree with the rule
  // (within 2 float32 ulps of relative error for the transcendental ones, bit for bit otherwise).
  describe.each(available)('backend %s', (name) => {
    it.each([...ACTIVATIONS])('implements %s forward and backward as the table says', (act) => {
      const kernels = kernelsOf(getBackend(name));
      const rng = Rng.seeded(7);
      const rows = 5;
      const cols = 37;
      const z0 = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 4));
      const bias = Float32Array.from({ length: cols }, () => rng.normal(0, 1));
      const out = z0.slice();
      kernels.biasActivation(out, bias, rows, cols, act);
      const rule = ACTIVATION_RULES[act];
      const tol = act === 'sigmoid' || act === 'tanh' ? 2 ** -22 : 0;
      out.forEach((y, i) => {
        const want = Math.fround(rule.forward(Math.fround(z0[i] + bias[i % cols])));
        expect(Math.abs(y - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
      });
      const g = Float32Array.from({ length: rows * cols }, () => rng.normal(0, 1));
      const gb = g.slice();
      kernels.activationBackward(gb, out, act);
      gb.forEach((v, i) => {
        expect(v).toBeCloseTo(rule.backward(g[i], out[i]), 6);
      });
    });
  });

  it('falls back to the reference for kernels a backend lacks, resolved once per backend', () => {
    const backend = getBackend('reference');
    expect(kernelsOf(backend)).toBe(kernelsOf(backend));
    expect(kernelsOf(backend).mse).toBe(referenceKernels.mse);
  });
});

describe('backends as a registry with parameters', () => {
  it('parses name?key=value into a name and parameters', () => {
    expect(parseBackendName('simd?threads=2')).toEqual({ name: 'simd', params: { threads: '2' } });
    expect(parseBackendName('reference')).toEqual({ name: 'reference', params: {} });
  });

  it('registers every built-in, with a description and a parameter schema', () => {
    expect(backends.names()).toEqual(expect.arrayContaining(['reference', 'simd', 'gpujs']));
  });

  it('creates simd with the threads its name asks for, once per name', () => {
    const two = getBackend('simd?threads=2');
    expect(two.description).toMatch(/2 threads/);
    expect(getBackend('simd?threads=2')).toBe(two);
    expect(getBackend('simd').description).toMatch(/one thread/);
  });

  it('names the bad parameter and the backend', () => {
    expect(() => getBackend('simd?threads=0')).toThrow(/backend 'simd': parameters: threads: /);
    expect(() => getBackend('simd?thread=2')).toThrow(/thread: unknown key/);
    expect(() => getBackend('reference?x=1')).toThrow(/backend 'reference': parameters: x: unknown key/);
    expect(() => getBackend('cuda')).toThrow(/unknown backend 'cuda'/);
  });
});

describe('parseOrThrow', () => {
  const schema = z.object({ a: z.number().int(), b: z.object({ c: z.string() }).strict() }).strict();
  it('returns the parsed value with defaults, or throws naming each bad field', () => {
    expect(parseOrThrow(schema, { a: 1, b: { c: 'x' } }, 'thing')).toEqual({ a: 1, b: { c: 'x' } });
    expect(() => parseOrThrow(schema, { a: 1.5, b: { c: 2, d: 1 } }, 'thing')).toThrow(
      /^thing: a: .*; b\.c: .*; b\.d: unknown key$/,
    );
  });
  it('names the first MAX_NAMED_ISSUES bad fields and counts the rest', () => {
    const many = z.array(z.number());
    const bad = Array.from({ length: MAX_NAMED_ISSUES + 7 }, () => null);
    const message = (() => {
      try {
        parseOrThrow(many, bad, 'records');
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected a throw');
    })();
    expect(message.match(/\[\d+\]: /g)).toHaveLength(MAX_NAMED_ISSUES);
    expect(message).toMatch(/^records: \[0\]: .*; \[9\]: [^;]*; … and 7 more$/);
    // At the cap, nothing is left to count.
    expect(() => parseOrThrow(many, bad.slice(0, MAX_NAMED_ISSUES), 'r')).toThrow(/\[9\]: [^;]*$/);
  });
  it('throws the error class asked for', () => {
    class MyError extends Error {}
    expect(() => parseOrThrow(schema, null, 'x')).toThrow(ValidationError);
    expect(() => parseOrThrow(schema, null, 'x', { error: MyError })).toThrow(MyError);
  });
});

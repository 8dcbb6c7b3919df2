import fc from 'fast-check';
import {
  datasets,
  type InitializerPlugin,
  initializers,
  type PluginBase,
  Registry,
  RegistryError,
  z,
} from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { builtinInitializers } from '../plugins/initializers/index.ts';

/** A fresh registry holding the given plugins, so tests never touch the global ones. */
function registryOf(plugins: readonly InitializerPlugin[]): Registry<InitializerPlugin> {
  const registry = new Registry<InitializerPlugin>('initializer');
  for (const p of plugins) registry.register(p);
  return registry;
}

/** Levenshtein distance by the textbook dynamic programme: the oracle for suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

function errorOf(f: () => unknown): RegistryError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a RegistryError, but nothing was thrown');
}

const names = builtinInitializers.map((p) => p.name);

describe('register, get, list', () => {
  it('one registry per kind', () => {
    expect(initializers).toBeInstanceOf(Registry);
    expect(initializers.kind).toBe('initializer');
    expect(datasets.kind).toBe('dataset');
    expect(initializers).not.toBe(datasets);
  });

  it('any subset registered in any order: get returns the same object, list and names are sorted by name', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(builtinInitializers), (plugins) => {
        const registry = registryOf(plugins);
        for (const p of plugins) {
          expect(registry.has(p.name)).toBe(true);
          expect(registry.get(p.name)).toBe(p);
        }
        const expected = plugins.map((p) => p.name).sort();
        expect(registry.names()).toEqual(expected);
        expect(registry.list().map((p) => p.name)).toEqual(expected);
        for (const n of names.filter((n) => !expected.includes(n))) expect(registry.has(n)).toBe(false);
      }),
    );
  });

  it('register returns the plugin, and a fresh registry knows none', () => {
    const registry = new Registry<InitializerPlugin>('initializer');
    const [first] = builtinInitializers;
    expect(registry.register(first)).toBe(first);
    expect(registry.has(first.name)).toBe(true);
    expect(new Registry<InitializerPlugin>('initializer').has(first.name)).toBe(false);
  });

  it('a name registered twice is an error, and the first plugin stays', () => {
    const registry = registryOf(builtinInitializers);
    const original = registry.get('he-normal');
    const impostor = { ...original, description: 'another he-normal' };
    expect(errorOf(() => registry.register(impostor)).message).toMatch(
      /initializer 'he-normal' is already registered/,
    );
    expect(registry.get('he-normal')).toBe(original);
  });
});

describe('unknown names', () => {
  const registry = registryOf(builtinInitializers);

  it('the error lists every available name and suggests the nearest', () => {
    const message = errorOf(() => registry.get('glorot-normall')).message;
    expect(message).toMatch(/unknown initializer 'glorot-normall'\. Did you mean 'glorot-normal'\?/);
    for (const n of names) expect(message).toContain(n);
  });

  it('one typo away from a name: the suggestion is a nearest name (checked against a DP edit distance)', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz-'.split('');
    const typo = fc
      .tuple(
        fc.constantFrom(...names),
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom('insert', 'delete', 'replace'),
      )
      .map(([name, at, ch, kind]) => {
        const i = at % name.length;
        if (kind === 'insert') return name.slice(0, i) + ch + name.slice(i);
        if (kind === 'delete') return name.slice(0, i) + name.slice(i + 1);
        return name.slice(0, i) + ch + name.slice(i + 1);
      })
      .filter((query) => !names.includes(query));
    fc.assert(
      fc.property(typo, (query) => {
        const message = errorOf(() => registry.get(query)).message;
        const suggested = /Did you mean '([^']+)'\?/.exec(message)?.[1];
        expect(suggested, message).toBeDefined();
        const best = Math.min(...names.map((n) => editDistance(query, n)));
        expect(best).toBeLessThanOrEqual(1);
        expect(editDistance(query, suggested!)).toBe(best);
      }),
      { numRuns: 200 },
    );
  });

  it('no suggestion for a name far from all of them; a clear message when none are registered', () => {
    expect(errorOf(() => registry.get('quantum-annealing-prior')).message).not.toMatch(/Did you mean/);
    const empty = new Registry<InitializerPlugin>('initializer');
    expect(errorOf(() => empty.get('he-normal')).message).toBe(
      "unknown initializer 'he-normal': none are registered",
    );
  });
});

describe('parameters', () => {
  const registry = registryOf(builtinInitializers);

  it('parseParams fills defaults and names the plugin and the bad parameter', () => {
    expect(registry.parseParams(registry.get('random-normal'), { stddev: 2 })).toEqual({
      mean: 0,
      stddev: 2,
    });
    expect(registry.parseParams(registry.get('random-normal'), undefined)).toEqual({ mean: 0, stddev: 0.05 });
    expect(
      errorOf(() => registry.parseParams(registry.get('random-normal'), { stddev: -1 })).message,
    ).toMatch(/^initializer 'random-normal': invalid parameters: params\.stddev: /);
    expect(
      errorOf(() => registry.parseParams(registry.get('variance-scaling'), { mode: 3 })).message,
    ).toMatch(/params\.mode/);
    expect(errorOf(() => registry.parseParams(registry.get('zeros'), { value: 1 })).message).toMatch(
      /params\.value: unknown key/,
    );
  });
});

describe('invalid plugins are rejected at registration', () => {
  const good = {
    name: 'good-one',
    description: 'a fine plugin',
    params: z.object({}).strict(),
    random: true,
    init: () => [],
  };
  const cases: [string, unknown, RegExp][] = [
    [
      'no description',
      { ...good, description: undefined },
      /initializer plugin 'good-one' needs a one-line description/,
    ],
    ['empty description', { ...good, description: '' }, /needs a one-line description/],
    [
      'no params',
      { ...good, params: undefined },
      /initializer plugin 'good-one' needs a zod schema as 'params'/,
    ],
    ['params not a zod schema', { ...good, params: { stddev: 1 } }, /needs a zod schema/],
    ['upper-case name', { ...good, name: 'Glorot' }, /plugin name must be lower-case.*got "Glorot"/],
    ['name with a space', { ...good, name: 'he normal' }, /got "he normal"/],
    ['name starting with a dash', { ...good, name: '-he' }, /got "-he"/],
    ['empty name', { ...good, name: '' }, /got ""/],
    ['no name', { ...good, name: undefined }, /plugin name must be/],
    ['not an object', null, /plugin name must be/],
  ];
  for (const [what, plugin, message] of cases) {
    it(what, () => {
      const registry = new Registry<InitializerPlugin>('initializer');
      expect(errorOf(() => registry.register(plugin as InitializerPlugin)).message).toMatch(message);
      expect(registry.names()).toEqual([]);
    });
  }

  it('the same object with a valid shape registers (the cases above differ only in the broken field)', () => {
    const registry = new Registry<InitializerPlugin>('initializer');
    expect(registry.register(good as unknown as InitializerPlugin).name).toBe('good-one');
  });
});

describe('registry edge cases', () => {
  const make = () => {
    const r = new Registry<PluginBase>('widget');
    r.register({ name: 'glorot-normal', description: 'one line', params: z.object({}).strict() });
    r.register({ name: 'he_normal2', description: 'one line', params: z.object({}).strict() });
    r.register({ name: 'he-normal', description: 'one line', params: z.object({}).strict() });
    return r;
  };

  it('a non-string name is a RegistryError, not a crash', () => {
    expect(() => make().get(undefined as never)).toThrow(RegistryError);
  });

  it('suggests the nearest name case-insensitively', () => {
    expect(() => make().get('GLOROT-NORMAL')).toThrow(/Did you mean 'glorot-normal'\?/);
  });

  it('lists in code-point order, independent of locale', () => {
    expect(make().names()).toEqual(['glorot-normal', 'he-normal', 'he_normal2']);
  });

  it('rejects blank and multi-line descriptions', () => {
    const r = new Registry<PluginBase>('widget');
    expect(() => r.register({ name: 'a', description: '   ', params: z.object({}) })).toThrow(
      /one-line description/,
    );
    expect(() => r.register({ name: 'b', description: 'two\nlines', params: z.object({}) })).toThrow(
      /one-line description/,
    );
  });

  it('names an unknown parameter in the path', () => {
    const r = make();
    expect(() => r.parseParams(r.get('he-normal'), { sigma: 1 })).toThrow(/params\.sigma: unknown key/);
  });
});

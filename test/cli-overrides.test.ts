import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { overridesFromFlags, type RunFlags, withRunOptions } from '../src/cli/run-options.ts';
import { applyCliOverrides, declaredFlags, parseFlagValue } from '../src/experiment/cli-overrides.ts';
import { studies } from '../src/experiment/kinds.ts';
import { loadPluginModules } from '../src/experiment/plugins.ts';
import { applyOverrides } from '../src/experiment/run.ts';
import type { CliOverride } from '../src/experiment/study-kind.ts';
import type { AnyKind } from '../src/experiment/validate.ts';

// The grid flags belong to the kinds that declare them (StudyKind.cliOverrides); the shared CLI
// offers the registered kinds' flags and refuses one the chosen kind does not declare.
beforeAll(() => loadPluginModules([...BUILTIN_PLUGIN_MODULES]));
const kind = (name: string) => studies.get(name) as unknown as AnyKind;

const aeSpec = {
  name: 'ae',
  datasets: [{ name: 'synthetic', label: 'blobs' }, { name: 'mnist' }],
  model: { sizes: [64, 6, 64] },
  initializers: [{ name: 'glorot-normal' }, { name: 'nmf', label: 'nmf-a' }],
  grid: {
    samples: [
      { count: 100, seeds: 3 },
      { count: 200, seeds: 1 },
    ],
    epochs: [3],
  },
  outputs: { dir: 'out' },
};

/** argv → overrides, through the same yargs options and flag mapping as `nmfinit run`. */
function flags(argv: string[]) {
  const parsed = withRunOptions(yargs(argv)).strict().fail(false).parseSync() as RunFlags;
  return overridesFromFlags(parsed);
}

describe('the grid flags the built-in kinds declare', () => {
  it('are the six flags users have, each of one type, with the kinds that take it', () => {
    const d = declaredFlags();
    expect([...d.keys()].sort()).toEqual([
      'datasets',
      'epochs',
      'initializers',
      'latents',
      'samples',
      'seeds',
    ]);
    expect(d.get('latents')).toMatchObject({ type: 'counts', kinds: ['sae'] });
    expect(d.get('datasets')).toMatchObject({ type: 'names', kinds: ['autoencoder-init', 'nmf-data'] });
    expect(d.get('samples')).toMatchObject({ type: 'sizes', kinds: ['autoencoder-init', 'nmf-data'] });
    expect(d.get('seeds')).toMatchObject({ type: 'count', kinds: ['autoencoder-init', 'nmf-data'] });
    expect(d.get('epochs')).toMatchObject({ type: 'counts', kinds: ['autoencoder-init'] });
    expect(d.get('initializers')).toMatchObject({ type: 'names', kinds: ['autoencoder-init'] });
  });

  it('change the autoencoder spec as before: pick by label then name, new counts keep their seeds, --seeds sets all', () => {
    const o = flags([
      '--datasets',
      'mnist',
      'blobs',
      'fashion',
      '--initializers',
      'nmf-a',
      'he-normal',
      '--samples',
      '200',
      'all',
      '--epochs',
      '10',
      '50',
    ]);
    const out = applyOverrides(kind('autoencoder-init'), aeSpec, o) as typeof aeSpec;
    expect(out.datasets).toEqual([
      { name: 'mnist' },
      { name: 'synthetic', label: 'blobs' },
      { name: 'fashion' },
    ]);
    expect(out.initializers).toEqual([{ name: 'nmf', label: 'nmf-a' }, { name: 'he-normal' }]);
    expect(out.grid).toEqual({
      samples: [
        { count: 200, seeds: 1 },
        { count: 'all', seeds: 1 },
      ],
      epochs: [10, 50],
    });
    // --seeds applies after --samples whatever the order on the command line.
    const seeded = applyOverrides(
      kind('autoencoder-init'),
      aeSpec,
      flags(['--seeds', '4', '--samples', '100']),
    ) as typeof aeSpec;
    expect(seeded.grid.samples).toEqual([{ count: 100, seeds: 4 }]);
    expect(aeSpec.grid.samples[0].seeds).toBe(3); // the spec given is not changed
  });

  it('refuse a flag the chosen kind does not declare, naming the flag, the kind and the kinds that take it', () => {
    expect(() =>
      applyOverrides(kind('shallow-pca'), { kind: 'shallow-pca' }, flags(['--epochs', '3'])),
    ).toThrow(
      "--epochs: not supported by study kind 'shallow-pca' (it takes no grid flags); --epochs is a flag of 'autoencoder-init'",
    );
    expect(() => applyOverrides(kind('sae'), { kind: 'sae' }, flags(['--epochs', '3']))).toThrow(
      "--epochs: not supported by study kind 'sae' (its grid flags: --latents); --epochs is a flag of 'autoencoder-init'",
    );
    expect(() =>
      applyOverrides(kind('nmf-data'), { kind: 'nmf-data' }, { grid: { initializers: ['nmf'] } }),
    ).toThrow(
      "--initializers: not supported by study kind 'nmf-data' (its grid flags: --datasets, --samples, --seeds); --initializers is a flag of 'autoencoder-init'",
    );
    expect(() => applyOverrides(kind('sae'), {}, { grid: { frobs: ['x'] } })).toThrow(
      /--frobs: .* no study kind declares it/,
    );
    // A flag given as undefined is a flag not given.
    expect(applyOverrides(kind('sae'), { a: 1 }, { grid: { epochs: undefined } })).toEqual({ a: 1 });
  });

  it('check values by type with the messages users know', () => {
    expect(() => applyOverrides(kind('autoencoder-init'), aeSpec, flags(['--samples', 'many']))).toThrow(
      "--samples takes positive integers or 'all', got 'many'",
    );
    expect(() => applyOverrides(kind('autoencoder-init'), aeSpec, flags(['--epochs', '0']))).toThrow(
      '--epochs takes positive integers, got 0',
    );
    expect(() =>
      applyOverrides(kind('autoencoder-init'), aeSpec, flags(['--seeds', '2', '--seeds', '3'])),
    ).toThrow('--seeds was given 2 times (2, 3); give it once');
    expect(() =>
      applyOverrides(
        kind('nmf-data'),
        { datasets: [{ name: 'mnist' }] },
        { grid: { datasets: ['fashion'] } },
      ),
    ).toThrow('--datasets: fashion not in the spec (it has mnist)');
  });
});

describe('parseFlagValue', () => {
  it('keeps exactly the positive integers (and "all" for sizes), from numbers or their text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: -5, max: 1e6 }), fc.constant('all'), fc.string())),
        (values) => {
          const ok = (v: unknown) =>
            v === 'all' || (Number.isInteger(Number(v)) && Number(v) > 0 && String(v).trim() !== '');
          const asText = values.map(String);
          if (asText.every(ok))
            expect(parseFlagValue('samples', 'sizes', asText)).toEqual(
              asText.map((v) => (v === 'all' ? 'all' : Number(v))),
            );
          else
            expect(() => parseFlagValue('samples', 'sizes', asText)).toThrow(
              /^--samples takes positive integers or 'all', got /,
            );
        },
      ),
    );
  });

  it('refuses two kinds that give one flag two types', () => {
    const a: CliOverride = { flag: 'n', type: 'count', describe: '', apply: (s) => s };
    const b: CliOverride = { flag: 'n', type: 'names', describe: '', apply: (s) => s };
    expect(() =>
      declaredFlags([
        { name: 'a', cliOverrides: [a] },
        { name: 'b', cliOverrides: [b] },
      ]),
    ).toThrow("study kind 'b' declares --n as names, but 'a' declare it as count; one flag has one type");
    expect(applyCliOverrides({ name: 'a', cliOverrides: [a] }, 1, { n: '7' }, [])).toBe(1);
  });
});

describe('a grid flag of a kind that a --plugin module registers', () => {
  const root = mkdtempSync(join(tmpdir(), 'nmfinit-cli-flags-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
  const plugin = new URL('./fixtures/cli-flags/flag-kind.ts', import.meta.url).pathname;
  const nmfinit = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') },
      timeout: 120_000,
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('is offered by `nmfinit run` and reaches that kind; another kind refuses it, naming the kind that takes it', () => {
    const dir = join(root, 'out');
    const spec = join(root, 'flag-demo.json');
    writeFileSync(spec, JSON.stringify({ kind: 'flag-demo', name: 'demo', sizes: [1], outputs: { dir } }));
    const help = nmfinit('run', spec, '--plugin', plugin, '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--sizes\s+the n of each run \[study kinds: flag-demo\]/);
    const r = nmfinit(
      'run',
      spec,
      '--plugin',
      plugin,
      '--sizes',
      '3',
      '7',
      '--workers',
      '1',
      '--progress',
      'none',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'runs')).sort()).toEqual(['n3.json', 'n7.json']);
    const other = join(root, 'shallow.json');
    writeFileSync(
      other,
      JSON.stringify({ kind: 'shallow-pca', name: 'x', outputs: { dir: join(root, 'shallow') } }),
    );
    const refused = nmfinit('run', other, '--plugin', plugin, '--sizes', '3');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /nmfinit: --sizes: not supported by study kind 'shallow-pca' \(it takes no grid flags\); --sizes is a flag of 'flag-demo'/,
    );
    // Without the module, no kind declares it: yargs refuses the unknown flag.
    expect(nmfinit('run', spec, '--sizes', '3').err).toMatch(/Unknown argument: sizes/);
    expect(nmfinit('run', spec, '--plugin', join(root, 'missing.ts')).err).toMatch(
      /^nmfinit: cannot load plugin module '.*missing\.ts'/,
    );
  }, 180_000);
});

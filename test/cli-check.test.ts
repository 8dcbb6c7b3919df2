import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `nmfinit check FILE`: the plugin-author checks from the command line, no test set-up.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-cli-check-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/check/${name}`, import.meta.url).pathname;

function check(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'check', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('nmfinit check', () => {
  it('passes well-behaved plugins: checkInitializer on the initializer, a small load of each dataset split', () => {
    const r = check(fixture('good-plugins.ts'));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      "✓ initializer 'check-fixture-scaled-normal': checkInitializer passed (25 random networks, 3 init calls each)",
      "✓ dataset 'check-fixture-stripes': loads: train 16 and test 16 samples of 4×4, 4 classes, values in [0, 1]",
      '',
      '2 checked, 0 failed',
    ]);
  });

  it('checks only the plugins the file registers, not the built-ins', () => {
    expect(check(fixture('good-plugins.ts')).out).not.toMatch(/glorot|mnist/);
  });

  it("prints checkInitializer's own report and the dataset's contract error, and exits 1", () => {
    const r = check(fixture('broken-plugins.ts'), '--num-runs', '10');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /✗ initializer 'check-fixture-drifting': FAILED\n {4}initializer 'check-fixture-drifting' breaks "same seed gives the same weights" at layer \d+/,
    );
    expect(r.out).toMatch(/\n {6}replay with options \{ seed: -?\d+, path: '[\d:]+' \}/);
    expect(r.out).toMatch(
      /✗ dataset 'check-fixture-too-bright': FAILED\n {4}DatasetError: dataset 'check-fixture-too-bright' \(train\): image 0 pixel 0 is 2, expected a value in \[0, 1\]/,
    );
    expect(r.out).toMatch(/\n2 checked, 2 failed\n/);
  });

  it('passes parameters per plugin with --params, validated by its schema', () => {
    const bad = check(
      fixture('good-plugins.ts'),
      '--params',
      '{"check-fixture-scaled-normal": {"gain": -1}}',
    );
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/✗ initializer 'check-fixture-scaled-normal': FAILED\n.*params\.gain/);
    const small = check(fixture('good-plugins.ts'), '--params', '{"check-fixture-stripes": {"count": 5}}');
    expect(small.code).toBe(0);
    expect(small.out).toContain('loads: train 5 and test 5 samples'); // a split below 16 loads whole
  });

  it("README's command: the plugin example passes", () => {
    const r = spawnSync(
      process.execPath,
      [bin, 'check', 'experiments/custom-initializer.ts', '--num-runs', '8'],
      {
        cwd: new URL('..', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^✓ initializer 'sparse-normal': checkInitializer passed \(8 random networks/);
  });

  it('a file that registers nothing, or cannot be loaded, exits 1 saying so', () => {
    const nothing = check(fixture('registers-nothing.ts'));
    expect(nothing.code).toBe(1);
    expect(nothing.out).toMatch(/registers-nothing\.ts registered no plugins/);
    const missing = check(join(root, 'missing.ts'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nmfinit: cannot load plugin module '.*missing\.ts'/);
  });
});

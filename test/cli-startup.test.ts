import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, commandName, requestedCommand } from '../src/cli/command-table.ts';

// What a user meets first: `--version`, `--help`, `plugins`, `datasets NAME`, through the bin in a
// separate Node process.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-cli-startup-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
const tracer = new URL('./helpers/import-trace.mjs', import.meta.url).pathname;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function nmfinit(args: string[], nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache'), ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The source files (src/, plugins/) and packages a command line loads. */
function importsOf(args: string[]) {
  const trace = join(root, `trace-${args.join('_').replace(/\W/g, '')}.txt`);
  const r = nmfinit(args, ['--import', tracer], { NMFINIT_IMPORT_TRACE: trace });
  expect(r.code).toBe(0);
  const urls = readFileSync(trace, 'utf8').trim().split('\n');
  const here = new URL('..', import.meta.url).href;
  const sources = urls
    .filter((u) => u.startsWith(here) && !u.includes('/node_modules/'))
    .map((u) => u.slice(here.length));
  const packages = new Set(urls.flatMap((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  return { sources: [...new Set(sources)], packages };
}

describe('--version', () => {
  it("prints package.json's version and exits 0, alone or after a command", () => {
    for (const args of [['--version'], ['plugins', '--version']]) {
      const r = nmfinit(args);
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(version);
      expect(r.err).toBe('');
    }
  });
});

describe('start-up: --help and --version load no command, engine or plugin', () => {
  it('--help loads only the CLI entry, its command table and the plugin loader (with its module importer)', () => {
    const { sources, packages } = importsOf(['--help']);
    expect(sources.sort()).toEqual(
      [
        'bin/nmfinit.js',
        'src/cli/builtins.ts',
        'src/cli/command-table.ts',
        'src/cli/main.ts',
        'src/experiment/module-import.ts',
        'src/experiment/plugins.ts',
      ].sort(),
    );
    for (const heavy of ['zod', 'vega', 'vega-lite', 'pngjs', 'ml-matrix', 'fast-check', 'gpu.js'])
      expect(packages.has(heavy)).toBe(false);
  });

  it('--version alone loads nothing but the bin (not even tsx)', () => {
    const { sources, packages } = importsOf(['--version']);
    expect(sources).toEqual(['bin/nmfinit.js']);
    expect(packages.size).toBe(0);
  });

  it('--help lists every command with the description its module declares', async () => {
    const r = nmfinit(['--help']);
    expect(r.code).toBe(0);
    for (const entry of COMMANDS) {
      expect(r.out).toContain(`nmfinit ${entry.command}`);
      const module = await entry.load([]);
      expect([module.command, module.describe]).toEqual([entry.command, entry.describe]);
    }
  });

  it('a command line asks for the command named by its first non-option word', () => {
    expect(requestedCommand(['--help'])).toBeUndefined();
    expect(requestedCommand(['frobnicate'])).toBeUndefined();
    expect(requestedCommand(['run', 'x.json', '--quick'])?.command).toBe('run <spec>');
    expect(requestedCommand(['--progress', 'plain', 'report', 'dir'])?.command).toBe('report <dirs..>');
    expect(requestedCommand(['run', 'report'])?.command).toBe('run <spec>');
    expect(COMMANDS.map(commandName)).toEqual([
      'run',
      'report',
      'view',
      'plugins',
      'datasets',
      'backends',
      'slurm',
      'check',
    ]);
  });
});

describe('what the commands print', () => {
  it('plugins gives every parameter a real type: unions, literals and arrays, no `any`', () => {
    const r = nmfinit(['plugins']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/randomState: integer\|"run" = 0/);
    expect(r.out).toMatch(/alphaH: number\|"same" = "same"/);
    expect(r.out).toMatch(/sizes: integer\[\] \(required\)/);
    expect(r.out).toMatch(/solvers: \("cd"\|"mu"\)\[\] = \["cd"\]/);
    expect(r.out).not.toMatch(/: any\b/);
  });

  it('backends gives every unavailable backend its reason', () => {
    const r = nmfinit(['backends']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter((l) => /^[✓✗] /.test(l));
    expect(lines.some((l) => l.startsWith('✓ reference'))).toBe(true);
    const all = r.out.split('\n');
    all.forEach((line, i) => {
      if (line.startsWith('✗')) expect(all[i + 1]).toMatch(/^\s+not available: \S.{10,}/);
      if (line.startsWith('✓')) expect(all[i + 1] ?? '').not.toMatch(/not available/);
    });
    expect(r.out).toMatch(/gpujs:webgl2[^\n]*\n\s+not available: webgl2 exists only in a browser/);
  });

  it('datasets mnist prints one row per class: label, count and share per split', () => {
    const r = nmfinit(['datasets', 'mnist', '--limit', '100']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    const table = lines.slice(lines.findIndex((l) => l.startsWith('label')));
    expect(table[0]).toMatch(/^label\s+train\s+test$/);
    expect(table).toHaveLength(11);
    let trainTotal = 0;
    table.slice(1).forEach((row, c) => {
      const m = /^\s+(\d) +(\d+) \( ?(\d+\.\d)%\) +(\d+) \( ?(\d+\.\d)%\)$/.exec(row);
      expect(m, row).not.toBeNull();
      expect(Number(m![1])).toBe(c);
      expect(Number(m![3])).toBeCloseTo(Number(m![2]), 1); // of 100 samples, count = percent
      trainTotal += Number(m![2]);
    });
    expect(trainTotal).toBe(100);
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { loadStudy, writeReport } from '../src/experiment/study.ts';
import {
  nmfinitProvenance,
  provenanceLine,
  provenanceOf,
  stampProvenance,
} from '../src/report/provenance.ts';
import { tinyNmfIdentitySpec } from './helpers/tiny-studies.ts';

// Which nmfinit wrote a report: package.json's version and `git rev-parse HEAD` of nmfinit's own
// checkout (null outside one), in every kind's results.json and report.md.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-prov-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const repo = join(import.meta.dirname, '..');
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

describe('provenanceOf', () => {
  it('this checkout: the package version and HEAD', () => {
    const p = nmfinitProvenance();
    expect(p.version).toBe(version);
    expect(p.commit).toBe(git(repo, 'rev-parse', 'HEAD'));
    expect(typeof p.dirty).toBe('boolean');
  });

  it('a package outside any checkout: its version, commit and dirty null', () => {
    const dir = join(root, 'installed');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nmfinit', version: '9.8.7' }));
    expect(provenanceOf(dir)).toEqual({ version: '9.8.7', commit: null, dirty: null });
  });

  it('a package inside someone else’s repository is not that repository’s commit', () => {
    const outer = join(root, 'outer');
    mkdirSync(join(outer, 'node_modules', 'nmfinit'), { recursive: true });
    git(outer, 'init', '-q');
    const dir = join(outer, 'node_modules', 'nmfinit');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nmfinit', version: '1.0.0' }));
    expect(provenanceOf(dir).commit).toBeNull();
  });

  it('its own fresh checkout: the commit, and dirty once a tracked file changes', () => {
    const dir = join(root, 'checkout');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nmfinit', version: '0.0.1' }));
    git(dir, 'init', '-q');
    git(dir, 'add', 'package.json');
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x']);
    const head = git(dir, 'rev-parse', 'HEAD');
    expect(provenanceOf(dir)).toEqual({ version: '0.0.1', commit: head, dirty: false });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nmfinit', version: '0.0.2' }));
    expect(provenanceOf(dir)).toEqual({ version: '0.0.2', commit: head, dirty: true });
  });

  it('never throws: an unreadable package or no package at all gives version unknown', () => {
    const dir = join(root, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ not json');
    expect(provenanceOf(dir)).toEqual({ version: 'unknown', commit: null, dirty: null });
    expect(provenanceOf(null)).toEqual({ version: 'unknown', commit: null, dirty: null });
  });
});

describe('stampProvenance', () => {
  const p = { version: '1.2.3', commit: 'a'.repeat(40), dirty: true };
  it('puts nmfinit after schema in an object results.json, ends report.md with one Provenance section, and stamping twice changes nothing', () => {
    const results = join(root, 'results.json');
    const md = join(root, 'report.md');
    writeFileSync(results, JSON.stringify({ schema: 's/1', rows: [1, 2] }));
    writeFileSync(md, '# Title\n\ntext\n');
    stampProvenance(results, md, ['metrics.csv'], p);
    const once = [readFileSync(results, 'utf8'), readFileSync(md, 'utf8')];
    expect(Object.keys(JSON.parse(once[0]))).toEqual(['schema', 'nmfinit', 'rows']);
    expect(JSON.parse(once[0]).nmfinit).toEqual(p);
    expect(once[1]).toBe(
      `# Title\n\ntext\n\n## Provenance\n\nWritten by nmfinit 1.2.3, commit aaaaaaaaaaaa (with uncommitted changes).\n\nAlso written:\n- metrics.csv\n`,
    );
    stampProvenance(results, md, ['metrics.csv'], p);
    expect([readFileSync(results, 'utf8'), readFileSync(md, 'utf8')]).toEqual(once);
  });

  it('leaves a results.json that is not an object as it is', () => {
    const results = join(root, 'array.json');
    const md = join(root, 'array.md');
    writeFileSync(results, '[1,2]');
    writeFileSync(md, '# T');
    stampProvenance(results, md, [], p);
    expect(readFileSync(results, 'utf8')).toBe('[1,2]');
    expect(readFileSync(md, 'utf8')).toContain(provenanceLine(p));
  });

  it('says so outside a checkout', () => {
    expect(provenanceLine({ version: '1.0.0', commit: null, dirty: null })).toBe(
      'nmfinit 1.0.0, not from a git checkout',
    );
  });
});

describe('every kind’s report carries it (stamped by the shared writeReport)', () => {
  const dir = join(root, 'nmfid');
  beforeAll(async () => {
    await runExperiment(tinyNmfIdentitySpec(dir), {
      plugins: [...BUILTIN_PLUGIN_MODULES],
      progress: 'none',
      workers: 1,
      cacheDir: join(root, 'cache'),
      log: () => {},
    });
  }, 60_000);

  it('nmf-identity: results.json and report.md name the version and commit, also after `nmfinit report`', async () => {
    for (let i = 0; i < 2; i++) {
      const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
      expect(results.schema).toBe('nmfinit.nmf-identity/1');
      expect(results.nmfinit).toEqual(nmfinitProvenance());
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(md.match(/## Provenance/g)).toHaveLength(1);
      expect(md).toContain(
        `Written by nmfinit ${version}, commit ${git(repo, 'rev-parse', 'HEAD').slice(0, 12)}`,
      );
      await writeReport(loadStudy([dir]), { log: () => {} });
    }
  });
});

// Experiment files outside the repository (issue 21, items 7 and 10): a TypeScript file in a
// folder that no "type": "module" package claims loads as an ES module, exactly as inside the
// repository (a valid one runs; one without an export says "exports no experiment spec"), and a
// file whose top-level await never settles is named when Node gives up on it (exit code 13).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const outside = mkdtempSync(join(tmpdir(), 'nmfinit-outside-'));
afterAll(() => rmSync(outside, { recursive: true, force: true }));
const cli = resolve('bin/nmfinit.js');

function nmfinit(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const validExperiment = (dir: string) => `import { defineExperiment, runIfMain } from 'nmfinit';

export const spec = defineExperiment({
  kind: 'nmf-identity',
  name: 'outside',
  sizes: [6],
  ranks: [2],
  seeds: 1,
  maxIter: 10,
  outputs: { dir: ${JSON.stringify(dir)} },
});

await runIfMain(import.meta.url, spec);
`;

describe('a .ts experiment outside the repository', () => {
  it('with no package.json above it, loads as an ES module and runs (also in the worker)', () => {
    expect(existsSync(join(outside, 'package.json'))).toBe(false);
    const file = join(outside, 'valid.ts');
    const out = join(outside, 'out');
    writeFileSync(file, validExperiment(out));
    const r = nmfinit('run', file, '--workers', '1', '--progress', 'none');
    expect(r.stderr).not.toContain('Cannot require');
    expect(r.status).toBe(0);
    expect(readdirSync(join(out, 'runs'))).toEqual(['n6__k2__cd__random__seed0.json']);
  }, 120_000);

  it('with no export, says "exports no experiment spec", as the same file inside the repository does', () => {
    const inside = resolve('test/fixtures/loading/no-export.ts');
    const copy = join(outside, 'no-export.ts');
    copyFileSync(inside, copy);
    const a = nmfinit('run', inside);
    const b = nmfinit('run', copy);
    expect(a.status).toBe(1);
    expect(b.status).toBe(1);
    expect(a.stderr).toContain(`'${inside}' exports no experiment spec`);
    expect(b.stderr.replaceAll(copy, inside)).toBe(a.stderr);
    expect(b.stderr.match(/received undefined/g)).toBeNull();
  }, 120_000);

  it('whose top-level await never settles: exit code 13 and the file named', () => {
    const file = join(outside, 'hang.ts');
    writeFileSync(file, 'await new Promise(() => {});\nexport const spec = {};\n');
    const r = nmfinit('run', file);
    expect(r.status).toBe(13);
    expect(r.stderr).toContain(`${file} was still loading when Node exited`);
    expect(r.stderr).toContain('top-level await never settled');
  }, 120_000);
});

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The nmfinit bin as a user runs it: a separate Node process through bin/nmfinit.js.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;

function nmfinit(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tinySpec = (dir: string) => ({
  name: 'cli-tiny',
  datasets: [
    {
      name: 'synthetic',
      label: 'blobs',
      params: { height: 8, width: 8, trainCount: 100, testCount: 20, classes: 3 },
    },
  ],
  model: { sizes: [64, 8, 64] },
  initializers: [{ name: 'glorot-uniform' }, { name: 'zeros' }],
  training: { batchSize: 16 },
  grid: { samples: [{ count: 60, seeds: 1 }], epochs: [2] },
  backend: 'reference',
  outputs: { dir },
});

describe('the nmfinit command', () => {
  it('--help lists the commands', () => {
    const r = nmfinit('--help');
    expect(r.code).toBe(0);
    for (const c of ['run <spec>', 'report <dirs..>', 'plugins', 'datasets', 'backends', 'check <files..>'])
      expect(r.out).toContain(c);
  });

  it('plugins lists every built-in with its parameters and defaults', () => {
    const r = nmfinit('plugins');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nmf .*\n\s+solver: "cd"\|"mu" = "cd"/);
    expect(r.out).toMatch(/random-normal .*\n\s+mean: number = 0, stddev: number = 0.05/);
    expect(r.out).toContain('fashion-mnist');
    // Study kinds with their spec fields, and backends with their parameters.
    expect(r.out).toMatch(/study kinds:\n\s+autoencoder-init .*\n\s+.*datasets: object\[\]/);
    expect(r.out).toMatch(/nmf-identity .*\n\s+.*sizes: integer\[\].*ranks: integer\[\]/);
    expect(r.out).toMatch(/simd .*\n\s+threads: integer = 1/);
  });

  it('runs a JSON spec, prints a line per finished run, and writes the report', () => {
    const dir = join(root, 'out');
    const spec = join(root, 'spec.json');
    writeFileSync(spec, JSON.stringify(tinySpec(dir)));
    const r = nmfinit('run', spec, '--workers', '1', '--progress', 'plain');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[1\/2\] blobs__60__\S+__seed0: val /);
    expect(r.out).toMatch(/\[2\/2\]/);
    for (const f of ['report.md', 'results.json', 'blobs_loss_60_2.png', 'blobs_reconstruction_60_2.png']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    // report rewrites the same report from the stored runs
    rmSync(join(dir, 'report.md'));
    const again = nmfinit('report', dir);
    expect(again.code).toBe(0);
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toContain(
      '### blobs — 60 training samples, 2 epochs',
    );
  });

  it('flags override the spec: --initializers narrows the grid', () => {
    const dir = join(root, 'narrow');
    const spec = join(root, 'spec2.json');
    writeFileSync(spec, JSON.stringify(tinySpec(dir)));
    const r = nmfinit('run', spec, '--initializers', 'zeros', '--epochs', '1', '--progress', 'plain');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[1\/1\] blobs__60__zeros__seed0/);
  });

  it('a bad spec exits 1 with an error naming the field, before training', () => {
    const dir = join(root, 'bad');
    const spec = join(root, 'bad.json');
    writeFileSync(spec, JSON.stringify({ ...tinySpec(dir), training: { batchSize: 0 } }));
    const r = nmfinit('run', spec);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training\.batchSize: Too small/);
    expect(existsSync(join(dir, 'runs'))).toBe(false);
  });

  it('Ctrl-C keeps the finished runs, and the same command resumes from them', async () => {
    const dir = join(root, 'interrupted');
    const spec = join(root, 'long.json');
    // Runs of a second or so each on the reference backend, one worker: time to interrupt.
    const long = {
      ...tinySpec(dir),
      model: { sizes: [64, 48, 64] },
      grid: { samples: [{ count: 100, seeds: 6 }], epochs: [60] },
    };
    writeFileSync(spec, JSON.stringify(long));
    const child = spawn(process.execPath, [bin, 'run', spec, '--workers', '1', '--progress', 'plain'], {
      env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') },
    });
    let out = '';
    let err = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (!sent && /\[\s*1\/12\]/.test(out)) sent = child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(out).toMatch(
      /SIGINT: interrupted cli-tiny in .* while running blobs__\S+ \(each resumes from its last checkpoint, if it has one\); finished runs are saved; run the same command again to resume/,
    );
    expect(err).not.toMatch(/Error/);
    const finished = readdirSync(join(dir, 'runs')).filter((f) => f.endsWith('.json'));
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(finished.length).toBeLessThan(12);
    // No half-written files: every stored run parses.
    for (const f of finished)
      expect(JSON.parse(readFileSync(join(dir, 'runs', f), 'utf8')).schema).toBe('nmfinit.run/2');
    const resumed = nmfinit('run', spec, '--workers', '1', '--progress', 'plain', '--epochs', '60');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain(
      `${12 - finished.length} run(s) to train, ${finished.length} already stored (skipped)`,
    );
  }, 180_000);

  it('bad flags and files get clear errors', () => {
    expect(nmfinit('run', join(root, 'missing.json')).err).toMatch(/cannot read spec file '.*missing\.json'/);
    writeFileSync(join(root, 'broken.json'), '{ "name": ');
    expect(nmfinit('run', join(root, 'broken.json')).err).toMatch(/is not valid JSON/);
    writeFileSync(join(root, 'ok.json'), JSON.stringify(tinySpec(join(root, 'x'))));
    expect(nmfinit('run', join(root, 'ok.json'), '--shard', '3/2').err).toMatch(
      /--shard must look like i\/n/,
    );
    expect(nmfinit('run', join(root, 'ok.json'), '--samples', 'many').err).toMatch(
      /--samples takes positive integers or 'all', got 'many'/,
    );
    expect(nmfinit('frobnicate').code).toBe(1);
  });
});

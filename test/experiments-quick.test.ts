import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// End to end: every experiment file as a user runs it, `npx tsx experiments/<file>.ts --quick`,
// in its own process, through the CLI, the kind's quick hook, the worker pool and the report.
// Files of the autoencoder kinds are narrowed further with the CLI's own flags so the whole set
// stays a few CPU-minutes in CI; the other kinds run their quick hook whole.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-quick-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const experimentsDir = new URL('../experiments/', import.meta.url).pathname;
const tsx = new URL('../node_modules/.bin/tsx', import.meta.url).pathname;

const narrowAutoencoder = ['--datasets', 'mnist', '--initializers', 'nmf', 'he-normal', '--epochs', '2'];
/** Extra flags per experiment file; every file in experiments/ must be listed here. */
const FILES: Record<string, string[]> = {
  'mnist.ts': narrowAutoencoder,
  'quick.ts': narrowAutoencoder,
  'nmf-variants.ts': ['--datasets', 'mnist', '--epochs', '2'],
  'custom-initializer.ts': ['--datasets', 'mnist', '--epochs', '2'],
  'data-init.ts': ['--datasets', 'mnist', '--initializers', 'he-normal', 'pca', 'lsuv', '--epochs', '2'],
  'pca-start.ts': [
    '--datasets',
    'mnist',
    '--initializers',
    'he-normal',
    'pca',
    'pca-affine',
    '--epochs',
    '2',
  ],
  'custom-study-kind.ts': [],
  'nmf-identity.ts': [],
  'shallow-pca.ts': [],
  'nmf-parts.ts': ['--datasets', 'mnist'],
  'sae.ts': [],
  'sae-reference.ts': [],
  'shallow-authors.ts': [],
};

/** What a file's quick report must also say, beyond the checks every file gets. */
const REPORT_MUST_MATCH: Record<string, RegExp[]> = {
  // The generated target verdict of issue 24, with its start-against-PCA and own-start conditions.
  'pca-start.ts': [
    /^## Target$/m,
    /\*\*pca-affine\*\* — target /,
    /Epoch 0 against PCA: mnist_digit /,
    /against its own start/,
  ],
  // Issue 23's paper plots (PCA-m lines, overlap matrices over time) and the authors' tied gradient.
  'shallow-authors.ts': [
    /!\[learning curves\]\(curves-spiked500\.png\)/,
    /!\[overlap matrices\]\(overlap-matrix-spiked500\.png\)/,
    /Tied weights step along the encoder's use of W alone/,
  ],
};

/** Experiments running at once: two, one a core (each trains with --workers 1 and waits on it). */
const SLOTS = 2;
let free = SLOTS;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (free > 0) free--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}

function runQuick(file: string, extra: string[]) {
  const out = join(root, file.replace(/\.ts$/, ''));
  return slot(
    () =>
      new Promise<{ out: string; code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
        const child = spawn(
          tsx,
          [
            join(experimentsDir, file),
            '--quick',
            '--out',
            out,
            '--workers',
            '1',
            '--progress',
            'none',
            ...extra,
          ],
          { env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') }, timeout: 240_000 },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ out, code, stderr, stdout }));
      }),
  );
}

describe('every experiment file runs end to end with --quick', () => {
  it('lists every file in experiments/', () => {
    const files = readdirSync(experimentsDir).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(Object.keys(FILES).sort());
  });

  // Concurrent, SLOTS at a time: the files are independent processes (their shared cache
  // directory is written atomically), and one at a time left a core idle.
  for (const [file, extra] of Object.entries(FILES)) {
    it.concurrent(`${file} --quick writes a report from its stored runs`, { timeout: 300_000 }, async ({
      expect,
    }) => {
      const r = await runQuick(file, extra);
      expect(r.stderr.trim() === '' ? r.code : `${r.code}\n${r.stderr}`).toBe(0);
      const report = readFileSync(join(r.out, 'report.md'), 'utf8');
      expect(report).toMatch(/^(# \S|\| )/m); // a heading or a table
      expect(() => JSON.parse(readFileSync(join(r.out, 'results.json'), 'utf8'))).not.toThrow();
      const runs = readdirSync(join(r.out, 'runs')).filter((f) => f.endsWith('.json'));
      expect(runs.length).toBeGreaterThan(0);
      expect(existsSync(join(r.out, 'failed')) ? readdirSync(join(r.out, 'failed')) : []).toEqual([]);
      for (const pattern of REPORT_MUST_MATCH[file] ?? []) expect(report).toMatch(pattern);
      // Every image the report links to exists.
      for (const [, img] of report.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g))
        expect(existsSync(join(r.out, img))).toBe(true);
    });
  }
});

// Every cache whose content feeds a number is verified before use (issue 21, item 2): compiled
// kernels, NMF factors, PCA fits and dataset caches. A file with one bit flipped is reported once
// (not once per look, nor once per worker) and rebuilt, and the numbers equal a clean run's.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedFitPca } from '../src/analysis/pca-cache.ts';
import { cachedSplitPath, loadOrBuildCachedSplit } from '../src/data/binary-cache.ts';
import { cachedNmf } from '../src/nmf/cache.ts';
import { identityMatrix } from '../src/nmf/matrix.ts';
import { Rng } from '../src/tensor/rng.ts';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-reliability-caches-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Flips one bit of the file, `at` its length (a fraction), as a disk error or a tamperer would. */
function flipBit(path: string, at = 0.5, bit = 3): void {
  const bytes = readFileSync(path);
  bytes[Math.floor(bytes.length * at)] ^= 1 << bit;
  writeFileSync(path, bytes);
}

function child(cacheDir: string, out: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/wasm-study-child.ts', cacheDir, out],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
}

const cacheWarnings = (stderr: string, what: string) =>
  stderr.split('\n').filter((l) => l.includes(`${what} cache:`));

describe('compiled-kernel cache (<cache>/wasm)', () => {
  it('a bit flipped or two bytes swapped in a cached module: same losses as a clean run, one warning, then none', async () => {
    const cacheDir = join(root, 'wasm-cache');
    const clean = await child(cacheDir, join(root, 'wasm-clean'));
    expect(cacheWarnings(clean.stderr, 'wasm')).toEqual([]);
    const expected = JSON.parse(clean.stdout);
    expect(expected.length).toBe(6);
    const simdFile = readdirSync(join(cacheDir, 'wasm')).find((f) => /^simd-.*\.wasmc$/.test(f));
    expect(simdFile).toBeDefined();
    const path = join(cacheDir, 'wasm', simdFile as string);

    // One bit in the module's code (the middle of the file is past the header).
    flipBit(path, 0.6);
    const flipped = await child(cacheDir, join(root, 'wasm-flipped'));
    expect(JSON.parse(flipped.stdout)).toEqual(expected);
    const warnings = cacheWarnings(flipped.stderr, 'wasm');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toContain('checksum mismatch');

    // Two bytes swapped: the digest catches it too; the rebuilt file is then used without a word.
    const bytes = readFileSync(path);
    const i = Math.floor(bytes.length * 0.7);
    let j = i + 1;
    while (bytes[j] === bytes[i]) j++;
    [bytes[i], bytes[j]] = [bytes[j], bytes[i]];
    writeFileSync(path, bytes);
    const swapped = await child(cacheDir, join(root, 'wasm-swapped'));
    expect(JSON.parse(swapped.stdout)).toEqual(expected);
    expect(cacheWarnings(swapped.stderr, 'wasm')).toHaveLength(1);
    const again = await child(cacheDir, join(root, 'wasm-again'));
    expect(JSON.parse(again.stdout)).toEqual(expected);
    expect(cacheWarnings(again.stderr, 'wasm')).toEqual([]);
  }, 180_000);
});

describe('checksummed caches report a corrupt file once', () => {
  it('NMF factors: one bit flipped is caught, recomputed equal to the clean result, with one message', () => {
    const cacheDir = join(root, 'nmf');
    const x = identityMatrix(12);
    const options = { rank: 4, maxIter: 50, tol: 0 };
    const clean = cachedNmf(x, options, Rng.seeded(1), { cacheDir });
    expect(clean.source).toBe('computed');
    flipBit(clean.path as string);
    const messages: string[] = [];
    const again = cachedNmf(x, options, Rng.seeded(1), { cacheDir, log: (m) => messages.push(m) });
    expect(again.source).toBe('computed');
    expect(Array.from(again.result.W)).toEqual(Array.from(clean.result.W));
    expect(Array.from(again.result.H)).toEqual(Array.from(clean.result.H));
    const unusable = messages.filter((m) => m.includes('recomputing'));
    expect(unusable).toHaveLength(1);
    expect(unusable[0]).toContain(clean.path);
    expect(unusable[0]).toContain('checksum mismatch');
  });

  it('PCA fits: one bit flipped is caught, refitted equal to the clean fit, with one message', () => {
    const cacheDir = join(root, 'pca');
    const rng = Rng.seeded(2);
    const n = 40;
    const d = 6;
    const x = Float32Array.from({ length: n * d }, () => rng.uniform());
    const clean = cachedFitPca(x, n, d, 3, { cacheDir });
    flipBit(clean.path as string);
    const messages: string[] = [];
    const again = cachedFitPca(x, n, d, 3, { cacheDir, log: (m) => messages.push(m) });
    expect(again.source).toBe('computed');
    expect(Array.from(again.pca.components)).toEqual(Array.from(clean.pca.components));
    const unusable = messages.filter((m) => m.includes('refitting'));
    expect(unusable).toHaveLength(1);
    expect(unusable[0]).toContain('checksum mismatch');
  });

  it('dataset caches: one bit flipped is caught and rebuilt from the source, with one message', async () => {
    const cacheDir = join(root, 'datasets');
    const split = {
      pixels: Uint8Array.from({ length: 4 * 9 }, (_, i) => (i * 37) % 256),
      labels: Uint8Array.from([0, 1, 1, 0]),
      imageShape: [3, 3] as [number, number],
      classNames: ['a', 'b'],
    };
    let builds = 0;
    const options = (log?: (m: string) => void) => ({
      cacheDir,
      dataset: 'toy',
      split: 'train' as const,
      key: 'k1',
      build: () => {
        builds++;
        return { train: split, test: split };
      },
      log,
    });
    await loadOrBuildCachedSplit(options());
    flipBit(cachedSplitPath(cacheDir, 'toy', 'train'), 0.8);
    const messages: string[] = [];
    const got = await loadOrBuildCachedSplit(options((m) => messages.push(m)));
    expect(builds).toBe(2);
    expect(Array.from(got.pixels)).toEqual(Array.from(split.pixels));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('checksum mismatch');
  });
});

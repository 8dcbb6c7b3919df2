// The factor cache: a round trip is bit-identical, every input of the result is in the key, and a
// damaged file is detected, reported and replaced — never used.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  cachedNmf,
  decodeNmfResult,
  denseMatrix,
  encodeNmfResult,
  identityMatrix,
  NmfCacheError,
  type NmfResult,
  nmf,
  nmfCacheKey,
  Rng,
} from 'nmfinit';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-cache-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Bit-level equality of every number (toEqual would accept +0 for −0). */
function expectBitIdentical(a: NmfResult, b: NmfResult): void {
  for (const key of ['W', 'H', 'errors'] as const) {
    expect(Buffer.from(b[key].buffer).equals(Buffer.from(a[key].buffer))).toBe(true);
  }
  expect([b.rows, b.cols, b.rank, b.iterations, b.converged]).toEqual([
    a.rows,
    a.cols,
    a.rank,
    a.iterations,
    a.converged,
  ]);
}

const options = { rank: 6, maxIter: 20 };
const rng = Rng.seeded(5).child('layer/0/nmf');
const x = identityMatrix(20);

describe('NMF factor cache', () => {
  it('computes once, then loads bit-identical factors', () => {
    const dir = freshDir();
    const log: string[] = [];
    const first = cachedNmf(x, options, rng, { cacheDir: dir, log: (m) => log.push(m) });
    const second = cachedNmf(x, options, rng, { cacheDir: dir, log: (m) => log.push(m) });
    expect([first.source, second.source]).toEqual(['computed', 'cache']);
    expectBitIdentical(first.result, second.result);
    expectBitIdentical(nmf(x, options, rng), second.result);
    expect(log.some((m) => m.includes('loaded'))).toBe(true);
  });

  it('round-trips any result exactly through encode/decode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 30 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const result = nmf(identityMatrix(n), { rank: 1 + (seed % (n - 1)), maxIter: 3 }, Rng.seeded(seed));
        expectBitIdentical(result, decodeNmfResult(encodeNmfResult(result, 'k'), 'mem', 'k'));
      }),
      { numRuns: 20 },
    );
  });

  it('keys on every input that changes the factors', () => {
    const base = nmfCacheKey(x, options, rng);
    const variants = [
      nmfCacheKey(identityMatrix(21), options, rng),
      nmfCacheKey(x, { ...options, rank: 7 }, rng),
      nmfCacheKey(x, { ...options, solver: 'mu' }, rng),
      nmfCacheKey(x, { ...options, init: 'random' }, rng),
      nmfCacheKey(x, { ...options, tol: 1e-5 }, rng),
      nmfCacheKey(x, { ...options, maxIter: 21 }, rng),
      nmfCacheKey(x, { ...options, targetError: 3 }, rng),
      nmfCacheKey(x, options, Rng.seeded(6).child('layer/0/nmf')),
      nmfCacheKey(x, options, Rng.seeded(5).child('layer/1/nmf')),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    // Spelling out a default does not change the key.
    expect(nmfCacheKey(x, { ...options, solver: 'cd', init: 'nndsvda', tol: 1e-4 }, rng)).toBe(base);
  });

  it('keys a dense X by its values alone', () => {
    const values = Float64Array.from({ length: 12 }, (_, i) => i % 5);
    const inBiggerBuffer = new Float64Array(20);
    inBiggerBuffer.set(values, 4);
    const key = (data: Float64Array) => nmfCacheKey(denseMatrix(3, 4, data), { rank: 2 }, rng);
    expect(key(inBiggerBuffer.subarray(4, 16))).toBe(key(values.slice()));
    expect(key(values.map((v, i) => (i === 7 ? v + 1 : v)))).not.toBe(key(values));
    expect(nmfCacheKey(denseMatrix(4, 3, values), { rank: 2 }, rng)).not.toBe(key(values));
  });

  it('detects any single corrupted byte', () => {
    const result = nmf(x, options, rng);
    const bytes = encodeNmfResult(result, 'key');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const damaged = bytes.slice();
        damaged[at] ^= flip;
        expect(() => decodeNmfResult(damaged, 'f.bin', 'key')).toThrow(NmfCacheError);
      }),
      { numRuns: 200 },
    );
  });

  it('detects any truncation', () => {
    const bytes = encodeNmfResult(nmf(x, options, rng), 'key');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), (length) => {
        expect(() => decodeNmfResult(bytes.subarray(0, length), 'f.bin', 'key')).toThrow(
          /f\.bin: (truncated|checksum)/,
        );
      }),
      { numRuns: 100 },
    );
  });

  it('rejects a file written for another key', () => {
    const bytes = encodeNmfResult(nmf(x, options, rng), 'one key');
    expect(() => decodeNmfResult(bytes, 'f.bin', 'another key')).toThrow(/stale: written for key one key/);
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 100), /checksum mismatch/],
    [
      'corrupted',
      (b: Buffer) => Buffer.from(b.map((v, i) => (i === b.length - 500 ? v ^ 1 : v))),
      /checksum mismatch/,
    ],
    ['empty', () => Buffer.alloc(0), /truncated: expected at least/],
  ])('reports a %s file, recomputes and rewrites it', (_, damage, reason) => {
    const dir = freshDir();
    const good = cachedNmf(x, options, rng, { cacheDir: dir });
    const path = good.path!;
    writeFileSync(path, damage(readFileSync(path)));
    const log: string[] = [];
    const again = cachedNmf(x, options, rng, { cacheDir: dir, log: (m) => log.push(m) });
    expect(again.source).toBe('computed');
    expect(log.find((m) => m.includes(path))).toMatch(reason);
    expectBitIdentical(good.result, again.result);
    // The rewritten file is whole again, and the only file there (written atomically, no leftovers).
    expect(cachedNmf(x, options, rng, { cacheDir: dir }).source).toBe('cache');
    expect(readdirSync(join(dir, 'nmf'))).toHaveLength(1);
  });

  it('does not touch the disk without a cache directory', () => {
    const r = cachedNmf(x, options, rng);
    expect([r.source, r.path]).toEqual(['computed', undefined]);
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  type CachedSplit,
  CacheError,
  cachedSplitPath,
  decodeCachedSplit,
  encodeCachedSplit,
  loadOrBuildCachedSplit,
  type Split,
} from 'nmfinit';
import { afterAll, describe, expect, it } from 'vitest';

const tmp = mkdtempSync(join(tmpdir(), 'nmfinit-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A random split: 0..6 samples of h × w (1..4 each), 1..5 classes, labels below the class count. */
const splitArb: fc.Arbitrary<CachedSplit> = fc
  .record({
    n: fc.integer({ min: 0, max: 6 }),
    h: fc.integer({ min: 1, max: 4 }),
    w: fc.integer({ min: 1, max: 4 }),
    classNames: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
  })
  .chain(({ n, h, w, classNames }) =>
    fc.record({
      pixels: fc.uint8Array({ minLength: n * h * w, maxLength: n * h * w }),
      labels: fc.uint8Array({ min: 0, max: classNames.length - 1, minLength: n, maxLength: n }),
      imageShape: fc.constant([h, w] as const),
      classNames: fc.constant(classNames),
    }),
  );

const same = (a: CachedSplit, b: CachedSplit) => {
  expect([...b.pixels]).toEqual([...a.pixels]);
  expect([...b.labels]).toEqual([...a.labels]);
  expect(b.imageShape).toEqual(a.imageShape);
  expect(b.classNames).toEqual(a.classNames);
};

describe('binary dataset cache', () => {
  it('round-trips any split', () => {
    fc.assert(
      fc.property(splitArb, fc.string(), (split, key) => {
        same(split, decodeCachedSplit(encodeCachedSplit(split, key), 'c', key));
      }),
    );
  });

  it('detects every single-byte corruption, anywhere in the file', () => {
    fc.assert(
      fc.property(splitArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (split, at, flip) => {
        const bytes = encodeCachedSplit(split, 'k');
        const bad = bytes.slice();
        bad[at % bad.length] ^= flip;
        expect(() => decodeCachedSplit(bad, 'c.nmfds')).toThrow(CacheError);
      }),
    );
  });

  it('detects every truncation and every extension', () => {
    fc.assert(
      fc.property(splitArb, fc.nat(), fc.integer({ min: 1, max: 8 }), (split, cut, extra) => {
        const bytes = encodeCachedSplit(split, 'k');
        expect(() => decodeCachedSplit(bytes.subarray(0, cut % bytes.length), 'c')).toThrow(CacheError);
        const longer = new Uint8Array(bytes.length + extra);
        longer.set(bytes);
        expect(() => decodeCachedSplit(longer, 'c')).toThrow(
          /c: checksum mismatch: the file is truncated or corrupt/,
        );
      }),
    );
  });

  it('rejects a cache built from another source', () => {
    const split: CachedSplit = {
      pixels: Uint8Array.of(1, 2),
      labels: Uint8Array.of(0, 0),
      imageShape: [1, 1],
      classNames: ['a'],
    };
    expect(() => decodeCachedSplit(encodeCachedSplit(split, 'old'), 'c', 'new')).toThrow(
      'c: stale: built from source old, expected new',
    );
  });

  it('refuses to encode a label beyond the class names or pixels that do not fit', () => {
    const split: CachedSplit = {
      pixels: Uint8Array.of(1),
      labels: Uint8Array.of(1),
      imageShape: [1, 1],
      classNames: ['a'],
    };
    expect(() => encodeCachedSplit(split, 'k')).toThrow(/label 1 at index 0 is not one of the 1 class names/);
    expect(() => encodeCachedSplit({ ...split, labels: Uint8Array.of(0, 0) }, 'k')).toThrow(
      /2 labels of 1×1 images need 2 pixels, got 1/,
    );
  });

  it('builds once, reads afterwards, and rebuilds a corrupt or truncated file with a log line', async () => {
    const cacheDir = join(tmp, 'load');
    const make = (v: number): Record<Split, CachedSplit> => ({
      train: {
        pixels: Uint8Array.of(v, v + 1),
        labels: Uint8Array.of(0, 1),
        imageShape: [1, 1],
        classNames: ['x', 'y'],
      },
      test: {
        pixels: Uint8Array.of(v + 2),
        labels: Uint8Array.of(1),
        imageShape: [1, 1],
        classNames: ['x', 'y'],
      },
    });
    let builds = 0;
    const logs: string[] = [];
    const load = (split: Split, key = 'k1') =>
      loadOrBuildCachedSplit({
        cacheDir,
        dataset: 'toy',
        split,
        key,
        build: () => make(10 * ++builds),
        log: (m) => logs.push(m),
      });

    same(make(10).train, await load('train'));
    expect(builds).toBe(1);
    expect(logs.at(-1)).toMatch(/toy: no cache at .*toy-train\.nmfds; converting the source once/);
    // The other split was written by the same build.
    same(make(10).test, await load('test'));
    same(make(10).train, await load('train'));
    expect(builds).toBe(1);
    expect(logs).toHaveLength(1);

    const path = cachedSplitPath(cacheDir, 'toy', 'train');
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 1));
    same(make(20).train, await load('train'));
    expect(builds).toBe(2);
    expect(logs.at(-1)).toMatch(
      /toy: rebuilding the cache: .*toy-train\.nmfds: (truncated|checksum mismatch: the file is truncated)/,
    );

    const good = readFileSync(path);
    good[good.length - 1] ^= 1;
    writeFileSync(path, good);
    same(make(30).train, await load('train'));
    expect(logs.at(-1)).toMatch(/checksum mismatch/);

    same(make(40).test, await load('test', 'k2'));
    expect(logs.at(-1)).toMatch(/stale: built from source k1, expected k2/);
    expect(builds).toBe(4);
  });
});

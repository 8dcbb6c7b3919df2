import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fitPca } from '../src/analysis/pca.ts';
import { cachedFitPca, pcaCacheKey } from '../src/analysis/pca-cache.ts';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { runExperiment } from '../src/experiment/run.ts';
import { Rng } from '../src/tensor/rng.ts';
import { tinyAutoencoderSpec } from './helpers/tiny-studies.ts';

// The PCA reference is cached in the cache directory, keyed by the samples and the rank, like the
// NMF factors: a second study on the same data loads it, other data or another rank refit.
const root = mkdtempSync(join(tmpdir(), 'nmfinit-pcacache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const n = 60;
const d = 12;
const x = Rng.seeded(3).fillUniform(new Float32Array(n * d));

describe('cachedFitPca', () => {
  const cacheDir = join(root, 'unit');
  it('computes once, then loads the same numbers bit for bit', () => {
    const log: string[] = [];
    const a = cachedFitPca(x, n, d, 3, { cacheDir, backend: 'reference', log: (m) => log.push(m) });
    const b = cachedFitPca(x, n, d, 3, { cacheDir, backend: 'reference', log: (m) => log.push(m) });
    expect([a.source, b.source]).toEqual(['computed', 'cache']);
    expect(a.path).toBe(b.path);
    const direct = fitPca(x, n, d, 3, { backend: 'reference' });
    for (const p of [a.pca, b.pca]) {
      expect([p.n, p.d, p.rank]).toEqual([n, d, 3]);
      expect(Array.from(p.components)).toEqual(Array.from(direct.components));
      expect(Array.from(p.mean)).toEqual(Array.from(direct.mean));
      expect(Array.from(p.eigenvalues)).toEqual(Array.from(direct.eigenvalues));
    }
    expect(log.map((m) => m.split(':')[1].trim().split(' ')[0])).toEqual(['wrote', 'loaded']);
  });

  it('misses for another subset of the samples, another rank, changed values or another backend', () => {
    const base = pcaCacheKey(x, n, d, 3, { backend: 'reference' });
    const changed = x.slice();
    changed[5] += 1e-3;
    for (const key of [
      pcaCacheKey(x.subarray(0, (n - 1) * d), n - 1, d, 3, { backend: 'reference' }),
      pcaCacheKey(x.subarray(d), n - 1, d, 3, { backend: 'reference' }),
      pcaCacheKey(x, n, d, 2, { backend: 'reference' }),
      pcaCacheKey(changed, n, d, 3, { backend: 'reference' }),
      pcaCacheKey(x, n, d, 3, { backend: 'simd' }),
    ])
      expect(key).not.toBe(base);
    expect(pcaCacheKey(x.slice(), n, d, 3, { backend: 'reference' })).toBe(base);
    expect(cachedFitPca(x.subarray(d), n - 1, d, 3, { cacheDir, backend: 'reference' }).source).toBe(
      'computed',
    );
  });

  it('refits (and says why) when the file is corrupt', () => {
    const first = cachedFitPca(x, n, d, 4, { cacheDir, backend: 'reference' });
    const bytes = readFileSync(first.path!);
    bytes[bytes.length - 40] ^= 0xff;
    writeFileSync(first.path!, bytes);
    const log: string[] = [];
    const again = cachedFitPca(x, n, d, 4, { cacheDir, backend: 'reference', log: (m) => log.push(m) });
    expect(again.source).toBe('computed');
    expect(log[0]).toMatch(/pca cache: .*refitting/);
    expect(Array.from(again.pca.components)).toEqual(Array.from(first.pca.components));
  });
});

describe('the autoencoder study’s PCA reference', () => {
  const cacheDir = join(root, 'study');
  const run = async (dir: string, count: number) => {
    const log: string[] = [];
    const base = tinyAutoencoderSpec(dir);
    await runExperiment(
      {
        ...base,
        initializers: [{ name: 'glorot-uniform' }],
        grid: { samples: [{ count, seeds: 1 }], epochs: [1] },
      },
      {
        plugins: [...BUILTIN_PLUGIN_MODULES],
        progress: 'none',
        workers: 1,
        cacheDir,
        log: (m) => log.push(m),
      },
    );
    return log.filter((m) => m.startsWith('pca cache:'));
  };

  it('a second study with the same cache directory loads it; a different subset of the data misses', async () => {
    const first = await run(join(root, 'a'), 90);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^pca cache: wrote /);
    const second = await run(join(root, 'b'), 90);
    expect(second).toEqual([first[0].replace('wrote', 'loaded')]);
    const other = await run(join(root, 'c'), 60);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatch(/^pca cache: wrote /);
    expect(readdirSync(join(cacheDir, 'pca')).filter((f) => f.endsWith('.bin'))).toHaveLength(2);
    // The reference numbers of the two studies on the same data agree.
    const ref = (dir: string) => readFileSync(join(dir, 'pca', readdirSync(join(dir, 'pca'))[0]), 'utf8');
    const strip = (s: string) => ({ ...JSON.parse(s), seconds: 0 });
    expect(strip(ref(join(root, 'b')))).toEqual(strip(ref(join(root, 'a'))));
  });
});

// Every cache honours the run's cache directory: compiled kernels (simd backend, shallow model,
// NMF sweep) and the `auto` backend choice land under --cache-dir, and nothing under the default
// directory. Its own file: kernels are built once per thread, so an earlier build elsewhere in
// the same file would hide a write to the wrong place.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'nmfinit-cache-dir-'));
const defaultDir = join(root, 'default-cache');
// Set before the modules below are imported: the default directory a stray write would use.
process.env.NMFINIT_CACHE_DIR = defaultDir;
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('--cache-dir', () => {
  it('holds the compiled kernels and the auto-backend choice of a run, and the default directory stays empty', async () => {
    const { BUILTIN_PLUGIN_MODULES } = await import('../src/cli/builtins.ts');
    const { runExperiment } = await import('../src/experiment/run.ts');
    const { defaultCacheDir } = await import('../src/util/files.ts');
    expect(defaultCacheDir()).toBe(defaultDir);
    const cacheDir = join(root, 'mine');
    const outcome = await runExperiment(
      {
        kind: 'shallow-pca',
        name: 'cache-dir',
        datasets: [
          {
            label: 'spiked',
            name: 'spiked-gaussian',
            params: { dim: 8, spikes: [4, 1], trainCount: 200, testCount: 50 },
            trainCount: 200,
            testCount: 50,
            k: 2,
            steps: 40,
            lr: 0.1,
          },
        ],
        model: { activations: ['linear'], tied: [true], biases: [false] },
        seeds: 1,
        records: 3,
        backend: 'auto',
        outputs: { dir: join(root, 'out') },
      },
      { plugins: [...BUILTIN_PLUGIN_MODULES], progress: 'none', workers: 1, cacheDir, log: () => {} },
    );
    expect(outcome.trained).toHaveLength(1);
    expect(existsSync(join(cacheDir, 'auto-backend.json'))).toBe(true);
    const wasm = readdirSync(join(cacheDir, 'wasm'));
    expect(wasm.some((f) => /^simd-[0-9a-f]{24}\.wasmc$/.test(f))).toBe(true);
    expect(wasm.some((f) => /^shallow-[0-9a-f]{24}\.wasmc$/.test(f))).toBe(true);
    expect(existsSync(defaultDir) ? readdirSync(defaultDir, { recursive: true }) : []).toEqual([]);
  }, 60_000);

  it('reaches the NMF sweep through the simd backend that a run creates with it', async () => {
    const { getBackend } = await import('../src/backend/index.ts');
    const { wasmCdSweep } = await import('../src/nmf/cd-sweep-wasm.ts');
    const cacheDir = join(root, 'sweep');
    const backend = getBackend('simd?threads=1', { cacheDir });
    expect(wasmCdSweep(backend)).not.toBeNull();
    expect(readdirSync(join(cacheDir, 'wasm')).some((f) => /^nmf-cd-[0-9a-f]{24}\.wasmc$/.test(f))).toBe(
      true,
    );
    expect(existsSync(defaultDir)).toBe(false);
  });
});

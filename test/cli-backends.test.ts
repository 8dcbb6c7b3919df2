// `nmfinit backends`: every backend with whether it runs here, webgpu with its adapter's name and
// the workloads `auto` times it on.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AutoChoice, BackendListing } from '../src/backend/index.ts';
import { DEVICE_RESIDENT_BACKENDS } from '../src/backend/index.ts';
import { backendsText } from '../src/cli/commands/plugins.ts';
import { webgpuForTests } from './helpers/webgpu.ts';

const entry = (name: string, available: boolean, extra: Partial<BackendListing> = {}): BackendListing => ({
  name,
  description: `${name} backend`,
  priority: 0,
  available,
  reason: available ? '' : `${name} needs X`,
  detail: '',
  ...extra,
});

const NOTE =
  /^ {19}auto considers it only for a dense model's training step \(timed through its device trainer\) and chained NMF mu \(timed on its resident storage\)(, and only through Vulkan \(a GPU\): not on this machine)?$/;

describe('the backends listing (no device needed)', () => {
  const choice: AutoChoice = {
    machine: 'm',
    workload: 'training step 4-2-4 batch 8',
    chosen: 'simd',
    gflops: { simd: 12.345, gpujs: 0.5 },
  };

  it('says where each runs, its measured rate, the pick, and when auto considers a device-resident backend', () => {
    const text = backendsText(
      [
        entry('simd', true),
        entry('webgpu', true, { detail: 'adapter: opengles: llvmpipe' }),
        entry('gpujs', true),
        entry('reference', true),
      ],
      choice,
      ['webgpu'],
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('✓ simd             simd backend (12.35 GFLOP/s)   ← auto');
    expect(lines[1]).toBe('✓ webgpu           webgpu backend');
    expect(lines[2]).toBe(`${' '.repeat(19)}adapter: opengles: llvmpipe`);
    expect(lines[3]).toMatch(NOTE);
    expect(lines[4]).toBe('✓ gpujs            gpujs backend (0.50 GFLOP/s)');
    expect(lines[5]).toBe('✓ reference        reference backend');
    expect(lines.slice(6)).toEqual([
      '',
      'auto: the available backend fastest at a training step 4-2-4 batch 8 (every product of it), measured once per machine and cached.',
    ]);
    expect(text.match(/auto considers it/g)).toHaveLength(1);
  });

  it('says when auto will not try an available device-resident backend on this machine', () => {
    const lines = backendsText([entry('webgpu', true, { autoEligible: false })], choice, ['webgpu']).split(
      '\n',
    );
    expect(lines[1]).toMatch(/, and only through Vulkan \(a GPU\): not on this machine$/);
    const eligible = backendsText([entry('webgpu', true, { autoEligible: true })], choice, ['webgpu']);
    expect(eligible).not.toMatch(/not on this machine/);
  });

  it('an unavailable device-resident backend gets its reason, not the auto note', () => {
    const lines = backendsText([entry('webgpu', false)], choice, ['webgpu']).split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '✗ webgpu           webgpu backend',
      `${' '.repeat(19)}not available: webgpu needs X`,
    ]);
    expect(lines[2]).toBe('');
    expect(DEVICE_RESIDENT_BACKENDS).toContain('webgpu');
  });
});

const gpu = webgpuForTests('cli-backends.test.ts');

describe.skipIf(gpu.skip)('nmfinit backends with a WebGPU adapter (llvmpipe in CI)', () => {
  const root = mkdtempSync(join(tmpdir(), 'nmfinit-cli-backends-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("lists webgpu as available, with the adapter's name and when auto considers it", () => {
    const adapter = gpu.requireDevice().info.adapter;
    const bin = new URL('../bin/nmfinit.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [bin, 'backends'], {
      encoding: 'utf8',
      env: { ...process.env, NMFINIT_CACHE_DIR: join(root, 'cache') },
      timeout: 120_000,
    });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith('✓ webgpu '));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toBe(`${' '.repeat(19)}adapter: ${adapter}`);
    expect(lines[at + 2]).toMatch(NOTE);
  }, 120_000);
});

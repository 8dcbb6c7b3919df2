import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { autoCandidates, DEFAULT_WORKLOAD } from '../src/backend/index.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { backends } from '../src/backend/registry.ts';
import { type BackendFactory, defineBackend } from '../src/backend/types.ts';
import { gpuDeviceNodes, missingPrerequisites } from '../src/backend/webgpu/channel.ts';
import { webgpuBackendFactory } from '../src/backend/webgpu/index.ts';

// `autoEligible` lets a backend stay out of `auto` without being started: auto must not even ask
// whether it is available (for webgpu that opens Dawn, which prints its warnings into the run).
// Registered in this file only (each test file has its own module registry).
describe("auto asks a backend's autoEligible before starting it", () => {
  const probes: string[] = [];
  const fake = (name: string, eligible: boolean): BackendFactory =>
    defineBackend({
      name,
      description: `a test backend (${eligible ? 'eligible' : 'not eligible'})`,
      params: z.object({}).strict(),
      priority: 1,
      autoEligible: () => eligible,
      isAvailable: () => {
        probes.push(name);
        return true;
      },
      create: () => referenceBackendFactory.create({}),
    }) as BackendFactory;
  backends.register(fake('test-eligible', true));
  backends.register(fake('test-ineligible', false));

  it('lists an eligible available backend and never probes an ineligible one', () => {
    const candidates = autoCandidates(DEFAULT_WORKLOAD);
    expect(candidates).toContain('test-eligible');
    expect(candidates).not.toContain('test-ineligible');
    expect(probes).toContain('test-eligible');
    expect(probes).not.toContain('test-ineligible');
  });

  it('webgpu is eligible exactly where a Vulkan loader is installed and a GPU has a device node', () => {
    expect(webgpuBackendFactory.autoEligible?.()).toBe(
      missingPrerequisites(['vulkan']).length === 0 && gpuDeviceNodes().length > 0,
    );
  });

  it("counts NVIDIA's and DRM render nodes as GPUs, and nothing else", () => {
    const dev = mkdtempSync(join(tmpdir(), 'dev-'));
    expect(gpuDeviceNodes(dev)).toEqual([]);
    mkdirSync(join(dev, 'dri'));
    for (const f of ['nvidiactl', 'nvidia-uvm', 'null', 'dri/card0']) writeFileSync(join(dev, f), '');
    expect(gpuDeviceNodes(dev)).toEqual([]);
    for (const f of ['nvidia0', 'dri/renderD128']) writeFileSync(join(dev, f), '');
    expect(gpuDeviceNodes(dev)).toEqual([`${dev}/nvidia0`, `${dev}/dri/renderD128`]);
    expect(gpuDeviceNodes(join(dev, 'missing'))).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { autoCandidates, DEFAULT_WORKLOAD } from '../src/backend/index.ts';
import { referenceBackendFactory } from '../src/backend/reference.ts';
import { backends } from '../src/backend/registry.ts';
import { type BackendFactory, defineBackend } from '../src/backend/types.ts';
import { missingPrerequisites } from '../src/backend/webgpu/channel.ts';
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

  it('webgpu is eligible exactly where a Vulkan loader is installed', () => {
    expect(webgpuBackendFactory.autoEligible?.()).toBe(missingPrerequisites(['vulkan']).length === 0);
  });
});

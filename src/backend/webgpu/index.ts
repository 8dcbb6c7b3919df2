import { z } from 'zod';
import type { BackendFactory } from '../types.ts';
import { WebGpuBackend } from './backend.ts';
import { DeviceChannel, gpuDeviceNodes, missingPrerequisites } from './channel.ts';
import { DAWN_BACKENDS, type DawnBackend } from './protocol.ts';

export { WebGpuBackend, type WebGpuBackendOptions } from './backend.ts';

type Probe = { channel: DeviceChannel } | { reason: string };
const probes = new Map<string, Probe>();

/**
 * Opens (once per process and choice of Dawn backends) the device worker, or says why not.
 * 'auto' tries Vulkan (a real GPU), then OpenGL ES (llvmpipe under Xvfb, in CI).
 */
export function probeWebGpu(choice: 'auto' | DawnBackend = 'auto'): Probe {
  let probe = probes.get(choice);
  if (probe) return probe;
  const backends = choice === 'auto' ? DAWN_BACKENDS : [choice];
  const missing = missingPrerequisites(backends);
  // Dawn is not asked for a backend whose libraries are missing (it would only print why).
  const usable = backends.filter(
    (b) => !missing.some((m) => m.startsWith(b === 'vulkan' ? 'Vulkan' : 'OpenGL ES')),
  );
  if (usable.length === 0) {
    probe = { reason: `no WebGPU adapter: ${missing.join('; ')}` };
  } else {
    try {
      probe = { channel: DeviceChannel.open(usable) };
    } catch (e) {
      const hints = missing.length > 0 ? ` (${missing.join('; ')})` : '';
      probe = { reason: `${(e as Error).message}${hints}` };
    }
  }
  probes.set(choice, probe);
  return probe;
}

const params = z
  .object({
    /** Which of Dawn's backends: 'auto' tries Vulkan, then OpenGL ES. */
    backend: z.enum(['auto', ...DAWN_BACKENDS]).default('auto'),
    /** Where the elementwise kernels run (see WebGpuBackendOptions.kernels). */
    kernels: z.enum(['host', 'gpu']).default('host'),
    /** How fit() trains (see WebGpuBackendOptions.training). */
    training: z.enum(['device', 'tape']).default('device'),
    /** How trainSae trains (WebGpuBackendOptions.saeTraining): 'auto' on the device on a hardware adapter only. */
    saeTraining: z.enum(['auto', 'device', 'tape']).default('auto'),
    /** Resident chains (WebGpuBackendOptions.chain): 'auto' on a hardware adapter only. */
    chain: z.enum(['auto', 'on', 'off']).default('auto'),
  })
  .strict();

export const webgpuBackendFactory: BackendFactory<typeof params> = {
  name: 'webgpu',
  // Registering the plugin reads the description, so it must not start a device; the adapter's
  // name comes from detail(), after listBackends has probed.
  description: 'WebGPU compute shaders through Dawn (Vulkan, or OpenGL ES on llvmpipe under Xvfb)',
  params,
  // Below the CPU backends: outside a resident chain every call is a round trip.
  priority: 5,
  isAvailable: () => 'channel' in probeWebGpu(),
  // auto tries it only where Dawn can reach a GPU through Vulkan: a Vulkan loader and a GPU's
  // device node. Through OpenGL ES (llvmpipe) or Vulkan without a GPU (lavapipe) it is a software
  // renderer, far slower than simd on every workload (README, WebGPU), and starting Dawn there
  // prints its warnings into every study's output.
  autoEligible: () => missingPrerequisites(['vulkan']).length === 0 && gpuDeviceNodes().length > 0,
  unavailableReason: () => {
    const probe = probeWebGpu();
    return 'channel' in probe ? '' : probe.reason;
  },
  detail: () => {
    const probe = probeWebGpu();
    return 'channel' in probe ? `adapter: ${probe.channel.info.adapter}` : '';
  },
  create: ({ backend, kernels, training, saeTraining, chain }) => {
    const probe = probeWebGpu(backend);
    if (!('channel' in probe)) throw new Error(`backend 'webgpu' is not available: ${probe.reason}`);
    return new WebGpuBackend(probe.channel, {
      kernels,
      training,
      saeTraining: saeTraining === 'auto' ? undefined : saeTraining,
      chain: chain === 'auto' ? undefined : chain === 'on',
    });
  },
};

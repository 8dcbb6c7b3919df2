import { probeWebGpu } from '../../src/backend/index.ts';
import type { DeviceChannel } from '../../src/backend/webgpu/channel.ts';

/**
 * The WebGPU device for the webgpu tests, or why there is none. Where CI=true a missing device is
 * a failure (`requireDevice` throws the reason); elsewhere the tests skip, saying why.
 */
export function webgpuForTests(file: string): { skip: boolean; requireDevice: () => DeviceChannel } {
  const probe = probeWebGpu();
  const missing = 'reason' in probe ? probe.reason : undefined;
  const skip = missing !== undefined && process.env.CI !== 'true';
  if (skip) console.warn(`${file}: skipped, no WebGPU device here: ${missing}`);
  return {
    skip,
    requireDevice: () => {
      if ('reason' in probe)
        throw new Error(
          `no WebGPU device (CI needs Xvfb + Mesa EGL for Dawn's OpenGL ES path): ${probe.reason}`,
        );
      return probe.channel;
    },
  };
}

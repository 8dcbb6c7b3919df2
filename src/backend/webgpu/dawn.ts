// What every part of the device worker shares about talking to Dawn (worker.ts, its resident
// store and its trainers): the buffer usage flags, the 2-D layout of large dispatches, the one way
// to wait on a Dawn promise, and what a trainer records.

export const USAGE_STORAGE = 0x80 | 0x08 | 0x04; // STORAGE | COPY_DST | COPY_SRC
export const USAGE_UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST
export const USAGE_READBACK = 0x01 | 0x08; // MAP_READ | COPY_DST
export const MAP_READ = 0x01;

/** What a device trainer needs of the worker's runner: the device and its pipeline cache (which counts compiles). */
export interface PipelineHost {
  readonly device: GPUDevice;
  pipeline(key: string, source: () => string): GPUComputePipeline;
}

/** A dispatch recorded once and submitted every step: its pipeline, bindings and workgroup grid. */
export interface RecordedDispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: [number, number];
}

/** Bytes of a trainer dispatch's uniform block (its parameters, padded). */
export const TRAINER_UNIFORM_BYTES = 32;

/** One dimension of a dispatch holds at most 65,535 workgroups. */
const MAX_GROUPS_PER_DIMENSION = 65535;

/** A 1-D workgroup count laid out 2-D when it is over the per-dimension limit (see FLAT_INDEX). */
export function dispatchGrid(groups: number | readonly [number, number]): [number, number] {
  if (typeof groups !== 'number') return [groups[0], groups[1]];
  return [Math.min(groups, MAX_GROUPS_PER_DIMENSION), Math.ceil(groups / MAX_GROUPS_PER_DIMENSION)];
}

/**
 * The one way the worker waits on Dawn. Dawn's node binding (its AsyncRunner) settles a promise by
 * calling wgpuInstanceProcessEvents from a setImmediate chain that runs while the promise is
 * pending, so Node's event loop must keep turning. Issue #25 saw a 1024³ product never settle
 * without a ref'd timer; the worker's port listener also keeps the loop alive, and a timer for the
 * duration of each wait makes sure of it at no cost.
 */
export async function settle<T>(promise: Promise<T>): Promise<T> {
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await promise;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Encodes one compute pass on `encoder`: `pipeline` over `groups` (laid out by dispatchGrid) with
 * `buffers` bound in order at 0, 1, … (the shaders' storage bindings, then their uniform).
 */
export function encodeDispatch(
  device: GPUDevice,
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  buffers: readonly GPUBuffer[],
  groups: number | readonly [number, number],
): void {
  const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  const [gx, gy] = dispatchGrid(groups);
  if (gx > 0 && gy > 0) pass.dispatchWorkgroups(gx, gy);
  pass.end();
}

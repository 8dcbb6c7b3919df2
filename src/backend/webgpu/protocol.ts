/**
 * The messages between the webgpu backend (main thread, synchronous) and its device worker
 * (which owns Dawn's device and awaits its promises). The caller posts a request on the port and
 * blocks in Atomics.wait on the control word; the worker posts the reply on the port, then
 * stores the request's sequence number in the control word and notifies.
 */

/** Dawn backends the worker may try, in this order for 'auto'. */
export const DAWN_BACKENDS = ['vulkan', 'opengles'] as const;
export type DawnBackend = (typeof DAWN_BACKENDS)[number];

export interface WorkerInit {
  /** Int32Array over a SharedArrayBuffer: [0] the sequence number of the last reply. */
  readonly control: SharedArrayBuffer;
  readonly backends: readonly DawnBackend[];
}

/** Ops on matrices the worker keeps between requests (worker-resident.ts; ids chosen by the caller). */
export const RESIDENT_OPS = [
  'residentUpload',
  'residentGemm',
  'residentBiasActivation',
  'residentMu',
  'residentTopK',
  'residentDownload',
  'residentRelease',
] as const;
export type ResidentOp = (typeof RESIDENT_OPS)[number];

export type Op =
  | ResidentOp
  | 'gemm'
  | 'biasActivation'
  | 'activationBackward'
  | 'columnSum'
  | 'mse'
  | 'adam'
  | 'activationProbe'
  /** The device-resident trainer's requests (trainer-protocol.ts). */
  | 'trainer'
  /** The device SAE trainer's requests (sae-trainer-protocol.ts). */
  | 'saeTrainer'
  /** The shallow autoencoder's device trainer's requests (shallow-protocol.ts). */
  | 'shallow';

export interface Request {
  readonly seq: number;
  readonly op: Op;
  readonly params: readonly number[];
  readonly inputs: readonly Float32Array[];
}

/** What the device said about itself (reply to seq 0, the start-up). */
export interface DeviceInfo {
  /** Dawn backend and adapter, e.g. "opengles: llvmpipe-llvm-15-0-6-256-bits (OpenGL ES 3.2 Mesa 22.3.6)". */
  readonly adapter: string;
  /** The largest storage binding in bytes: bigger operands are split by the caller. */
  readonly maxBindingBytes: number;
}

export interface Reply {
  readonly seq: number;
  readonly outputs: Float32Array[];
  readonly info?: DeviceInfo;
  /** Shader pipelines compiled while serving the request. */
  readonly compiles?: number;
  /** Why the request (or the start-up) failed. */
  readonly error?: string;
}

import { GPU, type IKernelFunctionThis, type IKernelRunShortcut, type KernelFunction } from 'gpu.js';
import { z } from 'zod';
import { checkGemmArgs } from './reference.ts';
import type { Backend, BackendFactory } from './types.ts';

/** gpu.js modes we expose: 'gpu' lets gpu.js pick its best (a GL context if any, else WebAssembly). */
export const GPUJS_MODES = ['gpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

// One kernel per transpose pair. Each thread computes one element of the flat m×n output;
// the four bodies differ only in how A and B are indexed (gpu.js compiles each function's source).
function gemmNN(
  this: IKernelFunctionThis,
  a: number[],
  b: number[],
  n: number,
  k: number,
  _m: number,
): number {
  const i = Math.floor(this.thread.x / n);
  const j = this.thread.x - i * n;
  let s = 0;
  for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
  return s;
}
function gemmTN(
  this: IKernelFunctionThis,
  a: number[],
  b: number[],
  n: number,
  k: number,
  m: number,
): number {
  const i = Math.floor(this.thread.x / n);
  const j = this.thread.x - i * n;
  let s = 0;
  for (let p = 0; p < k; p++) s += a[p * m + i] * b[p * n + j];
  return s;
}
function gemmNT(
  this: IKernelFunctionThis,
  a: number[],
  b: number[],
  n: number,
  k: number,
  _m: number,
): number {
  const i = Math.floor(this.thread.x / n);
  const j = this.thread.x - i * n;
  let s = 0;
  for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
  return s;
}
function gemmTT(
  this: IKernelFunctionThis,
  a: number[],
  b: number[],
  n: number,
  k: number,
  m: number,
): number {
  const i = Math.floor(this.thread.x / n);
  const j = this.thread.x - i * n;
  let s = 0;
  for (let p = 0; p < k; p++) s += a[p * m + i] * b[j * k + p];
  return s;
}

/** A gemm backend running gpu.js kernels in the given mode. */
export class GpujsBackend implements Backend {
  readonly name: string;
  readonly description: string;
  private readonly gpu: GPU;
  private readonly kernels4: IKernelRunShortcut[];

  constructor(readonly mode: GpujsMode = 'gpu') {
    this.gpu = new GPU({ mode });
    const settings = {
      output: [1],
      dynamicOutput: true,
      dynamicArguments: true,
      precision: 'single' as const,
    };
    this.kernels4 = [gemmNN, gemmNT, gemmTN, gemmTT].map((f) =>
      this.gpu.createKernel(f as KernelFunction, settings),
    );
    this.name = mode === 'gpu' ? 'gpujs' : `gpujs:${mode}`;
    this.description = `gpu.js kernels (mode ${mode}, running as ${this.resolvedMode})`;
  }

  /** The kernel type gpu.js settled on, e.g. 'webasm' where no GL context exists, or 'headlessgl'. */
  get resolvedMode(): string {
    const chosen = (this.gpu as unknown as { Kernel?: { mode?: string } }).Kernel;
    return String(chosen?.mode ?? this.gpu.mode);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate = false,
  ): void {
    checkGemmArgs(m, n, k, a, b, c);
    if (m * n === 0) return;
    if (k === 0) {
      if (!accumulate) c.fill(0, 0, m * n);
      return;
    }
    const kernel = this.kernels4[(transA ? 2 : 0) + (transB ? 1 : 0)];
    kernel.setOutput([m * n]);
    const out = kernel(a.subarray(0, m * k), b.subarray(0, k * n), n, k, m) as Float32Array;
    if (accumulate) {
      for (let i = 0; i < m * n; i++) c[i] += out[i];
    } else {
      c.set(out.subarray(0, m * n));
    }
  }

  dispose(): void {
    this.gpu.destroy();
  }
}

function gpujsModeAvailable(mode: GpujsMode): boolean {
  switch (mode) {
    case 'gpu':
    case 'cpu':
      return true;
    case 'headlessgl':
      return GPU.isHeadlessGLSupported;
    case 'webgl2':
      return GPU.isWebGL2Supported;
    case 'webgl':
      return GPU.isWebGLSupported;
    case 'webasm':
      return (GPU as unknown as { isWebAssemblySupported: boolean }).isWebAssemblySupported;
  }
}

/** Factories for every gpu.js mode: `gpujs` (gpu.js's own choice) and `gpujs:<mode>`. */
export const gpujsBackendFactories: BackendFactory[] = GPUJS_MODES.map((mode) => ({
  name: mode === 'gpu' ? 'gpujs' : `gpujs:${mode}`,
  description:
    mode === 'gpu'
      ? 'gpu.js in its best mode here (a GL context where one exists, else its WebAssembly backend)'
      : `gpu.js forced to its ${mode} mode`,
  // A real GL context beats the CPU kernels; gpu.js's WebAssembly and cpu modes do not.
  params: z.object({}).strict(),
  priority: mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl' ? 50 : 1,
  isAvailable: () => gpujsModeAvailable(mode),
  create: () => new GpujsBackend(mode),
}));

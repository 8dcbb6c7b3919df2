import { GPU, type IGPUKernelSettings, type IKernelRunShortcut, Input } from 'gpu.js';
import { z } from 'zod';
import { checkedGemm, type Gemm } from '../gemm-args.ts';
import { addTransfers, type CountsTransfers, type TransferCounts, zeroTransfers } from '../transfers.ts';
import type { Backend, BackendFactory, ResidentOps } from '../types.ts';
import { headlessGlInfo } from './gl-info.ts';
import { gemmKernelSource, type KernelShape, kernelKey } from './kernel-source.ts';
import { GpujsResident } from './resident.ts';
import { checkInputsFit, planTiles, type Tile } from './tiles.ts';

/** gpu.js modes we expose: 'gpu' lets gpu.js pick its best (a GL context if any, else WebAssembly). */
export const GPUJS_MODES = ['gpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** gpu.js's kernel classes by the mode they implement. */
const KERNEL_MODES: Record<string, string> = {
  HeadlessGLKernel: 'headlessgl',
  WebGL2Kernel: 'webgl2',
  WebGLKernel: 'webgl',
  WebAssemblyKernel: 'webasm',
  CPUKernel: 'cpu',
};

/** How a {@link GpujsBackend} builds its kernels. */
export interface GpujsOptions {
  /** Output columns a thread computes: 4 (an `Array(4)` kernel, the default: faster) or 1. */
  columnsPerThread?: 1 | 4;
  /** Caps the texture side used for tiling below the GL context's own maximum (tests use it). */
  maxTextureSize?: number;
  /**
   * Offer `resident` textures, so callers chain products on the GPU. Default: on a GL context
   * with a hardware renderer, not on a software one (llvmpipe), where an upload or readback is a
   * memory copy and the chain's one-float-a-thread kernels lose to the `Array(4)` ones: an NMF mu
   * iteration at 1024×784, rank 64 took 432 and 768 ms chained against 169 and 643 ms product by
   * product in two runs on a loaded machine (`DISPLAY=:99 npm run bench -- gpu`).
   */
  chain?: boolean;
}

/** Mesa's and Google's CPU rasterisers: GL there runs on the CPU, in the host's memory. */
export function isSoftwareRenderer(renderer: string): boolean {
  return /llvmpipe|softpipe|swiftshader/i.test(renderer);
}

/**
 * Settings of every kernel here: float32, highp everywhere (gpu.js would otherwise pick the
 * precision from the output size), and one output size and argument size per kernel.
 */
const FIXED_KERNEL = {
  precision: 'single',
  tactic: 'precision',
  dynamicOutput: false,
  dynamicArguments: false,
} as const satisfies IGPUKernelSettings;

// Compiled kernels kept per backend; training and NMF use a handful of shapes.
const KERNEL_CACHE_SIZE = 64;

/**
 * A gemm backend running gpu.js kernels in the given mode. Each product shape gets its own kernel
 * (k a literal loop bound, 2D inputs and output, highp floats), compiled once and cached, so no
 * kernel is ever resized between calls; outputs beyond the GL maximum texture size are tiled.
 *
 * Measured on Mesa llvmpipe under Xvfb (first call of each, compile included, machine shared):
 * 1024³ took 11.6 s with one float a thread, 12.0 s with gpu.js's packed output
 * (`optimizeFloatMemory`, 4 floats a texel) and 5.2 s with `Array(4)` (four columns a thread);
 * 60000×784·784×64 38.0 s against 19.7 s. gpu.js's own modes gain too, at 256×784·784×128
 * (best of 3, two tries): webasm 0.41–0.45 → 0.61–0.76 GFLOP/s, cpu 0.25 → 0.50–0.60. So the
 * kernels return `Array(4)` by default.
 */
export class GpujsBackend implements Backend, CountsTransfers {
  readonly name: string;
  readonly description: string;
  /** Two uploads (A and B) and one readback a tile, one upload or readback a resident transfer. */
  private counts = zeroTransfers();
  private readonly gpu: GPU;
  private readonly compiled = new Map<string, IKernelRunShortcut>();
  private maxTexture: number | undefined;
  // Pipeline kernels are never evicted: their output textures may still be held by callers.
  private readonly pipelines = new Map<string, IKernelRunShortcut>();
  /** Textures chained between products; only on a GL context (gpu.js's other modes return arrays). */
  readonly resident?: ResidentOps;

  readonly columnsPerThread: 1 | 4;

  constructor(
    readonly mode: GpujsMode = 'gpu',
    private readonly options: GpujsOptions = {},
  ) {
    this.columnsPerThread = options.columnsPerThread ?? 4;
    this.gpu = new GPU({ mode });
    this.name = mode === 'gpu' ? 'gpujs' : `gpujs:${mode}`;
    this.description = `gpu.js kernels (mode ${mode}, running as ${this.resolvedMode})`;
    const gl = ['headlessgl', 'webgl', 'webgl2'].includes(this.resolvedMode);
    const software =
      this.resolvedMode === 'headlessgl' && isSoftwareRenderer(headlessGlInfo().info?.renderer ?? '');
    if (gl && (options.chain ?? !software)) this.resident = new GpujsResident(this);
  }

  /**
   * A kernel whose output stays a texture (`pipeline`), a new one each call (`immutable`), for
   * the resident ops; compiled once per key.
   */
  pipelineKernel(
    key: string,
    source: () => string,
    rows: number,
    cols: number,
    functions: readonly string[] = [],
  ): IKernelRunShortcut {
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const kernel = this.gpu.createKernel(source(), {
      output: [cols, rows],
      ...(functions.length > 0
        ? {
            // gpu.js takes { source, settings } objects here; its typings list only Function[].
            functions: functions.map((f) => ({
              source: f,
              settings: { returnType: 'Number' },
            })) as unknown as IGPUKernelSettings['functions'],
          }
        : {}),
      pipeline: true,
      immutable: true,
      ...FIXED_KERNEL,
    });
    this.counts.compiles++;
    this.pipelines.set(key, kernel);
    return kernel;
  }

  /** The kernel type gpu.js settled on: 'headlessgl' where a GL context exists, else e.g. 'webasm'. */
  get resolvedMode(): string {
    const chosen = (this.gpu as unknown as { Kernel?: { name?: string } }).Kernel?.name ?? '';
    return KERNEL_MODES[chosen] ?? chosen ?? this.mode;
  }

  /** The largest texture side the kernels may render to (Infinity for the CPU and WebAssembly modes). */
  get maxTextureSize(): number {
    if (this.maxTexture === undefined) {
      const kernel = (this.gpu as unknown as { Kernel?: { features?: { maxTextureSize?: number } } }).Kernel;
      const size = kernel?.features?.maxTextureSize;
      const context = typeof size === 'number' && size > 0 ? size : Number.POSITIVE_INFINITY;
      this.maxTexture = Math.min(context, this.options.maxTextureSize ?? Number.POSITIVE_INFINITY);
    }
    return this.maxTexture;
  }

  get transfers(): TransferCounts {
    return { ...this.counts };
  }

  resetTransfers(): void {
    this.counts = zeroTransfers();
  }

  /** Adds to the transfer counts (the resident ops count theirs here too). */
  count(delta: Partial<TransferCounts>): void {
    addTransfers(this.counts, delta);
  }

  readonly gemm: Gemm = checkedGemm((transA, transB, m, n, k, a, b, c, accumulate) => {
    const limit = this.maxTextureSize;
    checkInputsFit(this.name, m, n, k, limit);
    // A untransposed is passed one tile's rows at a time; transposed (k×m) it is passed whole.
    const aIsRowBlock = !transA;
    const bArg = operand(b.subarray(0, k * n), transB ? [k, n] : [n, k]);
    const w = this.columnsPerThread;
    for (const t of planTiles(m, n, limit, limit * w)) {
      const aArg = aIsRowBlock
        ? operand(a.subarray(t.r0 * k, (t.r0 + t.rows) * k), [k, t.rows])
        : operand(a.subarray(0, k * m), [m, k]);
      const shape: KernelShape = { transA, transB, rows: t.rows, cols: t.cols, k, aIsRowBlock, width: w };
      const kernel = this.kernelFor(shape, aArg.size, bArg.size);
      const out = kernel(aArg, bArg, t.r0, t.c0);
      this.count({
        calls: 1,
        uploads: 2,
        uploadBytes: 4 * (aArg.value.length + bArg.value.length),
        readbacks: 1,
        // One float a thread, or four (a texel) with `Array(4)`.
        readbackBytes: 4 * t.rows * Math.ceil(t.cols / w) * w,
      });
      if (w === 1) copyTile(out as Float32Array | Float32Array[], t, n, c, accumulate);
      else copyTile4(out as Float32Array[][], t, n, c, accumulate);
    }
  });

  private kernelFor(shape: KernelShape, aDims: number[], bDims: number[]): IKernelRunShortcut {
    const key = kernelKey(shape, aDims, bDims);
    const hit = this.compiled.get(key);
    if (hit) {
      // Re-insert: the Map's order is then least recently used first.
      this.compiled.delete(key);
      this.compiled.set(key, hit);
      return hit;
    }
    const kernel = this.gpu.createKernel(gemmKernelSource(shape), {
      output: [Math.ceil(shape.cols / shape.width), shape.rows],
      ...(shape.width === 4 ? { returnType: 'Array(4)' as const } : {}),
      ...FIXED_KERNEL,
    });
    this.counts.compiles++;
    this.compiled.set(key, kernel);
    if (this.compiled.size > KERNEL_CACHE_SIZE) {
      const [oldKey, old] = this.compiled.entries().next().value as [string, IKernelRunShortcut];
      this.compiled.delete(oldKey);
      old.destroy?.(true);
    }
    return kernel;
  }

  dispose(): void {
    this.compiled.clear();
    this.pipelines.clear();
    this.gpu.destroy();
  }
}

/** A gpu.js 2D input over `data` of [width, height]. */
function operand(data: Float32Array, size: [number, number]): Input {
  return new Input(data as unknown as number[], size);
}

/** Copies a rows×cols kernel result (an array of rows, or one flat row) into C at (r0, c0). */
function copyTile(
  out: Float32Array | Float32Array[],
  t: Tile,
  n: number,
  c: Float32Array,
  accumulate: boolean,
): void {
  const { r0, c0, rows, cols } = t;
  for (let i = 0; i < rows; i++) {
    const row = out instanceof Float32Array ? out.subarray(i * cols, (i + 1) * cols) : out[i];
    const at = (r0 + i) * n + c0;
    if (accumulate) {
      for (let j = 0; j < cols; j++) c[at + j] += row[j];
    } else {
      c.set(row.subarray(0, cols), at);
    }
  }
}

/** Copies an `Array(4)` kernel result (rows of four-column groups) into C at (r0, c0). */
function copyTile4(out: Float32Array[][], t: Tile, n: number, c: Float32Array, accumulate: boolean): void {
  const { r0, c0, rows, cols } = t;
  for (let i = 0; i < rows; i++) {
    const row = out[i];
    const at = (r0 + i) * n + c0;
    for (let j = 0; j < cols; j++) {
      const v = row[j >> 2][j & 3];
      if (accumulate) c[at + j] += v;
      else c[at + j] = v;
    }
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

/** Why a gpu.js mode cannot run here, or '' when it can. */
export function gpujsUnavailableReason(mode: GpujsMode): string {
  if (gpujsModeAvailable(mode)) return '';
  switch (mode) {
    case 'headlessgl':
      return headlessGlInfo().reason || 'gpu.js reports no headless-gl support';
    case 'webgl2':
    case 'webgl':
      return `${mode} exists only in a browser`;
    default:
      return `gpu.js reports no ${mode} support here`;
  }
}

/** A line saying what the mode runs on: the GL renderer and version for headlessgl. */
export function gpujsDetail(mode: GpujsMode): string {
  // 'gpu' runs on headless-gl whenever headless-gl works.
  if ((mode !== 'headlessgl' && mode !== 'gpu') || !GPU.isHeadlessGLSupported) return '';
  const { info } = headlessGlInfo();
  return info ? `GL: ${info.renderer}; ${info.version}; max texture ${info.maxTextureSize}` : '';
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
  unavailableReason: () => gpujsUnavailableReason(mode),
  detail: () => gpujsDetail(mode),
  create: () => new GpujsBackend(mode),
}));

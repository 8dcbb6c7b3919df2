/**
 * The shallow autoencoder's SIMD kernels (kernels-wat.ts), assembled with wabt once per thread
 * when the first model needs them, and cached under the run's cache directory by the text's hash,
 * as the SIMD backend does. Each model instantiates the module with its own memory, sized once, so views
 * into it never detach.
 */
import { type WasmModule, wasmApi } from '../backend/simd/wasm-api.ts';
import { cachedWasmModule } from '../backend/simd/wasm-cache.ts';
import { defaultCacheDir } from '../util/files.ts';
import { shallowKernelsWat } from './kernels-wat.ts';

export interface ShallowKernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  vecmat(a: number, w: number, rows: number, cols: number, out: number): void;
  matvec(w: number, a: number, rows: number, cols: number, out: number): void;
  dot_axpy(w: number, e: number, coef: number, rows: number, cols: number, out: number): void;
  ger(w: number, a: number, b: number, rows: number, cols: number): void;
  ger2(w: number, a1: number, b1: number, a2: number, b2: number, rows: number, cols: number): void;
  // K = 4 only (kernels-k4-wat.ts): one step's passes fused, bit-for-bit the generic ones.
  enc4(x: number, w: number, d: number, out: number): void;
  tied_residual4(w: number, h: number, x: number, c: number, d: number, e: number, s: number): number;
  untied_residual4(
    v: number,
    h: number,
    coef: number,
    x: number,
    c: number,
    d: number,
    e: number,
    s: number,
  ): number;
  update4(w: number, x: number, aw: number, delta: number, e: number, ae: number, h: number, d: number): void;
}

const SOURCE = { name: 'shallow', text: shallowKernelsWat(), features: { simd: true, bulk_memory: true } };

/** The compiled kernels, built once per thread (cached under `cacheDir`), or null without SIMD. */
function compiled(cacheDir: string): WasmModule | null {
  try {
    return cachedWasmModule(SOURCE, cacheDir);
  } catch {
    return null; // no SIMD here: models use the TypeScript loops
  }
}

/**
 * A fresh instance with at least `bytes` of memory, or null where WebAssembly SIMD is missing.
 * `cacheDir` is the run's cache directory, where the compiled kernels are kept.
 */
export function instantiateShallowKernels(
  bytes: number,
  cacheDir = defaultCacheDir(),
): ShallowKernels | null {
  const module = compiled(cacheDir);
  if (!module || !wasmApi) return null;
  const instance = new wasmApi.Instance(module, {}).exports as ShallowKernels;
  const pages = Math.ceil(bytes / 65536);
  const have = instance.memory.buffer.byteLength / 65536;
  if (pages > have) instance.memory.grow(pages - have);
  return instance;
}

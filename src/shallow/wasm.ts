/**
 * The shallow autoencoder's SIMD kernels (kernels-wat.ts), assembled with wabt once when this
 * file is first imported and cached under the cache directory by the text's hash, as the SIMD
 * backend does. Each model instantiates the module with its own memory, sized once, so views
 * into it never detach.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type WasmModule, wasmApi } from '../backend/simd/wasm-api.ts';
import { defaultCacheDir, sha256Hex, writeFileAtomicSync } from '../util/files.ts';
import { shallowKernelsWat } from './kernels-wat.ts';

export interface ShallowKernels {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  vecmat(a: number, w: number, rows: number, cols: number, out: number): void;
  matvec(w: number, a: number, rows: number, cols: number, out: number): void;
  dot_axpy(w: number, e: number, coef: number, rows: number, cols: number, out: number): void;
  ger(w: number, a: number, b: number, rows: number, cols: number): void;
  ger2(w: number, a1: number, b1: number, a2: number, b2: number, rows: number, cols: number): void;
}

async function build(): Promise<WasmModule | null> {
  const api = wasmApi;
  if (!api) return null;
  const text = shallowKernelsWat();
  const path = join(defaultCacheDir(), 'wasm', `shallow-${sha256Hex(text).slice(0, 24)}.wasm`);
  try {
    return new api.Module(readFileSync(path));
  } catch {
    // no cache entry yet, or a stale one: assemble
  }
  try {
    const wabt = await (await import('wabt')).default();
    const features = { simd: true, bulk_memory: true };
    const parsed = wabt.parseWat('shallow-kernels.wat', text, features);
    try {
      parsed.resolveNames();
      (parsed.validate as (f: object) => void)(features);
      const bytes = parsed.toBinary({}).buffer;
      const module = new api.Module(bytes);
      try {
        writeFileAtomicSync(path, bytes);
      } catch {
        // a read-only cache costs only the next start its time
      }
      return module;
    } finally {
      parsed.destroy();
    }
  } catch {
    return null; // no SIMD here: models use the TypeScript loops
  }
}

const compiled = await build();

/** A fresh instance with at least `bytes` of memory, or null where WebAssembly SIMD is missing. */
export function instantiateShallowKernels(bytes: number): ShallowKernels | null {
  if (!compiled || !wasmApi) return null;
  const instance = new wasmApi.Instance(compiled, {}).exports as ShallowKernels;
  const pages = Math.ceil(bytes / 65536);
  const have = instance.memory.buffer.byteLength / 65536;
  if (pages > have) instance.memory.grow(pages - have);
  return instance;
}

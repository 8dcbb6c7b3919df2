/**
 * Builds the kernels' WebAssembly module: the WebAssembly text from gemm-wat.ts and
 * elementwise-wat.ts, assembled with the `wabt` package. wabt starts asynchronously and takes
 * ~150 ms to start and assemble, so the bytes are cached under the cache directory keyed by the
 * text's sha256 and wabt's version (an unreadable or stale cache entry is simply rebuilt). The
 * default module is built once, when this file is first imported (top-level await); backends and
 * worker threads then instantiate it synchronously on their shared memory.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { defaultCacheDir, sha256Hex, writeFileAtomicSync } from '../../util/files.ts';
import { elementwiseWat } from './elementwise-wat.ts';
import { checkGemmShape, DEFAULT_GEMM_SHAPE, type GemmShape, gemmWat } from './gemm-wat.ts';
import { sparseWat } from './sparse-wat.ts';
import { type WasmGlobal, type WasmModule, wasmApi } from './wasm-api.ts';

/** The functions every instance of the module exports. */
export interface SimdExports {
  /** Scratch for the accumulators of a partial C tile (mr·nr floats); set before the first gemm. */
  tile_scratch: WasmGlobal;
  /** C rows i0..i1 of gemm on byte addresses, with pack buffers for mc×kc of A and kc×nc of B (see gemm-wat.ts). */
  gemm_rows(...args: GemmRowsArgs): void;
  bias_linear(z: number, bias: number, rows: number, cols: number): void;
  bias_relu(z: number, bias: number, rows: number, cols: number): void;
  bias_sigmoid(z: number, bias: number, rows: number, cols: number): void;
  bias_tanh(z: number, bias: number, rows: number, cols: number): void;
  relu_backward(g: number, y: number, n: number): void;
  sigmoid_backward(g: number, y: number, n: number): void;
  tanh_backward(g: number, y: number, n: number): void;
  column_sum(g: number, rows: number, cols: number, out: number, accumulate: number): void;
  mse(p: number, t: number, grad: number, n: number, c: number, hasGrad: number): number;
  adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lrT: number,
    a1: number,
    a2: number,
    eps: number,
  ): void;
  sparse_rows_matmul(v: number, idx: number, m: number, k: number, w: number, d: number, o: number): void;
  sparse_rows_matmul_backward(
    g: number,
    v: number,
    idx: number,
    m: number,
    k: number,
    w: number,
    d: number,
    gv: number,
    gw: number,
    hasGv: number,
    hasGw: number,
  ): void;
  sparse_linear_backward(
    g: number,
    idx: number,
    m: number,
    k: number,
    x: number,
    d: number,
    w: number,
    n: number,
    gw: number,
    gx: number,
    hasGw: number,
    hasGx: number,
  ): void;
}

/** transA, transB, m, n, k, a, b, c, accumulate, i0, i1, aPack, bPack, mc, kc, nc (flags 0/1, addresses in bytes). */
export type GemmRowsArgs = [
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  a: number,
  b: number,
  c: number,
  accumulate: number,
  i0: number,
  i1: number,
  aPack: number,
  bPack: number,
  mc: number,
  kc: number,
  nc: number,
];

/** A compiled module and the micro-tile its gemm kernels were generated for. */
export interface SimdModule {
  readonly module: WasmModule;
  readonly shape: GemmShape;
}

/** The whole module text: a shared memory imported as env.memory, the gemm and elementwise kernels. */
export function simdModuleWat(shape: GemmShape): string {
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  (global $tile_scratch (export "tile_scratch") (mut i32) (i32.const 0))
  ${gemmWat(shape)}
  ${elementwiseWat()}
  ${sparseWat()}
)`;
}

const FEATURES = { simd: true, threads: true, bulk_memory: true };

/** Assembles module text to bytes with wabt (started on first use). */
async function assemble(text: string): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const parsed = wabt.parseWat('simd-kernels.wat', text, FEATURES);
  try {
    parsed.resolveNames();
    // wabt's typings omit it, but validate takes the feature set too (without it, shared memory is refused).
    (parsed.validate as (features: object) => void)(FEATURES);
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

function wabtVersion(): string {
  try {
    return (createRequire(import.meta.url)('wabt/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The module for a micro-tile shape, from the cache when its entry is there and compiles, else
 * assembled (and cached: a failed cache write only costs the next start its time).
 */
export async function buildSimdModule(
  shape: GemmShape = DEFAULT_GEMM_SHAPE,
  cacheDir = defaultCacheDir(),
): Promise<SimdModule> {
  checkGemmShape(shape);
  const api = wasmApi;
  if (!api) throw new Error('simd backend: this runtime has no WebAssembly');
  const text = simdModuleWat(shape);
  const path = join(cacheDir, 'wasm', `simd-${sha256Hex(text, wabtVersion()).slice(0, 24)}.wasm`);
  try {
    return { module: new api.Module(readFileSync(path)), shape };
  } catch {
    // no entry yet, or one that does not compile: assemble afresh
  }
  const bytes = await assemble(text);
  const module = new api.Module(bytes);
  try {
    writeFileAtomicSync(path, bytes);
  } catch {
    // a read-only or missing cache directory is not an error here
  }
  return { module, shape };
}

async function buildDefault(): Promise<{ module: SimdModule | null; error: string | null }> {
  try {
    return { module: await buildSimdModule(), error: null };
  } catch (e) {
    return { module: null, error: e instanceof Error ? e.message : String(e) };
  }
}

/** The module for the default micro-tile, or why it could not be built here (e.g. no SIMD). */
export const defaultSimdModule = await buildDefault();

/**
 * Builds the kernels' WebAssembly module: the WebAssembly text from gemm-wat.ts and
 * elementwise-wat.ts, assembled with the `wabt` package (wasm-cache.ts). Assembly takes ~100 ms,
 * so the bytes are cached under the run's cache directory keyed by the text's sha256 and wabt's
 * version (an unreadable or stale cache entry is simply rebuilt). A module is built once per
 * thread, when the first backend needs it; backends then instantiate it on their shared memory.
 */
import { defaultCacheDir } from '../../util/files.ts';
import { elementwiseWat } from './elementwise-wat.ts';
import { checkGemmShape, DEFAULT_GEMM_SHAPE, type GemmShape, gemmWat } from './gemm-wat.ts';
import { rowsWat } from './rows-wat.ts';
import { sparseWat } from './sparse-wat.ts';
import type { WasmGlobal, WasmModule } from './wasm-api.ts';
import { cachedWasmModule, type WatSource, wasmFeaturesSupported } from './wasm-cache.ts';

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
  /** Rows r0..r1 of csrTimes (see sparse-wat.ts); the arguments in the order of CsrRowsArgs. */
  csr_rows(...args: CsrRowsArgs): void;
  /** The row kernels (see RowKernels, rows-wat.ts). */
  normalize_rows(a: number, rows: number, cols: number): void;
  remove_parallel(g: number, w: number, rows: number, cols: number): void;
  /** The two sparse backward kernels above visiting `count` entries in the order at `order` (see sparse-order.ts). */
  sparse_rows_matmul_backward_cols(
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
    order: number,
    count: number,
  ): void;
  /** With scratch for four columns of W and of gW (4·d floats each) and gx's sums (m·d doubles). */
  sparse_linear_backward_cols(
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
    order: number,
    count: number,
    colW: number,
    colG: number,
    acc: number,
  ): void;
}

/** csr_rows' arguments (addresses in bytes, flags 0/1). */
export type CsrRowsArgs = [
  ptr: number,
  idx: number,
  v: number,
  b: number,
  bRows: number,
  k: number,
  out: number,
  outF64: number,
  accumulate: number,
  r0: number,
  r1: number,
  count: number,
  stride: number,
  nnz: number,
];

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
  ${rowsWat()}
)`;
}

const FEATURES = { simd: true, threads: true, bulk_memory: true };

/** The module text for a micro-tile shape, with the proposals it uses. */
export function simdModuleSource(shape: GemmShape): WatSource {
  return { name: 'simd', text: simdModuleWat(shape), features: FEATURES };
}

/** Whether this runtime can run the kernels (WebAssembly SIMD, threads), without building them. */
export function simdSupported(): boolean {
  return wasmFeaturesSupported(FEATURES);
}

/**
 * The module for a micro-tile shape, built once per thread: from `<cacheDir>/wasm` when its entry
 * is there and compiles, else assembled and cached there. Throws, saying why, where it cannot be built.
 */
export function simdModule(shape: GemmShape = DEFAULT_GEMM_SHAPE, cacheDir = defaultCacheDir()): SimdModule {
  checkGemmShape(shape);
  return { module: cachedWasmModule(simdModuleSource(shape), cacheDir), shape };
}

/** {@link simdModule}, as a promise (the earlier API). */
export async function buildSimdModule(
  shape: GemmShape = DEFAULT_GEMM_SHAPE,
  cacheDir = defaultCacheDir(),
): Promise<SimdModule> {
  return simdModule(shape, cacheDir);
}

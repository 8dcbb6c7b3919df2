import { z } from 'zod';
import { defaultCacheDir } from '../../util/files.ts';
import { checkCounts, checkedGemm, type Gemm } from '../gemm-args.ts';
import { referenceKernels } from '../kernels.ts';
import { type ActivationName, type Backend, defineBackend, type ElementwiseKernels } from '../types.ts';
import type { GemmShape } from './gemm-wat.ts';
import { type HeapOptions, WasmHeap } from './heap.ts';
import {
  type CsrRowsArgs,
  type GemmRowsArgs,
  type SimdExports,
  type SimdModule,
  simdModule,
  simdSupported,
} from './module.ts';
import { columnOrder, type SparseTraversal } from './sparse-order.ts';
import { Staging } from './staging.ts';
import { GemmHelpers } from './threads.ts';
import { wasmApi } from './wasm-api.ts';

/** Cache blocking of the gemm loops (see gemm-wat.ts): sizes of the packed blocks of A and B. */
export interface GemmBlocking {
  /** Rows of op(A) packed at once (the A block, mc×kc, is meant to stay in L2). */
  mc: number;
  /** Depth packed at once; one kc×nr panel of B is meant to stay in L1. */
  kc: number;
  /** Columns of op(B) packed at once. */
  nc: number;
}

/** At the autoencoder's shapes everything fits in L2 and these barely matter (±2 % from mc 60..800, kc 128..800). */
export const DEFAULT_GEMM_BLOCKING: GemmBlocking = { mc: 120, kc: 256, nc: 1024 };

export interface SimdBackendOptions extends HeapOptions {
  /** Kernels for another micro-tile, from `simdModule(shape)` (default: the 5×8 module). */
  module?: SimdModule;
  /** Where the compiled kernels are cached (default: defaultCacheDir(); a run passes its --cache-dir). */
  cacheDir?: string;
  blocking?: Partial<GemmBlocking>;
  /**
   * Threads one gemm is split across, this one included (default 1). Off by default: it pays only
   * when other cores are idle (≈1.4–1.8× with 2 on the 2-core bench machine when idle, nothing or
   * worse while another process keeps the second core busy, e.g. a second training run).
   */
  threads?: number;
  /**
   * The order the sparse kernels visit their entries (sparse-order.ts): 'auto' (default) by column
   * where columns repeat enough to pay, else by row. Every choice gives the same bits.
   */
  sparseTraversal?: SparseTraversal;
}

/**
 * Entries per distinct column from which the column order pays under 'auto' (bench/
 * sae-kernels.bench.ts): the decoder's backward fetches one row of W and gW per entry in row
 * order; the encoder's backward copies four columns of W and gW in and out per block of columns,
 * so it needs more entries to pay.
 */
const COLUMNS_FROM = { decoderBackward: 2, encoderBackward: 4 };

/** Below this many multiply-adds a gemm stays on one thread: waking a helper costs ~10–50 µs. */
const THREADED_MIN_MACS = 1 << 20;

/**
 * The `simd` backend: WebAssembly SIMD kernels on one shared memory. gemm packs A and B into
 * panels and runs a register-blocked f32x4 micro-kernel (see gemm-wat.ts); it reads and writes
 * buffers from `alloc` in place and copies any other Float32Array through scratch space.
 */
export class SimdBackend implements Backend {
  readonly name = 'simd';
  readonly description: string;
  /** The cache directory its kernels (this and the NMF sweep's, cd-sweep-wasm.ts) are cached in. */
  readonly cacheDir: string;
  readonly heap: WasmHeap;
  readonly shape: GemmShape;
  readonly blocking: GemmBlocking;
  readonly kernels: Partial<ElementwiseKernels>;
  private readonly wasm: SimdExports;
  private readonly staging: Staging;
  private readonly aPack: Float32Array;
  private readonly bPack: Float32Array;
  private readonly helpers: GemmHelpers | null;

  constructor(options: SimdBackendOptions = {}) {
    this.cacheDir = options.cacheDir ?? defaultCacheDir();
    let module: SimdModule;
    try {
      module = options.module ?? simdModule(undefined, this.cacheDir);
    } catch (e) {
      throw new Error(`simd backend unavailable: ${(e as Error).message}`);
    }
    this.shape = module.shape;
    const blocking = { ...DEFAULT_GEMM_BLOCKING, ...options.blocking };
    for (const [key, v] of Object.entries(blocking)) {
      if (!Number.isInteger(v) || v < 1)
        throw new RangeError(`simd backend: blocking.${key} must be a positive integer, got ${v}`);
    }
    // Whole A panels per block, so only the last block of rows can have a partial panel.
    blocking.mc = Math.ceil(blocking.mc / this.shape.mr) * this.shape.mr;
    this.blocking = blocking;
    this.heap = new WasmHeap(options);
    this.wasm = new wasmApi!.Instance(module.module, { env: { memory: this.heap.memory } })
      .exports as unknown as SimdExports;
    const { mr, nr } = this.shape;
    this.wasm.tile_scratch.value = this.heap.alloc(mr * nr).byteOffset;
    const { mc, kc, nc } = this.blocking;
    this.aPack = this.heap.alloc(Math.ceil(mc / mr) * mr * kc);
    this.bPack = this.heap.alloc(Math.ceil(nc / nr) * nr * kc);
    this.staging = new Staging(this.heap);
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
      throw new RangeError(`simd backend: threads must be an integer in 1..64, got ${threads}`);
    }
    this.helpers =
      threads > 1
        ? new GemmHelpers(this.heap, module, threads - 1, { a: this.aPack.length, b: this.bPack.length })
        : null;
    this.kernels = simdKernels(this.wasm, this.staging, this.helpers, options.sparseTraversal ?? 'auto');
    this.description = `WebAssembly SIMD gemm (${mr}×${nr} f32x4 register tile, packed panels, blocks mc ${mc} kc ${kc} nc ${nc}), ${threads === 1 ? 'one thread' : `${threads} threads`}`;
  }

  /** The helper threads (null with one thread), for kernels of other modules on this memory (`load`). */
  get helperThreads(): GemmHelpers | null {
    return this.helpers;
  }

  alloc(length: number): Float32Array {
    return this.heap.alloc(length);
  }

  /** Returns a buffer from `alloc` to the heap for reuse; the view must not be used afterwards. */
  free(buffer: Float32Array): void {
    this.heap.free(buffer);
  }

  owns(buffer: Float32Array): boolean {
    return this.heap.owns(buffer);
  }

  /** See Backend.gemm; C must not overlap A or B. */
  readonly gemm: Gemm = checkedGemm((transA, transB, m, n, k, a, b, c, accumulate) => {
    this.staging.run(
      [
        { data: a, length: m * k, read: true, write: false },
        { data: b, length: k * n, read: true, write: false },
        { data: c, length: m * n, read: accumulate, write: true },
      ],
      ([aAddr, bAddr, cAddr]) => this.gemmAt(transA, transB, m, n, k, aAddr, bAddr, cAddr, accumulate),
    );
  });

  /** gemm on byte addresses in the heap: the wasm loop nest, over all rows or split across threads. */
  private gemmAt(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    aAddr: number,
    bAddr: number,
    cAddr: number,
    accumulate: boolean,
  ): void {
    const { mc, kc, nc } = this.blocking;
    const own = { aPack: this.aPack.byteOffset, bPack: this.bPack.byteOffset };
    const args: GemmRowsArgs = [
      transA ? 1 : 0,
      transB ? 1 : 0,
      m,
      n,
      k,
      aAddr,
      bAddr,
      cAddr,
      accumulate ? 1 : 0,
      0,
      m,
      own.aPack,
      own.bPack,
      mc,
      kc,
      nc,
    ];
    if (this.helpers && m * n * k >= THREADED_MIN_MACS && m >= 2 * this.shape.mr) {
      this.helpers.run(this.wasm, args, this.shape.mr, own);
    } else {
      this.wasm.gemm_rows(...args);
    }
  }

  /** Stops the helper threads, if any; the memory goes with the last reference to the backend. */
  dispose(): void {
    this.helpers?.dispose();
  }
}

/** The elementwise kernels on the wasm exports; arguments not in the heap are staged. */
function simdKernels(
  w: SimdExports,
  staging: Staging,
  helpers: GemmHelpers | null,
  traversal: SparseTraversal,
): Partial<ElementwiseKernels> {
  const arg = (data: Float32Array, length: number, read: boolean, write: boolean) => ({
    data,
    length,
    read,
    write,
  });
  // sigmoid and tanh are a few ulps from the reference rather than bit-identical (see activation-wat.ts).
  const biasFunctions = new Map<string, (z: number, bias: number, rows: number, cols: number) => void>([
    ['linear', w.bias_linear],
    ['relu', w.bias_relu],
    ['sigmoid', w.bias_sigmoid],
    ['tanh', w.bias_tanh],
  ]);
  return {
    biasActivation(z, bias, rows, cols, act: ActivationName) {
      const fn = biasFunctions.get(act);
      if (!fn) {
        referenceKernels.biasActivation(z, bias, rows, cols, act); // throws the reference's error for an unknown name
        return;
      }
      needLength('biasActivation', 'z', z, rows * cols, `rows·cols = ${rows}·${cols}`);
      needLength('biasActivation', 'bias', bias, cols, 'cols');
      staging.run([arg(z, rows * cols, true, true), arg(bias, cols, true, false)], ([zA, bA]) =>
        fn(zA, bA, rows, cols),
      );
    },

    activationBackward(g, y, act) {
      if (act === 'linear') return;
      const fn =
        act === 'relu'
          ? w.relu_backward
          : act === 'sigmoid'
            ? w.sigmoid_backward
            : act === 'tanh'
              ? w.tanh_backward
              : null;
      if (!fn) {
        referenceKernels.activationBackward(g, y, act); // throws the reference's error for an unknown name
        return;
      }
      const n = g.length;
      needLength('activationBackward', 'y', y, n, 'g.length');
      staging.run([arg(g, n, true, true), arg(y, n, true, false)], ([gA, yA]) => fn(gA, yA, n));
    },

    columnSum(g, rows, cols, out, accumulate) {
      needLength('columnSum', 'g', g, rows * cols, `rows·cols = ${rows}·${cols}`);
      needLength('columnSum', 'out', out, cols, 'cols');
      staging.run([arg(g, rows * cols, true, false), arg(out, cols, accumulate, true)], ([gA, oA]) =>
        w.column_sum(gA, rows, cols, oA, accumulate ? 1 : 0),
      );
    },

    mse(p, t, grad, scale) {
      const n = p.length;
      needLength('mse', 't', t, n, 'p.length');
      if (grad) needLength('mse', 'grad', grad, n, 'p.length');
      const c = (2 * scale) / n;
      const args = [arg(p, n, true, false), arg(t, n, true, false)];
      if (grad) args.push(arg(grad, n, false, true));
      const sum = staging.run(args, ([pA, tA, gA]) => w.mse(pA, tA, gA ?? 0, n, c, grad ? 1 : 0));
      return sum / n;
    },

    adam(wt, g, m, v, lrT, beta1, beta2, epsilon) {
      const n = wt.length;
      needLength('adam', 'g', g, n, 'w.length');
      needLength('adam', 'm', m, n, 'w.length');
      needLength('adam', 'v', v, n, 'w.length');
      staging.run(
        [arg(wt, n, true, true), arg(g, n, true, false), arg(m, n, true, true), arg(v, n, true, true)],
        ([wA, gA, mA, vA]) => w.adam(wA, gA, mA, vA, n, lrT, 1 - beta1, 1 - beta2, epsilon),
      );
    },

    sparseRowsMatmul(v, idx, m, k, wt, d, o) {
      needLength('sparseRowsMatmul', 'v', v, m * k, 'm·k');
      needIndices('sparseRowsMatmul', idx, m * k, wt.length / d, d);
      needLength('sparseRowsMatmul', 'o', o, m * d, 'm·d');
      staging.run(
        [
          arg(v, m * k, true, false),
          arg(asFloats(idx), m * k, true, false),
          arg(wt, wt.length, true, false),
          arg(o, m * d, false, true),
        ],
        ([vA, iA, wA, oA]) => w.sparse_rows_matmul(vA, iA, m, k, wA, d, oA),
      );
    },

    sparseRowsMatmulBackward(g, v, idx, m, k, wt, d, gv, gw) {
      needLength('sparseRowsMatmulBackward', 'g', g, m * d, 'm·d');
      needLength('sparseRowsMatmulBackward', 'v', v, m * k, 'm·k');
      needIndices('sparseRowsMatmulBackward', idx, m * k, wt.length / d, d);
      if (gv) needLength('sparseRowsMatmulBackward', 'gv', gv, m * k, 'm·k');
      if (gw) needLength('sparseRowsMatmulBackward', 'gw', gw, wt.length, 'w.length');
      const args = [
        arg(g, m * d, true, false),
        arg(v, m * k, true, false),
        arg(asFloats(idx), m * k, true, false),
        arg(wt, wt.length, true, false),
      ];
      // gW's row sums run over rows in order either way, so any order of a row's columns will do.
      const order = columnOrder(idx, m, k, wt.length / d, traversal, false, COLUMNS_FROM.decoderBackward);
      args.push(order ? arg(asFloats(order), order.length, true, false) : arg(EMPTY, 0, false, false));
      if (gv) args.push(arg(gv, m * k, true, true));
      if (gw) args.push(arg(gw, wt.length, true, true));
      staging.run(args, ([gA, vA, iA, wA, orderA, ...rest]) => {
        const gvA = gv ? rest[0] : 0;
        const gwA = gw ? rest[gv ? 1 : 0] : 0;
        const flags = [gv ? 1 : 0, gw ? 1 : 0] as const;
        if (order)
          w.sparse_rows_matmul_backward_cols(
            gA,
            vA,
            iA,
            m,
            k,
            wA,
            d,
            gvA,
            gwA,
            ...flags,
            orderA,
            order.length,
          );
        else w.sparse_rows_matmul_backward(gA, vA, iA, m, k, wA, d, gvA, gwA, ...flags);
      });
    },

    sparseLinearBackward(g, idx, m, k, x, d, wt, n, gw, gx) {
      needLength('sparseLinearBackward', 'g', g, m * k, 'm·k');
      needIndices('sparseLinearBackward', idx, m * k, n, 1);
      needLength('sparseLinearBackward', 'x', x, m * d, 'm·d');
      needLength('sparseLinearBackward', 'w', wt, d * n, 'd·n');
      if (gw) needLength('sparseLinearBackward', 'gw', gw, d * n, 'd·n');
      if (gx) needLength('sparseLinearBackward', 'gx', gx, m * d, 'm·d');
      const args = [
        arg(g, m * k, true, false),
        arg(asFloats(idx), m * k, true, false),
        arg(x, m * d, true, false),
        arg(wt, d * n, true, false),
      ];
      // gx's sums run over a row's entries in order: the column order keeps that only for sorted rows.
      const order = columnOrder(idx, m, k, n, traversal, gx !== null, COLUMNS_FROM.encoderBackward);
      if (order)
        args.push(
          arg(asFloats(order), order.length, true, false),
          // Scratch, neither read nor written back: four columns of W, four of gW, m·d doubles.
          arg(EMPTY, 4 * d, false, false),
          arg(EMPTY, 4 * d, false, false),
          arg(EMPTY, 2 * m * d, false, false),
        );
      if (gw) args.push(arg(gw, d * n, true, true));
      if (gx) args.push(arg(gx, m * d, true, true));
      staging.run(args, (addresses) => {
        const [gA, iA, xA, wA] = addresses;
        const [orderA, colWA, colGA, accA] = order ? addresses.slice(4, 8) : [];
        const rest = addresses.slice(order ? 8 : 4);
        const gwA = gw ? rest[0] : 0;
        const gxA = gx ? rest[gw ? 1 : 0] : 0;
        const flags = [gw ? 1 : 0, gx ? 1 : 0] as const;
        if (order)
          w.sparse_linear_backward_cols(
            gA,
            iA,
            m,
            k,
            xA,
            d,
            wA,
            n,
            gwA,
            gxA,
            ...flags,
            orderA,
            order.length,
            colWA,
            colGA,
            accA,
          );
        else w.sparse_linear_backward(gA, iA, m, k, xA, d, wA, n, gwA, gxA, ...flags);
      });
    },

    normalizeRows(a, r, c) {
      needLength('normalizeRows', 'a', a, r * c, 'r·c');
      staging.run([arg(a, r * c, true, true)], ([aA]) => w.normalize_rows(aA, r, c));
    },

    removeParallelComponent(g, wt, r, c) {
      needLength('removeParallelComponent', 'g', g, r * c, 'r·c');
      needLength('removeParallelComponent', 'w', wt, r * c, 'r·c');
      staging.run([arg(g, r * c, true, true), arg(wt, r * c, true, false)], ([gA, wA]) =>
        w.remove_parallel(gA, wA, r, c),
      );
    },

    csrTimes(ptr, idx, v, rows, b, k, out, accumulate, segments) {
      const count = segments?.count ?? 1;
      const stride = segments?.stride ?? 0;
      checkCounts('csrTimes', { rows, k, 'segments.count': count, 'segments.stride': stride });
      if (rows === 0 || k === 0 || count === 0) return;
      const ptrLength = (count - 1) * stride + rows + 1;
      if (ptr.length < ptrLength)
        throw new RangeError(
          `csrTimes: ptr has ${ptr.length} entries, needs (count − 1)·stride + rows + 1 = ${ptrLength}`,
        );
      const outFloats = out instanceof Float64Array ? 2 * rows * k : rows * k;
      const out32 =
        out instanceof Float64Array ? new Float32Array(out.buffer, out.byteOffset, 2 * out.length) : out;
      needLength(
        'csrTimes',
        'out',
        out32,
        outFloats,
        out instanceof Float64Array ? '2·rows·k (float64)' : 'rows·k',
      );
      // The kernel traps on a row pointer past nnz or a column index past B's rows, so nothing is read outside them.
      const nnz = Math.min(idx.length, v.length);
      const bRows = Math.floor(b.length / k);
      staging.run(
        [
          arg(asFloats(ptr), ptrLength, true, false),
          arg(asFloats(idx), nnz, true, false),
          arg(v, nnz, true, false),
          arg(b, bRows * k, true, false),
          arg(out32, outFloats, accumulate, true),
        ],
        ([pA, iA, vA, bA, oA]) => {
          const f64 = out instanceof Float64Array ? 1 : 0;
          const call = (r0: number, r1: number): CsrRowsArgs => [
            pA,
            iA,
            vA,
            bA,
            bRows,
            k,
            oA,
            f64,
            accumulate ? 1 : 0,
            r0,
            r1,
            count,
            stride,
            nnz,
          ];
          const work = csrWork(ptr, rows, count, stride);
          if (!helpers || work(rows) * k < THREADED_MIN_MACS) {
            w.csr_rows(...call(0, rows));
            return;
          }
          const cuts = splitByWork(work, rows, helpers.threads);
          helpers.runShares(
            w,
            'csr_rows',
            cuts.slice(1).map((r1, t) => call(cuts[t], r1)),
          );
        },
      );
    },
  };
}

/**
 * The work of csrTimes' rows 0..r (entries summed, plus a few per row for the row's own writes),
 * non-decreasing in r: from the row pointers directly for one segment, else tabulated.
 */
function csrWork(ptr: Int32Array, rows: number, count: number, stride: number): (r: number) => number {
  const perRow = 4;
  if (count === 1) return (r) => ptr[r] - ptr[0] + perRow * r;
  const cum = new Float64Array(rows + 1);
  for (let r = 0; r < rows; r++) {
    let e = perRow;
    for (let s = 0; s < count; s++) e += ptr[s * stride + r + 1] - ptr[s * stride + r];
    cum[r + 1] = cum[r] + e;
  }
  return (r) => cum[r];
}

/** Row boundaries 0 = c₀ ≤ c₁ ≤ … ≤ c_parts = rows splitting `work` into near-equal shares. */
function splitByWork(work: (r: number) => number, rows: number, parts: number): number[] {
  const total = work(rows);
  const cuts = [0];
  for (let t = 1; t < parts; t++) {
    const target = (total * t) / parts;
    let lo = cuts[t - 1];
    let hi = rows;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (work(mid) < target) lo = mid + 1;
      else hi = mid;
    }
    cuts.push(lo);
  }
  cuts.push(rows);
  return cuts;
}

/** The bits of an index array as floats, so staging copies them like any argument (same-type copies keep every bit). */
/** Stands for a scratch argument: staged (space reserved) but never copied in or out. */
const EMPTY = new Float32Array(0);

function asFloats(idx: Int32Array): Float32Array {
  return new Float32Array(idx.buffer, idx.byteOffset, idx.length);
}

/** Indices are used as addresses inside the shared memory: each must name a row (or column) that exists. */
function needIndices(kernel: string, idx: Int32Array, need: number, rows: number, _d: number): void {
  if (idx.length < need) throw new RangeError(`${kernel}: idx has ${idx.length} entries, needs ${need}`);
  for (let e = 0; e < need; e++) {
    const c = idx[e];
    if (!(c >= 0 && c < rows)) throw new RangeError(`${kernel}: idx[${e}] = ${c} is outside 0..${rows - 1}`);
  }
}

/** Kernels run unchecked inside the shared memory, so a short buffer must be caught before the call. */
function needLength(kernel: string, name: string, buffer: Float32Array, need: number, what: string): void {
  if (!Number.isInteger(need) || need < 0)
    throw new RangeError(`${kernel}: ${what} must be a non-negative integer, got ${need}`);
  if (buffer.length < need)
    throw new RangeError(`${kernel}: ${name} has ${buffer.length} elements, needs ${what} = ${need}`);
}

let sharedMemoryProbe: boolean | null = null;

/** True when this runtime runs WebAssembly SIMD with threads and can create a shared WebAssembly memory. */
export function simdAvailable(): boolean {
  if (sharedMemoryProbe === null) {
    try {
      new wasmApi!.Memory({ initial: 1, maximum: 1, shared: true });
      sharedMemoryProbe = true;
    } catch {
      sharedMemoryProbe = false;
    }
  }
  return sharedMemoryProbe && simdSupported();
}

export const simdBackendFactory = defineBackend({
  name: 'simd',
  description:
    'WebAssembly SIMD (f32x4) gemm with register tiles and packed panels, plus SIMD elementwise kernels',
  params: z
    .object({
      /** Threads that share one gemm's rows (bit-identical results); 1 leaves the other cores to other runs. */
      threads: z.coerce.number().int().min(1).max(64).default(1),
    })
    .strict(),
  priority: 100,
  isAvailable: simdAvailable,
  create: ({ threads }, context) => new SimdBackend({ threads, cacheDir: context?.cacheDir }),
});

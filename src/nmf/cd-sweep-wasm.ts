// The coordinate-descent sweep of cd.ts (cdSweepRows) in WebAssembly SIMD, on the simd backend's own
// memory, so it reads the gemm outputs (P, T) where the gemm wrote them and writes F's float32
// copy where the next gemm reads it: no copies. Same arithmetic, same order as `cdSweepRows`
// (the g[s] += δ·G[t, s] corrections two lanes at a time with f64x2, those of four columns fused
// into one pass over g in the same order of additions), so the results are bit-identical. All of
// it float64: the running gradient cancels (P − T → 0 at a fixed point), so it needs the precision.
// The module is assembled with wabt once per thread, on first use, and cached under the backend's
// cache directory (the run's), like the backend's own kernels (src/backend/simd/wasm-cache.ts).
import { type WasmModule, wasmApi } from '../backend/simd/wasm-api.ts';
import { cachedWasmModule } from '../backend/simd/wasm-cache.ts';
import type { Backend } from '../backend/types.ts';
import { defaultCacheDir } from '../util/files.ts';

/** Where a data sweep's inputs and outputs are (cd.ts's cdSweepRows and the WebAssembly one here). */
export interface CdSweepArgs {
  /** F (rows × k), float64, updated in place. */
  readonly f: Float64Array;
  /** F rounded to float32 after the sweep (rows × k), for the next gemm. */
  readonly f32: Float32Array;
  /** G (k × k, symmetric), the Gram matrix of the other factor with l2 added on its diagonal. */
  readonly g: Float64Array;
  /** P = F·G (rows × k) before the sweep, from a float32 gemm. */
  readonly p: Float32Array;
  /** T = X·(other factor) (rows × k). */
  readonly t: Float32Array | Float64Array;
  readonly rows: number;
  readonly k: number;
  /** The L1 penalty, subtracted from T as scikit-learn does. */
  readonly l1: number;
}

/**
 * The WAT of one fused correction, grad[s] = (((grad[s] + δ0·G[c0, s]) + δ1·G[c0+1, s]) + δ2·G[c0+2, s])
 * + δ3·G[c0+3, s], for two columns s at a time ('f64x2') or one ('f64', the last of an odd k).
 */
function fusedCorrection(lanes: 'f64x2' | 'f64', indent: number): string {
  const [store, load, delta] =
    lanes === 'f64x2' ? ['v128.store', 'v128.load', '$dv'] : ['f64.store', 'f64.load', '$d'];
  const rowOfG = [
    '(local.get $b)',
    '(i32.add (local.get $b) (local.get $rowG))',
    '(i32.add (local.get $b) (i32.shl (local.get $rowG) (i32.const 1)))',
    '(i32.add (local.get $b) (i32.mul (local.get $rowG) (i32.const 3)))',
  ];
  const lines = [
    '(local.set $a (i32.add (local.get $grad) (i32.shl (local.get $s) (i32.const 3))))',
    '(local.set $b (i32.add (local.get $b0) (i32.shl (local.get $s) (i32.const 3))))',
    `(${store} (local.get $a)`,
    `  (${lanes}.add (${lanes}.add (${lanes}.add (${lanes}.add (${load} (local.get $a))`,
    ...rowOfG.map(
      (row, q) => `    (${lanes}.mul (local.get ${delta}${q}) (${load} ${row})))${q === 3 ? ')' : ''}`,
    ),
  ];
  return lines.map((line) => ' '.repeat(indent) + line).join('\n');
}

const WAT = `(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; Returns the violation. Addresses in bytes; f, g, grad float64; f32, p float32; t float64 when tF64.
  ;; cd_sweep with its arguments in memory at $a (layout: ARG_* below), the violation stored at
  ;; $a + 48: for a helper thread, whose calls take i32 arguments only.
  (func (export "cd_sweep_at") (param $a i32)
    (f64.store offset=48 (local.get $a)
      (call $cd_sweep (i32.load offset=0 (local.get $a)) (i32.load offset=4 (local.get $a))
        (i32.load offset=8 (local.get $a)) (i32.load offset=12 (local.get $a)) (i32.load offset=16 (local.get $a))
        (i32.load offset=20 (local.get $a)) (i32.load offset=24 (local.get $a)) (i32.load offset=28 (local.get $a))
        (f64.load offset=40 (local.get $a)) (i32.load offset=32 (local.get $a)))))
  (func $cd_sweep (export "cd_sweep") (param $f i32) (param $f32 i32) (param $g i32) (param $p i32) (param $t i32)
    (param $tF64 i32) (param $rows i32) (param $k i32) (param $l1 f64) (param $grad i32) (result f64)
    (local $i i32) (local $s i32) (local $c i32) (local $fo i32) (local $po i32) (local $to i32)
    (local $gr f64) (local $old f64) (local $next f64) (local $delta f64) (local $hess f64)
    (local $viol f64) (local $a i32) (local $b i32) (local $tv f64) (local $k2 i32)
    (local $c0 i32) (local $cEnd i32) (local $q i32) (local $b0 i32) (local $rowG i32)
    (local $d0 f64) (local $d1 f64) (local $d2 f64) (local $d3 f64) (local $dv0 v128) (local $dv1 v128) (local $dv2 v128) (local $dv3 v128)
    (local.set $k2 (i32.and (local.get $k) (i32.const -2)))
    (block $rowsDone (loop $rowsLoop
      (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $fo (i32.add (local.get $f) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 3))))
      (local.set $po (i32.add (local.get $p) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $to (i32.add (local.get $t)
        (i32.shl (i32.mul (local.get $i) (local.get $k)) (select (i32.const 3) (i32.const 2) (local.get $tF64)))))
      ;; grad = p − t + l1
      (local.set $s (i32.const 0))
      (block $initDone (loop $initLoop
        (br_if $initDone (i32.ge_u (local.get $s) (local.get $k)))
        (if (local.get $tF64)
          (then (local.set $tv (f64.load (i32.add (local.get $to) (i32.shl (local.get $s) (i32.const 3))))))
          (else (local.set $tv (f64.promote_f32 (f32.load (i32.add (local.get $to) (i32.shl (local.get $s) (i32.const 2))))))))
        (f64.store (i32.add (local.get $grad) (i32.shl (local.get $s) (i32.const 3)))
          (f64.add
            (f64.sub (f64.promote_f32 (f32.load (i32.add (local.get $po) (i32.shl (local.get $s) (i32.const 2))))) (local.get $tv))
            (local.get $l1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $initLoop)))
      (local.set $c (i32.const 0))
      ;; Columns in blocks of 4: each column's update and its corrections inside the block one at a
      ;; time, then the corrections of the columns after the block fused, grad[s] = (((grad[s] + δ0·G[c0, s])
      ;; + δ1·G[c0+1, s]) + δ2·G[c0+2, s]) + δ3·G[c0+3, s]: the additions of the column-at-a-time order, in
      ;; that order (a δ of 0 adds ±0, which changes no value), with one load and store of grad per pair.
      (local.set $c0 (i32.const 0))
      (block $blocksDone (loop $blocksLoop
        (br_if $blocksDone (i32.ge_u (local.get $c0) (local.get $k)))
        (local.set $cEnd (select (local.get $k) (i32.add (local.get $c0) (i32.const 4))
          (i32.gt_u (i32.add (local.get $c0) (i32.const 4)) (local.get $k))))
        (local.set $d0 (f64.const 0)) (local.set $d1 (f64.const 0)) (local.set $d2 (f64.const 0)) (local.set $d3 (f64.const 0))
        (local.set $c (local.get $c0))
        (block $colsDone (loop $colsLoop
          (br_if $colsDone (i32.ge_u (local.get $c) (local.get $cEnd)))
          (block $next
            (local.set $gr (f64.load (i32.add (local.get $grad) (i32.shl (local.get $c) (i32.const 3)))))
            (local.set $a (i32.add (local.get $fo) (i32.shl (local.get $c) (i32.const 3))))
            (local.set $old (f64.load (local.get $a)))
            (local.set $viol (f64.add (local.get $viol)
              (f64.abs (select (f64.min (f64.const 0) (local.get $gr)) (local.get $gr) (f64.eq (local.get $old) (f64.const 0))))))
            (local.set $b (i32.add (local.get $g) (i32.shl (i32.mul (local.get $c) (local.get $k)) (i32.const 3))))
            (local.set $hess (f64.load (i32.add (local.get $b) (i32.shl (local.get $c) (i32.const 3)))))
            (br_if $next (f64.eq (local.get $hess) (f64.const 0)))
            (local.set $next (f64.max (f64.sub (local.get $old) (f64.div (local.get $gr) (local.get $hess))) (f64.const 0)))
            (local.set $delta (f64.sub (local.get $next) (local.get $old)))
            (br_if $next (f64.eq (local.get $delta) (f64.const 0)))
            (f64.store (local.get $a) (local.get $next))
            (local.set $q (i32.sub (local.get $c) (local.get $c0)))
            (if (i32.eq (local.get $q) (i32.const 0)) (then (local.set $d0 (local.get $delta))))
            (if (i32.eq (local.get $q) (i32.const 1)) (then (local.set $d1 (local.get $delta))))
            (if (i32.eq (local.get $q) (i32.const 2)) (then (local.set $d2 (local.get $delta))))
            (if (i32.eq (local.get $q) (i32.const 3)) (then (local.set $d3 (local.get $delta))))
            ;; grad[s] += delta * g[c, s] for the columns left in the block
            (local.set $s (i32.add (local.get $c) (i32.const 1)))
            (block $inDone (loop $inLoop
              (br_if $inDone (i32.ge_u (local.get $s) (local.get $cEnd)))
              (local.set $a (i32.add (local.get $grad) (i32.shl (local.get $s) (i32.const 3))))
              (f64.store (local.get $a) (f64.add (f64.load (local.get $a))
                (f64.mul (local.get $delta) (f64.load (i32.add (local.get $b) (i32.shl (local.get $s) (i32.const 3)))))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $inLoop))))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $colsLoop)))
        ;; the fused corrections of the columns after a full block, when any of its δ moved
        (if (i32.and (i32.eq (i32.sub (local.get $cEnd) (local.get $c0)) (i32.const 4))
              (i32.eqz (i32.and (i32.and (f64.eq (local.get $d0) (f64.const 0)) (f64.eq (local.get $d1) (f64.const 0)))
                                (i32.and (f64.eq (local.get $d2) (f64.const 0)) (f64.eq (local.get $d3) (f64.const 0))))))
          (then
            (local.set $b0 (i32.add (local.get $g) (i32.shl (i32.mul (local.get $c0) (local.get $k)) (i32.const 3))))
            (local.set $rowG (i32.shl (local.get $k) (i32.const 3)))
            (local.set $dv0 (f64x2.splat (local.get $d0))) (local.set $dv1 (f64x2.splat (local.get $d1)))
            (local.set $dv2 (f64x2.splat (local.get $d2))) (local.set $dv3 (f64x2.splat (local.get $d3)))
            (local.set $s (local.get $cEnd))
            (block $pairsDone (loop $pairs
              (br_if $pairsDone (i32.ge_u (local.get $s) (local.get $k2)))
${fusedCorrection('f64x2', 14)}
              (local.set $s (i32.add (local.get $s) (i32.const 2)))
              (br $pairs)))
            (if (i32.lt_u (local.get $s) (local.get $k))
              (then
${fusedCorrection('f64', 16)}))))
        (local.set $c0 (local.get $cEnd))
        (br $blocksLoop)))
      ;; the float32 copy of the row
      (local.set $a (i32.add (local.get $f32) (i32.shl (i32.mul (local.get $i) (local.get $k)) (i32.const 2))))
      (local.set $s (i32.const 0))
      (block $copyDone (loop $copy
        (br_if $copyDone (i32.ge_u (local.get $s) (local.get $k)))
        (f32.store (i32.add (local.get $a) (i32.shl (local.get $s) (i32.const 2)))
          (f32.demote_f64 (f64.load (i32.add (local.get $fo) (i32.shl (local.get $s) (i32.const 3))))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $copy)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rowsLoop)))
    (local.get $viol))
)`;

const FEATURES = { simd: true, threads: true, bulk_memory: true };

const SOURCE = { name: 'nmf-cd', text: WAT, features: FEATURES };

/** The compiled sweep, built once per thread (cached under `cacheDir`), or null without SIMD or threads. */
function cdModule(cacheDir: string): WasmModule | null {
  try {
    return cachedWasmModule(SOURCE, cacheDir);
  } catch {
    return null; // the TypeScript sweep runs instead
  }
}

/** What the wasm sweep needs of a backend: the simd backend's heap (and its helper threads). */
interface HeapBackend extends Backend {
  readonly heap: { readonly memory: unknown; owns(view: Float32Array): boolean };
  /** The run's cache directory, where the backend keeps its compiled kernels. */
  readonly cacheDir?: string;
  readonly helperThreads?: {
    readonly threads: number;
    load(module: unknown, name: string): number;
    runLoaded(id: number, own: (...a: number[]) => void, shares: readonly (readonly number[])[]): void;
  } | null;
}

/**
 * Sweeps of at least this many rows are cut in two halves, each swept on its own (one per thread
 * when the backend has a helper), the violation the sum of the two halves' (first + second),
 * whatever the number of threads. The rows are independent given G, P and T, so each row's
 * values are those of one sweep over all rows.
 */
export const CD_SPLIT_MIN_ROWS = 4096;
/** cd_sweep_at's argument block: 7 float64 slots (i32 addresses, l1 at byte 40, the violation at 48). */
const ARG_F64 = 7;

type CdSweepFn = (
  f: number,
  f32: number,
  g: number,
  p: number,
  t: number,
  tF64: number,
  rows: number,
  k: number,
  l1: number,
  grad: number,
) => number;

/**
 * A sweep bound to a simd backend's memory, or null when the backend has none (then use
 * `cdSweepRows`). Every buffer passed to it must live in that memory (`backend.alloc`).
 */
export function wasmCdSweep(
  backend: Backend,
  options: {
    /** false: the halves one after the other on this thread (default: on the helpers when there are some). */
    threads?: boolean;
    /** Float64 scratch in the backend's memory kept under a name (Workspace.named64); default: allocated once. */
    scratch64?: (name: string, length: number) => Float64Array;
  } = {},
): ((a: CdSweepArgs, grad: Float64Array) => number) | null {
  const { heap, cacheDir, helperThreads } = backend as Partial<HeapBackend>;
  if (!heap?.memory || typeof heap.owns !== 'function') return null;
  const module = cdModule(cacheDir ?? defaultCacheDir());
  if (!module || !wasmApi) return null;
  const instance = new wasmApi.Instance(module, { env: { memory: heap.memory } });
  const exports = instance.exports as Record<string, unknown>;
  const sweep = exports.cd_sweep as CdSweepFn;
  const sweepAt = exports.cd_sweep_at as (a: number) => void;
  const helpers =
    options.threads !== false && helperThreads && helperThreads.threads > 1 ? helperThreads : null;
  let helperId: number | null = null;
  // Per half: its argument block and its gradient scratch, in the heap.
  const scratch = options.scratch64 ?? keptIn(backend);
  const block = (h: number, k: number) => {
    const args = scratch(`cd.args${h}`, ARG_F64);
    return { args, ints: new Int32Array(args.buffer, args.byteOffset, 10), grad: scratch(`cd.grad${h}`, k) };
  };
  return (a, grad) => {
    for (const b of [a.f, a.f32, a.g, a.p, a.t, grad]) {
      if (!heap.owns(b as unknown as Float32Array))
        throw new Error('wasmCdSweep: every buffer must come from the backend (alloc)');
    }
    const tF64 = a.t instanceof Float64Array ? 1 : 0;
    if (a.rows < CD_SPLIT_MIN_ROWS) {
      const { f, f32, g, p, t } = a;
      return sweep(
        f.byteOffset,
        f32.byteOffset,
        g.byteOffset,
        p.byteOffset,
        t.byteOffset,
        tF64,
        a.rows,
        a.k,
        a.l1,
        grad.byteOffset,
      );
    }
    const { k } = a;
    const half = Math.ceil(a.rows / 2);
    const ranges = [
      [0, half],
      [half, a.rows],
    ];
    const halves = ranges.map((_, h) => block(h, k));
    const shares = ranges.map(([r0, r1], h) => {
      const b = halves[h];
      const tBytes = tF64 ? 8 : 4;
      b.ints.set([
        a.f.byteOffset + r0 * k * 8,
        a.f32.byteOffset + r0 * k * 4,
        a.g.byteOffset,
        a.p.byteOffset + r0 * k * 4,
        a.t.byteOffset + r0 * k * tBytes,
        tF64,
        r1 - r0,
        k,
        b.grad.byteOffset,
      ]);
      b.args[5] = a.l1;
      return [b.args.byteOffset];
    });
    if (helpers) {
      helperId ??= helpers.load(module, 'cd_sweep_at');
      helpers.runLoaded(helperId, sweepAt, shares);
    } else {
      for (const s of shares) sweepAt(s[0]);
    }
    return halves[0].args[6] + halves[1].args[6];
  };
}

/** Float64 buffers in the backend's memory, kept by name and grown when too small. */
function keptIn(backend: Backend): (name: string, length: number) => Float64Array {
  const kept = new Map<string, Float64Array>();
  return (name, length) => {
    const have = kept.get(name);
    if (have && have.length >= length) return have;
    const raw = backend.alloc!(2 * length); // 64-byte aligned, as Workspace.f64
    const v = new Float64Array(raw.buffer, raw.byteOffset, length);
    kept.set(name, v);
    return v;
  };
}

import { by4ThenBy1 } from '../backend/simd/wat-loops.ts';
import { shallowK4KernelsWat } from './kernels-k4-wat.ts';

/**
 * WebAssembly text (f32x4 SIMD) for the batch-1 products of the shallow autoencoder: vector ×
 * matrix, matrix × vector, and rank-1/rank-2 updates, each over row-major float32 at byte
 * addresses. No packing, no tiles: at batch 1 every product streams the weights once.
 * Inner loops take four floats a step and finish the row one float at a time.
 */

/** A loop over `$c` in 0..$cols, four at a time (`vector`) then one at a time (`scalar`). */
function columnLoop(vector: string, scalar: string, pointers: string[]): string {
  return by4ThenBy1('$c', '$cols', pointers, vector, scalar);
}

/**
 * Row r's y[c] += a[r]·x[c] over the columns, y and x walked by their pointers: `$s` is a[r],
 * `$sv` a[r] in every lane, and `rewind` the pointer that starts again at its vector each row.
 */
function axpyRow(a: string, y: string, x: string, [rewind, start]: [string, string]): string {
  return `
      (local.set $s ${rowFloat(a)})
      (local.set $sv (f32x4.splat (local.get $s)))
      (local.set ${rewind} (local.get ${start}))
      ${columnLoop(
        `(v128.store (local.get ${y}) (f32x4.add (v128.load (local.get ${y})) (f32x4.mul (local.get $sv) (v128.load (local.get ${x})))))`,
        `(f32.store (local.get ${y}) (f32.add (f32.load (local.get ${y})) (f32.mul (local.get $s) (f32.load (local.get ${x})))))`,
        [y, x],
      )}`;
}

/** A loop over rows `$r` in 0..$rows around `body`; `$row_f32` is the float at `$rowvec`[r] when given. */
function rowLoop(body: string): string {
  return `
    (local.set $r (i32.const 0))
    (block $r_done (loop $r_loop
      (br_if $r_done (i32.ge_s (local.get $r) (local.get $rows)))
      ${body}
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $r_loop)))`;
}

const LOCALS =
  '(local $r i32) (local $c i32) (local $end4 i32) (local $wp i32) (local $op i32) (local $bp i32) (local $b2p i32)';

const rowFloat = (vec: string) =>
  `(f32.load (i32.add (local.get ${vec}) (i32.shl (local.get $r) (i32.const 2))))`;

const HSUM = `(f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc))))`;

export function shallowKernelsWat(): string {
  return `(module
  (memory (export "memory") 1 65536)

  ;; out[c] = Σ_r a[r]·W[r, c]   (aᵀW; out has cols floats)
  (func (export "vecmat") (param $a i32) (param $w i32) (param $rows i32) (param $cols i32) (param $out i32)
    ${LOCALS} (local $s f32) (local $sv v128)
    (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $wp (local.get $w))
    ${rowLoop(axpyRow('$a', '$op', '$wp', ['$op', '$out']))}
  )

  ;; out[r] = Σ_c W[r, c]·a[c]   (W·a; out has rows floats)
  (func (export "matvec") (param $w i32) (param $a i32) (param $rows i32) (param $cols i32) (param $out i32)
    ${LOCALS} (local $acc v128) (local $s f32)
    (local.set $wp (local.get $w))
    ${rowLoop(`
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $s (f32.const 0))
      (local.set $bp (local.get $a))
      ${columnLoop(
        '(local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (v128.load (local.get $wp)) (v128.load (local.get $bp)))))',
        '(local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $wp)) (f32.load (local.get $bp)))))',
        ['$wp', '$bp'],
      )}
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (f32.add ${HSUM} (local.get $s)))`)}
  )

  ;; out[r] = W[r, :]·e with the old row, then W[r, :] += coef[r]·e, in one pass
  (func (export "dot_axpy") (param $w i32) (param $e i32) (param $coef i32) (param $rows i32) (param $cols i32) (param $out i32)
    ${LOCALS} (local $acc v128) (local $s f32) (local $k f32) (local $kv v128) (local $x v128) (local $ev v128) (local $xs f32) (local $es f32)
    (local.set $wp (local.get $w))
    ${rowLoop(`
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $s (f32.const 0))
      (local.set $k ${rowFloat('$coef')})
      (local.set $kv (f32x4.splat (local.get $k)))
      (local.set $bp (local.get $e))
      ${columnLoop(
        `(local.set $x (v128.load (local.get $wp)))
        (local.set $ev (v128.load (local.get $bp)))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $x) (local.get $ev))))
        (v128.store (local.get $wp) (f32x4.add (local.get $x) (f32x4.mul (local.get $kv) (local.get $ev))))`,
        `(local.set $xs (f32.load (local.get $wp)))
        (local.set $es (f32.load (local.get $bp)))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $xs) (local.get $es))))
        (f32.store (local.get $wp) (f32.add (local.get $xs) (f32.mul (local.get $k) (local.get $es))))`,
        ['$wp', '$bp'],
      )}
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))) (f32.add ${HSUM} (local.get $s)))`)}
  )

  ;; W[r, c] += a1[r]·b1[c] + a2[r]·b2[c]   (a rank-2 update: the tied step)
  (func (export "ger2") (param $w i32) (param $a1 i32) (param $b1 i32) (param $a2 i32) (param $b2 i32) (param $rows i32) (param $cols i32)
    ${LOCALS} (local $s1 f32) (local $s2 f32) (local $v1 v128) (local $v2 v128)
    (local.set $wp (local.get $w))
    ${rowLoop(`
      (local.set $s1 ${rowFloat('$a1')})
      (local.set $s2 ${rowFloat('$a2')})
      (local.set $v1 (f32x4.splat (local.get $s1)))
      (local.set $v2 (f32x4.splat (local.get $s2)))
      (local.set $bp (local.get $b1))
      (local.set $b2p (local.get $b2))
      ${columnLoop(
        '(v128.store (local.get $wp) (f32x4.add (v128.load (local.get $wp)) (f32x4.add (f32x4.mul (local.get $v1) (v128.load (local.get $bp))) (f32x4.mul (local.get $v2) (v128.load (local.get $b2p))))))',
        '(f32.store (local.get $wp) (f32.add (f32.load (local.get $wp)) (f32.add (f32.mul (local.get $s1) (f32.load (local.get $bp))) (f32.mul (local.get $s2) (f32.load (local.get $b2p))))))',
        ['$wp', '$bp', '$b2p'],
      )}`)}
  )

  ;; W[r, c] += a[r]·b[c]   (a rank-1 update)
  (func (export "ger") (param $w i32) (param $a i32) (param $b i32) (param $rows i32) (param $cols i32)
    ${LOCALS} (local $s f32) (local $sv v128)
    (local.set $wp (local.get $w))
    ${rowLoop(axpyRow('$a', '$wp', '$bp', ['$bp', '$b']))}
  )
${shallowK4KernelsWat()}
)`;
}

/**
 * WebAssembly text for one SGD step of the shallow autoencoder at K = 4 (the authors' default):
 * with four hidden units a row of W is exactly one f32x4, so each pass keeps its sums in registers
 * and the residual, its square and the decoder's dot products share one pass over the weights.
 *
 * These functions do the very arithmetic of the generic kernels (kernels-wat.ts) and of the
 * TypeScript between them, in the same order: f32 lanes where those are f32, f64 where the
 * TypeScript computes in doubles (the residual, its square, the scaled input and error). A step
 * through them leaves bit-for-bit the weights the generic path leaves (test/shallow-k4.test.ts),
 * so stored runs stay reproducible; they only take fewer passes.
 */

/** The lanes of `v` summed as the generic matvec does: (l0 + l1) + (l2 + l3), then + 0. */
const hsumPlusZero = (v: string) => `(f32.add
      (f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v}))
               (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))
      (f32.const 0))`;

/** A loop over `$i` from 0 to `$n` in steps of `step`, with `body` inside. */
function loop(step: number, body: string): string {
  return `
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ${body}
      (local.set $i (i32.add (local.get $i) (i32.const ${step})))
      (br $next)))`;
}

/** Byte address of float `$i` (+ lane) in the array at `ptr`. */
const at = (ptr: string, lane = 0) =>
  `(i32.add (local.get ${ptr}) (i32.add (i32.shl (local.get $i) (i32.const 2)) (i32.const ${4 * lane})))`;
/** Byte address of row `$i` of a D × 4 matrix at `ptr`. */
const row = (ptr: string) => `(i32.add (local.get ${ptr}) (i32.shl (local.get $i) (i32.const 4)))`;

/**
 * The residual of float `$i` + lane in doubles, as the TypeScript does: r = (x − x̂) − c (c = 0
 * without an output bias); e gets r rounded to f32 and ‖e‖² accumulates r² in order.
 */
function residual(lane: number, xhat: string): string {
  return `
      (local.set $r (f64.sub
        (f64.sub (f64.promote_f32 (f32.load ${at('$x', lane)})) (f64.promote_f32 ${xhat}))
        (if (result f64) (local.get $c) (then (f64.promote_f32 (f32.load ${at('$c', lane)}))) (else (f64.const 0)))))
      (f32.store ${at('$e', lane)} (f32.demote_f64 (local.get $r)))
      (local.set $sq (f64.add (local.get $sq) (f64.mul (local.get $r) (local.get $r))))`;
}

export function shallowK4KernelsWat(): string {
  return `
  ;; out = xᵀW for W D × 4: the generic vecmat with its sum in a register.
  (func (export "enc4") (param $x i32) (param $w i32) (param $n i32) (param $out i32)
    (local $i i32) (local $acc v128)
    ${loop(
      1,
      `(local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (f32x4.splat (f32.load ${at('$x')})) (v128.load ${row('$w')}))))`,
    )}
    (v128.store (local.get $out) (local.get $acc)))

  ;; Tied: x̂ = W·h, e = x − x̂ − c, s = eᵀW in one pass over W (D × 4); returns ‖x − x̂ − c‖² in f64.
  (func (export "tied_residual4") (param $w i32) (param $h i32) (param $x i32) (param $c i32)
      (param $n i32) (param $e i32) (param $s i32) (result f64)
    (local $i i32) (local $hv v128) (local $wr v128) (local $acc v128) (local $r f64) (local $sq f64)
    (local.set $hv (v128.load (local.get $h)))
    ${loop(
      1,
      `(local.set $wr (v128.load ${row('$w')}))
      ${residual(0, hsumPlusZero('(f32x4.add (v128.const f32x4 0 0 0 0) (f32x4.mul (local.get $wr) (local.get $hv)))'))}
      (local.set $acc (f32x4.add (local.get $acc)
        (f32x4.mul (f32x4.splat (f32.load ${at('$e')})) (local.get $wr))))`,
    )}
    (v128.store (local.get $s) (local.get $acc))
    (local.get $sq))

  ;; Untied, V 4 × D: x̂ = hᵀV, e = x − x̂ − c, s = V·e with the old V, then V += coef ⊗ e, in one
  ;; pass over V four columns at a time (D a multiple of 4); returns ‖x − x̂ − c‖² in f64.
  (func (export "untied_residual4") (param $v i32) (param $h i32) (param $coef i32) (param $x i32)
      (param $c i32) (param $n i32) (param $e i32) (param $s i32) (result f64)
    (local $i i32) (local $stride i32) (local $r f64) (local $sq f64) (local $xh v128) (local $ev v128)
    ${[0, 1, 2, 3].map((j) => `(local $v${j} v128) (local $acc${j} v128)`).join(' ')}
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    ${loop(
      4,
      `${[0, 1, 2, 3]
        .map(
          (j) =>
            `(local.set $v${j} (v128.load (i32.add ${at('$v')} (i32.mul (local.get $stride) (i32.const ${j})))))`,
        )
        .join('\n      ')}
      (local.set $xh (v128.const f32x4 0 0 0 0))
      ${[0, 1, 2, 3]
        .map(
          (j) =>
            `(local.set $xh (f32x4.add (local.get $xh) (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $h) (i32.const ${4 * j})))) (local.get $v${j}))))`,
        )
        .join('\n      ')}
      ${[0, 1, 2, 3].map((lane) => residual(lane, `(f32x4.extract_lane ${lane} (local.get $xh))`)).join('')}
      (local.set $ev (v128.load ${at('$e')}))
      ${[0, 1, 2, 3]
        .map(
          (j) =>
            `(local.set $acc${j} (f32x4.add (local.get $acc${j}) (f32x4.mul (local.get $v${j}) (local.get $ev))))
      (v128.store (i32.add ${at('$v')} (i32.mul (local.get $stride) (i32.const ${j})))
        (f32x4.add (local.get $v${j}) (f32x4.mul (f32x4.splat (f32.load (i32.add (local.get $coef) (i32.const ${4 * j})))) (local.get $ev))))`,
        )
        .join('\n      ')}`,
    )}
    ${[0, 1, 2, 3].map((j) => `(f32.store (i32.add (local.get $s) (i32.const ${4 * j})) ${hsumPlusZero(`(local.get $acc${j})`)})`).join('\n    ')}
    (local.get $sq))

  ;; W += (aw·x) ⊗ δ, plus (ae·e) ⊗ h when ae ≠ 0 (the tied full gradient), W D × 4; the scaled
  ;; x and e are rounded to f32 from doubles, as the TypeScript writes them.
  (func (export "update4") (param $w i32) (param $x i32) (param $aw f64) (param $delta i32)
      (param $e i32) (param $ae f64) (param $h i32) (param $n i32)
    (local $i i32) (local $dv v128) (local $hv v128) (local $step v128)
    (local.set $dv (v128.load (local.get $delta)))
    (local.set $hv (v128.load (local.get $h)))
    ${loop(
      1,
      `(local.set $step (f32x4.mul
        (f32x4.splat (f32.demote_f64 (f64.mul (local.get $aw) (f64.promote_f32 (f32.load ${at('$x')})))))
        (local.get $dv)))
      (if (f64.ne (local.get $ae) (f64.const 0)) (then
        (local.set $step (f32x4.add (local.get $step) (f32x4.mul
          (f32x4.splat (f32.demote_f64 (f64.mul (local.get $ae) (f64.promote_f32 (f32.load ${at('$e')})))))
          (local.get $hv))))))
      (v128.store ${row('$w')} (f32x4.add (v128.load ${row('$w')}) (local.get $step)))`,
    )})`;
}

import { activationWat } from './activation-wat.ts';
import { by4ThenBy1 } from './wat-loops.ts';

/**
 * WebAssembly text for the elementwise kernels (see ElementwiseKernels in ../types.ts).
 *
 * Except bias + sigmoid / tanh (activation-wat.ts: an exp approximation, a few ulps from the
 * reference), each kernel repeats the arithmetic of its TypeScript reference
 * (src/backend/kernels.ts) in the same precision and order, so the results are bit-identical to
 * it, not merely close:
 * - where the reference does one f32 operation per element (bias add, relu, column sums), f32x4
 *   gives the same rounding as JavaScript's double-then-round-to-float32 (one IEEE operation in
 *   double followed by rounding to float is correctly rounded);
 * - where it chains several operations in double (the sigmoid/tanh derivatives, Adam, MSE), the
 *   kernel widens to f64x2, does the same chain, and narrows once, as the typed-array store does.
 * Every loop handles four floats per step and finishes the last few one at a time.
 */

type FloatType = 'f64x2' | 'f64';

/** Four floats at `$ptr` widened to two f64x2 locals `$<name>_lo`, `$<name>_hi`. */
function widen(name: string, ptr: string): string {
  return [
    `(local.set $q (v128.load (local.get ${ptr})))`,
    `(local.set $${name}_lo (f64x2.promote_low_f32x4 (local.get $q)))`,
    `(local.set $${name}_hi (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $q) (local.get $q))))`,
  ].join('\n    ');
}

/** Stores the two f64x2 expressions as four floats at `$ptr` (rounded to nearest, as a Float32Array store). */
function narrow(ptr: string, lo: string, hi: string): string {
  return `(v128.store (local.get ${ptr}) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi})))`;
}

/** Locals for widened operands of the named buffers. */
function wideLocals(names: string[]): string {
  return names.map((n) => `(local $${n}_lo v128) (local $${n}_hi v128)`).join(' ');
}

/** One float at `$ptr`, widened to f64. */
const load1 = (ptr: string) => `(f64.promote_f32 (f32.load (local.get ${ptr})))`;
const store1 = (ptr: string, value: string) => `(f32.store (local.get ${ptr}) (f32.demote_f64 ${value}))`;

/** The loop over flat buffers of `$n` floats, pointers advanced together. */
function flatLoop(pointers: string[], vectorBody: string, scalarBody: string): string {
  return by4ThenBy1('$i', '$n', pointers, vectorBody, scalarBody);
}

const flatLocals = '(local $i i32) (local $end4 i32) (local $q v128)';

/** z[i, j] ← act(z[i, j] + bias[j]) for act = linear or relu (relu as Math.max(v, 0): NaN stays NaN, −0 → +0). */
function biasFunc(name: string, relu: boolean): string {
  const sum = '(f32x4.add (v128.load (local.get $zp)) (v128.load (local.get $bp)))';
  const vec = relu ? `(f32x4.max ${sum} (v128.const i32x4 0 0 0 0))` : sum;
  const scalarSum = '(f32.add (f32.load (local.get $zp)) (f32.load (local.get $bp)))';
  const scalar = `(f32.store (local.get $zp) ${relu ? `(f32.max ${scalarSum} (f32.const 0))` : scalarSum})`;
  return `
(func (export "${name}") (param $z i32) (param $bias i32) (param $rows i32) (param $cols i32)
  ${flatLocals} (local $row i32) (local $zp i32) (local $bp i32) (local $n i32)
  (local.set $n (local.get $cols))
  (local.set $zp (local.get $z))
  (block $doneRows (loop $rowsLoop
    (br_if $doneRows (i32.ge_u (local.get $row) (local.get $rows)))
    (local.set $bp (local.get $bias))
    ${flatLoop(['$zp', '$bp'], `(v128.store (local.get $zp) ${vec})`, scalar)}
    (local.set $row (i32.add (local.get $row) (i32.const 1)))
    (br $rowsLoop))))`;
}

/** g ← y > 0 ? g : 0. */
const reluBackward = `
(func (export "relu_backward") (param $g i32) (param $y i32) (param $n i32)
  ${flatLocals}
  ${flatLoop(
    ['$g', '$y'],
    '(v128.store (local.get $g) (v128.and (v128.load (local.get $g)) (f32x4.gt (v128.load (local.get $y)) (v128.const i32x4 0 0 0 0))))',
    '(if (i32.eqz (f32.gt (f32.load (local.get $y)) (f32.const 0))) (then (f32.store (local.get $g) (f32.const 0))))',
  )})`;

/** g ← g · d(y) in double, d given as an expression builder over a float type and the y operand. */
function derivativeBackward(name: string, derivative: (t: FloatType, y: string) => string): string {
  const vec = (half: 'lo' | 'hi') =>
    `(f64x2.mul (local.get $g_${half}) ${derivative('f64x2', `(local.get $y_${half})`)})`;
  return `
(func (export "${name}") (param $g i32) (param $y i32) (param $n i32)
  ${flatLocals} ${wideLocals(['g', 'y'])} (local $ys f64)
  ${flatLoop(
    ['$g', '$y'],
    [widen('g', '$g'), widen('y', '$y'), narrow('$g', vec('lo'), vec('hi'))].join('\n    '),
    `(local.set $ys ${load1('$y')})
    ${store1('$g', `(f64.mul ${load1('$g')} ${derivative('f64', '(local.get $ys)')})`)}`,
  )})`;
}

const one = (t: FloatType) => (t === 'f64' ? '(f64.const 1)' : '(f64x2.splat (f64.const 1))');
/** σ'(x) = y(1 − y), as the reference writes it: y * (1 - y). */
const sigmoidDerivative = (t: FloatType, y: string) => `(${t}.mul ${y} (${t}.sub ${one(t)} ${y}))`;
/** tanh'(x) = 1 − y², as the reference writes it: 1 - y * y. */
const tanhDerivative = (t: FloatType, y: string) => `(${t}.sub ${one(t)} (${t}.mul ${y} ${y}))`;

/** out[j] (+)= Σ_i g[i, j], rows summed in order. */
const columnSum = `
(func (export "column_sum") (param $g i32) (param $rows i32) (param $cols i32) (param $out i32) (param $accumulate i32)
  ${flatLocals} (local $row i32) (local $op i32) (local $n i32)
  (local.set $n (local.get $cols))
  (if (i32.eqz (local.get $accumulate)) (then (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $cols) (i32.const 2)))))
  (block $doneRows (loop $rowsLoop
    (br_if $doneRows (i32.ge_u (local.get $row) (local.get $rows)))
    (local.set $op (local.get $out))
    ${flatLoop(
      ['$g', '$op'],
      '(v128.store (local.get $op) (f32x4.add (v128.load (local.get $op)) (v128.load (local.get $g))))',
      '(f32.store (local.get $op) (f32.add (f32.load (local.get $op)) (f32.load (local.get $g))))',
    )}
    (local.set $row (i32.add (local.get $row) (i32.const 1)))
    (br $rowsLoop))))`;

/**
 * Σ (p − t)² in double, added in index order (one scalar chain, as the reference); when $hasGrad,
 * grad ← c · (p − t). Returns the sum; the caller divides by the length.
 */
const mse = `
(func (export "mse") (param $p i32) (param $t i32) (param $grad i32) (param $n i32) (param $c f64) (param $hasGrad i32) (result f64)
  ${flatLocals} ${wideLocals(['p', 't', 'd'])} (local $sum f64) (local $c2 v128) (local $d f64) (local $sq v128)
  (local.set $c2 (f64x2.splat (local.get $c)))
  ${flatLoop(
    ['$p', '$t', '$grad'],
    [
      widen('p', '$p'),
      widen('t', '$t'),
      '(local.set $d_lo (f64x2.sub (local.get $p_lo) (local.get $t_lo)))',
      '(local.set $d_hi (f64x2.sub (local.get $p_hi) (local.get $t_hi)))',
      `(if (local.get $hasGrad) (then ${narrow('$grad', '(f64x2.mul (local.get $c2) (local.get $d_lo))', '(f64x2.mul (local.get $c2) (local.get $d_hi))')}))`,
      '(local.set $sq (f64x2.mul (local.get $d_lo) (local.get $d_lo)))',
      '(local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $sq))))',
      '(local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $sq))))',
      '(local.set $sq (f64x2.mul (local.get $d_hi) (local.get $d_hi)))',
      '(local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 0 (local.get $sq))))',
      '(local.set $sum (f64.add (local.get $sum) (f64x2.extract_lane 1 (local.get $sq))))',
    ].join('\n    '),
    `(local.set $d (f64.sub ${load1('$p')} ${load1('$t')}))
    (if (local.get $hasGrad) (then ${store1('$grad', '(f64.mul (local.get $c) (local.get $d))')}))
    (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))`,
  )}
  (local.get $sum))`;

/**
 * One Adam step (Keras form), in double like the reference:
 * m' = m + (g − m)·a1, v' = v + (g² − v)·a2, w ← w − lrT·m' / (√v' + ε), with a1 = 1 − β1, a2 = 1 − β2.
 */
function adamWat(): string {
  // The update of one f64x2 half; `k(x)` is the splatted parameter x.
  const half = (h: 'lo' | 'hi') => {
    const g = `(local.get $g_${h})`;
    const m = `(local.get $m_${h})`;
    const v = `(local.get $v_${h})`;
    return [
      `(local.set $m_${h} (f64x2.add ${m} (f64x2.mul (f64x2.sub ${g} ${m}) (local.get $a1x))))`,
      `(local.set $v_${h} (f64x2.add ${v} (f64x2.mul (f64x2.sub (f64x2.mul ${g} ${g}) ${v}) (local.get $a2x))))`,
      `(local.set $w_${h} (f64x2.sub (local.get $w_${h}) (f64x2.div (f64x2.mul (local.get $lrx) ${m}) (f64x2.add (f64x2.sqrt ${v}) (local.get $epsx)))))`,
    ].join('\n    ');
  };
  return `
(func (export "adam") (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32) (param $lrT f64) (param $a1 f64) (param $a2 f64) (param $eps f64)
  ${flatLocals} ${wideLocals(['w', 'g', 'm', 'v'])} (local $lrx v128) (local $a1x v128) (local $a2x v128) (local $epsx v128)
  (local $gs f64) (local $ms f64) (local $vs f64)
  (local.set $lrx (f64x2.splat (local.get $lrT)))
  (local.set $a1x (f64x2.splat (local.get $a1)))
  (local.set $a2x (f64x2.splat (local.get $a2)))
  (local.set $epsx (f64x2.splat (local.get $eps)))
  ${flatLoop(
    ['$w', '$g', '$m', '$v'],
    [
      widen('w', '$w'),
      widen('g', '$g'),
      widen('m', '$m'),
      widen('v', '$v'),
      half('lo'),
      half('hi'),
      narrow('$m', '(local.get $m_lo)', '(local.get $m_hi)'),
      narrow('$v', '(local.get $v_lo)', '(local.get $v_hi)'),
      narrow('$w', '(local.get $w_lo)', '(local.get $w_hi)'),
    ].join('\n    '),
    `(local.set $gs ${load1('$g')})
    (local.set $ms ${load1('$m')})
    (local.set $vs ${load1('$v')})
    (local.set $ms (f64.add (local.get $ms) (f64.mul (f64.sub (local.get $gs) (local.get $ms)) (local.get $a1))))
    (local.set $vs (f64.add (local.get $vs) (f64.mul (f64.sub (f64.mul (local.get $gs) (local.get $gs)) (local.get $vs)) (local.get $a2))))
    ${store1('$m', '(local.get $ms)')}
    ${store1('$v', '(local.get $vs)')}
    ${store1('$w', `(f64.sub ${load1('$w')} (f64.div (f64.mul (local.get $lrT) (local.get $ms)) (f64.add (f64.sqrt (local.get $vs)) (local.get $eps))))`)}`,
  )})`;
}

/** Every elementwise kernel function. */
export function elementwiseWat(): string {
  return [
    biasFunc('bias_linear', false),
    biasFunc('bias_relu', true),
    activationWat(),
    reluBackward,
    derivativeBackward('sigmoid_backward', sigmoidDerivative),
    derivativeBackward('tanh_backward', tanhDerivative),
    columnSum,
    mse,
    adamWat(),
  ].join('\n');
}

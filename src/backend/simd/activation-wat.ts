/**
 * WebAssembly text for z ← act(z + bias) with act = sigmoid or tanh, four floats at a time in
 * f32x4. Unlike the other elementwise kernels these are not bit-identical to the TypeScript
 * reference (which calls Math.exp / Math.tanh in double): they approximate exp in float32 and agree
 * with the reference to a few float32 ulps (bounds in test/backend-simd.test.ts).
 *
 * - The sum: x = z + bias is rounded to float32, and its rounding error e is recovered exactly
 *   (Knuth's TwoSum), so the exp argument is corrected by e. Without it, σ(x) for x ≪ 0 would
 *   inherit the rounding of x magnified |x| times (up to 61 ulps, measured near x = −71), where
 *   the reference adds z + bias exactly in double.
 * - exp(v), v ≤ 0: v = n·ln 2 + r with n = round(v·log₂e) and |r| ≤ ln 2 / 2, r computed
 *   Cody–Waite style (ln 2 in two parts, the first with 9 significant bits so n·LN2_HI is exact);
 *   expm1(r) = r + r²·P(r) with P the Taylor coefficients 1/2!..1/8! (truncation error below
 *   7·10⁻¹⁰ relative, 0.012·2⁻²⁴), evaluated by Estrin's scheme; 2ⁿ written into the exponent bits.
 * - sigmoid: E = exp(−|x|) ∈ (0, 1], σ = 1/(1 + E) for x ≥ 0 and E/(1 + E) for x < 0, so nothing
 *   overflows and small outputs keep their relative accuracy down to the subnormals (E is scaled
 *   by 2ⁿ⁺⁶⁴ then 2⁻⁶⁴, so it is rounded once, where it turns subnormal).
 * - tanh: M = expm1(−2|x|) ∈ (−1, 0], tanh|x| = −M/(2 + M), with the sign of x put back; the
 *   expm1 form keeps relative accuracy near 0, where 1 − 2/(e²ˣ + 1) would cancel.
 * - The argument is clamped where the result has saturated (σ < 2⁻¹⁵⁰ rounds to 0 below −104;
 *   tanh rounds to ±1 beyond |x| ≈ 9), so ±Inf give the limits; the clamp (f32x4.pmax with the
 *   argument first) lets NaN through, and NaN in gives NaN out.
 * No branches per lane, so the time does not depend on the data. The last cols % 4 floats of each
 * row go through the same lane arithmetic in a partly filled vector, so a float's result does not
 * depend on where it sits in the row.
 */

/** The bits of float32 `x` as a hex literal. */
function f32Bits(x: number): string {
  return `0x${new Uint32Array(Float32Array.of(x).buffer)[0].toString(16)}`;
}

/** A v128 with float32 `x` in every lane, written by its bits so the constant is exactly Math.fround(x). */
function splat(x: number): string {
  const h = f32Bits(x);
  return `(v128.const i32x4 ${h} ${h} ${h} ${h})`;
}

const i32Splat = (x: number) => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;

const get = (name: string) => `(local.get $${name})`;
const set = (name: string, value: string) => `(local.set $${name} ${value})`;
const op = (name: string, ...args: string[]) => `(${name} ${args.join(' ')})`;

const SIGN = i32Splat(-0x80000000);
/** 1.5·2²³: adding it rounds |v| < 2²² to an integer n (ties to even) and leaves n in the low bits. */
const ROUND_MAGIC = 1.5 * 2 ** 23;
const LN2_HI = 0.693359375; // 355/512
const LN2_LO = Math.LN2 - LN2_HI;
/** Below this σ(x) < 2⁻¹⁵⁰, which rounds to 0. */
const SIGMOID_CLAMP = -104;
/** Below this 2x, tanh(x) rounds to ±1 (it does from |x| ≈ 9.01). */
const TANH_CLAMP = -20;
/** Degree of the Taylor polynomial for expm1(r): r + r²/2! + … + r⁸/8!. */
const EXPM1_DEGREE = 8;

/** Coefficients 1/2!, 1/3!, …, 1/degree! of expm1(r) = r + r²·P(r), lowest first. */
function taylorCoefficients(): number[] {
  const out: number[] = [];
  let factorial = 1;
  for (let k = 2; k <= EXPM1_DEGREE; k++) {
    factorial *= k;
    out.push(1 / factorial);
  }
  return out;
}

/**
 * x = a + b rounded (local $s) and its rounding error (local $e), exact: s + e = a + b. Where s
 * overflows e is NaN; the callers drop e wherever they clamp, which covers that.
 */
const twoSum = [
  set('s', op('f32x4.add', get('a'), get('b'))),
  set('t', op('f32x4.sub', get('s'), get('a'))), // the part of b that made it into s
  set(
    'e',
    op(
      'f32x4.add',
      op('f32x4.sub', get('a'), op('f32x4.sub', get('s'), get('t'))),
      op('f32x4.sub', get('b'), get('t')),
    ),
  ),
];

/**
 * $v ← −|s| (−2|s| when `twice`) and $ev ← the matching correction from e, v clamped at `clamp`
 * (NaN passes) and the correction dropped where clamped, for ±Inf and for NaN.
 */
function negativeMagnitude(twice: boolean, clamp: number): string[] {
  const out = [
    set('v', op('v128.or', get('s'), SIGN)),
    // v = −|s|: for s ≥ 0 the correction is −e, so flip e's sign where s's sign bit is clear.
    set('ev', op('v128.xor', get('e'), op('v128.andnot', SIGN, get('s')))),
  ];
  if (twice)
    out.push(set('v', op('f32x4.add', get('v'), get('v'))), set('ev', op('f32x4.add', get('ev'), get('ev'))));
  out.push(
    set('ev', op('v128.and', get('ev'), op('f32x4.gt', get('v'), splat(clamp)))),
    set('v', op('f32x4.pmax', get('v'), splat(clamp))),
  );
  return out;
}

/**
 * Σ cᵢ·rⁱ by Estrin's scheme: pairs c₂ᵢ + c₂ᵢ₊₁·r, then pairs of those with r², then r⁴, … (from
 * locals $r, $r2, $r4). The kernels are bound by the latency of one vector's chain of operations,
 * and this evaluates degree 6 in three dependent multiply-add steps where Horner takes six
 * (−15 % time at 256×784).
 */
function estrin(coefficients: string[], powers = ['r', 'r2', 'r4']): string {
  if (coefficients.length === 1) return coefficients[0];
  const [power, ...higher] = powers;
  const pairs: string[] = [];
  for (let i = 0; i < coefficients.length; i += 2) {
    const [lo, hi] = [coefficients[i], coefficients[i + 1]];
    pairs.push(hi === undefined ? lo : op('f32x4.add', lo, op('f32x4.mul', hi, get(power))));
  }
  if (pairs.length > 1 && higher.length === 0) throw new Error('estrin: polynomial degree too high');
  return estrin(pairs, higher);
}

/**
 * From $v ≤ 0 (and its correction $ev): $n2 ← the bits of round(v·log₂e) + ROUND_MAGIC (the
 * integer n sits in the low mantissa bits) and $m ← expm1(r), r = v + ev − n·ln 2.
 */
const reduceAndExpm1 = [
  set('n2', op('f32x4.add', op('f32x4.mul', get('v'), splat(Math.LOG2E)), splat(ROUND_MAGIC))),
  set('nf', op('f32x4.sub', get('n2'), splat(ROUND_MAGIC))),
  // v − n·LN2_HI is exact (n·LN2_HI has at most 17 significant bits and lies within a factor 2 of v);
  // the small parts, ev − n·LN2_LO, are summed beside it, off the chain of dependent operations.
  set(
    'r',
    op(
      'f32x4.add',
      op('f32x4.sub', get('v'), op('f32x4.mul', get('nf'), splat(LN2_HI))),
      op('f32x4.sub', get('ev'), op('f32x4.mul', get('nf'), splat(LN2_LO))),
    ),
  ),
  set('r2', op('f32x4.mul', get('r'), get('r'))),
  set('r4', op('f32x4.mul', get('r2'), get('r2'))),
  set('m', op('f32x4.add', op('f32x4.mul', get('r2'), estrin(taylorCoefficients().map(splat))), get('r'))),
];

/** 2^(n + bias) as floats, from $n2 (n + bias must lie in −126..127). */
const powerOfTwo = (bias: number) =>
  op('i32x4.shl', op('i32x4.add', get('n2'), i32Splat(127 + bias)), '(i32.const 23)');

/** $y ← σ(a + b) lane by lane. */
const sigmoidLanes = [
  ...twoSum,
  ...negativeMagnitude(false, SIGMOID_CLAMP),
  ...reduceAndExpm1,
  // E = exp(v) = (1 + m)·2ⁿ⁺⁶⁴·2⁻⁶⁴: the first product is exact, the second rounds once.
  set(
    'm',
    op('f32x4.mul', op('f32x4.mul', op('f32x4.add', get('m'), splat(1)), powerOfTwo(64)), splat(2 ** -64)),
  ),
  set(
    'y',
    op(
      'f32x4.div',
      op('v128.bitselect', get('m'), splat(1), op('f32x4.lt', get('s'), splat(0))),
      op('f32x4.add', get('m'), splat(1)),
    ),
  ),
];

/** $y ← tanh(a + b) lane by lane. */
const tanhLanes = [
  ...twoSum,
  ...negativeMagnitude(true, TANH_CLAMP),
  ...reduceAndExpm1,
  // M = expm1(v) = 2ⁿ·m + (2ⁿ − 1); 2ⁿ·m is exact, and so is 2ⁿ − 1 for the n that do not round M to −1.
  set('t', powerOfTwo(0)),
  set('m', op('f32x4.add', op('f32x4.mul', get('t'), get('m')), op('f32x4.sub', get('t'), splat(1)))),
  // M/(2 + M) = −tanh|x|: its magnitude with the sign of s.
  set(
    'y',
    op('v128.bitselect', get('s'), op('f32x4.div', get('m'), op('f32x4.add', get('m'), splat(2))), SIGN),
  ),
];

const LANE_LOCALS = ['a', 'b', 's', 't', 'e', 'v', 'ev', 'n2', 'nf', 'r', 'r2', 'r4', 'm', 'y']
  .map((n) => `(local $${n} v128)`)
  .join(' ');

/** Lanes 0..2 of the tail, each present when the row has more than `lane` floats left. */
const TAIL_LANES = [0, 1, 2];

/** z[i, j] ← act(z[i, j] + bias[j]) over rows×cols, the lane arithmetic given as statements. */
function biasLanesFunc(name: string, lanes: string[]): string {
  const body = lanes.join('\n      ');
  const loadTail = TAIL_LANES.map(
    (k) =>
      `(if (i32.gt_u (local.get $rem) (i32.const ${k})) (then
        ${set('a', op(`f32x4.replace_lane ${k}`, get('a'), `(f32.load offset=${4 * k} (local.get $zp))`))}
        ${set('b', op(`f32x4.replace_lane ${k}`, get('b'), `(f32.load offset=${4 * k} (local.get $bp))`))}))`,
  ).join('\n      ');
  const storeTail = TAIL_LANES.map(
    (k) =>
      `(if (i32.gt_u (local.get $rem) (i32.const ${k})) (then (f32.store offset=${4 * k} (local.get $zp) (f32x4.extract_lane ${k} (local.get $y)))))`,
  ).join('\n      ');
  return `
(func (export "${name}") (param $z i32) (param $bias i32) (param $rows i32) (param $cols i32)
  (local $row i32) (local $j i32) (local $end4 i32) (local $rem i32) (local $zp i32) (local $bp i32) ${LANE_LOCALS}
  (local.set $end4 (i32.and (local.get $cols) (i32.const -4)))
  (local.set $rem (i32.sub (local.get $cols) (local.get $end4)))
  (local.set $zp (local.get $z))
  (block $doneRows (loop $rowsLoop
    (br_if $doneRows (i32.ge_u (local.get $row) (local.get $rows)))
    (local.set $bp (local.get $bias))
    (local.set $j (i32.const 0))
    (block $done4 (loop $by4
      (br_if $done4 (i32.ge_u (local.get $j) (local.get $end4)))
      (local.set $a (v128.load (local.get $zp)))
      (local.set $b (v128.load (local.get $bp)))
      ${body}
      (v128.store (local.get $zp) (local.get $y))
      (local.set $zp (i32.add (local.get $zp) (i32.const 16)))
      (local.set $bp (i32.add (local.get $bp) (i32.const 16)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $by4)))
    (if (local.get $rem) (then
      (local.set $a (v128.const i32x4 0 0 0 0))
      (local.set $b (v128.const i32x4 0 0 0 0))
      ${loadTail}
      ${body}
      ${storeTail}
      (local.set $zp (i32.add (local.get $zp) (i32.shl (local.get $rem) (i32.const 2))))))
    (local.set $row (i32.add (local.get $row) (i32.const 1)))
    (br $rowsLoop))))`;
}

/** The bias_sigmoid and bias_tanh functions. */
export function activationWat(): string {
  return [biasLanesFunc('bias_sigmoid', sigmoidLanes), biasLanesFunc('bias_tanh', tanhLanes)].join('\n');
}

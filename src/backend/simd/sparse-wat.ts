/**
 * WebAssembly text for the sparse kernels of the top-k ops (see SparseKernels and their
 * TypeScript references in ../sparse-kernels.ts), bit-identical to the references: each float is
 * widened to double, products of two floats are exact there, additions round in double as
 * JavaScript's do, and a value goes back to float32 exactly where the reference stores it. The
 * row updates (o += a·W[c, :], gW[c, :] += a·gᵢ) run two doubles at a time (f64x2); the dot
 * products keep the reference's four partial sums by q mod 4 in two f64x2 accumulators. Sparse
 * indices are i32 column numbers; all addresses are in bytes.
 */

const get = (name: string) => `(local.get $${name})`;
const set = (name: string, value: string) => `(local.set $${name} ${value})`;
const add = (a: string, b: string) => `(i32.add ${a} ${b})`;
const mul = (a: string, b: string) => `(i32.mul ${a} ${b})`;
const at4 = (base: string, index: string) => add(get(base), `(i32.shl ${index} (i32.const 2))`);
const loadF = (addr: string) => `(f64.promote_f32 (f32.load ${addr}))`;
const storeF = (addr: string, value: string) => `(f32.store ${addr} (f32.demote_f64 ${value}))`;
const hiHalf = (v: string) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v})`;

/** for (var = from; var < to; var++) body */
function forLoop(name: string, from: string, to: string, body: string): string {
  return `${set(name, from)}
  (block $${name}_done (loop $${name}_loop
    (br_if $${name}_done (i32.ge_u ${get(name)} ${to}))
    ${body}
    ${set(name, add(get(name), '(i32.const 1)'))}
    (br $${name}_loop)))`;
}

/**
 * dst[q] ← float32(dst[q] + a·src[q]) for q < d, with dst at $dst, src at $src (both advanced),
 * `$a2` holding a in both lanes of an f64x2 and `$a` as f64. Uses locals $q $x $y $lo $hi.
 */
function axpyRow(): string {
  const lane = (half: (v: string) => string) =>
    `(f64x2.add (f64x2.promote_low_f32x4 ${half('(local.get $x)')}) (f64x2.mul (local.get $a2) (f64x2.promote_low_f32x4 ${half('(local.get $y)')})))`;
  return `${set('q', '(i32.const 0)')}
    (block $vec_done (loop $vec_loop
      (br_if $vec_done (i32.gt_s (i32.add (local.get $q) (i32.const 4)) (local.get $d)))
      ${set('x', '(v128.load (local.get $dst))')}
      ${set('y', '(v128.load (local.get $src))')}
      ${set(
        'lo',
        lane((v) => v),
      )}
      ${set('hi', lane(hiHalf))}
      (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      ${set('dst', add(get('dst'), '(i32.const 16)'))}
      ${set('src', add(get('src'), '(i32.const 16)'))}
      ${set('q', add(get('q'), '(i32.const 4)'))}
      (br $vec_loop)))
    (block $tail_done (loop $tail_loop
      (br_if $tail_done (i32.ge_s (local.get $q) (local.get $d)))
      ${storeF(get('dst'), `(f64.add ${loadF(get('dst'))} (f64.mul (local.get $a) ${loadF(get('src'))}))`)}
      ${set('dst', add(get('dst'), '(i32.const 4)'))}
      ${set('src', add(get('src'), '(i32.const 4)'))}
      ${set('q', add(get('q'), '(i32.const 1)'))}
      (br $tail_loop)))`;
}

const axpyLocals =
  '(local $q i32) (local $x v128) (local $y v128) (local $lo v128) (local $hi v128) (local $a f64) (local $a2 v128) (local $dst i32) (local $src i32)';

/** o ← s·W (see sparseRowsMatmul). */
const sparseRowsMatmul = `
(func (export "sparse_rows_matmul") (param $v i32) (param $idx i32) (param $m i32) (param $k i32) (param $w i32) (param $d i32) (param $o i32)
  ${axpyLocals} (local $i i32) (local $j i32) (local $rowBytes i32)
  ${set('rowBytes', '(i32.shl (local.get $d) (i32.const 2))')}
  (memory.fill (local.get $o) (i32.const 0) ${mul(get('m'), get('rowBytes'))})
  ${forLoop(
    'i',
    '(i32.const 0)',
    get('m'),
    forLoop(
      'j',
      mul(get('i'), get('k')),
      add(mul(get('i'), get('k')), get('k')),
      `${set('a', loadF(at4('v', get('j'))))}
      (if (f64.ne (local.get $a) (f64.const 0)) (then
        ${set('a2', '(f64x2.splat (local.get $a))')}
        ${set('dst', add(get('o'), mul(get('i'), get('rowBytes'))))}
        ${set('src', add(get('w'), mul(`(i32.load ${at4('idx', get('j'))})`, get('rowBytes'))))}
        ${axpyRow()}))`,
    ),
  )})`;

/**
 * The reference's dot4 of the rows at $pa and $pb (d floats): four partial sums by q mod 4 in
 * $s01 and $s23, then (s0 + s1) + (s2 + s3), then the tail in order; the result in $dot.
 */
const dot4 = `${set('s01', '(f64x2.splat (f64.const 0))')}
      ${set('s23', '(f64x2.splat (f64.const 0))')}
      ${set('q', '(i32.const 0)')}
      (block $dot_done (loop $dot_loop
        (br_if $dot_done (i32.gt_s (i32.add (local.get $q) (i32.const 4)) (local.get $d)))
        ${set('x', '(v128.load (local.get $pa))')}
        ${set('y', '(v128.load (local.get $pb))')}
        ${set('s01', '(f64x2.add (local.get $s01) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $y))))')}
        ${set('s23', `(f64x2.add (local.get $s23) (f64x2.mul (f64x2.promote_low_f32x4 ${hiHalf('(local.get $x)')}) (f64x2.promote_low_f32x4 ${hiHalf('(local.get $y)')})))`)}
        ${set('pa', add(get('pa'), '(i32.const 16)'))}
        ${set('pb', add(get('pb'), '(i32.const 16)'))}
        ${set('q', add(get('q'), '(i32.const 4)'))}
        (br $dot_loop)))
      ${set(
        'dot',
        '(f64.add (f64.add (f64x2.extract_lane 0 (local.get $s01)) (f64x2.extract_lane 1 (local.get $s01))) (f64.add (f64x2.extract_lane 0 (local.get $s23)) (f64x2.extract_lane 1 (local.get $s23))))',
      )}
      (block $dtail_done (loop $dtail_loop
        (br_if $dtail_done (i32.ge_s (local.get $q) (local.get $d)))
        ${set('dot', `(f64.add (local.get $dot) (f64.mul ${loadF(get('pa'))} ${loadF(get('pb'))}))`)}
        ${set('pa', add(get('pa'), '(i32.const 4)'))}
        ${set('pb', add(get('pb'), '(i32.const 4)'))}
        ${set('q', add(get('q'), '(i32.const 1)'))}
        (br $dtail_loop)))`;

/** gv += g·Wᵀ at the kept entries, gW[c, :] += v·gᵢ (see sparseRowsMatmulBackward). */
const sparseRowsMatmulBackward = `
(func (export "sparse_rows_matmul_backward") (param $g i32) (param $v i32) (param $idx i32) (param $m i32) (param $k i32) (param $w i32) (param $d i32) (param $gv i32) (param $gw i32) (param $hasGv i32) (param $hasGw i32)
  ${axpyLocals} (local $i i32) (local $j i32) (local $rowBytes i32) (local $wrow i32) (local $grow i32)
  (local $pa i32) (local $pb i32) (local $s01 v128) (local $s23 v128) (local $dot f64)
  ${set('rowBytes', '(i32.shl (local.get $d) (i32.const 2))')}
  ${forLoop(
    'i',
    '(i32.const 0)',
    get('m'),
    `${set('grow', add(get('g'), mul(get('i'), get('rowBytes'))))}
    ${forLoop(
      'j',
      mul(get('i'), get('k')),
      add(mul(get('i'), get('k')), get('k')),
      `${set('wrow', add(get('w'), mul(`(i32.load ${at4('idx', get('j'))})`, get('rowBytes'))))}
      (if (local.get $hasGv) (then
        ${set('pa', get('grow'))}
        ${set('pb', get('wrow'))}
        ${dot4}
        ${storeF(at4('gv', get('j')), `(f64.add ${loadF(at4('gv', get('j')))} (local.get $dot))`)}))
      ${set('a', loadF(at4('v', get('j'))))}
      (if (i32.and (local.get $hasGw) (f64.ne (local.get $a) (f64.const 0))) (then
        ${set('a2', '(f64x2.splat (local.get $a))')}
        ${set('dst', add(get('gw'), `(i32.sub ${get('wrow')} ${get('w')})`))}
        ${set('src', get('grow'))}
        ${axpyRow()}))`,
    )}`,
  )})`;

/** gW[p, c] += x[i,p]·g[i,j], gx[i,p] += Σⱼ g[i,j]·W[p, c] (see sparseLinearBackward). */
const sparseLinearBackward = `
(func (export "sparse_linear_backward") (param $g i32) (param $idx i32) (param $m i32) (param $k i32) (param $x i32) (param $d i32) (param $w i32) (param $n i32) (param $gw i32) (param $gx i32) (param $hasGw i32) (param $hasGx i32)
  (local $p i32) (local $i i32) (local $j i32) (local $jEnd i32) (local $xp f64) (local $acc f64) (local $gij f64) (local $c i32) (local $rowOffset i32) (local $xi i32)
  ${forLoop(
    'p',
    '(i32.const 0)',
    get('d'),
    `${set('rowOffset', mul(get('p'), get('n')))}
    ${forLoop(
      'i',
      '(i32.const 0)',
      get('m'),
      `${set('xi', add(mul(get('i'), get('d')), get('p')))}
      ${set('xp', loadF(at4('x', get('xi'))))}
      ${set('acc', '(f64.const 0)')}
      ${set('j', mul(get('i'), get('k')))}
      ${set('jEnd', add(get('j'), get('k')))}
      (block $j_done (loop $j_loop
        (br_if $j_done (i32.ge_u (local.get $j) (local.get $jEnd)))
        ${set('gij', loadF(at4('g', get('j'))))}
        (if (f64.ne (local.get $gij) (f64.const 0)) (then
          ${set('c', add(get('rowOffset'), `(i32.load ${at4('idx', get('j'))})`))}
          (if (local.get $hasGw) (then
            ${storeF(at4('gw', get('c')), `(f64.add ${loadF(at4('gw', get('c')))} (f64.mul (local.get $xp) (local.get $gij)))`)}))
          ${set('acc', `(f64.add (local.get $acc) (f64.mul (local.get $gij) ${loadF(at4('w', get('c')))}))`)}))
        ${set('j', add(get('j'), '(i32.const 1)'))}
        (br $j_loop)))
      (if (local.get $hasGx) (then
        ${storeF(at4('gx', get('xi')), `(f64.add ${loadF(at4('gx', get('xi')))} (local.get $acc))`)}))`,
    )}`,
  )})`;

export function sparseWat(): string {
  return [sparseRowsMatmul, sparseRowsMatmulBackward, sparseLinearBackward].join('\n');
}

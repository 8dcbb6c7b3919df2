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

/** One entry $j of sparseRowsMatmulBackward, with $grow at row i of g: gv[j] += gᵢ·W[c, :], gW[c, :] += v[j]·gᵢ. */
const decoderBackwardEntry = `${set('wrow', add(get('w'), mul(`(i32.load ${at4('idx', get('j'))})`, get('rowBytes'))))}
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
        ${axpyRow()}))`;

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
    ${forLoop('j', mul(get('i'), get('k')), add(mul(get('i'), get('k')), get('k')), decoderBackwardEntry)}`,
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

/** v128 accumulators of csr_rows' widest column chunk: 8·4 = 32 columns held in registers. */
export const CSR_CHUNK_VECTORS = 8;

/**
 * One column chunk of csr_rows at column $c0: `vectors` f32x4 accumulators (or one f32 when 0)
 * summed over the entries $e0..$e1 of the row, then stored or added into out at row $r.
 */
function csrChunk(vectors: number): string {
  const accs = vectors === 0 ? ['accS'] : Array.from({ length: vectors }, (_, q) => `acc${q}`);
  const zero = vectors === 0 ? '(f32.const 0)' : '(v128.const i32x4 0 0 0 0)';
  const term = (q: number) =>
    vectors === 0
      ? `(f32.mul (local.get $vf) (f32.load (local.get $src)))`
      : `(f32x4.mul (local.get $vs) (v128.load offset=${q * 16} (local.get $src)))`;
  const sum = (q: number) =>
    vectors === 0
      ? `(local.set $accS (f32.add (local.get $accS) ${term(q)}))`
      : `(local.set $acc${q} (f32x4.add (local.get $acc${q}) ${term(q)}))`;
  // Out at row r, column c0: float32 (4 bytes) or float64 (8 bytes) per entry.
  const o32 =
    '(i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $k)) (local.get $c0)) (i32.const 2)))';
  const o64 =
    '(i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $k)) (local.get $c0)) (i32.const 3)))';
  const write32 = accs
    .map((a, q) =>
      vectors === 0
        ? `(f32.store (local.get $o) (select (f32.add (f32.load (local.get $o)) (local.get $${a})) (local.get $${a}) (local.get $add)))`
        : `(v128.store offset=${q * 16} (local.get $o) (select (f32x4.add (v128.load offset=${q * 16} (local.get $o)) (local.get $${a})) (local.get $${a}) (local.get $add)))`,
    )
    .join('\n      ');
  const write64 = accs
    .map((a, q) => {
      if (vectors === 0)
        return `(f64.store (local.get $o) (select (f64.add (f64.load (local.get $o)) (f64.promote_f32 (local.get $${a}))) (f64.promote_f32 (local.get $${a})) (local.get $add)))`;
      const halves = [
        [q * 32, `(f64x2.promote_low_f32x4 (local.get $${a}))`],
        [q * 32 + 16, `(f64x2.promote_low_f32x4 ${hiHalf(`(local.get $${a})`)})`],
      ] as const;
      return halves
        .map(
          ([off, val]) =>
            `(v128.store offset=${off} (local.get $o) (select (f64x2.add (v128.load offset=${off} (local.get $o)) ${val}) ${val} (local.get $add)))`,
        )
        .join('\n      ');
    })
    .join('\n      ');
  const width = vectors === 0 ? 1 : 4 * vectors;
  return `${accs.map((a) => set(a, zero)).join(' ')}
      ${set('e', get('e0'))}
      ${set('bc', add(get('b'), '(i32.shl (local.get $c0) (i32.const 2))'))}
      (block $e_done (loop $e_loop
        (br_if $e_done (i32.ge_u (local.get $e) (local.get $e1)))
        ${set('col', `(i32.load ${at4('idx', get('e'))})`)}
        (if (i32.ge_u (local.get $col) (local.get $bRows)) (then unreachable))
        ${set('vf', `(f32.load ${at4('v', get('e'))})`)}
        ${vectors === 0 ? '' : set('vs', '(f32x4.splat (local.get $vf))')}
        ${set('src', add(get('bc'), mul(get('col'), get('rowBytes'))))}
        ${accs.map((_, q) => sum(q)).join('\n        ')}
        ${set('e', add(get('e'), '(i32.const 1)'))}
        (br $e_loop)))
      (if (local.get $outF64)
        (then ${set('o', o64)}
      ${write64})
        (else ${set('o', o32)}
      ${write32}))
      ${set('c0', add(get('c0'), `(i32.const ${width})`))}`;
}

/**
 * out (+)= S·B for CSR segments (see csrTimes in ../sparse-kernels.ts), rows $r0..$r1 of out: the
 * columns in chunks of 32 held in eight f32x4 registers, then of 4, then one at a time. Traps
 * (unreachable) on a column index ≥ bRows or a row pointer outside 0..nnz, so a bad matrix cannot
 * read outside B.
 */
const csrRows = `
(func (export "csr_rows") (param $ptr i32) (param $idx i32) (param $v i32) (param $b i32) (param $bRows i32) (param $k i32)
  (param $out i32) (param $outF64 i32) (param $accumulate i32) (param $r0 i32) (param $r1 i32) (param $count i32) (param $stride i32) (param $nnz i32)
  (local $s i32) (local $r i32) (local $e i32) (local $e0 i32) (local $e1 i32) (local $add i32) (local $c0 i32) (local $bc i32)
  (local $col i32) (local $src i32) (local $o i32) (local $rowBytes i32) (local $pr i32) (local $vf f32) (local $vs v128) (local $accS f32)
  ${Array.from({ length: CSR_CHUNK_VECTORS }, (_, q) => `(local $acc${q} v128)`).join(' ')}
  ${set('rowBytes', '(i32.shl (local.get $k) (i32.const 2))')}
  ${forLoop(
    's',
    '(i32.const 0)',
    get('count'),
    `${set('add', '(i32.or (local.get $accumulate) (i32.ne (local.get $s) (i32.const 0)))')}
    ${forLoop(
      'r',
      get('r0'),
      get('r1'),
      `${set('pr', at4('ptr', add(mul(get('s'), get('stride')), get('r'))))}
      ${set('e0', '(i32.load (local.get $pr))')}
      ${set('e1', '(i32.load offset=4 (local.get $pr))')}
      (if (i32.or (i32.gt_u (local.get $e0) (local.get $e1)) (i32.gt_u (local.get $e1) (local.get $nnz))) (then unreachable))
      (if (i32.eqz (i32.and (local.get $add) (i32.eq (local.get $e0) (local.get $e1)))) (then
      ${set('c0', '(i32.const 0)')}
      (block $wide_done (loop $wide_loop
        (br_if $wide_done (i32.gt_u (i32.add (local.get $c0) (i32.const ${4 * CSR_CHUNK_VECTORS})) (local.get $k)))
        ${csrChunk(CSR_CHUNK_VECTORS)}
        (br $wide_loop)))
      (block $four_done (loop $four_loop
        (br_if $four_done (i32.gt_u (i32.add (local.get $c0) (i32.const 4)) (local.get $k)))
        ${csrChunk(1)}
        (br $four_loop)))
      (block $one_done (loop $one_loop
        (br_if $one_done (i32.ge_u (local.get $c0) (local.get $k)))
        ${csrChunk(0)}
        (br $one_loop)))))`,
    )}`,
  )})`;

// The column-order variants of the two backward kernels. With many entries per column (the AuxK
// term: 256 of a few thousand dead latents a sample), visiting the entries row by row fetches a
// far-away row (or column) of W and gW per entry. These visit them in the order the caller gives,
// `order` (count flat entry numbers j, row i = j / k), sorted by column and, within a column, by
// row: W's and gW's rows (or columns) are then fetched once per column and stay in cache. Every
// float32 sum still sees its terms in the reference's order:
// - gW[c, :] (and gW[:, c]) sums over rows i in increasing order either way;
// - gx[i, :] sums over row i's entries in their order, which is increasing column order when each
//   row's columns are non-decreasing (the caller checks: top-k sorts them);
// - gv[j] is one dot product whatever the order.
// (The forward o = s·W gained nothing from the column order in bench/sae-kernels.bench.ts.)

/** sparseRowsMatmulBackward with the entries in column order (any order of a row's columns). */
const sparseRowsMatmulBackwardCols = `
(func (export "sparse_rows_matmul_backward_cols") (param $g i32) (param $v i32) (param $idx i32) (param $m i32) (param $k i32) (param $w i32) (param $d i32) (param $gv i32) (param $gw i32) (param $hasGv i32) (param $hasGw i32) (param $order i32) (param $count i32)
  ${axpyLocals} (local $t i32) (local $j i32) (local $rowBytes i32) (local $wrow i32) (local $grow i32)
  (local $pa i32) (local $pb i32) (local $s01 v128) (local $s23 v128) (local $dot f64)
  ${set('rowBytes', '(i32.shl (local.get $d) (i32.const 2))')}
  ${forLoop(
    't',
    '(i32.const 0)',
    get('count'),
    `${set('j', `(i32.load ${at4('order', get('t'))})`)}
    ${set('grow', add(get('g'), mul('(i32.div_u (local.get $j) (local.get $k))', get('rowBytes'))))}
    ${decoderBackwardEntry}`,
  )})`;

/** i32x4 lanes (a0, b0, a1, b1) or (a2, b2, a3, b3) of a and b; and (x0, x1, y0, y1) or (x2, x3, y2, y3). */
const interleave = (half: 0 | 1, a: string, b: string) =>
  half === 0
    ? `(i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 ${a} ${b})`
    : `(i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 ${a} ${b})`;
const pairs = (half: 0 | 1, a: string, b: string) =>
  half === 0
    ? `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${a} ${b})`
    : `(i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ${a} ${b})`;

/**
 * Copies columns $c0..$c0+3 of the d × n matrix at $<matrix> (row p at p·n floats) to the block at
 * $<block> (column s at s·d floats), or back. Four rows at a time as a 4 × 4 transpose in
 * registers, so a cache line of the matrix is read once per block rather than once per column;
 * the last d mod 4 rows, and a block past column n − 1, one float at a time. Bits are copied as
 * integers: the columns go back exactly as they came. Uses $p $r0..$r3 $t0..$t3 $lanes.
 */
function blockCopy(matrix: string, block: string, toBlock: boolean): string {
  const strided = (row: string, lane: string) =>
    add(
      get(matrix),
      `(i32.shl (i32.add (i32.mul ${row} (local.get $n)) (i32.add (local.get $c0) ${lane})) (i32.const 2))`,
    );
  const packed = (row: string, lane: string) =>
    add(get(block), `(i32.shl (i32.add (i32.mul ${lane} (local.get $d)) ${row}) (i32.const 2))`);
  const [from, to] = toBlock ? [strided, packed] : [packed, strided];
  const row = (t: number) => add(get('p'), `(i32.const ${t})`);
  // Rows (or, going back, columns) r0..r3 in, their transpose out: (r0, r1, r2, r3) → columns.
  const transpose = (dest: (t: number) => string) => `
      ${set('t0', interleave(0, get('r0'), get('r1')))}
      ${set('t1', interleave(0, get('r2'), get('r3')))}
      ${set('t2', interleave(1, get('r0'), get('r1')))}
      ${set('t3', interleave(1, get('r2'), get('r3')))}
      (v128.store ${dest(0)} ${pairs(0, get('t0'), get('t1'))})
      (v128.store ${dest(1)} ${pairs(1, get('t0'), get('t1'))})
      (v128.store ${dest(2)} ${pairs(0, get('t2'), get('t3'))})
      (v128.store ${dest(3)} ${pairs(1, get('t2'), get('t3'))})`;
  const four = toBlock
    ? `${[0, 1, 2, 3].map((t) => set(`r${t}`, `(v128.load ${from(row(t), '(i32.const 0)')})`)).join('\n      ')}
      ${transpose((t) => to(get('p'), `(i32.const ${t})`))}`
    : `${[0, 1, 2, 3].map((t) => set(`r${t}`, `(v128.load ${from(get('p'), `(i32.const ${t})`)})`)).join('\n      ')}
      ${transpose((t) => to(row(t), '(i32.const 0)'))}`;
  const one = forLoop(
    'lanes',
    '(i32.const 0)',
    get('width'),
    `(i32.store ${to(get('p'), get('lanes'))} (i32.load ${from(get('p'), get('lanes'))}))`,
  );
  return `${set('width', '(select (i32.const 4) (i32.sub (local.get $n) (local.get $c0)) (i32.le_u (i32.add (local.get $c0) (i32.const 4)) (local.get $n)))')}
    ${set('p', '(i32.const 0)')}
    (if (i32.eq (local.get $width) (i32.const 4)) (then
      (block $four_done (loop $four_loop
        (br_if $four_done (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $d)))
        ${four}
        ${set('p', add(get('p'), '(i32.const 4)'))}
        (br $four_loop)))))
    (block $one_done (loop $one_loop
      (br_if $one_done (i32.ge_u (local.get $p) (local.get $d)))
      ${one}
      ${set('p', add(get('p'), '(i32.const 1)'))}
      (br $one_loop)))`;
}

/**
 * sparseLinearBackward with the entries in column order (rows' columns non-decreasing when gx is
 * wanted). Columns c0..c0+3 (c0 = 4⌊c/4⌋) of W and of gW are copied to $colW and $colG (4·d floats
 * each) when the order reaches them, updated there with contiguous f64x2 steps, and gW's copied
 * back when it moves on; gx's sums over a row's entries are kept in double in $acc (m × d doubles)
 * and added at the end, as the reference adds each (i, p) sum once.
 */
const sparseLinearBackwardCols = `
(func (export "sparse_linear_backward_cols") (param $g i32) (param $idx i32) (param $m i32) (param $k i32) (param $input i32) (param $d i32) (param $w i32) (param $n i32) (param $gw i32) (param $gx i32) (param $hasGw i32) (param $hasGx i32) (param $order i32) (param $count i32) (param $colW i32) (param $colG i32) (param $acc i32)
  ${axpyLocals} (local $t i32) (local $j i32) (local $c0 i32) (local $lane i32) (local $p i32) (local $rowBytes i32) (local $arow i32) (local $e i32)
  (local $width i32) (local $lanes i32) (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128) (local $colBytes i32)
  ${set('rowBytes', '(i32.shl (local.get $d) (i32.const 2))')}
  (if (local.get $hasGx) (then
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl ${mul(get('m'), get('d'))} (i32.const 3)))))
  ${set('c0', '(i32.const -1)')}
  ${forLoop(
    't',
    '(i32.const 0)',
    get('count'),
    `${set('j', `(i32.load ${at4('order', get('t'))})`)}
    (if (i32.ne (i32.and (i32.load ${at4('idx', get('j'))}) (i32.const -4)) (local.get $c0)) (then
      (if (i32.and (local.get $hasGw) (i32.ge_s (local.get $c0) (i32.const 0))) (then
        ${blockCopy('gw', 'colG', false)}))
      ${set('c0', `(i32.and (i32.load ${at4('idx', get('j'))}) (i32.const -4))`)}
      (if (local.get $hasGw) (then ${blockCopy('gw', 'colG', true)}))
      (if (local.get $hasGx) (then ${blockCopy('w', 'colW', true)}))))
    ${set('colBytes', mul(`(i32.and (i32.load ${at4('idx', get('j'))}) (i32.const 3))`, get('rowBytes')))}
    ${set('a', loadF(at4('g', get('j'))))}
    (if (f64.ne (local.get $a) (f64.const 0)) (then
      ${set('a2', '(f64x2.splat (local.get $a))')}
      (if (local.get $hasGw) (then
        ${set('dst', add(get('colG'), get('colBytes')))}
        ${set('src', add(get('input'), mul('(i32.div_u (local.get $j) (local.get $k))', get('rowBytes'))))}
        ${axpyRow()}))
      (if (local.get $hasGx) (then
        ${set('arow', add(get('acc'), `(i32.shl ${mul('(i32.div_u (local.get $j) (local.get $k))', get('d'))} (i32.const 3))`))}
        ${accumulateRow()}))))`,
  )}
  (if (i32.and (local.get $hasGw) (i32.ge_s (local.get $c0) (i32.const 0))) (then
    ${blockCopy('gw', 'colG', false)}))
  (if (local.get $hasGx) (then
    ${forLoop(
      'e',
      '(i32.const 0)',
      mul(get('m'), get('d')),
      storeF(
        at4('gx', get('e')),
        `(f64.add ${loadF(at4('gx', get('e')))} (f64.load (i32.add (local.get $acc) (i32.shl (local.get $e) (i32.const 3)))))`,
      ),
    )})))`;

/**
 * acc[q] ← acc[q] + a·colW[q] in double for q < d: the doubles at $arow, the floats at $colW,
 * a in $a2 (both lanes) and $a. Uses $q $x $lo $hi $dst $src.
 */
function accumulateRow(): string {
  const lane = (offset: number, half: (v: string) => string) =>
    `(v128.store offset=${offset} (local.get $dst) (f64x2.add (v128.load offset=${offset} (local.get $dst)) (f64x2.mul (local.get $a2) (f64x2.promote_low_f32x4 ${half('(local.get $x)')}))))`;
  return `${set('dst', get('arow'))}
    ${set('src', add(get('colW'), get('colBytes')))}
    ${set('q', '(i32.const 0)')}
    (block $acc_done (loop $acc_loop
      (br_if $acc_done (i32.gt_s (i32.add (local.get $q) (i32.const 4)) (local.get $d)))
      ${set('x', '(v128.load (local.get $src))')}
      ${lane(0, (v) => v)}
      ${lane(16, hiHalf)}
      ${set('dst', add(get('dst'), '(i32.const 32)'))}
      ${set('src', add(get('src'), '(i32.const 16)'))}
      ${set('q', add(get('q'), '(i32.const 4)'))}
      (br $acc_loop)))
    (block $acc_tail_done (loop $acc_tail_loop
      (br_if $acc_tail_done (i32.ge_s (local.get $q) (local.get $d)))
      (f64.store (local.get $dst) (f64.add (f64.load (local.get $dst)) (f64.mul (local.get $a) ${loadF(get('src'))})))
      ${set('dst', add(get('dst'), '(i32.const 8)'))}
      ${set('src', add(get('src'), '(i32.const 4)'))}
      ${set('q', add(get('q'), '(i32.const 1)'))}
      (br $acc_tail_loop)))`;
}

export function sparseWat(): string {
  return [
    sparseRowsMatmul,
    sparseRowsMatmulBackward,
    sparseLinearBackward,
    csrRows,
    sparseRowsMatmulBackwardCols,
    sparseLinearBackwardCols,
  ].join('\n');
}

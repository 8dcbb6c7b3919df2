/**
 * WebAssembly text for the gemm kernels, generated so that the repetitive parts (one v128 local
 * per accumulator of the C micro-tile and its multiply-adds, the panel copies) are written by
 * loops here rather than by hand. The layout follows the GotoBLAS/BLIS scheme:
 *
 * - `pack_a` copies an mc×kc block of op(A) into panels of MR rows: panel[p][r] = op(A)[i0+r][p].
 * - `pack_b` copies a kc×nc block of op(B) into panels of NR columns: panel[p][c] = op(B)[p][j0+c].
 *   Both pad a short last panel with zeros, so the micro-kernel always runs full tiles; whichever
 *   transpose the caller asked for, the kernel then reads both panels with unit stride.
 * - `tile` multiplies one A panel by one B panel into MR×NR accumulators (f32x4.mul + f32x4.add,
 *   no FMA, summing over p in order, so every run gives the same bits) and stores or adds them into C, clipping partial tiles.
 * - `block` runs `tile` over every (A panel, B panel) pair of a packed block.
 * - `gemm_rows`, the one export, runs the cache-blocking loops around them for a range of C's rows
 *   (all of them, or one thread's share).
 *
 * All addresses are byte offsets into the one shared memory; strides are in bytes too.
 */

/**
 * The micro-tile the kernels are generated for. Measured on one Zen 4 core (node 20, gemm shapes of
 * the 784-128 autoencoder): 5×8 ≈ 45 GFLOP/s, 4×8 ≈ 42; tiles of 12 accumulators (6×8, 4×12, 3×16)
 * ≈ 27, because x64 has 16 xmm registers and V8 keeps one as scratch, so they spill. Unrolling the
 * k loop by 2 or 4 was slower too (29 and 27 for 4×8), so the kernel does one k step per iteration.
 */
export interface GemmShape {
  /** Rows of the C micro-tile (A panel width), 1..6. */
  readonly mr: number;
  /** Columns of the C micro-tile (B panel width): 4, 8, 12 or 16. */
  readonly nr: number;
}

export const DEFAULT_GEMM_SHAPE: GemmShape = { mr: 5, nr: 8 };

export function checkGemmShape(s: GemmShape): void {
  if (!Number.isInteger(s.mr) || s.mr < 1 || s.mr > 6)
    throw new RangeError(`gemm shape: mr must be 1..6, got ${s.mr}`);
  if (!Number.isInteger(s.nr) || s.nr < 4 || s.nr > 16 || s.nr % 4 !== 0) {
    throw new RangeError(`gemm shape: nr must be 4, 8, 12 or 16, got ${s.nr}`);
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The four gemm functions for one micro-tile shape; `$tile_scratch` is a global of the module. */
export function gemmWat(shape: GemmShape): string {
  checkGemmShape(shape);
  return [
    tileFunc(shape),
    blockFunc(shape),
    packFunc('pack_a', shape.mr),
    packFunc('pack_b', shape.nr),
    GEMM_ROWS,
  ].join('\n');
}

function tileFunc({ mr, nr }: GemmShape): string {
  const nq = nr / 4; // v128 columns per tile row
  const acc = (r: number, q: number) => `$c${r}_${q}`;
  const accLocals = range(mr).flatMap((r) => range(nq).map((q) => `(local ${acc(r, q)} v128)`));
  const bLocals = range(nq).map((q) => `(local $b${q} v128)`);

  // One step of k: load a row of the B panel, then for each row of the A panel broadcast its
  // element and add its products with that B row into the accumulators.
  const step = [
    ...range(nq).map((q) => `(local.set $b${q} (v128.load offset=${4 * q * 4} (local.get $b)))`),
    ...range(mr).flatMap((r) => [
      `(local.set $av (v128.load32_splat offset=${r * 4} (local.get $a)))`,
      ...range(nq).map(
        (q) =>
          `(local.set ${acc(r, q)} (f32x4.add (local.get ${acc(r, q)}) (f32x4.mul (local.get $av) (local.get $b${q}))))`,
      ),
    ]),
  ];

  const storeRows = (add: boolean) =>
    range(mr).flatMap((r) => [
      ...range(nq).map((q) =>
        add
          ? `(v128.store offset=${q * 16} (local.get $row) (f32x4.add (v128.load offset=${q * 16} (local.get $row)) (local.get ${acc(r, q)})))`
          : `(v128.store offset=${q * 16} (local.get $row) (local.get ${acc(r, q)}))`,
      ),
      `(local.set $row (i32.add (local.get $row) (local.get $ldc)))`,
    ]);
  const spill = range(mr).flatMap((r) =>
    range(nq).map(
      (q) =>
        `(v128.store offset=${(r * nr + 4 * q) * 4} (global.get $tile_scratch) (local.get ${acc(r, q)}))`,
    ),
  );

  return `
;; C[0..mr, 0..nr] (+)= Apanel · Bpanel over kc ≥ 1 steps; $ldc is C's row stride in bytes.
(func $tile (param $a i32) (param $b i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $accumulate i32) (param $mr i32) (param $nr i32)
  ${accLocals.join(' ')}
  ${bLocals.join(' ')} (local $av v128) (local $count i32) (local $row i32) (local $src i32) (local $dst i32) (local $r i32) (local $j i32) (local $v f32)
  ;; The guard is needed for speed, not correctness (kc ≥ 1): without it TurboFan (node 20) emits
  ;; all ${mr} broadcasts of a step up front, and a 5×8 tile then spills three accumulators (23 vs 45 GFLOP/s).
  (local.set $count (local.get $kc))
  (if (local.get $count) (then (loop $steps
    ${step.join('\n    ')}
    (local.set $a (i32.add (local.get $a) (i32.const ${mr * 4})))
    (local.set $b (i32.add (local.get $b) (i32.const ${nr * 4})))
    (local.set $count (i32.sub (local.get $count) (i32.const 1)))
    (br_if $steps (local.get $count)))))
  (local.set $row (local.get $c))
  (if (i32.and (i32.eq (local.get $mr) (i32.const ${mr})) (i32.eq (local.get $nr) (i32.const ${nr})))
    (then
      (if (local.get $accumulate)
        (then ${storeRows(true).join('\n          ')})
        (else ${storeRows(false).join('\n          ')}))
      (return)))
  ;; A partial tile: park the accumulators in scratch and copy the part inside C element by element.
  ${spill.join('\n  ')}
  (local.set $r (i32.const 0))
  (loop $rows
    (local.set $src (i32.add (global.get $tile_scratch) (i32.mul (local.get $r) (i32.const ${nr * 4}))))
    (local.set $dst (local.get $row))
    (local.set $j (i32.const 0))
    (loop $cols
      (local.set $v (f32.load (local.get $src)))
      (if (local.get $accumulate) (then (local.set $v (f32.add (f32.load (local.get $dst)) (local.get $v)))))
      (f32.store (local.get $dst) (local.get $v))
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $cols (i32.lt_u (local.get $j) (local.get $nr))))
    (local.set $row (i32.add (local.get $row) (local.get $ldc)))
    (local.set $r (i32.add (local.get $r) (i32.const 1)))
    (br_if $rows (i32.lt_u (local.get $r) (local.get $mr)))))`;
}

function blockFunc({ mr, nr }: GemmShape): string {
  return `
;; Every micro-tile of a packed mc×kc A block times a packed kc×nc B block into C (row stride $ldc bytes).
(func $block (param $aPack i32) (param $bPack i32) (param $mc i32) (param $nc i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $accumulate i32)
  (local $i i32) (local $j i32) (local $ap i32) (local $bp i32) (local $cCol i32) (local $cp i32) (local $aStep i32) (local $bStep i32) (local $nr i32) (local $mr i32)
  (local.set $aStep (i32.mul (local.get $kc) (i32.const ${mr * 4})))
  (local.set $bStep (i32.mul (local.get $kc) (i32.const ${nr * 4})))
  (local.set $bp (local.get $bPack))
  (local.set $cCol (local.get $c))
  (block $doneCols (loop $cols
    (br_if $doneCols (i32.ge_u (local.get $j) (local.get $nc)))
    (local.set $nr (i32.sub (local.get $nc) (local.get $j)))
    (if (i32.gt_u (local.get $nr) (i32.const ${nr})) (then (local.set $nr (i32.const ${nr}))))
    (local.set $ap (local.get $aPack))
    (local.set $cp (local.get $cCol))
    (local.set $i (i32.const 0))
    (block $doneRows (loop $rows
      (br_if $doneRows (i32.ge_u (local.get $i) (local.get $mc)))
      (local.set $mr (i32.sub (local.get $mc) (local.get $i)))
      (if (i32.gt_u (local.get $mr) (i32.const ${mr})) (then (local.set $mr (i32.const ${mr}))))
      (call $tile (local.get $ap) (local.get $bp) (local.get $kc) (local.get $cp) (local.get $ldc) (local.get $accumulate) (local.get $mr) (local.get $nr))
      (local.set $ap (i32.add (local.get $ap) (local.get $aStep)))
      (local.set $cp (i32.add (local.get $cp) (i32.mul (local.get $ldc) (i32.const ${mr}))))
      (local.set $i (i32.add (local.get $i) (i32.const ${mr})))
      (br $rows)))
    (local.set $bp (i32.add (local.get $bp) (local.get $bStep)))
    (local.set $cCol (i32.add (local.get $cCol) (i32.const ${nr * 4})))
    (local.set $j (i32.add (local.get $j) (i32.const ${nr})))
    (br $cols))))`;
}

/**
 * C[i0..i1, :] (+)= op(A)[i0..i1, :]·op(B): the GotoBLAS loop nest. For each block of nc columns
 * and kc depth steps, pack that block of op(B) once; then for each block of mc rows, pack it of
 * op(A) and multiply the two. The first depth block stores into C (or adds, when accumulating),
 * later ones add, so each element sums its depth blocks in order whatever the row range.
 */
const GEMM_ROWS = `
(func (export "gemm_rows") (param $transA i32) (param $transB i32) (param $m i32) (param $n i32) (param $k i32)
  (param $a i32) (param $b i32) (param $c i32) (param $accumulate i32) (param $i0 i32) (param $i1 i32)
  (param $aPack i32) (param $bPack i32) (param $mc i32) (param $kc i32) (param $nc i32)
  (local $aLine i32) (local $aDepth i32) (local $bLine i32) (local $bDepth i32)
  (local $jc i32) (local $pc i32) (local $ic i32) (local $ncb i32) (local $kcb i32) (local $mcb i32) (local $add i32)
  ;; Byte strides of op(A) along its rows and its depth, and of op(B) along its columns and its depth.
  (local.set $aLine (select (i32.const 4) (i32.shl (local.get $k) (i32.const 2)) (local.get $transA)))
  (local.set $aDepth (select (i32.shl (local.get $m) (i32.const 2)) (i32.const 4) (local.get $transA)))
  (local.set $bLine (select (i32.shl (local.get $k) (i32.const 2)) (i32.const 4) (local.get $transB)))
  (local.set $bDepth (select (i32.const 4) (i32.shl (local.get $n) (i32.const 2)) (local.get $transB)))
  ${blocks('cols', '$jc', '$n', '$nc', '$ncb', [
    '(local.set $pc (i32.const 0))',
    blocks('depth', '$pc', '$k', '$kc', '$kcb', [
      `(call $pack_b
        (i32.add (local.get $b) (i32.add (i32.mul (local.get $jc) (local.get $bLine)) (i32.mul (local.get $pc) (local.get $bDepth))))
        (local.get $bLine) (local.get $bDepth) (local.get $ncb) (local.get $kcb) (local.get $bPack))`,
      '(local.set $add (i32.or (i32.ne (local.get $pc) (i32.const 0)) (local.get $accumulate)))',
      '(local.set $ic (local.get $i0))',
      blocks('rows', '$ic', '$i1', '$mc', '$mcb', [
        `(call $pack_a
          (i32.add (local.get $a) (i32.add (i32.mul (local.get $ic) (local.get $aLine)) (i32.mul (local.get $pc) (local.get $aDepth))))
          (local.get $aLine) (local.get $aDepth) (local.get $mcb) (local.get $kcb) (local.get $aPack))`,
        `(call $block (local.get $aPack) (local.get $bPack) (local.get $mcb) (local.get $ncb) (local.get $kcb)
          (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $n)) (local.get $jc)) (i32.const 2)))
          (i32.shl (local.get $n) (i32.const 2)) (local.get $add))`,
      ]),
    ]),
  ])})`;

/**
 * A loop of `counter` from its current value up to `end` in steps of `step`, with `size` set to
 * the block's length (`step`, or what is left at the end) before `body`: one level of the
 * GotoBLAS nest.
 */
function blocks(
  label: string,
  counter: string,
  end: string,
  step: string,
  size: string,
  body: string[],
): string {
  const done = `$done${label[0].toUpperCase()}${label.slice(1)}`;
  return `(block ${done} (loop $${label}
    (br_if ${done} (i32.ge_u (local.get ${counter}) (local.get ${end})))
    (local.set ${size} (i32.sub (local.get ${end}) (local.get ${counter})))
    (if (i32.gt_u (local.get ${size}) (local.get ${step})) (then (local.set ${size} (local.get ${step}))))
    ${body.join('\n    ')}
    (local.set ${counter} (i32.add (local.get ${counter}) (local.get ${step})))
    (br $${label})))`;
}

/**
 * Packs `count` lines of a strided matrix into panels of `width` lines, interleaved by depth:
 * dst[panel][p][w] = src[(panel·width + w)·lineStride + p·depthStride], zero past `count`.
 * For A the lines are rows of op(A) and the depth is k; for B the lines are columns of op(B).
 */
function packFunc(name: string, width: number): string {
  // Full panel whose lines are adjacent floats (lineStride = 4): copy `width` floats per depth step.
  const copyLine: string[] = [];
  for (let w = 0; w < width; ) {
    const take = width - w >= 4 ? 4 : width - w >= 2 ? 2 : 1;
    const [load, store] =
      take === 4
        ? ['v128.load', 'v128.store']
        : take === 2
          ? ['i64.load', 'i64.store']
          : ['f32.load', 'f32.store'];
    copyLine.push(`(${store} offset=${w * 4} (local.get $dst) (${load} offset=${w * 4} (local.get $s)))`);
    w += take;
  }
  // Full panel of four lines at a time whose depth steps are adjacent floats (depthStride = 4):
  // read 4×4 blocks and transpose them with shuffles.
  const transposeGroups = Math.floor(width / 4);
  const transpose: string[] = [];
  for (let g = 0; g < transposeGroups; g++) {
    const line = (w: number) =>
      `(i32.add (local.get $s) (i32.mul (local.get $lineStride) (i32.const ${g * 4 + w})))`;
    transpose.push(
      ...range(4).map((w) => `(local.set $r${w} (v128.load ${line(w)}))`),
      `(local.set $t0 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $r0) (local.get $r1)))`,
      `(local.set $t1 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get $r2) (local.get $r3)))`,
      `(local.set $t2 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $r0) (local.get $r1)))`,
      `(local.set $t3 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get $r2) (local.get $r3)))`,
      `(v128.store offset=${(0 * width + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t0) (local.get $t1)))`,
      `(v128.store offset=${(1 * width + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t0) (local.get $t1)))`,
      `(v128.store offset=${(2 * width + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t2) (local.get $t3)))`,
      `(v128.store offset=${(3 * width + g * 4) * 4} (local.get $dst) (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t2) (local.get $t3)))`,
    );
  }
  const transposeRest = width - transposeGroups * 4; // lines left over when width is not a multiple of 4
  return `
;; ${name}: pack $count lines (stride $lineStride bytes) of depth $depth (stride $depthStride bytes) into panels of ${width}.
(func $${name} (param $src i32) (param $lineStride i32) (param $depthStride i32) (param $count i32) (param $depth i32) (param $dst i32)
  (local $line i32) (local $p i32) (local $s i32) (local $w i32) (local $n i32)
  (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
  (block $done (loop $panels
    (br_if $done (i32.ge_u (local.get $line) (local.get $count)))
    (local.set $n (i32.sub (local.get $count) (local.get $line)))
    (if (i32.gt_u (local.get $n) (i32.const ${width})) (then (local.set $n (i32.const ${width}))))
    (local.set $s (i32.add (local.get $src) (i32.mul (local.get $line) (local.get $lineStride))))
    (local.set $p (i32.const 0))
    (if (i32.and (i32.eq (local.get $n) (i32.const ${width})) (i32.eq (local.get $lineStride) (i32.const 4)))
      (then
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $p) (local.get $depth)))
          ${copyLine.join('\n          ')}
          (local.set $s (i32.add (local.get $s) (local.get $depthStride)))
          (local.set $dst (i32.add (local.get $dst) (i32.const ${width * 4})))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $l1))))
      (else
        (if (i32.and (i32.eq (local.get $n) (i32.const ${width})) (i32.eq (local.get $depthStride) (i32.const 4)))
          (then
            (block $d2 (loop $l2
              (br_if $d2 (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $depth)))
              ${transpose.join('\n              ')}
              ${transposeRest > 0 ? transposeRestWat(transposeGroups * 4, width) : ''}
              (local.set $s (i32.add (local.get $s) (i32.const 16)))
              (local.set $dst (i32.add (local.get $dst) (i32.const ${width * 16})))
              (local.set $p (i32.add (local.get $p) (i32.const 4)))
              (br $l2)))))
        ;; Whatever is left (partial panels, the last depth steps of a transposed copy): one float at a time.
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $p) (local.get $depth)))
          (local.set $w (i32.const 0))
          (loop $l4
            (f32.store (local.get $dst)
              (if (result f32) (i32.lt_u (local.get $w) (local.get $n))
                (then (f32.load (i32.add (local.get $s) (i32.mul (local.get $w) (local.get $lineStride)))))
                (else (f32.const 0))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (br_if $l4 (i32.lt_u (local.get $w) (i32.const ${width}))))
          (local.set $s (i32.add (local.get $s) (local.get $depthStride)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $l3)))))
    (local.set $line (i32.add (local.get $line) (i32.const ${width})))
    (br $panels))))`;
}

/** The lines past the last group of four in a transposed copy, four depth steps of each. */
function transposeRestWat(from: number, width: number): string {
  const out: string[] = [];
  for (let w = from; w < width; w++) {
    for (let d = 0; d < 4; d++) {
      out.push(
        `(f32.store offset=${(d * width + w) * 4} (local.get $dst) (f32.load offset=${d * 4} (i32.add (local.get $s) (i32.mul (local.get $lineStride) (i32.const ${w})))))`,
      );
    }
  }
  return out.join('\n              ');
}

/** i8x16.shuffle immediates selecting f32 lanes (0–3 from the first operand, 4–7 from the second). */
function lanes(f32Lanes: number[]): string {
  return f32Lanes.flatMap((l) => range(4).map((b) => l * 4 + b)).join(' ');
}

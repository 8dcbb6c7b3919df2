/**
 * WebAssembly text for the two row kernels of the SAE's decoder (see RowKernels in ../row-kernels.ts
 * and their TypeScript references there), bit-identical to them. A row's sum (Σ a², or Σ g·w) is
 * one chain of double additions in column order, as the reference's loop adds; its latency, not
 * the arithmetic, bounds a row. So four rows are summed at once, rows i, i+1 in the lanes of one
 * f64x2 and rows i+2, i+3 in another: each lane adds its row's terms in the reference's order.
 * The scaling of a row is elementwise, four floats at a time widened to f64x2. Addresses in bytes.
 */

const get = (name: string) => `(local.get $${name})`;
const set = (name: string, value: string) => `(local.set $${name} ${value})`;
const add = (a: string, b: string) => `(i32.add ${a} ${b})`;
const loadF = (addr: string) => `(f64.promote_f32 (f32.load ${addr}))`;
const hiHalf = (v: string) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v})`;

/** The float at byte offset $q of row $r of the matrix at `base`, as a double. */
const atRow = (base: string) =>
  loadF(add(get(base), add('(i32.mul (local.get $r) (local.get $rowBytes))', get('q'))));

/** The f64x2 of the floats at byte offset $q of rows $i + first and $i + first + 1 of the matrix at `base`. */
function twoRows(base: string, first: number): string {
  const at = (row: number) =>
    add(
      get(base),
      add(`(i32.mul (i32.add (local.get $i) (i32.const ${row})) (local.get $rowBytes))`, get('q')),
    );
  return `(f64x2.replace_lane 1 (f64x2.splat ${loadF(at(first))}) ${loadF(at(first + 1))})`;
}

/**
 * The per-row sums of four rows from $i into $s01, $s23 (f64x2), or of one row into $s (lane 0 of
 * $s01). `term(pair)` is the f64x2 term of rows (pair, pair + 1) at the current column.
 */
function fourRowSums(term: (first: number) => string): string {
  return `${set('s01', '(f64x2.splat (f64.const 0))')}
      ${set('s23', '(f64x2.splat (f64.const 0))')}
      ${set('q', '(i32.const 0)')}
      (block $sum_done (loop $sum_loop
        (br_if $sum_done (i32.ge_u (local.get $q) (local.get $rowBytes)))
        ${set('s01', `(f64x2.add (local.get $s01) ${term(0)})`)}
        ${set('s23', `(f64x2.add (local.get $s23) ${term(2)})`)}
        ${set('q', add(get('q'), '(i32.const 4)'))}
        (br $sum_loop)))`;
}

/**
 * Row $row (absolute row number in $r) of the matrix at `base` updated elementwise: each float x
 * (with y the float at the same place in `other`) becomes float32(f(x, y)) with f in doubles on
 * f64x2 lanes (`vector`) or one double (`scalar`).
 */
function updateRow(
  base: string,
  other: string,
  vector: (x: string, y: string) => string,
  scalar: (x: string, y: string) => string,
): string {
  const p = add(get(base), `(i32.mul (local.get $r) (local.get $rowBytes))`);
  const o = add(get(other), `(i32.mul (local.get $r) (local.get $rowBytes))`);
  const half = (which: (v: string) => string) =>
    vector(
      `(f64x2.promote_low_f32x4 ${which('(local.get $x)')})`,
      `(f64x2.promote_low_f32x4 ${which('(local.get $y)')})`,
    );
  return `${set('pa', p)}
      ${set('pb', o)}
      ${set('q', '(i32.const 0)')}
      (block $vec_done (loop $vec_loop
        (br_if $vec_done (i32.gt_u (i32.add (local.get $q) (i32.const 16)) (local.get $rowBytes)))
        ${set('x', `(v128.load ${add(get('pa'), get('q'))})`)}
        ${set('y', `(v128.load ${add(get('pb'), get('q'))})`)}
        (v128.store ${add(get('pa'), get('q'))} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero ${half((v) => v)}) (f32x4.demote_f64x2_zero ${half(hiHalf)})))
        ${set('q', add(get('q'), '(i32.const 16)'))}
        (br $vec_loop)))
      (block $tail_done (loop $tail_loop
        (br_if $tail_done (i32.ge_u (local.get $q) (local.get $rowBytes)))
        (f32.store ${add(get('pa'), get('q'))} (f32.demote_f64 ${scalar(loadF(add(get('pa'), get('q'))), loadF(add(get('pb'), get('q'))))}))
        ${set('q', add(get('q'), '(i32.const 4)'))}
        (br $tail_loop)))`;
}

/**
 * A kernel over the rows of the matrix at `base` (rows × cols): each row's sum of `term`, then, for
 * each row whose sum passes `keep`, the row updated by `vector` / `scalar` with $s the row's sum.
 */
function rowKernel(opts: {
  name: string;
  params: string;
  base: string;
  other: string;
  term: (first: number) => string;
  /** The same term, one double, for row $r at byte offset $q. */
  rowTerm: string;
  keep: string;
  prepare: string;
  vector: (x: string, y: string) => string;
  scalar: (x: string, y: string) => string;
}): string {
  const row = (
    lane: string,
    pair: string,
  ) => `${set('s', `(f64x2.extract_lane ${lane} (local.get $${pair}))`)}
        (if ${opts.keep} (then
          ${opts.prepare}
          ${updateRow(opts.base, opts.other, opts.vector, opts.scalar)}))`;
  return `
(func (export "${opts.name}") ${opts.params} (param $rows i32) (param $cols i32)
  (local $i i32) (local $r i32) (local $q i32) (local $rowBytes i32) (local $s f64) (local $c f64) (local $c2 v128)
  (local $s01 v128) (local $s23 v128) (local $x v128) (local $y v128) (local $pa i32) (local $pb i32)
  ${set('rowBytes', '(i32.shl (local.get $cols) (i32.const 2))')}
  ${set('i', '(i32.const 0)')}
  (block $rows_done (loop $rows_loop
    (br_if $rows_done (i32.ge_u (local.get $i) (local.get $rows)))
    (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows))
      (then
        ${fourRowSums(opts.term)}
        ${[
          ['0', 's01', 0],
          ['1', 's01', 1],
          ['0', 's23', 2],
          ['1', 's23', 3],
        ]
          .map(
            ([lane, pair, k]) =>
              `${set('r', add(get('i'), `(i32.const ${k})`))}\n        ${row(lane as string, pair as string)}`,
          )
          .join('\n        ')}
        ${set('i', add(get('i'), '(i32.const 4)'))})
      (else
        ;; Fewer than four rows left: one at a time, its sum in lane 0 of $s01.
        ${set('r', get('i'))}
        ${set('s', '(f64.const 0)')}
        ${set('q', '(i32.const 0)')}
        (block $one_done (loop $one_loop
          (br_if $one_done (i32.ge_u (local.get $q) (local.get $rowBytes)))
          ${set('s', `(f64.add (local.get $s) ${opts.rowTerm})`)}
          ${set('q', add(get('q'), '(i32.const 4)'))}
          (br $one_loop)))
        ${set('s01', '(f64x2.splat (local.get $s))')}
        ${row('0', 's01')}
        ${set('i', add(get('i'), '(i32.const 1)'))}))
    (br $rows_loop)))
)`;
}

/** Each row of a scaled to unit norm (a zero row left as it is): see normalizeRows. */
const normalizeRows = rowKernel({
  name: 'normalize_rows',
  params: '(param $a i32)',
  base: 'a',
  other: 'a',
  term: (first) => `(f64x2.mul (local.tee $y ${twoRows('a', first)}) (local.get $y))`,
  rowTerm: `(f64.mul ${atRow('a')} ${atRow('a')})`,
  keep: '(f64.gt (local.get $s) (f64.const 0))',
  prepare: `${set('c', '(f64.div (f64.const 1) (f64.sqrt (local.get $s)))')}
          ${set('c2', '(f64x2.splat (local.get $c))')}`,
  vector: (x) => `(f64x2.mul ${x} (local.get $c2))`,
  scalar: (x) => `(f64.mul ${x} (local.get $c))`,
});

/** g[r] ← g[r] − (g[r]·w[r]) w[r] per row, rows whose dot is 0 left: see removeParallelComponent. */
const removeParallel = rowKernel({
  name: 'remove_parallel',
  params: '(param $g i32) (param $w i32)',
  base: 'g',
  other: 'w',
  term: (first) => `(f64x2.mul ${twoRows('g', first)} ${twoRows('w', first)})`,
  rowTerm: `(f64.mul ${atRow('g')} ${atRow('w')})`,
  keep: '(f64.ne (local.get $s) (f64.const 0))',
  prepare: set('c2', '(f64x2.splat (local.get $s))'),
  vector: (x, y) => `(f64x2.sub ${x} (f64x2.mul (local.get $c2) ${y}))`,
  scalar: (x, y) => `(f64.sub ${x} (f64.mul (local.get $s) ${y}))`,
});

export function rowsWat(): string {
  return [normalizeRows, removeParallel].join('\n');
}

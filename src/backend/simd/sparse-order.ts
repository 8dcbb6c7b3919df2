/**
 * When the sparse kernels visit their entries column by column (sparse-wat.ts's `_cols` variants)
 * and in which order. A sparse m × n matrix holds k entries a row: columns idx (row-major) and
 * values. Visiting by column pays where columns repeat across rows, as they do in the AuxK term
 * (a batch's rows pick their 256 from the same few thousand dead latents); with few repeats the
 * row order is as fast and skips the sort.
 */

/** How a simd backend's sparse kernels order their entries: by the work's shape, or always one way. */
export type SparseTraversal = 'auto' | 'rows' | 'columns';

/**
 * The flat entry numbers e < m·k sorted by column idx[e] and, within a column, by e (so by row),
 * or null where `traversal` and the shape say to stay in row order. `sortedRows`: the kernel
 * needs each row's columns non-decreasing to keep its sums' order (then checked here; a row out
 * of order keeps the row order). `minPerColumn`: under 'auto', the entries per distinct column
 * from which the column order pays (measured in bench/sae-kernels.bench.ts).
 */
export function columnOrder(
  idx: Int32Array,
  m: number,
  k: number,
  n: number,
  traversal: SparseTraversal,
  sortedRows: boolean,
  minPerColumn: number,
): Int32Array | null {
  if (traversal === 'rows' || m * k === 0) return null;
  if (sortedRows && !rowsNonDecreasing(idx, m, k)) return null;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m * k; e++) start[idx[e] + 1]++;
  let distinct = 0;
  for (let c = 0; c < n; c++) {
    if (start[c + 1] > 0) distinct++;
    start[c + 1] += start[c];
  }
  if (traversal === 'auto' && m * k < minPerColumn * distinct) return null;
  const order = new Int32Array(m * k);
  for (let e = 0; e < m * k; e++) order[start[idx[e]]++] = e;
  return order;
}

function rowsNonDecreasing(idx: Int32Array, m: number, k: number): boolean {
  for (let i = 0; i < m; i++)
    for (let e = i * k + 1; e < (i + 1) * k; e++) if (idx[e] < idx[e - 1]) return false;
  return true;
}

// Optimal assignment (the Hungarian method, in the shortest-augmenting-path form with row and
// column potentials, O(n²m)): rows to distinct columns minimising the summed cost. Used to match
// learned SAE atoms to planted directions one to one (src/sae/metrics.ts, matchedCosines).

export interface Assignment {
  /** columnOf[r]: the column row r is assigned to. */
  readonly columnOf: Int32Array;
  /** Σ_r cost[r, columnOf[r]]. */
  readonly cost: number;
}

/**
 * The minimum-cost assignment of every row of a rows × cols cost matrix (row-major, rows ≤ cols)
 * to its own column. Costs must be finite.
 */
export function minCostAssignment(cost: ArrayLike<number>, rows: number, cols: number): Assignment {
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 0 && cols >= 0))
    throw new RangeError(`minCostAssignment: sizes must be integers ≥ 0, got ${rows} × ${cols}`);
  if (rows > cols)
    throw new RangeError(`minCostAssignment: ${rows} rows cannot each take one of ${cols} columns`);
  if (cost.length !== rows * cols)
    throw new RangeError(`minCostAssignment: ${cost.length} costs for a ${rows} × ${cols} matrix`);
  for (let e = 0; e < cost.length; e++)
    if (!Number.isFinite(cost[e]))
      throw new RangeError(
        `minCostAssignment: cost[${Math.floor(e / cols)}, ${e % cols}] = ${cost[e]} is not finite`,
      );
  // 1-based potentials u (rows), v (columns); rowOf[c] = row matched to column c (0 = none).
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const rowOf = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  const minSlack = new Float64Array(cols + 1);
  const used = new Uint8Array(cols + 1);
  for (let r = 1; r <= rows; r++) {
    rowOf[0] = r;
    let c0 = 0;
    minSlack.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[c0] = 1;
      const r0 = rowOf[c0];
      let delta = Number.POSITIVE_INFINITY;
      let c1 = 0;
      for (let c = 1; c <= cols; c++) {
        if (used[c]) continue;
        const slack = cost[(r0 - 1) * cols + (c - 1)] - u[r0] - v[c];
        if (slack < minSlack[c]) {
          minSlack[c] = slack;
          way[c] = c0;
        }
        if (minSlack[c] < delta) {
          delta = minSlack[c];
          c1 = c;
        }
      }
      for (let c = 0; c <= cols; c++) {
        if (used[c]) {
          u[rowOf[c]] += delta;
          v[c] -= delta;
        } else minSlack[c] -= delta;
      }
      c0 = c1;
    } while (rowOf[c0] !== 0);
    do {
      const c1 = way[c0];
      rowOf[c0] = rowOf[c1];
      c0 = c1;
    } while (c0 !== 0);
  }
  const columnOf = new Int32Array(rows);
  for (let c = 1; c <= cols; c++) if (rowOf[c] !== 0) columnOf[rowOf[c] - 1] = c - 1;
  let total = 0;
  for (let r = 0; r < rows; r++) total += cost[r * cols + columnOf[r]];
  return { columnOf, cost: total };
}

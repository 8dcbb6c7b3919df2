// The geometric median of a set of points: the point minimising the sum of Euclidean distances
// to them. openai/sparse_autoencoder (train.py, init_from_data_) starts b_pre there, computed on
// the first 32,768 samples with the geom_median package; here Weiszfeld's iteration in float64.

export interface GeometricMedianOptions {
  /** Stop when an iteration moves the estimate by less than this (relative to the data's scale). */
  readonly tolerance?: number;
  readonly maxIterations?: number;
}

export interface GeometricMedian {
  readonly median: Float64Array;
  /** Σᵢ ‖xᵢ − median‖. */
  readonly objective: number;
  readonly iterations: number;
}

/** Σᵢ ‖xᵢ − y‖ over the rows of x (rows × d). */
export function sumOfDistances(x: ArrayLike<number>, rows: number, d: number, y: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += (x[i * d + q] - y[q]) ** 2;
    total += Math.sqrt(s);
  }
  return total;
}

/**
 * Weiszfeld's iteration y ← Σ xᵢ/‖xᵢ − y‖ ÷ Σ 1/‖xᵢ − y‖ from the mean. A point the estimate
 * lands on is handled as Vardi & Zhang (2000) do: it is left out of the weighted mean and the step
 * is shortened by the pull of the others, so the iteration can stop at a data point that is the
 * median (or move off one that is not) instead of dividing by zero.
 */
export function geometricMedian(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  options: GeometricMedianOptions = {},
): GeometricMedian {
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(d) && d >= 1))
    throw new RangeError(`geometricMedian: need rows ≥ 1 and d ≥ 1, got rows = ${rows}, d = ${d}`);
  if (x.length !== rows * d)
    throw new RangeError(`geometricMedian: ${x.length} values are not ${rows} rows of ${d}`);
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 1000;
  const y = new Float64Array(d);
  for (let i = 0; i < rows; i++) for (let q = 0; q < d; q++) y[q] += x[i * d + q];
  for (let q = 0; q < d; q++) y[q] /= rows;
  // The data's scale, for a tolerance that does not depend on units.
  let scale = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += (x[i * d + q] - y[q]) ** 2;
    scale = Math.max(scale, Math.sqrt(s));
  }
  if (scale === 0) return { median: y, objective: 0, iterations: 0 };
  const coincide = 1e-12 * scale;
  const weighted = new Float64Array(d);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    weighted.fill(0);
    let weights = 0;
    let atPoint = 0; // data points the estimate sits on
    let nearest = 0;
    let nearestDist = Number.POSITIVE_INFINITY;
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (x[i * d + q] - y[q]) ** 2;
      const dist = Math.sqrt(s);
      if (dist < nearestDist) {
        nearestDist = dist;
        nearest = i;
      }
      if (dist <= coincide) {
        atPoint++;
        continue;
      }
      const w = 1 / dist;
      weights += w;
      for (let q = 0; q < d; q++) weighted[q] += w * x[i * d + q];
    }
    if (weights === 0) break; // every point coincides with y
    // Weiszfeld creeps towards a median that is a data point (sublinearly); test the nearest one
    // directly and jump there when it passes.
    if (atPoint === 0 && isMedianAt(x, rows, d, nearest, coincide)) {
      for (let q = 0; q < d; q++) y[q] = x[nearest * d + q];
      iterations++;
      break;
    }
    // T(y), the Weiszfeld step over the other points; R = ‖Σ (xᵢ − y)/‖xᵢ − y‖‖ is their pull.
    let pull = 0;
    for (let q = 0; q < d; q++) pull += (weighted[q] - weights * y[q]) ** 2;
    pull = Math.sqrt(pull);
    // At a data point whose multiplicity outweighs the pull of the rest, that point is the median.
    if (atPoint > 0 && pull <= atPoint) break;
    const keep = atPoint > 0 ? atPoint / pull : 0; // Vardi–Zhang: y ← (1 − η/R)·T + (η/R)·y
    let moved = 0;
    for (let q = 0; q < d; q++) {
      const t = weighted[q] / weights;
      const next = (1 - keep) * t + keep * y[q];
      moved += (next - y[q]) ** 2;
      y[q] = next;
    }
    if (Math.sqrt(moved) <= tolerance * scale) {
      iterations++;
      break;
    }
  }
  return { median: y, objective: sumOfDistances(x, rows, d, y), iterations };
}

/** Whether data point j is a geometric median: the others' unit pull on it is at most its multiplicity. */
function isMedianAt(x: ArrayLike<number>, rows: number, d: number, j: number, coincide: number): boolean {
  const pull = new Float64Array(d);
  let multiplicity = 0;
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += (x[i * d + q] - x[j * d + q]) ** 2;
    const dist = Math.sqrt(s);
    if (dist <= coincide) {
      multiplicity++;
      continue;
    }
    for (let q = 0; q < d; q++) pull[q] += (x[i * d + q] - x[j * d + q]) / dist;
  }
  let norm = 0;
  for (let q = 0; q < d; q++) norm += pull[q] ** 2;
  return Math.sqrt(norm) <= multiplicity;
}

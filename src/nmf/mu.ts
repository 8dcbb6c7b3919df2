// The 'mu' solver: multiplicative updates (Lee & Seung 2001; Févotte & Idier 2011), as
// scikit-learn's _fit_multiplicative_update for beta = 2 (Frobenius) and beta = 1 (Kullback–Leibler),
// gamma = 1, with G the Gram matrix of the other factor and T = X·(other factor):
//   Frobenius: W ← W ∘ (X·Hᵀ) / (W·H·Hᵀ + l1 + l2·W),       H ← H ∘ (WᵀX) / (WᵀW·H + l1 + l2·H)
//   KL:        W ← W ∘ ((X/WH)·Hᵀ) / (rowsums(H) + l1 + l2·W), H ← H ∘ (Wᵀ(X/WH)) / (colsums(W) + l1 + l2·H)
// One rule (`muEntry`) serves every path: `multiplicativeRow`, the float64 step of `nmf` (Frobenius,
// no penalty) that visits only a row's non-zero entries — NMF of the identity turns sparse fast; and
// `fitMuData`, NMF of data on a matmul backend (products as float32 gemms, data-products.ts), or
// chained on Backend.resident (data-mu-resident.ts, whose kernel applies the same rule). W first,
// then H from the new W; a zero denominator becomes ε; after a KL step entries of H below float64's
// epsilon become 0. The Frobenius update never increases ‖X − WH‖_F, and an entry that is 0 stays 0.

import { type BetaLoss, betaError, type DataFactors, EPSILON, KL_CHUNK } from './data-loss.ts';
import type { NmfData } from './data-matrix.ts';
import { chainedMuOps, fitMuDataResident } from './data-mu-resident.ts';
import { gram, timesSquare, toF32, type Workspace, xTimes, xtTimes } from './data-products.ts';
import type { RowUpdate } from './linalg.ts';
import type { Penalties } from './options.ts';
import { muIterations, type SolverStop } from './stopping.ts';

/** One entry's update, f·num / (den + l1 + l2·f), with scikit-learn's ε for a zero denominator. */
export function muEntry(f: number, num: number, den: number, l1: number, l2: number): number {
  let d = den;
  if (l1 > 0) d += l1;
  if (l2 > 0) d += l2 * f;
  if (d === 0) d = EPSILON;
  return f * (num / d);
}

/**
 * `nmf`'s update of one row of F (float64, see linalg.ts's updateRows): the row's denominators are
 * computed from its old values first (the update is simultaneous within a row), over its non-zero
 * entries only; an entry that is 0 stays 0, so only those are updated.
 */
export const multiplicativeRow: RowUpdate = (f, g, t, o, k, count, { nz, values: denominator }) => {
  // denominator = F[i, :]·G as a sum of G's rows (G is symmetric), only over non-zero F[i, s].
  denominator.fill(0, 0, k);
  for (let a = 0; a < count; a++) {
    const s = nz[a];
    const v = f[o + s];
    const gRow = s * k;
    for (let c = 0; c < k; c++) denominator[c] += v * g[gRow + c];
  }
  for (let a = 0; a < count; a++) {
    const c = nz[a];
    f[o + c] = muEntry(f[o + c], t[o + c], denominator[c], 0, 0);
  }
};

const F64_EPSILON = 2 ** -52;

/** f ← f ∘ num / (den + l1 + l2·f), entry by entry; keeps f32 in step. */
function multiply(
  f: Float64Array,
  f32: Float32Array,
  num: ArrayLike<number>,
  den: ArrayLike<number>,
  length: number,
  l1: number,
  l2: number,
): void {
  for (let i = 0; i < length; i++) {
    f[i] = muEntry(f[i], num[i], den[i], l1, l2);
    f32[i] = f[i];
  }
}

function frobeniusW(x: NmfData, f: DataFactors, pen: Penalties, ws: Workspace, fixed: boolean): void {
  const { k } = f;
  const n = x.rows;
  // With H fixed (transform) X·Hᵀ and H·Hᵀ are computed once and kept, as scikit-learn does.
  let xht = ws.named32('mu.xht', n * k);
  let hht32 = ws.named32('mu.hht32', k * k);
  if (!fixed || !ws.has('mu.fixed')) {
    xht = xTimes(x, f.ht32, k, ws.backend, xht);
    hht32 = toF32(gram(f.ht32, x.cols, k, ws, ws.named64('mu.hht', k * k)), hht32);
    if (fixed) ws.mark('mu.fixed');
  }
  const den = timesSquare(f.w32, hht32, n, k, ws.backend, ws.named32('mu.den', n * k));
  multiply(f.w, f.w32, xht, den, n * k, pen.l1W, pen.l2W);
}

function frobeniusH(x: NmfData, f: DataFactors, pen: Penalties, ws: Workspace): void {
  const { k } = f;
  const d = x.cols;
  const xtw = xtTimes(x, f.w32, k, ws, ws.named64('mu.xtw', d * k));
  const wtw32 = toF32(gram(f.w32, x.rows, k, ws, ws.named64('mu.wtw', k * k)), ws.named32('mu.wtw32', k * k));
  const den = timesSquare(f.ht32, wtw32, d, k, ws.backend, ws.named32('mu.hden', d * k));
  multiply(f.ht, f.ht32, xtw, den, d * k, pen.l1H, pen.l2H);
}

/** R = X / WH for rows r0..r1 (0 where X is 0, WH = 0 replaced by ε), into `r`. */
function ratioRows(x: NmfData, f: DataFactors, r0: number, r1: number, r: Float32Array, ws: Workspace): void {
  const { k } = f;
  const d = x.cols;
  ws.backend.gemm(false, true, r1 - r0, d, k, f.w32.subarray(r0 * k, r1 * k), f.ht32, r);
  const base = r0 * d;
  for (let i = 0; i < (r1 - r0) * d; i++) {
    const v = x.values[base + i];
    r[i] = v === 0 ? 0 : v / (r[i] === 0 ? EPSILON : r[i]);
  }
}

function klW(x: NmfData, f: DataFactors, pen: Penalties, ws: Workspace): void {
  const { k } = f;
  const { rows, cols } = x;
  const hsum = new Float64Array(k);
  for (let j = 0; j < cols; j++) for (let t = 0; t < k; t++) hsum[t] += f.ht[j * k + t];
  const r = ws.named32('kl.r', Math.min(rows, KL_CHUNK) * cols);
  const num = ws.named32('kl.num', Math.min(rows, KL_CHUNK) * k);
  const den = new Float64Array(Math.min(rows, KL_CHUNK) * k);
  for (let r0 = 0; r0 < rows; r0 += KL_CHUNK) {
    const r1 = Math.min(rows, r0 + KL_CHUNK);
    ratioRows(x, f, r0, r1, r, ws);
    ws.backend.gemm(false, false, r1 - r0, k, cols, r, f.ht32, num);
    for (let i = 0; i < (r1 - r0) * k; i++) den[i] = hsum[i % k];
    multiply(f.w.subarray(r0 * k), f.w32.subarray(r0 * k), num, den, (r1 - r0) * k, pen.l1W, pen.l2W);
  }
}

function klH(x: NmfData, f: DataFactors, pen: Penalties, ws: Workspace): void {
  const { k } = f;
  const { rows, cols } = x;
  const wsum = new Float64Array(k);
  for (let i = 0; i < rows; i++) for (let t = 0; t < k; t++) wsum[t] += f.w[i * k + t];
  for (let t = 0; t < k; t++) if (wsum[t] === 0) wsum[t] = 1;
  const r = ws.named32('kl.r', Math.min(rows, KL_CHUNK) * cols);
  const block = ws.named32('kl.block', cols * k);
  const num = new Float64Array(cols * k);
  for (let r0 = 0; r0 < rows; r0 += KL_CHUNK) {
    const r1 = Math.min(rows, r0 + KL_CHUNK);
    ratioRows(x, f, r0, r1, r, ws);
    // (Wᵀ R)ᵀ = Rᵀ W, summed over blocks in float64
    ws.backend.gemm(true, false, cols, k, r1 - r0, r, f.w32.subarray(r0 * k, r1 * k), block);
    for (let i = 0; i < cols * k; i++) num[i] += block[i];
  }
  const den = new Float64Array(cols * k);
  for (let i = 0; i < cols * k; i++) den[i] = wsum[i % k];
  multiply(f.ht, f.ht32, num, den, cols * k, pen.l1H, pen.l2H);
  for (let i = 0; i < cols * k; i++) {
    if (f.ht[i] < F64_EPSILON) {
      f.ht[i] = 0;
      f.ht32[i] = 0;
    }
  }
}

/**
 * Runs the solver from `f` in place; returns the iterations done. `onIteration` is called after
 * each iteration (tests use it to follow the loss). On a backend that keeps matrices between
 * products (gpu.js on GL), a Frobenius fit chains there (src/nmf/data-mu-resident.ts) and `f` is
 * updated only at the end.
 */
export function fitMuData(
  x: NmfData,
  f: DataFactors,
  loss: BetaLoss,
  pen: Penalties,
  stop: SolverStop,
  ws: Workspace,
  updateH = true,
  onIteration?: (iteration: number) => void,
): number {
  const chained = chainedMuOps(x, f.k, loss, updateH, ws.backend);
  if (chained) return fitMuDataResident(x, f, pen, stop, chained, onIteration);
  const iterate = () => {
    if (loss === 'frobenius') frobeniusW(x, f, pen, ws, !updateH);
    else klW(x, f, pen, ws);
    if (updateH) {
      if (loss === 'frobenius') frobeniusH(x, f, pen, ws);
      else klH(x, f, pen, ws);
    }
  };
  return muIterations(stop, () => betaError(loss, x, f, ws), iterate, onIteration);
}

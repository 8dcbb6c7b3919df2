// Initial factors for NMF, with scikit-learn's semantics (sklearn/decomposition/_nmf.py,
// _initialize_nmf): 'random' draws |N(0, 1)|·sqrt(mean(X)/k); the nndsvd family (Boutsidis &
// Gallopoulos 2008) splits each singular pair into its positive and negative parts, keeps the part
// of larger norm product, zeroes entries below 1e-6, and then fills the zeros: not at all
// ('nndsvd'), with mean(X) ('nndsvda') or with |N(0, 1)|·mean(X)/100 ('nndsvdar').
import type { Rng } from '../tensor/rng.ts';
import type { NmfMatrix } from './matrix.ts';
import type { NmfInitMethod } from './options.ts';
import { truncatedSvd } from './svd.ts';

/** Factors in the solvers' layout: W (rows × k) and Hᵀ (cols × k), row-major. */
export interface FactorPair {
  readonly w: Float64Array;
  readonly ht: Float64Array;
}

/** Entries below this are zeroed after nndsvd, as scikit-learn does. */
const NNDSVD_EPS = 1e-6;

/**
 * Initial W and Hᵀ for X ≈ W·H of rank k. Randomness comes from `rng.child('svd')` (the SVD's test
 * matrix) and `rng.child('fill')` ('random' and 'nndsvdar' values), so each use has its own stream.
 */
export function initialFactors(x: NmfMatrix, k: number, method: NmfInitMethod, rng: Rng): FactorPair {
  if (method === 'random') return randomFactors(x, k, rng.child('fill'));
  const { w, ht } = nndsvd(x, k, rng.child('svd'));
  if (method === 'nndsvda') {
    fillZeros(w, () => x.mean);
    fillZeros(ht, () => x.mean);
  } else if (method === 'nndsvdar') {
    const fill = rng.child('fill');
    const scale = x.mean / 100;
    fillZeros(w, () => Math.abs(scale * fill.normal()));
    fillZeros(ht, () => Math.abs(scale * fill.normal()));
  }
  return { w, ht };
}

/**
 * scikit-learn's init='random' (sklearn/decomposition/_nmf.py, _initialize_nmf, checked against
 * v1.2.1): avg = sqrt(X.mean() / n_components); H = avg · |standard_normal((n_components, n_features))|,
 * then W = avg · |standard_normal((n_samples, n_components))|, both from one RandomState. Same
 * scale, same distribution and H drawn before W; the values differ from numpy's, because the
 * stream is ours (xoroshiro128+ with Box–Muller), not MT19937 with numpy's polar method.
 */
function randomFactors(x: NmfMatrix, k: number, rng: Rng): FactorPair {
  const scale = Math.sqrt(x.mean / k);
  const ht = new Float64Array(x.cols * k);
  const w = new Float64Array(x.rows * k);
  for (let i = 0; i < ht.length; i++) ht[i] = Math.abs(scale * rng.normal());
  for (let i = 0; i < w.length; i++) w[i] = Math.abs(scale * rng.normal());
  return { w, ht };
}

/** Plain NNDSVD: sparse non-negative factors whose zeros the variants fill. */
function nndsvd(x: NmfMatrix, k: number, rng: Rng): FactorPair {
  const { u, s, v } = truncatedSvd(x, k, rng);
  const w = new Float64Array(x.rows * k);
  const ht = new Float64Array(x.cols * k);
  for (let j = 0; j < k; j++) {
    const up = partNorm(u, k, j, 1);
    const un = partNorm(u, k, j, -1);
    const vp = partNorm(v, k, j, 1);
    const vn = partNorm(v, k, j, -1);
    // The leading pair of a non-negative X is non-negative up to sign: take absolute values.
    // Otherwise keep the part (positive or negative) whose norms have the larger product.
    const sign = j === 0 ? 0 : up * vp > un * vn ? 1 : -1;
    const uNorm = sign === 0 ? 1 : sign > 0 ? up : un;
    const vNorm = sign === 0 ? 1 : sign > 0 ? vp : vn;
    // A pair with no usable part (possible only for degenerate X) leaves the column at zero.
    if (uNorm === 0 || vNorm === 0) continue;
    const lambda = Math.sqrt(s[j] * (sign === 0 ? 1 : uNorm * vNorm));
    writePart(u, w, k, j, sign, lambda / uNorm);
    writePart(v, ht, k, j, sign, lambda / vNorm);
  }
  for (const f of [w, ht]) for (let i = 0; i < f.length; i++) if (f[i] < NNDSVD_EPS) f[i] = 0;
  return { w, ht };
}

/** ‖max(sign·column j, 0)‖ of a row-major (· × k) matrix. */
function partNorm(a: Float64Array, k: number, j: number, sign: 1 | -1): number {
  let sum = 0;
  for (let i = j; i < a.length; i += k) {
    const v = sign * a[i];
    if (v > 0) sum += v * v;
  }
  return Math.sqrt(sum);
}

/** out[:, j] = scale · (|a[:, j]| when sign is 0, else max(sign·a[:, j], 0)). */
function writePart(
  a: Float64Array,
  out: Float64Array,
  k: number,
  j: number,
  sign: number,
  scale: number,
): void {
  for (let i = j; i < a.length; i += k) {
    const v = sign === 0 ? Math.abs(a[i]) : Math.max(sign * a[i], 0);
    out[i] = scale * v;
  }
}

function fillZeros(f: Float64Array, value: () => number): void {
  for (let i = 0; i < f.length; i++) if (f[i] === 0) f[i] = value();
}

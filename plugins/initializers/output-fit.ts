// Fits one dense output layer to targets with the layers below it fixed: out = act(F·W + b) for
// features F (n × r). A linear output is ordinary least squares. A sigmoid output is fitted in the
// sigmoid's own space: least squares on the logits of the targets clipped to [c, 1 − c] (a start
// that ignores the squashing), then Levenberg–Marquardt steps on the MSE itself, every output unit
// on its own (they share no weights). The big products run as float32 gemms on the backend; the
// per-unit (r+1)×(r+1) solves and the losses are float64.
import type { Backend } from 'nmfinit';

export interface OutputFitOptions {
  readonly activation: 'sigmoid' | 'linear';
  readonly backend: Backend;
  /** Sigmoid: targets are clipped to [clip, 1 − clip] before their logits are taken. */
  readonly clip: number;
  /** Sigmoid: Levenberg–Marquardt steps on the MSE after the logit fit (0: the logit fit alone). */
  readonly steps: number;
  /** Ridge on the normal equations, relative to their mean diagonal (keeps them solvable). */
  readonly ridge: number;
}

export interface OutputFit {
  /** r × d, row-major: the layer's kernel rows for the r features. */
  readonly kernel: Float64Array;
  readonly bias: Float64Array;
  /** The sample's MSE after the least-squares start (on logits for a sigmoid). */
  readonly startMse: number;
  /** The sample's MSE after the steps (equal to startMse for a linear output or 0 steps). */
  readonly mse: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Fits act(features·W + b) ≈ targets (n × d) in the least-squares sense. */
export function fitOutputLayer(
  features: Float32Array,
  n: number,
  r: number,
  targets: Float32Array,
  d: number,
  options: OutputFitOptions,
): OutputFit {
  if (features.length !== n * r || targets.length !== n * d)
    throw new RangeError(
      `output fit: ${features.length} feature values for ${n}×${r} and ${targets.length} targets for ${n}×${d}`,
    );
  const p = r + 1; // the features and a constant 1 for the bias
  const a = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    a.set(features.subarray(i * r, (i + 1) * r), i * p);
    a[i * p + r] = 1;
  }
  const y =
    options.activation === 'sigmoid'
      ? targets.map((t) => {
          const c = Math.min(1 - options.clip, Math.max(options.clip, t));
          return Math.log(c / (1 - c));
        })
      : targets;
  // Normal equations in float64 (p × p is small); Aᵀy on the backend.
  const ata = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const row = i * p;
    for (let u = 0; u < p; u++) {
      const au = a[row + u];
      if (au === 0) continue;
      for (let v = u; v < p; v++) ata[u * p + v] += au * a[row + v];
    }
  }
  for (let u = 0; u < p; u++) for (let v = 0; v < u; v++) ata[u * p + v] = ata[v * p + u];
  let trace = 0;
  for (let u = 0; u < p; u++) trace += ata[u * p + u];
  const ridge = trace > 0 ? (options.ridge * trace) / p : options.ridge;
  const aty = new Float32Array(p * d);
  options.backend.gemm(true, false, p, d, n, a, y, aty);
  const system = ata.slice();
  for (let u = 0; u < p; u++) system[u * p + u] += ridge;
  const chol = cholesky(system, p);
  const w = new Float32Array(p * d);
  const rhs = new Float64Array(p);
  for (let k = 0; k < d; k++) {
    for (let u = 0; u < p; u++) rhs[u] = aty[u * d + k];
    const sol = choleskySolve(chol, p, rhs);
    for (let u = 0; u < p; u++) w[u * d + k] = sol[u];
  }
  const z = new Float32Array(n * d);
  options.backend.gemm(false, false, n, d, p, a, w, z);
  const act = options.activation === 'sigmoid' ? sigmoid : (v: number) => v;
  const losses = unitLosses(z, targets, n, d, act);
  const startMse = losses.reduce((s, v) => s + v, 0) / (n * d);
  if (options.activation === 'linear' || options.steps === 0) return split(w, p, d, startMse, startMse);

  // Levenberg–Marquardt per output unit k: with g_i = σ'(z_ik) and e_i = σ(z_ik) − t_ik, the
  // Gauss–Newton matrix is Σ_i g_i² a_i a_iᵀ. All d of them come from one gemm: Q (n × p(p+1)/2)
  // holds the products a_iu·a_iv (u ≤ v), and Qᵀ·G² gives every unit's packed matrix.
  const pairs = (p * (p + 1)) / 2;
  const q = new Float32Array(n * pairs);
  for (let i = 0; i < n; i++) {
    let c = i * pairs;
    for (let u = 0; u < p; u++) for (let v = u; v < p; v++) q[c++] = a[i * p + u] * a[i * p + v];
  }
  const lambda = new Float64Array(d).fill(1e-3);
  const g2 = new Float32Array(n * d);
  const eg = new Float32Array(n * d);
  const packed = new Float32Array(pairs * d);
  const grad = new Float32Array(p * d);
  const trial = new Float32Array(p * d);
  const zTrial = new Float32Array(n * d);
  const h = new Float64Array(p * p);
  const gk = new Float64Array(p);
  for (let step = 0; step < options.steps; step++) {
    for (let i = 0; i < n * d; i++) {
      const s = sigmoid(z[i]);
      const g = s * (1 - s);
      g2[i] = g * g;
      eg[i] = (s - targets[i]) * g;
    }
    options.backend.gemm(true, false, pairs, d, n, q, g2, packed);
    options.backend.gemm(true, false, p, d, n, a, eg, grad);
    for (let k = 0; k < d; k++) {
      let c = 0;
      for (let u = 0; u < p; u++) {
        for (let v = u; v < p; v++) {
          const value = packed[c++ * d + k];
          h[u * p + v] = value;
          h[v * p + u] = value;
        }
        gk[u] = grad[u * d + k];
      }
      // Marquardt's damping scales the diagonal; the ridge keeps a unit whose features are all
      // saturated (g ≈ 0 everywhere) solvable.
      for (let u = 0; u < p; u++) h[u * p + u] = h[u * p + u] * (1 + lambda[k]) + ridge * 1e-3;
      // The matrix comes from a float32 product, so on nearly saturated units rounding can leave
      // it a hair short of positive definite: that step is rejected (the unit keeps its weights
      // and its damping grows), as Levenberg–Marquardt does with any step that does not help.
      const factor = choleskyOrPivot(h, p);
      const delta = typeof factor === 'number' ? undefined : choleskySolve(factor, p, gk);
      for (let u = 0; u < p; u++) trial[u * d + k] = w[u * d + k] - (delta?.[u] ?? 0);
    }
    options.backend.gemm(false, false, n, d, p, a, trial, zTrial);
    const trialLosses = unitLosses(zTrial, targets, n, d, act);
    for (let k = 0; k < d; k++) {
      if (trialLosses[k] < losses[k]) {
        losses[k] = trialLosses[k];
        lambda[k] = Math.max(1e-9, lambda[k] / 3);
        for (let u = 0; u < p; u++) w[u * d + k] = trial[u * d + k];
        for (let i = 0; i < n; i++) z[i * d + k] = zTrial[i * d + k];
      } else {
        lambda[k] *= 4;
      }
    }
  }
  const mse = losses.reduce((s, v) => s + v, 0) / (n * d);
  return split(w, p, d, startMse, mse);
}

/** Σ_i (act(z_ik) − t_ik)² per output unit k, in float64. */
function unitLosses(
  z: Float32Array,
  t: Float32Array,
  n: number,
  d: number,
  act: (v: number) => number,
): Float64Array {
  const out = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const e = act(z[i * d + k]) - t[i * d + k];
      out[k] += e * e;
    }
  }
  return out;
}

function split(w: Float32Array, p: number, d: number, startMse: number, mse: number): OutputFit {
  const r = p - 1;
  return {
    kernel: Float64Array.from(w.subarray(0, r * d)),
    bias: Float64Array.from(w.subarray(r * d, p * d)),
    startMse,
    mse,
  };
}

/** Lower Cholesky factor L (L·Lᵀ = m) of a symmetric positive-definite p × p matrix. */
function cholesky(m: Float64Array, p: number): Float64Array {
  const l = choleskyOrPivot(m, p);
  if (typeof l === 'number')
    throw new RangeError(`output fit: the normal equations are not positive definite (pivot ${l})`);
  return l;
}

/** The factor, or the index of the first pivot that is not positive. */
function choleskyOrPivot(m: Float64Array, p: number): Float64Array | number {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * p + j];
      for (let k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
      if (i === j) {
        if (!(s > 0)) return i;
        l[i * p + i] = Math.sqrt(s);
      } else {
        l[i * p + j] = s / l[j * p + j];
      }
    }
  }
  return l;
}

/** x with L·Lᵀ·x = b. */
function choleskySolve(l: Float64Array, p: number, b: Float64Array): Float64Array {
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * p + k] * y[k];
    y[i] = s / l[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < p; k++) s -= l[k * p + i] * x[k];
    x[i] = s / l[i * p + i];
  }
  return x;
}

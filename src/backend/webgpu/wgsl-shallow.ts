import { PHILOX_WGSL } from './philox.ts';
import { WORKGROUP_INVOCATIONS } from './wgsl.ts';

/**
 * The shaders of the shallow autoencoder's device trainer (worker-shallow.ts): one workgroup runs
 * a chunk of consecutive batch-1 SGD steps of one model, the same arithmetic as
 * ShallowAutoencoder.step (src/shallow/model.ts) in float32. A dispatch of R workgroups trains R
 * replicas of one configuration side by side (workgroup r: replica r's θ and seed), so a GPU
 * runs many models in the time of one; each replica's numbers are those it gets alone.
 *
 * Layout. A replica's parameters are θ = [W (D×K) | V (K×D, untied) | b (K) | c (D)], the
 * replicas' θ one after another in one buffer (compat mode allows 4 storage buffers a stage). Invocation t owns the coordinates i = t + 128·r: its
 * rows of W, its columns of V, its c_i, so a step's updates never touch another invocation's
 * memory. The K dot products (λ = Wᵀx, s = V·e or Wᵀe) are reduced through workgroup memory in a
 * fixed order (128 → 8 partial sums per unit → every invocation adds the 8 in order), so every
 * invocation holds the same λ, h, δ and its own copy of b, and the result does not depend on
 * timing. Four barriers a step; no atomics.
 *
 * Inputs: 'data' mode reads step s's sample from row s mod rows of the resident training set;
 * 'online' mode draws x = noise·ξ + Σ_r a_r·z_r·u_r on the device, ξ_i = N(s, i), z_r = N(s, D + r)
 * from philox_normal keyed by the replica's seed (philox.ts), so a step's sample depends on the step
 * number only, not on the chunk it ran in.
 */

/** The largest K the shader takes: its reduction gives 8 invocations to each unit (8·K ≤ 128). */
export const SHALLOW_MAX_K = WORKGROUP_INVOCATIONS / 8;
/** Steps in one dispatch at most: llvmpipe ends loops of more than 65,535 iterations. */
export const SHALLOW_MAX_CHUNK = 65_535;
/** Activations in the order the protocol sends them (ShallowActivation's order). */
export const SHALLOW_WGSL_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'erf'] as const;

export interface ShallowShaderSpec {
  d: number;
  k: number;
  activation: (typeof SHALLOW_WGSL_ACTIVATIONS)[number];
  tied: boolean;
  encoderBias: boolean;
  outputBias: boolean;
  /** Spikes of the online law (0: the steps read the resident training set). */
  spikes: number;
}

/** Offsets of W, V, b, c in θ, and its length (V, b, c absent take no room). */
export function shallowLayout(s: Pick<ShallowShaderSpec, 'd' | 'k' | 'tied' | 'encoderBias' | 'outputBias'>) {
  const w = 0;
  const v = s.d * s.k;
  const b = v + (s.tied ? 0 : s.k * s.d);
  const c = b + (s.encoderBias ? s.k : 0);
  const length = c + (s.outputBias ? s.d : 0);
  return { w, v, b, c, length };
}

const WG = WORKGROUP_INVOCATIONS;

/**
 * g and g' in float32. erf(x/√2) by the same two branches as src/backend/erf.ts: the series of
 * positive terms below 2.5, above it 1 − erfc by A&S 7.1.26 (abs. error 1.5·10⁻⁷ where erfc < 4·10⁻⁴).
 */
const ACTIVATION_WGSL = /* wgsl */ `
fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  var v: f32;
  if (a < 2.5) {
    let x2 = a * a;
    var term = a;
    var sum = a;
    for (var n = 1u; n < 60u; n++) {
      term = term * (2.0 * x2) / f32(2u * n + 1u);
      sum = sum + term;
      if (term < sum * 1e-8) { break; }
    }
    v = 1.1283791670955126 * exp(-x2) * sum;
  } else {
    let t = 1.0 / (1.0 + 0.3275911 * a);
    let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    v = 1.0 - poly * exp(-a * a);
  }
  return select(v, -v, x < 0.0);
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn act(z: f32) -> f32 {
  switch (ACT) {
    case 1u: { return select(0.0, z, z > 0.0); }
    case 2u: { return sigmoid_f(z); }
    case 3u: { return erf_f(z * 0.7071067811865476); }
    default: { return z; }
  }
}
fn act_prime(z: f32, y: f32) -> f32 {
  switch (ACT) {
    case 1u: { return select(0.0, 1.0, z > 0.0); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 0.7978845608028654 * exp(-0.5 * z * z); }
    default: { return 1.0; }
  }
}
`;

/** Blocks a training set may take (compat mode allows 4 storage buffers a stage: θ or the output, and these). */
export const SHALLOW_SOURCE_BLOCKS = 3;

/** The source (training rows in blocks, or the law's basis then amplitudes in src) and the uniform, at bindings 1 to 4. */
const SOURCE_BINDINGS = /* wgsl */ `@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src1: array<f32>;
@group(0) @binding(3) var<storage, read> src2: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;`;

/** The constants, uniform, bindings and x_i(s) both shaders share. */
function common(s: ShallowShaderSpec): string {
  const layout = shallowLayout(s);
  const spikes = Math.max(1, s.spikes);
  return /* wgsl */ `
const D: u32 = ${s.d}u;
const K: u32 = ${s.k}u;
const RT: u32 = ${Math.ceil(s.d / WG)}u;
const WG: u32 = ${WG}u;
const ACT: u32 = ${SHALLOW_WGSL_ACTIVATIONS.indexOf(s.activation)}u;
const OV: u32 = ${layout.v}u;
const OB: u32 = ${layout.b}u;
const OC: u32 = ${layout.c}u;
const SPIKES: u32 = ${s.spikes}u;
const THETA: u32 = ${layout.length}u;
struct Params {
  start: u32, count: u32, rows: u32, replica: u32,
  pad_u: u32, a_w: f32, a_e: f32, a_v: f32,
  a_c: f32, lr_b: f32, inv_sqrt_d: f32, inv_d: f32,
  noise: f32, block_rows: u32, pad1: f32, pad2: f32,
}
${PHILOX_WGSL}
// The Philox key of replica r: online, its two seed words, each stored as two 16-bit halves
// (exact in f32) after the law's basis and amplitudes; a training set's steps draw nothing.
fn replica_key(r: u32) -> vec2u {
  if (SPIKES == 0u) { return vec2u(0u, 0u); }
  let a = SPIKES * D + SPIKES + 4u * r;
  return vec2u(u32(src[a]) * 65536u + u32(src[a + 1u]), u32(src[a + 2u]) * 65536u + u32(src[a + 3u]));
}
var<private> key: vec2u;
// The spikes' normals of step s (the same in every invocation).
fn spike_normals(step: u32) -> array<f32, ${spikes}> {
  var z: array<f32, ${spikes}>;
  for (var r = 0u; r < SPIKES; r++) { z[r] = src[SPIKES * D + r] * philox_normal(step, D + r, key); }
  return z;
}
// Coordinate i of step s's sample: online, noise·ξ_i + Σ_r (a_r z_r)·u_r[i]; else row s mod rows,
// of a training set in up to 3 blocks of block_rows rows (one binding holds at most the device's limit).
fn sample(step: u32, i: u32, z: array<f32, ${spikes}>) -> f32 {
  if (SPIKES == 0u) {
    let row = step % p.rows;
    let block = row / p.block_rows;
    let at = (row - block * p.block_rows) * D + i;
    if (block == 0u) { return src[at]; }
    if (block == 1u) { return src1[at]; }
    return src2[at];
  }
  var x = p.noise * philox_normal(step, i, key);
  for (var r = 0u; r < SPIKES; r++) { x = x + z[r] * src[r * D + i]; }
  return x;
}
`;
}

/** Bindings of the step shader: θ (read_write), the source's three blocks (SOURCE_BINDINGS), the uniform. */
export function shallowStepShader(s: ShallowShaderSpec): string {
  const k = s.k;
  const spikes = Math.max(1, s.spikes);
  // Reduces part[0..K) over the workgroup into out[0..K), the same sum in every invocation.
  const reduce = (part: string, out: string) => /* wgsl */ `
    for (var k = 0u; k < K; k++) { red[k * WG + t] = ${part}[k]; }
    workgroupBarrier();
    if (t < 8u * K) {
      let base = (t / 8u) * WG + (t % 8u) * 16u;
      var acc = 0.0;
      for (var j = 0u; j < 16u; j++) { acc = acc + red[base + j]; }
      red2[t] = acc;
    }
    workgroupBarrier();
    for (var k = 0u; k < K; k++) {
      var acc = 0.0;
      for (var j = 0u; j < 8u; j++) { acc = acc + red2[k * 8u + j]; }
      ${out}[k] = acc;
    }`;
  return /* wgsl */ `
${common(s)}
@group(0) @binding(0) var<storage, read_write> theta: array<f32>;
${SOURCE_BINDINGS}
var<private> theta0: u32;
var<workgroup> red: array<f32, ${k * WG}>;
var<workgroup> red2: array<f32, ${k * 8}>;
${ACTIVATION_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  // Workgroup r trains replica r: its θ at r·THETA, its own seed.
  theta0 = wid.x * THETA;
  key = replica_key(wid.x);
  var b: array<f32, ${k}>;
  ${s.encoderBias ? 'for (var k = 0u; k < K; k++) { b[k] = theta[theta0 + OB + k]; }' : ''}
  var x: array<f32, ${Math.ceil(s.d / WG)}>;
  var e: array<f32, ${Math.ceil(s.d / WG)}>;
  var part: array<f32, ${k}>;
  var lam: array<f32, ${k}>;
  var h: array<f32, ${k}>;
  var sv: array<f32, ${k}>;
  var z: array<f32, ${spikes}>;
  for (var n = 0u; n < p.count; n++) {
    let step = p.start + n;
    ${s.spikes > 0 ? 'z = spike_normals(step);' : ''}
    // λ = Wᵀx/√D + b, h = g(λ).
    for (var k = 0u; k < K; k++) { part[k] = 0.0; }
    for (var r = 0u; r < RT; r++) {
      let i = t + r * WG;
      x[r] = 0.0;
      if (i < D) {
        x[r] = sample(step, i, z);
        for (var k = 0u; k < K; k++) { part[k] = part[k] + x[r] * theta[theta0 + i * K + k]; }
      }
    }
    ${reduce('part', 'lam')}
    for (var k = 0u; k < K; k++) {
      lam[k] = lam[k] * p.inv_sqrt_d + b[k];
      h[k] = act(lam[k]);
    }
    // e = x − x̂ − c; s = V·e (old V) or Wᵀe; the decoder step fused, as in the host's dot_axpy.
    for (var k = 0u; k < K; k++) { part[k] = 0.0; }
    for (var r = 0u; r < RT; r++) {
      let i = t + r * WG;
      e[r] = 0.0;
      if (i < D) {
        var xhat = 0.0;
        for (var k = 0u; k < K; k++) { xhat = xhat + h[k] * ${s.tied ? 'theta[theta0 + i * K + k]' : 'theta[theta0 + OV + k * D + i]'}; }
        e[r] = x[r] - xhat${s.outputBias ? ' - theta[theta0 + OC + i]' : ''};
        for (var k = 0u; k < K; k++) {
          ${
            s.tied
              ? 'part[k] = part[k] + e[r] * theta[theta0 + i * K + k];'
              : `let vi = OV + k * D + i;
          part[k] = part[k] + theta[theta0 + vi] * e[r];
          theta[theta0 + vi] = theta[theta0 + vi] + (p.a_v * h[k]) * e[r];`
          }
        }
      }
    }
    ${reduce('part', 'sv')}
    // δ = g'(λ)·s/D; b += lr_b·δ; c += (lr_c/D)·e; W += (a_w x) ⊗ δ (+ (a_e e) ⊗ h tied).
    for (var k = 0u; k < K; k++) {
      sv[k] = act_prime(lam[k], h[k]) * sv[k] * p.inv_d;
      ${s.encoderBias ? 'b[k] = b[k] + p.lr_b * sv[k];' : ''}
    }
    for (var r = 0u; r < RT; r++) {
      let i = t + r * WG;
      if (i < D) {
        ${s.outputBias ? 'theta[theta0 + OC + i] = theta[theta0 + OC + i] + p.a_c * e[r];' : ''}
        let xs = p.a_w * x[r];
        ${s.tied ? 'let es = p.a_e * e[r];' : ''}
        for (var k = 0u; k < K; k++) {
          let wi = i * K + k;
          theta[theta0 + wi] = theta[theta0 + wi] + ${s.tied ? '(xs * sv[k] + es * h[k])' : 'xs * sv[k]'};
        }
      }
    }
  }
  ${s.encoderBias ? 'if (t == 0u) { for (var k = 0u; k < K; k++) { theta[theta0 + OB + k] = b[k]; } }' : ''}
}
`;
}

/**
 * The draw shader (for tests and checks): out[n·D + i] = x_i of step start + n, one workgroup a
 * step (a 2-D grid of them), with the step shader's sample().
 */
export function shallowDrawShader(s: ShallowShaderSpec): string {
  const spikes = Math.max(1, s.spikes);
  return /* wgsl */ `
${common(s)}
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
${SOURCE_BINDINGS}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let n = wid.y * nwg.x + wid.x;
  if (n >= p.count) { return; }
  let step = p.start + n;
  key = replica_key(p.replica);
  var z: array<f32, ${spikes}>;
  ${s.spikes > 0 ? 'z = spike_normals(step);' : ''}
  for (var r = 0u; r < RT; r++) {
    let i = t + r * WG;
    if (i < D) { out[n * D + i] = sample(step, i, z); }
  }
}
`;
}

import { PHILOX_WGSL } from './philox.ts';
import { WORKGROUP_INVOCATIONS } from './wgsl.ts';

/**
 * The shaders of the shallow autoencoder's device trainer (worker-shallow.ts): one workgroup runs
 * a chunk of consecutive batch-1 SGD steps of one model, the same arithmetic as
 * ShallowAutoencoder.step (src/shallow/model.ts) in float32. A dispatch of R workgroups trains R
 * models side by side (workgroup r: replica r), which may differ in activation, tying, biases,
 * rates and seed (read from the uniform at run time, so one pipeline serves a whole study grid):
 * a GPU runs them in the time of one, and each replica's numbers are those it gets alone.
 *
 * Layout. Every replica's parameters take the untied, both-biases layout θ = [W (D×K) | V (K×D) |
 * b (K) | c (D)] (a tied replica leaves V alone, a replica without a bias leaves b or c at 0), the
 * replicas' θ one after another in one buffer (compat mode allows 4 storage buffers a stage).
 * Invocation t owns the coordinates i = t + 128·r: its rows of W, its columns of V, its c_i, so a
 * step's updates never touch another invocation's memory. The K dot products (λ = Wᵀx, s = V·e or
 * Wᵀe) are reduced through workgroup memory in a fixed order (128 → 8 partial sums per unit →
 * every invocation adds the 8 in order), so every invocation holds the same λ, h, δ and its own
 * copy of b, and the result does not depend on timing. Four barriers a step; no atomics.
 *
 * Inputs: with no spikes, step s's sample is row s mod rows of the resident training set; with
 * spikes, x = noise·ξ + Σ_r a_r·z_r·u_r is drawn on the device, ξ_i = N(s, i), z_r = N(s, D + r)
 * from philox_normal keyed by the replica's seed (philox.ts), so a step's sample depends on the
 * step number only, not on the chunk it ran in.
 */

/** The largest K the shader takes: its reduction gives 8 invocations to each unit (8·K ≤ 128). */
export const SHALLOW_MAX_K = WORKGROUP_INVOCATIONS / 8;
/**
 * Steps in one dispatch at most. llvmpipe ends an invocation's loops after 65,535 iterations in
 * all, silently (a 40,000-step chunk with the erf series as a loop came out 0.34 off the host's
 * weights), so the step shader writes every loop out but the one over the steps, and leaves room
 * for the few loops the WGSL compiler adds (zero-filling workgroup memory).
 */
export const SHALLOW_MAX_CHUNK = 65_535 - 64;
/** Activations in the order the protocol sends them (ShallowActivation's order). */
export const SHALLOW_WGSL_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'erf'] as const;

/** Replicas one dispatch takes at most: their settings fill the uniform (64 + 64·R bytes ≤ compat's 16 KiB). */
export const SHALLOW_MAX_REPLICAS = 255;

export interface ShallowShaderSpec {
  d: number;
  k: number;
  /** Spikes of the online law (0: the steps read the resident training set). */
  spikes: number;
  /** Models trained side by side, one workgroup each. */
  replicas: number;
}

/** Offsets of W, V, b, c in a replica's θ, and its length (always the untied, both-biases layout). */
export function shallowLayout(s: Pick<ShallowShaderSpec, 'd' | 'k'>) {
  const w = 0;
  const v = s.d * s.k;
  const b = v + s.k * s.d;
  const c = b + s.k;
  return { w, v, b, c, length: c + s.d };
}

/**
 * One replica's settings in the uniform (64 bytes, REPLICA_FLOATS words): flags (activation
 * index, tied, encoder bias, output bias), rates (a_w = lrW/√D, a_e = lrW/D, a_v = lrV/D,
 * a_c = lrC/D), lr_b, and the Philox seed words.
 */
export interface ShallowReplica {
  activation: (typeof SHALLOW_WGSL_ACTIVATIONS)[number];
  tied: boolean;
  encoderBias: boolean;
  outputBias: boolean;
  rates: readonly [number, number, number, number];
  lrB: number;
  seed: readonly [number, number];
}

/** Bytes of the uniform's header, before the replicas' settings. */
export const SHALLOW_UNIFORM_HEADER = 48;
export const SHALLOW_REPLICA_BYTES = 64;

/** A replica's settings as the uniform holds them (SHALLOW_REPLICA_BYTES). */
export function replicaUniform(r: ShallowReplica): ArrayBuffer {
  const out = new ArrayBuffer(SHALLOW_REPLICA_BYTES);
  const u = new Uint32Array(out);
  const f = new Float32Array(out);
  u.set([SHALLOW_WGSL_ACTIVATIONS.indexOf(r.activation), +r.tied, +r.encoderBias, +r.outputBias]);
  f.set(r.rates, 4);
  f[8] = r.lrB;
  u.set([r.seed[0] >>> 0, r.seed[1] >>> 0], 12);
  return out;
}

const WG = WORKGROUP_INVOCATIONS;

/**
 * g and g' in float32, without loops (see SHALLOW_MAX_CHUNK). erf(x/√2): below 0.5 the first 9
 * terms of the series of positive terms that src/backend/erf.ts sums (the rest is under 10⁻¹⁰ of
 * it); above, 1 − erfc by Numerical Recipes' erfcc (relative error of erfc under 1.2·10⁻⁷).
 */
const ACTIVATION_WGSL = /* wgsl */ `
fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  var v: f32;
  if (a < 0.5) {
    let q = 2.0 * a * a;
    var term = a;
    var sum = a;
${Array.from(
  { length: 8 },
  (_, n) => `    term = term * q / ${2 * n + 3}.0;
    sum = sum + term;`,
).join('\n')}
    v = 1.1283791670955126 * exp(-a * a) * sum;
  } else {
    let t = 1.0 / (1.0 + 0.5 * a);
    let erfc = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
      t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    v = 1.0 - erfc;
  }
  return select(v, -v, x < 0.0);
}
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
fn act(a: u32, z: f32) -> f32 {
  switch (a) {
    case 1u: { return select(0.0, z, z > 0.0); }
    case 2u: { return sigmoid_f(z); }
    case 3u: { return erf_f(z * 0.7071067811865476); }
    default: { return z; }
  }
}
fn act_prime(a: u32, z: f32, y: f32) -> f32 {
  switch (a) {
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

/** `f(i)` for i = 0 … n − 1, one per line: loops written out (see SHALLOW_MAX_CHUNK). */
const each = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

/** The constants, uniform, bindings and x_i(s) both shaders share. */
function common(s: ShallowShaderSpec): string {
  const layout = shallowLayout(s);
  const spikes = Math.max(1, s.spikes);
  return /* wgsl */ `
const D: u32 = ${s.d}u;
const K: u32 = ${s.k}u;
const WG: u32 = ${WG}u;
const OV: u32 = ${layout.v}u;
const OB: u32 = ${layout.b}u;
const OC: u32 = ${layout.c}u;
const SPIKES: u32 = ${s.spikes}u;
const THETA: u32 = ${layout.length}u;
// flags: activation, tied, encoder bias, output bias; rates: a_w, a_e, a_v, a_c; more.x: lr_b.
struct Replica { flags: vec4u, rates: vec4f, more: vec4f, seed: vec4u }
struct Params {
  start: u32, count: u32, rows: u32, replica: u32,
  block_rows: u32, pad0: u32, pad1: u32, pad2: u32,
  inv_sqrt_d: f32, inv_d: f32, noise: f32, pad3: f32,
  reps: array<Replica, ${s.replicas}>,
}
${PHILOX_WGSL}
var<private> key: vec2u;
// The spikes' normals of step s, times their amplitudes (the same in every invocation).
fn spike_normals(step: u32) -> array<f32, ${spikes}> {
  var z: array<f32, ${spikes}>;
${each(s.spikes, (r) => `  z[${r}] = src[SPIKES * D + ${r}u] * philox_normal(step, D + ${r}u, key);`)}
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
${each(s.spikes, (r) => `  x = x + z[${r}] * src[${r}u * D + i];`)}
  return x;
}
`;
}

/**
 * The step shader. Bindings: θ (read_write), the source's three blocks (SOURCE_BINDINGS), the
 * uniform. Every loop but the one over the chunk's steps is written out: llvmpipe ends an
 * invocation's loops after 65,535 iterations in all (SHALLOW_MAX_CHUNK).
 */
export function shallowStepShader(s: ShallowShaderSpec): string {
  const k = s.k;
  const rows = Math.ceil(s.d / WG);
  const spikes = Math.max(1, s.spikes);
  const ks = (f: (j: number) => string) => each(k, f);
  /** `body` for each of this invocation's coordinates i = t + 128·r < D (r written in). */
  const own = (body: (r: number) => string) =>
    each(rows, (r) => `    { let i = t + ${r}u * WG; if (i < D) {\n${body(r)}\n    } }`);
  // Reduces part[0..K) over the workgroup into out[0..K), the same sum in every invocation.
  const reduce = (out: string) => /* wgsl */ `
${ks((j) => `    red[${j}u * WG + t] = part[${j}];`)}
    workgroupBarrier();
    if (t < 8u * K) {
      let base = (t / 8u) * WG + (t % 8u) * 16u;
      var acc = 0.0;
${each(16, (j) => `      acc = acc + red[base + ${j}u];`)}
      red2[t] = acc;
    }
    workgroupBarrier();
${ks(
  (j) => `    { var acc = 0.0;
${each(8, (q) => `      acc = acc + red2[${j * 8 + q}u];`)}
      ${out}[${j}] = acc; }`,
)}`;
  return /* wgsl */ `
${common(s)}
@group(0) @binding(0) var<storage, read_write> theta: array<f32>;
${SOURCE_BINDINGS}
var<workgroup> red: array<f32, ${k * WG}>;
var<workgroup> red2: array<f32, ${k * 8}>;
${ACTIVATION_WGSL}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  // Workgroup r trains replica r: its settings, its θ at r·THETA, its seed.
  let rep = p.reps[wid.x];
  let g = rep.flags.x;
  let tied = rep.flags.y != 0u;
  let enc = rep.flags.z != 0u;
  let outb = rep.flags.w != 0u;
  let a_w = rep.rates.x;
  let a_e = rep.rates.y;
  let a_v = rep.rates.z;
  let a_c = rep.rates.w;
  let lr_b = rep.more.x;
  let t0 = wid.x * THETA;
  key = rep.seed.xy;
  var b: array<f32, ${k}>;
  if (enc) {
${ks((j) => `    b[${j}] = theta[t0 + OB + ${j}u];`)}
  }
  var x: array<f32, ${rows}>;
  var e: array<f32, ${rows}>;
  var part: array<f32, ${k}>;
  var lam: array<f32, ${k}>;
  var h: array<f32, ${k}>;
  var sv: array<f32, ${k}>;
  var z: array<f32, ${spikes}>;
  for (var n = 0u; n < p.count; n++) {
    let step = p.start + n;
    ${s.spikes > 0 ? 'z = spike_normals(step);' : ''}
    // λ = Wᵀx/√D + b, h = g(λ).
${ks((j) => `    part[${j}] = 0.0;`)}
${own(
  (r) => `      x[${r}] = sample(step, i, z);
${ks((j) => `      part[${j}] = part[${j}] + x[${r}] * theta[t0 + i * K + ${j}u];`)}`,
)}
${reduce('lam')}
${ks((j) => `    lam[${j}] = lam[${j}] * p.inv_sqrt_d + b[${j}];\n    h[${j}] = act(g, lam[${j}]);`)}
    // e = x − x̂ − c; s = V·e (old V) or Wᵀe; the decoder step fused, as in the host's dot_axpy.
${ks((j) => `    part[${j}] = 0.0;`)}
${own(
  (r) => `      var xhat = 0.0;
      if (tied) {
${ks((j) => `        xhat = xhat + h[${j}] * theta[t0 + i * K + ${j}u];`)}
      } else {
${ks((j) => `        xhat = xhat + h[${j}] * theta[t0 + OV + ${j}u * D + i];`)}
      }
      e[${r}] = x[${r}] - xhat;
      if (outb) { e[${r}] = e[${r}] - theta[t0 + OC + i]; }
      if (tied) {
${ks((j) => `        part[${j}] = part[${j}] + e[${r}] * theta[t0 + i * K + ${j}u];`)}
      } else {
${ks(
  (j) => `        { let vi = t0 + OV + ${j}u * D + i;
          part[${j}] = part[${j}] + theta[vi] * e[${r}];
          theta[vi] = theta[vi] + (a_v * h[${j}]) * e[${r}]; }`,
)}
      }`,
)}
${reduce('sv')}
    // δ = g'(λ)·s/D; b += lr_b·δ; c += (lr_c/D)·e; W += (a_w x) ⊗ δ (+ (a_e e) ⊗ h tied).
${ks((j) => `    sv[${j}] = act_prime(g, lam[${j}], h[${j}]) * sv[${j}] * p.inv_d;`)}
    if (enc) {
${ks((j) => `      b[${j}] = b[${j}] + lr_b * sv[${j}];`)}
    }
${own(
  (r) => `      if (outb) { theta[t0 + OC + i] = theta[t0 + OC + i] + a_c * e[${r}]; }
      let xs = a_w * x[${r}];
      if (tied) {
        let es = a_e * e[${r}];
${ks((j) => `        theta[t0 + i * K + ${j}u] = theta[t0 + i * K + ${j}u] + (xs * sv[${j}] + es * h[${j}]);`)}
      } else {
${ks((j) => `        theta[t0 + i * K + ${j}u] = theta[t0 + i * K + ${j}u] + xs * sv[${j}];`)}
      }`,
)}
  }
  if (enc && t == 0u) {
${ks((j) => `    theta[t0 + OB + ${j}u] = b[${j}];`)}
  }
}
`;
}

/**
 * The draw shader (for tests and checks): out[n·D + i] = x_i of step start + n as replica
 * p.replica sees it, one workgroup a step (a 2-D grid of them), with the step shader's sample().
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
  key = p.reps[p.replica].seed.xy;
  var z: array<f32, ${spikes}>;
  ${s.spikes > 0 ? 'z = spike_normals(step);' : ''}
${each(Math.ceil(s.d / WG), (r) => `  { let i = t + ${r}u * WG; if (i < D) { out[n * D + i] = sample(step, i, z); } }`)}
}
`;
}

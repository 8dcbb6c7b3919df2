import { ACTIVATIONS } from '../activations.ts';
import type { ActivationName } from '../types.ts';

/**
 * WGSL compute shaders of the webgpu backend, generated here as strings (no GPU needed to build
 * them, so the tests can check the text and the activation table without an adapter).
 *
 * Every workgroup has at most 128 invocations: the limit of compatibility-mode adapters (Dawn's
 * OpenGL ES backend on llvmpipe), without asking for more.
 */
export const WORKGROUP_INVOCATIONS = 128;

/** gemm tiling: a BM×BN block of C per workgroup of 16×8 threads, each thread TM×TN outputs, K tiles of BK. */
export const GEMM_TILE = { bm: 64, bn: 64, bk: 16, tx: 16, ty: 8, tm: 8, tn: 4 } as const;

/**
 * Each activation as WGSL expressions: `forward` in terms of x, `backward` in terms of the
 * incoming gradient g and the activation's output y. The rules themselves are defined once in
 * src/backend/activations.ts; test/backend-webgpu-wgsl.test.ts holds these expressions to them
 * point by point (the mapped type forces an entry for every ActivationName).
 */
export const WGSL_ACTIVATIONS: { readonly [A in ActivationName]: { forward: string; backward: string } } = {
  linear: { forward: 'x', backward: 'g' },
  // WGSL may assume no NaNs in float code, so NaN is kept by looking at the bits.
  relu: { forward: 'select(max(x, 0.0), x, is_nan(x))', backward: 'select(0.0, g, y > 0.0)' },
  sigmoid: { forward: 'sigmoid_f(x)', backward: 'g * (y * (1.0 - y))' },
  tanh: { forward: 'tanh_f(x)', backward: 'g * (1.0 - y * y)' },
};

/** Helpers the activation expressions call. */
const ACTIVATION_HELPERS = /* wgsl */ `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// The two-sided logistic, as in activations.ts: exp never overflows.
fn sigmoid_f(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// tanh(±10) is ±1 in float32; clamping keeps exp-based builtins from inf/inf.
fn tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return tanh(clamp(x, -10.0, 10.0));
}
`;

/** Flat index of an invocation in a 2-D grid of 128-wide workgroups (1-D dispatches cap at 65535 groups). */
export const FLAT_INDEX = /* wgsl */ `
fn flat_index(wid: vec3u, nwg: vec3u, li: u32) -> u32 { return (wid.y * nwg.x + wid.x) * ${WORKGROUP_INVOCATIONS}u + li; }
`;

/**
 * A shader's interface: its storage buffers in binding order (the order the worker binds them),
 * then the uniform `p` of struct Params with the fields `params`.
 */
export function bindings(params: string, buffers: Record<string, 'read' | 'read_write'>): string {
  const storage = Object.entries(buffers);
  return [
    `struct Params { ${params} }`,
    ...storage.map(
      ([name, access], i) => `@group(0) @binding(${i}) var<storage, ${access}> ${name}: array<f32>;`,
    ),
    `@group(0) @binding(${storage.length}) var<uniform> p: Params;`,
  ].join('\n');
}

export const ENTRY_1D = `@compute @workgroup_size(${WORKGROUP_INVOCATIONS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32)`;

/**
 * The deepest product gemmShader takes: its one loop, over K tiles of GEMM_TILE.bk, stays within
 * llvmpipe's 65,535 iterations an invocation, less 8 for the loops the WGSL compiler adds (it
 * zero-fills the workgroup tiles in a loop: on llvmpipe a 1×16·65,535 by 16·65,535×1 product of
 * ones came out 1,048,512, three tiles short). Deeper products are split over K by the callers.
 */
export const GEMM_MAX_K = GEMM_TILE.bk * (65_535 - 8);

/**
 * C ← op(A)·op(B) (+ C when flags bit 2): row-major, flags bit 0 transA, bit 1 transB.
 * Operands are staged in workgroup memory a K tile at a time (zero-padded at the edges), as
 * vec4s; each thread keeps its TM×TN outputs in TM vec4 registers, the inner loop written out so
 * no register array is indexed at run time. Every output sums its k products in order.
 */
export function gemmShader(): string {
  const { bm, bn, bk, tx, ty, tm, tn } = GEMM_TILE;
  if (tn !== 4 || tm % 4 !== 0)
    throw new Error('gemmShader: the vec4 layout needs tn = 4 and tm a multiple of 4');
  const threads = tx * ty;
  const loads = (bm * bk) / threads;
  const aVecs = tm / 4;
  const inner: string[] = [];
  for (let v = 0; v < aVecs; v++)
    inner.push(`      let a${v} = As[kk * ${bm / 4}u + lid.y * ${aVecs}u + ${v}u];`);
  for (let i = 0; i < tm; i++) inner.push(`      acc${i} += a${Math.floor(i / 4)}.${'xyzw'[i % 4]} * b;`);
  const accs = Array.from({ length: tm }, (_, i) => `  var acc${i} = vec4<f32>();`).join('\n');
  // The K tile's loads and steps written out, not looped: Mesa's llvmpipe ends an invocation's
  // loops after 65,535 iterations in all, and with them looped a 1×65,536·65,536×1 product of
  // ones came out 58,252 (the rest of the sum silently dropped). Written out, only the tile loop
  // counts: k up to GEMM_MAX_K (test/backend-webgpu.test.ts, test/backend-webgpu-resident.test.ts).
  const stage = Array.from(
    { length: loads },
    (_, e) => `    {
      let idx = li + ${e * threads}u;
      let r = idx / ${bk}u;
      let ka = idx % ${bk}u;
      let ai = ka * ${bm}u + r;
      As[ai / 4u][ai % 4u] = load_a(row0 + r, t + ka);
      let kb = idx / ${bn}u;
      let c = idx % ${bn}u;
      Bs[idx / 4u][idx % 4u] = load_b(t + kb, col0 + c);
    }`,
  );
  const steps = Array.from(
    { length: bk },
    (_, kk) => `    {
      let kk = ${kk}u;
      let b = Bs[kk * ${bn / 4}u + lid.x];
${inner.join('\n')}
    }`,
  );
  const storeRows = Array.from(
    { length: tm },
    (_, i) => `  store_row(row0 + lid.y * ${tm}u + ${i}u, col, acc${i});`,
  ).join('\n');
  // A row's four columns written out too, so the tile loop is the shader's only loop (GEMM_MAX_K).
  const store = Array.from(
    { length: 4 },
    (_, j) => `  if (col + ${j}u < p.n) {
    let o = r * p.n + col + ${j}u;
    if (accumulate) { C[o] = C[o] + v[${j}]; } else { C[o] = v[${j}]; }
  }`,
  ).join('\n');
  return /* wgsl */ `
${bindings('m: u32, n: u32, k: u32, flags: u32', { A: 'read', B: 'read', C: 'read_write' })}
// As[kk][row] and Bs[kk][col], four rows or columns a vec4.
var<workgroup> As: array<vec4<f32>, ${(bm * bk) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(bk * bn) / 4}>;

fn load_a(i: u32, q: u32) -> f32 {
  if (i >= p.m || q >= p.k) { return 0.0; }
  if ((p.flags & 1u) != 0u) { return A[q * p.m + i]; }
  return A[i * p.k + q];
}
fn load_b(q: u32, j: u32) -> f32 {
  if (q >= p.k || j >= p.n) { return 0.0; }
  if ((p.flags & 2u) != 0u) { return B[j * p.k + q]; }
  return B[q * p.n + j];
}
fn store_row(r: u32, col: u32, v: vec4<f32>) {
  if (r >= p.m) { return; }
  let accumulate = (p.flags & 4u) != 0u;
${store}
}

@compute @workgroup_size(${tx}, ${ty})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * ${bm}u;
  let col0 = wg.x * ${bn}u;
${accs}
  for (var t = 0u; t < p.k; t += ${bk}u) {
${stage.join('\n')}
    workgroupBarrier();
${steps.join('\n')}
    workgroupBarrier();
  }
  let col = col0 + lid.x * 4u;
${storeRows}
}
`;
}

/** z ← act(z + bias[col]) for the z of rows×cols (params: count, cols). */
export function biasActivationShader(act: ActivationName): string {
  return /* wgsl */ `
${bindings('count: u32, cols: u32', { Z: 'read_write', bias: 'read' })}
${ACTIVATION_HELPERS}
${FLAT_INDEX}
fn act(x: f32) -> f32 { return ${WGSL_ACTIVATIONS[act].forward}; }
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  Z[i] = act(Z[i] + bias[i % p.cols]);
}
`;
}

/** g ← g ⊙ act'(·) through the output y (params: count). */
export function activationBackwardShader(act: ActivationName): string {
  return /* wgsl */ `
${bindings('count: u32', { G: 'read_write', Y: 'read' })}
${ACTIVATION_HELPERS}
${FLAT_INDEX}
fn back(g: f32, y: f32) -> f32 { return ${WGSL_ACTIVATIONS[act].backward}; }
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  G[i] = back(G[i], Y[i]);
}
`;
}

/**
 * For the activation tests: out[i] = act(x[i]) and back[i] = backward(g[i], y[i]) for every act,
 * laid out act after act in ACTIVATIONS order.
 */
export function activationProbeShader(): string {
  const cases = ACTIVATIONS.map(
    (a, i) =>
      `    case ${i}u: { F[j] = ${WGSL_ACTIVATIONS[a].forward}; Bk[j] = ${WGSL_ACTIVATIONS[a].backward}; }`,
  ).join('\n');
  return /* wgsl */ `
${bindings('count: u32', { X: 'read', GY: 'read', F: 'read_write', Bk: 'read_write' })}
${ACTIVATION_HELPERS}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  let x = X[i];
  let g = GY[2u * i];
  let y = GY[2u * i + 1u];
  for (var a = 0u; a < ${ACTIVATIONS.length}u; a++) {
    let j = a * p.count + i;
    switch a {
${cases}
      default: {}
    }
  }
}
`;
}

/** Rows one iteration of columnSumShader's loop adds, written out (see COLUMN_SUM_MAX_ROWS). */
export const COLUMN_SUM_UNROLL = 64;

/**
 * The most rows columnSumShader sums: Mesa's llvmpipe ends an invocation's loops after 65,535
 * iterations in all, and the shader takes ⌊rows/64⌋ iterations of written-out blocks, then at
 * most 63 of the rest. Looped a row at a time, a column of 70,001 ones summed to 65,535 (and
 * further rows silently dropped). Callers with more rows sum on the host.
 */
export const COLUMN_SUM_MAX_ROWS = COLUMN_SUM_UNROLL * (65_535 - (COLUMN_SUM_UNROLL - 1));

/**
 * out[j] (+)= Σ_i g[i, j], each column summed in row order by one invocation (params: rows,
 * cols, accumulate), for rows ≤ COLUMN_SUM_MAX_ROWS.
 */
export function columnSumShader(): string {
  const block = Array.from(
    { length: COLUMN_SUM_UNROLL },
    (_, u) => `    s += G[(i + ${u}u) * p.cols + j];`,
  ).join('\n');
  return /* wgsl */ `
${bindings('rows: u32, cols: u32, accumulate: u32', { G: 'read', O: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let j = flat_index(wid, nwg, li);
  if (j >= p.cols) { return; }
  var s = 0.0;
  if (p.accumulate != 0u) { s = O[j]; }
  let whole = p.rows - p.rows % ${COLUMN_SUM_UNROLL}u;
  var i = 0u;
  for (; i < whole; i += ${COLUMN_SUM_UNROLL}u) {
${block}
  }
  for (; i < p.rows; i++) { s += G[i * p.cols + j]; }
  O[j] = s;
}
`;
}

/** Elements one mse workgroup reduces to one partial sum. */
export const MSE_CHUNK = WORKGROUP_INVOCATIONS * 32;

/**
 * Partial sums of (p − t)² over chunks of MSE_CHUNK elements (summed in float64 on the host),
 * and, when params.grad is 1, grad = c·(p − t) (params: count, grad, c).
 */
export function mseShader(): string {
  return /* wgsl */ `
${bindings('count: u32, grad: u32, c: f32', { P: 'read', T: 'read', Gr: 'read_write', partial: 'read_write' })}
var<workgroup> sums: array<f32, ${WORKGROUP_INVOCATIONS}>;
@compute @workgroup_size(${WORKGROUP_INVOCATIONS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let group = wid.y * nwg.x + wid.x;
  let base = group * ${MSE_CHUNK}u;
  var s = 0.0;
  for (var e = 0u; e < ${MSE_CHUNK / WORKGROUP_INVOCATIONS}u; e++) {
    let i = base + e * ${WORKGROUP_INVOCATIONS}u + li;
    if (i < p.count) {
      let d = P[i] - T[i];
      s += d * d;
      if (p.grad != 0u) { Gr[i] = p.c * d; }
    }
  }
  sums[li] = s;
  workgroupBarrier();
  for (var w = ${WORKGROUP_INVOCATIONS / 2}u; w > 0u; w = w / 2u) {
    if (li < w) { sums[li] += sums[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { partial[group] = sums[0]; }
}
`;
}

/** One Keras-form Adam step on every element (params: count, lrT, a1 = 1 − β1, a2 = 1 − β2, ε). */
export function adamShader(): string {
  return /* wgsl */ `
${bindings('count: u32, lrT: f32, a1: f32, a2: f32, eps: f32', { W: 'read_write', G: 'read', M: 'read_write', V: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  let g = G[i];
  let m = M[i] + (g - M[i]) * p.a1;
  let v = V[i] + (g * g - V[i]) * p.a2;
  M[i] = m;
  V[i] = v;
  W[i] = W[i] - (p.lrT * m) / (sqrt(v) + p.eps);
}
`;
}

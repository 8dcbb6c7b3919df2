import { bindings, ENTRY_1D, FLAT_INDEX, WORKGROUP_INVOCATIONS } from './wgsl.ts';

/**
 * The shaders the device SAE trainer (worker-sae-trainer.ts) adds to those it reuses (wgsl.ts's
 * gemm, bias, MSE, column sum and Adam; wgsl-resident.ts's top-k; wgsl-trainer.ts's gather and
 * in-order sum). Each is one elementwise or per-row pass; none uses atomics on floats, so every
 * number is the same from run to run. Selections arrive as wgsl-resident.ts's topkShader writes
 * them: V (rows × k, after ReLU) and I (rows × k, the columns as floats).
 */

const W = WORKGROUP_INVOCATIONS;

/** The most a loop of one invocation may run on llvmpipe (65,535 iterations in all, see wgsl.ts). */
export const SAE_MAX_LOOP = 65_535;

/** Y = X − b broadcast over rows, written X + (−b) as the Tape's biasAdd(x, scale(b, −1)) (params: count, cols). */
export function centreShader(): string {
  return /* wgsl */ `
${bindings('count: u32, cols: u32', { X: 'read', B: 'read', Y: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  Y[i] = X[i] + (-B[i % p.cols]);
}
`;
}

/**
 * R[i, q] = Σⱼ V[i, j]·W[I[i, j], q] (+ B[q] when withBias), j in order: the sparse decode of
 * sparseRowsMatmul then biasAdd (params: rows, k, d, withBias). One invocation an output; k iterations.
 */
export function decodeShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, k: u32, d: u32, withBias: u32', { V: 'read', I: 'read', Wd: 'read', B: 'read', R: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.rows * p.d) { return; }
  let i = e / p.d;
  let q = e % p.d;
  var s = 0.0;
  for (var j = 0u; j < p.k; j++) {
    let a = V[i * p.k + j];
    s += a * Wd[u32(I[i * p.k + j]) * p.d + q];
  }
  if (p.withBias != 0u) { s = s + B[q]; }
  R[e] = s;
}
`;
}

/** E = X − R (params: count): the AuxK target e = x − x̂. */
export function residualShader(): string {
  return /* wgsl */ `
${bindings('count: u32', { X: 'read', R: 'read', E: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  E[i] = X[i] - R[i];
}
`;
}

/** Elements one spreadShader workgroup reduces to one partial sum (as wgsl.ts's MSE_CHUNK). */
export const SPREAD_CHUNK = W * 32;

/**
 * Partial sums of (E[i, q] − S[q]/rows)² over chunks of SPREAD_CHUNK elements, S the column sums
 * of E: the AuxK normaliser's numerator Σ‖e − ē‖² (params: count, cols, rows as f32).
 */
export function spreadShader(): string {
  return /* wgsl */ `
${bindings('count: u32, cols: u32, rows: f32', { E: 'read', S: 'read', partial: 'read_write' })}
var<workgroup> sums: array<f32, ${W}>;
@compute @workgroup_size(${W})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let group = wid.y * nwg.x + wid.x;
  let base = group * ${SPREAD_CHUNK}u;
  var s = 0.0;
  for (var e = 0u; e < ${SPREAD_CHUNK / W}u; e++) {
    let i = base + e * ${W}u + li;
    if (i < p.count) {
      let d = E[i] - S[i % p.cols] / p.rows;
      s += d * d;
    }
  }
  sums[li] = s;
  workgroupBarrier();
  for (var w = ${W / 2}u; w > 0u; w = w / 2u) {
    if (li < w) { sums[li] += sums[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) { partial[group] = sums[0]; }
}
`;
}

/**
 * G = (2α / Σ‖e − ē‖²)·(Ê − E), the gradient of α·mse(ê, e)/mse(ē, e) at ê, with Σ‖e − ē‖² read
 * from Sums[slot]; G = 0 where that sum is 0 (no aux term) (params: count, slot, alpha).
 */
export function auxGradShader(): string {
  return /* wgsl */ `
${bindings('count: u32, slot: u32, alpha: f32', { H: 'read', E: 'read', Sums: 'read', G: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  let spread = Sums[p.slot];
  var g = 0.0;
  if (spread > 0.0) { g = (2.0 * p.alpha / spread) * (H[i] - E[i]); }
  G[i] = g;
}
`;
}

/**
 * GV[i, j] = Gr[i, :]·Wd[I[i, j], :] where V[i, j] > 0, else 0: a kept value's gradient through
 * the decode and through ReLU, i.e. the pre-activation's (params: rows, k, d). One invocation a
 * kept entry; d iterations.
 */
export function keptGradShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, k: u32, d: u32', { V: 'read', I: 'read', Wd: 'read', Gr: 'read', GV: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.rows * p.k) { return; }
  let i = e / p.k;
  var s = 0.0;
  if (V[e] > 0.0) {
    let w = u32(I[e]) * p.d;
    for (var q = 0u; q < p.d; q++) { s += Gr[i * p.d + q] * Wd[w + q]; }
  }
  GV[e] = s;
}
`;
}

/** Y = Y + a·X (params: count, a). */
export function axpyShader(): string {
  return /* wgsl */ `
${bindings('count: u32, a: f32', { X: 'read', Y: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  Y[i] = Y[i] + p.a * X[i];
}
`;
}

/**
 * Per row r of G (rows × cols): G[r] −= (G[r]·Wd[r])·Wd[r] (removeParallelComponent, src/sae/model.ts)
 * (params: rows, cols). One invocation a row; 2·cols iterations.
 */
export function removeParallelShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, cols: u32', { Wd: 'read', G: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let r = flat_index(wid, nwg, li);
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var dot = 0.0;
  for (var q = 0u; q < p.cols; q++) { dot += G[o + q] * Wd[o + q]; }
  if (dot != 0.0) {
    for (var q = 0u; q < p.cols; q++) { G[o + q] = G[o + q] - dot * Wd[o + q]; }
  }
}
`;
}

/** Each row of Wd (rows × cols) scaled to unit norm, a zero row left (normalizeRows) (params: rows, cols). */
export function normalizeRowsShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, cols: u32', { Wd: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let r = flat_index(wid, nwg, li);
  if (r >= p.rows) { return; }
  let o = r * p.cols;
  var s = 0.0;
  for (var q = 0u; q < p.cols; q++) { s += Wd[o + q] * Wd[o + q]; }
  if (s > 0.0) {
    let inv = 1.0 / sqrt(s);
    for (var q = 0u; q < p.cols; q++) { Wd[o + q] = Wd[o + q] * inv; }
  }
}
`;
}

/**
 * The dead-latent counters' batch update (DeadLatentTracker.update): C[j] = min(C[j] + rows, cap)
 * (params: count, rows, cap). Held at cap = ⌈threshold⌉ the counts stay exact integers in f32
 * and `C ≥ cap` still says dead.
 */
export function sinceShader(): string {
  return /* wgsl */ `
${bindings('count: u32, rows: f32, cap: f32', { C: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let j = flat_index(wid, nwg, li);
  if (j >= p.count) { return; }
  C[j] = min(C[j] + p.rows, p.cap);
}
`;
}

/**
 * C[I[e]] = 0 for each kept entry with V[e] ≥ fire, fire the smallest float32 above the firing
 * threshold (so that it is the host's V > threshold) (params: count, fire). Several entries may
 * zero one counter: they all write the same 0.
 */
export function fireShader(): string {
  return /* wgsl */ `
${bindings('count: u32, fire: f32', { V: 'read', I: 'read', C: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.count) { return; }
  if (V[e] >= p.fire) { C[u32(I[e])] = 0.0; }
}
`;
}

/**
 * One workgroup: Mask[j] = 1 where C[j] ≥ cap (dead) else 0, Sums[deadSlot] = how many; and
 * Sums[nanSlot] = the rows whose selection the top-k shader refused (I[r, 0] < 0: a NaN in the row)
 * (params: n, cap, rows, k, deadSlot, nanSlot). Integer counts, summed in a fixed order.
 */
export function deadMaskShader(): string {
  return /* wgsl */ `
${bindings('n: u32, cap: f32, rows: u32, k: u32, deadSlot: u32, nanSlot: u32', { C: 'read', I: 'read', Mask: 'read_write', Sums: 'read_write' })}
var<workgroup> dead: array<u32, ${W}>;
var<workgroup> refusedRows: array<u32, ${W}>;
@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) li: u32) {
  var count = 0u;
  for (var j = li; j < p.n; j += ${W}u) {
    let isDead = C[j] >= p.cap;
    Mask[j] = select(0.0, 1.0, isDead);
    if (isDead) { count += 1u; }
  }
  var refused = 0u;
  for (var r = li; r < p.rows; r += ${W}u) {
    if (I[r * p.k] < 0.0) { refused += 1u; }
  }
  dead[li] = count;
  refusedRows[li] = refused;
  workgroupBarrier();
  for (var w = ${W / 2}u; w > 0u; w = w / 2u) {
    if (li < w) {
      dead[li] += dead[li + w];
      refusedRows[li] += refusedRows[li + w];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    Sums[p.deadSlot] = f32(dead[0]);
    Sums[p.nanSlot] = f32(refusedRows[0]);
  }
}
`;
}

// The sparse backward: each selection (I, rows × k) transposed into per-latent lists of its
// entries (CSR by latent: Cnt, Off and the entry numbers L, rows in ascending order). The
// selection's slots are first scattered into a dense rows × n matrix S (S[i, c] = j + 1 where
// I[i, j] = c, a row's columns distinct so no two writes meet; cleared again after), which one
// invocation a latent then reads down its column, so the lists and every sum over them come out
// in one fixed order. The weight gradients then sum over a latent's entries (m·k·d work each,
// not the m·n·d of a dense product) without float atomics.

/** S[i, I[i, j]] = j + 1, or 0 when clearing (params: rows, k, n, clear). */
export function slotScatterShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, k: u32, n: u32, clear: u32', { I: 'read', S: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.rows * p.k) { return; }
  let o = (e / p.k) * p.n + u32(I[e]);
  if (p.clear != 0u) { S[o] = 0.0; } else { S[o] = f32(e % p.k + 1u); }
}
`;
}

/** Cnt[c] = the rows whose selection holds column c (params: rows, n). rows iterations an invocation. */
export function listCountShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, n: u32', { S: 'read', Cnt: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let c = flat_index(wid, nwg, li);
  if (c >= p.n) { return; }
  var count = 0u;
  for (var i = 0u; i < p.rows; i++) {
    if (S[i * p.n + c] != 0.0) { count += 1u; }
  }
  Cnt[c] = f32(count);
}
`;
}

/** One workgroup: Off = the exclusive prefix sums of Cnt (params: n). Counts exact in f32 below 2²⁴. */
export function prefixShader(): string {
  return /* wgsl */ `
${bindings('n: u32', { Cnt: 'read', Off: 'read_write' })}
var<workgroup> part: array<u32, ${W}>;
@compute @workgroup_size(${W})
fn main(@builtin(local_invocation_index) li: u32) {
  let span = (p.n + ${W - 1}u) / ${W}u;
  let c0 = min(li * span, p.n);
  let c1 = min(c0 + span, p.n);
  var s = 0u;
  for (var c = c0; c < c1; c++) { s += u32(Cnt[c]); }
  part[li] = s;
  workgroupBarrier();
  if (li == 0u) {
    var run = 0u;
    for (var t = 0u; t < ${W}u; t++) {
      let v = part[t];
      part[t] = run;
      run += v;
    }
  }
  workgroupBarrier();
  var o = part[li];
  for (var c = c0; c < c1; c++) {
    Off[c] = f32(o);
    o += u32(Cnt[c]);
  }
}
`;
}

/** L[Off[c] + t] = the entry number i·k + j of column c's t-th row i (params: rows, k, n). */
export function listFillShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, k: u32, n: u32', { S: 'read', Off: 'read', L: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let c = flat_index(wid, nwg, li);
  if (c >= p.n) { return; }
  var o = u32(Off[c]);
  for (var i = 0u; i < p.rows; i++) {
    let slot = S[i * p.n + c];
    if (slot != 0.0) {
      L[o] = f32(i * p.k + u32(slot) - 1u);
      o += 1u;
    }
  }
}
`;
}

/**
 * Out[c, q] (+)= Σ over column c's entries e (row i) of A[e]·B[i, q], B rows × cols: W_d's
 * gradient (A the kept values, B g_x̂; Out n × cols) and, with `transposed`, W_e's (A the kept
 * values' gradients, B the centred batch; Out[q, c] of a cols × n matrix)
 * (params: n, cols, k, accumulate). At most rows iterations an invocation.
 */
export function listProductShader(transposed: boolean): string {
  const out = transposed ? 'q * p.n + c' : 'c * p.cols + q';
  return /* wgsl */ `
${bindings('n: u32, cols: u32, k: u32, accumulate: u32', { A: 'read', Cnt: 'read', Off: 'read', L: 'read', B: 'read', Out: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.n * p.cols) { return; }
  ${transposed ? 'let q = e / p.n;\n  let c = e % p.n;' : 'let c = e / p.cols;\n  let q = e % p.cols;'}
  let o = ${out};
  var s = 0.0;
  if (p.accumulate != 0u) { s = Out[o]; }
  let first = u32(Off[c]);
  let last = first + u32(Cnt[c]);
  for (var t = first; t < last; t++) {
    let entry = u32(L[t]);
    s += A[entry] * B[(entry / p.k) * p.cols + q];
  }
  Out[o] = s;
}
`;
}

/** Out[c] (+)= Σ over column c's entries e of A[e]: b_e's gradient (params: n, accumulate). */
export function listSumShader(): string {
  return /* wgsl */ `
${bindings('n: u32, accumulate: u32', { A: 'read', Cnt: 'read', Off: 'read', L: 'read', Out: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let c = flat_index(wid, nwg, li);
  if (c >= p.n) { return; }
  var s = 0.0;
  if (p.accumulate != 0u) { s = Out[c]; }
  let first = u32(Off[c]);
  let last = first + u32(Cnt[c]);
  for (var t = first; t < last; t++) { s += A[u32(L[t])]; }
  Out[c] = s;
}
`;
}

/**
 * Out[i, q] (+)= Σⱼ A[i, j]·We[q, I[i, j]]: the centred batch's gradient through the kept entries,
 * We d × n (params: rows, k, d, n, accumulate). k iterations an invocation.
 */
export function centredGradShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, k: u32, d: u32, n: u32, accumulate: u32', { A: 'read', I: 'read', We: 'read', Out: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let e = flat_index(wid, nwg, li);
  if (e >= p.rows * p.d) { return; }
  let i = e / p.d;
  let q = e % p.d;
  var s = 0.0;
  if (p.accumulate != 0u) { s = Out[e]; }
  for (var j = 0u; j < p.k; j++) {
    s += A[i * p.k + j] * We[q * p.n + u32(I[i * p.k + j])];
  }
  Out[e] = s;
}
`;
}

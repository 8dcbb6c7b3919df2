import { MU_EPSILON } from '../resident.ts';
import { bindings, ENTRY_1D, FLAT_INDEX, WORKGROUP_INVOCATIONS } from './wgsl.ts';

/**
 * WGSL of the resident ops that have no counterpart among the round-trip kernels of wgsl.ts: the
 * multiplicative NMF update and the top-k selection of the sparse autoencoder. Products reuse
 * wgsl.ts's gemm shader, so a chained product has the numbers of the backend's own gemm.
 */

/** MU_EPSILON as a WGSL literal (2⁻²³ is exact in decimal). */
const EPSILON_LITERAL = MU_EPSILON.toExponential();

/**
 * O ← F ∘ N / D, D = den + l1 (when l1 > 0) + l2·F (when l2 > 0), a zero D replaced by 2⁻²³:
 * src/nmf/mu.ts's rule, in float32 (params: count, l1, l2).
 */
export function muUpdateShader(): string {
  return /* wgsl */ `
${bindings('count: u32, l1: f32, l2: f32', { F: 'read', N: 'read', D: 'read', O: 'read_write' })}
${FLAT_INDEX}
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.count) { return; }
  let v = F[i];
  var d = D[i];
  if (p.l1 > 0.0) { d = d + p.l1; }
  if (p.l2 > 0.0) { d = d + p.l2 * v; }
  if (d == 0.0) { d = ${EPSILON_LITERAL}; }
  O[i] = v * (N[i] / d);
}
`;
}

/** Largest number of rows one top-k dispatch spans (a dispatch's y count); more rows loop. */
export const TOPK_MAX_ROW_GROUPS = 65535;

/**
 * First pass of the top-k selection (params: rows, cols, k, masked): Kept[i, c] = 1 where entry
 * c of row i is eligible (E[c] ≠ 0, or every column when masked is 0) and fewer than k eligible
 * entries of its row beat it, 0 elsewhere. An entry beats another when it is larger, or equal
 * and in an earlier column: the order of selectTopK (src/autodiff/topk.ts), so the same k
 * entries are kept, ties included. A workgroup covers 128 columns of one row and reads the row
 * in tiles of 128 through workgroup memory: O(cols) comparisons an entry. A NaN is neither
 * beaten nor beats: the second pass flags its row.
 */
export function topkSelectShader(): string {
  const w = WORKGROUP_INVOCATIONS;
  return /* wgsl */ `
${bindings('rows: u32, cols: u32, k: u32, masked: u32', { Z: 'read', E: 'read', Kept: 'read_write' })}
var<workgroup> tile: array<f32, ${w}>;
var<workgroup> tileOk: array<u32, ${w}>;
fn eligible(c: u32) -> bool { return p.masked == 0u || E[c] != 0.0; }
@compute @workgroup_size(${w})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let c = wid.x * ${w}u + li;
  let inside = c < p.cols;
  for (var i = wid.y; i < p.rows; i += nwg.y) {
    let row = i * p.cols;
    var v = 0.0;
    var ok = false;
    if (inside) {
      v = Z[row + c];
      ok = eligible(c);
    }
    var beaten = 0u;
    for (var t0 = 0u; t0 < p.cols; t0 += ${w}u) {
      let cc = t0 + li;
      if (cc < p.cols) {
        tile[li] = Z[row + cc];
        tileOk[li] = select(0u, 1u, eligible(cc));
      }
      workgroupBarrier();
      let width = min(${w}u, p.cols - t0);
      for (var j = 0u; j < width; j++) {
        let u = tile[j];
        if (tileOk[j] != 0u && (u > v || (u == v && t0 + j < c))) { beaten += 1u; }
      }
      workgroupBarrier();
    }
    if (inside) { Kept[row + c] = select(0.0, 1.0, ok && beaten < p.k); }
  }
}
`;
}

/**
 * Second pass (params: rows, cols, k): each row's kept entries in ascending column order, as
 * selectTopK writes them, then ReLU as topk() applies it: V[i, j] = max(z, 0) and I[i, j] = the
 * column, as a float (exact below 2²⁴ columns). One invocation a row. A row holding a NaN (whose
 * place in selectTopK's heap this order cannot reproduce) gets I[i, 0] = −1, for the caller to
 * select that row on the host.
 */
export function topkCompactShader(): string {
  return /* wgsl */ `
${bindings('rows: u32, cols: u32, k: u32', { Z: 'read', Kept: 'read', V: 'read_write', I: 'read_write' })}
${FLAT_INDEX}
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
${ENTRY_1D} {
  let i = flat_index(wid, nwg, li);
  if (i >= p.rows) { return; }
  let row = i * p.cols;
  var j = 0u;
  var nan = false;
  for (var c = 0u; c < p.cols; c++) {
    let z = Z[row + c];
    if (is_nan(z)) { nan = true; }
    if (j < p.k && Kept[row + c] != 0.0) {
      V[i * p.k + j] = select(0.0, z, z > 0.0);
      I[i * p.k + j] = f32(c);
      j += 1u;
    }
  }
  if (nan) { I[i * p.k] = -1.0; }
}
`;
}

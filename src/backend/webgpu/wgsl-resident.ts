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

/**
 * The top-k selection of selectTopK (src/autodiff/topk.ts) then ReLU, one workgroup a row
 * (params: rows, cols, k, masked). Entries are ordered by an order-preserving u32 key of their
 * value (−0 read as +0, as the reference's comparisons see them); four 8-bit radix passes over
 * the row's eligible entries (E[c] ≠ 0, or every column when masked is 0) find the k-th largest
 * key T and how many entries equal to T are kept. Then the row's entries above T, and the
 * earliest of those equal to T, are written in ascending column order: the entries selectTopK
 * keeps (the earlier column wins a tie), as V[i, j] = max(z, 0) and I[i, j] = the column as a
 * float (exact below 2²⁴ columns). O(cols / 128) steps an invocation, so also within llvmpipe's
 * 65,535 loop iterations an invocation up to about a million columns. A row holding a NaN (whose place in
 * selectTopK's heap no order reproduces) gets I[i, 0] = −1, for the caller to select it on the host.
 */
export function topkShader(): string {
  const w = WORKGROUP_INVOCATIONS;
  return /* wgsl */ `
${bindings('rows: u32, cols: u32, k: u32, masked: u32', { Z: 'read', E: 'read', V: 'read_write', I: 'read_write' })}
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> chosen: u32;
var<workgroup> left: u32;
var<workgroup> nanSeen: atomic<u32>;
var<workgroup> runAbove: array<u32, ${w}>;
var<workgroup> runEqual: array<u32, ${w}>;
var<workgroup> runSlot: array<u32, ${w}>;
var<workgroup> runTies: array<u32, ${w}>;
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn eligible(c: u32) -> bool { return p.masked == 0u || E[c] != 0.0; }
// Larger value, larger key; −0 and +0 one key.
fn order_key(v: f32) -> u32 {
  let b = bitcast<u32>(select(v, 0.0, v == 0.0));
  if ((b & 0x80000000u) != 0u) { return ~b; }
  return b | 0x80000000u;
}
@compute @workgroup_size(${w})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = wid.y * nwg.x + wid.x;
  if (i >= p.rows) { return; }
  let row = i * p.cols;
  if (li == 0u) {
    left = p.k;
    atomicStore(&nanSeen, 0u);
  }
  var prefix = 0u;
  var mask = 0u;
  for (var digit = 0u; digit < 4u; digit++) {
    let shift = 24u - 8u * digit;
    for (var b = li; b < 256u; b += ${w}u) { atomicStore(&hist[b], 0u); }
    workgroupBarrier();
    for (var c = li; c < p.cols; c += ${w}u) {
      let v = Z[row + c];
      if (digit == 0u && is_nan(v)) { atomicStore(&nanSeen, 1u); }
      if (eligible(c)) {
        let key = order_key(v);
        if ((key & mask) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
      }
    }
    workgroupBarrier();
    // The bin holding the left-th largest of the keys that match the prefix so far.
    if (li == 0u) {
      var above = 0u;
      var b = 255u;
      loop {
        let h = atomicLoad(&hist[b]);
        if (above + h >= left || b == 0u) {
          chosen = b;
          left = left - above;
          break;
        }
        above += h;
        b -= 1u;
      }
    }
    workgroupBarrier();
    prefix = prefix | (chosen << shift);
    mask = mask | (255u << shift);
  }
  // Each invocation takes a run of consecutive columns: it counts its entries above T and equal
  // to T; prefix sums over the runs (invocation 0) give each run its first output slot and how
  // many of its ties are kept (the earliest ones); then every run writes its kept entries in order.
  let span = (p.cols + ${w - 1}u) / ${w}u;
  let c0 = min(li * span, p.cols);
  let c1 = min(c0 + span, p.cols);
  var above = 0u;
  var equal = 0u;
  for (var c = c0; c < c1; c++) {
    if (eligible(c)) {
      let key = order_key(Z[row + c]);
      if (key > prefix) { above += 1u; }
      if (key == prefix) { equal += 1u; }
    }
  }
  runAbove[li] = above;
  runEqual[li] = equal;
  workgroupBarrier();
  if (li == 0u) {
    var slot = 0u;
    var tiesLeft = left;
    for (var t = 0u; t < ${w}u; t++) {
      let kept = min(runEqual[t], tiesLeft);
      tiesLeft -= kept;
      runSlot[t] = slot;
      runTies[t] = kept;
      slot += runAbove[t] + kept;
    }
  }
  workgroupBarrier();
  var j = runSlot[li];
  var ties = runTies[li];
  for (var c = c0; c < c1; c++) {
    if (eligible(c)) {
      let z = Z[row + c];
      let key = order_key(z);
      var keep = key > prefix;
      if (key == prefix && ties > 0u) {
        keep = true;
        ties -= 1u;
      }
      if (keep) {
        V[i * p.k + j] = select(0.0, z, z > 0.0);
        I[i * p.k + j] = f32(c);
        j += 1u;
      }
    }
  }
  workgroupBarrier();
  if (li == 0u && atomicLoad(&nanSeen) != 0u) { I[i * p.k] = -1.0; }
}
`;
}

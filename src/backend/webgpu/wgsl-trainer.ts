import { WORKGROUP_INVOCATIONS } from './wgsl.ts';

/**
 * The two shaders the device-resident trainer adds to wgsl.ts's kernels (which it reuses for
 * gemm, bias + activation and their gradients, MSE and Adam): a row gather that builds a batch
 * from a training set already on the device, and the in-order sum of MSE's partial sums.
 */

/**
 * dst[r, j] = src[row(r), j] for r < rows, j < cols, where row(r) = idx[r] (row numbers as f32,
 * exact below 2²⁴) when `indexed`, else start + r (params: rows, cols, start, indexed).
 */
export function gatherRowsShader(): string {
  return /* wgsl */ `
struct Params { rows: u32, cols: u32, start: u32, indexed: u32 }
@group(0) @binding(0) var<storage, read> I: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read_write> D: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@compute @workgroup_size(${WORKGROUP_INVOCATIONS})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nwg.x + wid.x) * ${WORKGROUP_INVOCATIONS}u + li;
  if (i >= p.rows * p.cols) { return; }
  let r = i / p.cols;
  let j = i % p.cols;
  var row = p.start + r;
  if (p.indexed != 0u) { row = u32(I[r]); }
  D[i] = S[row * p.cols + j];
}
`;
}

/** The most partial sums sumPartialsShader adds: one loop of count iterations, within llvmpipe's 65,535. */
export const SUM_PARTIALS_MAX = 65_535;

/**
 * out[slot] = Σ_{i < count} partial[i], summed in order by one invocation (params: count, slot),
 * for count ≤ SUM_PARTIALS_MAX.
 */
export function sumPartialsShader(): string {
  return /* wgsl */ `
struct Params { count: u32, slot: u32 }
@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(1)
fn main() {
  var s = 0.0;
  for (var i = 0u; i < p.count; i++) { s += P[i]; }
  O[p.slot] = s;
}
`;
}

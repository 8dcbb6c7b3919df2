import { TOPK_MAX_COLUMNS } from '../backend/resident.ts';
import type { Backend, ResidentMatrix } from '../backend/types.ts';
import { formatShape, ShapeError } from '../tensor/tensor.ts';
import { expect2d, linearShapes } from './shapes.ts';
import type { Var } from './tape.ts';

// Top-k sparsity as autodiff ops (Gao et al. 2024, "Scaling and evaluating sparse
// autoencoders"): keep the k largest entries of each row, apply ReLU, zero the rest. The result
// is stored sparsely — k values and k column indices per row — so that what follows it (the
// decoder) costs O(k) per row instead of O(n), and every backward rule touches only the kept
// entries. Ties are broken deterministically (the earlier column stays).

/** An m × n matrix with exactly k stored entries per row. */
export interface SparseRows {
  /** The stored values, m × k, after ReLU; a node on the tape, so gradients flow through it. */
  readonly values: Var;
  /** Column of each stored value, m × k row-major; ascending within a row. */
  readonly indices: Int32Array;
  readonly rows: number;
  readonly cols: number;
  readonly k: number;
}

/** Which entries a selection may keep and how many. */
export interface TopKSelection {
  readonly k: number;
  /** When given (length n), only columns with a non-zero flag are eligible (e.g. dead latents). */
  readonly eligible?: Uint8Array;
}

function checkSelection(what: string, s: TopKSelection, n: number): void {
  if (!(Number.isInteger(s.k) && s.k >= 1))
    throw new RangeError(`${what}: k must be an integer ≥ 1, got ${s.k}`);
  if (s.eligible && s.eligible.length !== n) {
    throw new ShapeError(`${what}: eligible has ${s.eligible.length} flags for ${n} columns`);
  }
  let available = n;
  if (s.eligible) {
    available = 0;
    for (const f of s.eligible) if (f) available++;
  }
  if (s.k > available) throw new RangeError(`${what}: k = ${s.k} exceeds the ${available} eligible columns`);
}

/**
 * Writes the columns of the k largest eligible entries of each row of `x` (m × n) into
 * `indices` (ascending within a row) and their raw values into `raw`. A min-heap of size k per
 * row: O(n log k), and most entries are rejected by one comparison with the heap's root.
 */
export function selectTopK(
  x: Float32Array,
  m: number,
  n: number,
  s: TopKSelection,
  indices: Int32Array,
  raw: Float32Array,
): void {
  const { k, eligible } = s;
  const hv = new Float64Array(k);
  const hi = new Int32Array(k);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    let size = 0;
    for (let c = 0; c < n; c++) {
      if (eligible && !eligible[c]) continue;
      const v = x[row + c];
      if (size < k) {
        // Sift up: the root holds the smallest kept value.
        let p = size++;
        while (p > 0) {
          const parent = (p - 1) >> 1;
          // A later column is worse than an earlier one of equal value, so the earlier one stays.
          if (!(hv[parent] > v || (hv[parent] === v && hi[parent] < c))) break;
          hv[p] = hv[parent];
          hi[p] = hi[parent];
          p = parent;
        }
        hv[p] = v;
        hi[p] = c;
      } else if (v > hv[0]) {
        // Replace the root and sift down.
        let p = 0;
        for (;;) {
          const l = 2 * p + 1;
          if (l >= k) break;
          const r = l + 1;
          const child = r < k && (hv[r] < hv[l] || (hv[r] === hv[l] && hi[r] > hi[l])) ? r : l;
          if (!(hv[child] < v || (hv[child] === v && hi[child] > c))) break;
          hv[p] = hv[child];
          hi[p] = hi[child];
          p = child;
        }
        hv[p] = v;
        hi[p] = c;
      }
    }
    const out = indices.subarray(i * k, (i + 1) * k);
    out.set(hi);
    out.sort();
    for (let j = 0; j < k; j++) raw[i * k + j] = x[row + out[j]];
  }
}

/**
 * TopK(x): per row of x (m × n), the k largest entries after ReLU, sparse. The backward pass
 * adds each kept value's gradient into its entry of x where the kept value was positive
 * (ReLU's derivative); every other entry of x receives nothing.
 */
export function topk(x: Var, selection: TopKSelection | number): SparseRows {
  const s = typeof selection === 'number' ? { k: selection } : selection;
  const [m, n] = expect2d('topk', x);
  checkSelection('topk', s, n);
  const tape = x.tape;
  const { k } = s;
  const indices = new Int32Array(m * k);
  const out = tape.alloc([m, k]);
  const v = out.data;
  selectTopK(x.value.data, m, n, s, indices, v);
  for (let i = 0; i < v.length; i++) if (!(v[i] > 0)) v[i] = 0;
  const node = tape.record(out, `topk:${k}`, [x], () => {
    const g = node.grad!.data;
    const gx = x.gradData();
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < k; j++) {
        const e = i * k + j;
        if (v[e] > 0) gx[i * n + indices[e]] += g[e];
      }
    }
  });
  return { values: node, indices, rows: m, cols: n, k };
}

/**
 * The kept entries of TopK(x·W + b) for one or more selections from the same pre-activations
 * (the model's top k and the auxiliary loss's top k_aux dead latents), with x (m × d), W (d × n,
 * fanIn × fanOut), b (n). The pre-activations are one dense gemm; the backward pass is sparse:
 * dW[:, c] += xᵢ·g, db[c] += g, dxᵢ += g·W[:, c] for kept entries (i, c) only — m·k·d work
 * instead of the m·n·d of a dense layer's weight gradient.
 */
export function topkLinear(x: Var, w: Var, b: Var, selections: readonly TopKSelection[]): SparseRows[] {
  const tape = x.tape;
  if (w.tape !== tape || b.tape !== tape) throw new Error('operands belong to different tapes');
  const { m, k: d, n } = linearShapes('topkLinear', x, w, b);
  for (const s of selections) checkSelection('topkLinear', s, n);
  const bias = b.value.data;
  const onDevice = deviceSelections(tape.backend, x.value.data, w.value.data, bias, m, d, n, selections);
  let pre: Float32Array | undefined;
  if (!onDevice) {
    pre = tape.alloc([m, n]).data;
    tape.backend.gemm(false, false, m, n, d, x.value.data, w.value.data, pre);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let c = 0; c < n; c++) pre[row + c] += bias[c];
    }
  }
  return selections.map((s, which) => {
    const { k } = s;
    const out = tape.alloc([m, k]);
    const v = out.data;
    let indices: Int32Array;
    if (onDevice) {
      indices = onDevice[which].indices;
      v.set(onDevice[which].values);
    } else {
      indices = new Int32Array(m * k);
      selectTopK(pre!, m, n, s, indices, v);
      for (let i = 0; i < v.length; i++) if (!(v[i] > 0)) v[i] = 0;
    }
    const node = tape.record(out, `topkLinear:${k}`, [x, w, b], () => {
      // The gradient of the pre-activation at each kept entry: zero where ReLU cut it.
      const g = tape.alloc([m, k]).data;
      const gv = node.grad!.data;
      for (let e = 0; e < g.length; e++) g[e] = v[e] > 0 ? gv[e] : 0;
      if (b.requiresGrad) {
        const gb = b.gradData();
        for (let e = 0; e < g.length; e++) gb[indices[e]] += g[e];
      }
      if (!w.requiresGrad && !x.requiresGrad) return;
      tape.kernels.sparseLinearBackward(
        g,
        indices,
        m,
        k,
        x.value.data,
        d,
        w.value.data,
        n,
        w.requiresGrad ? w.gradData() : null,
        x.requiresGrad ? x.gradData() : null,
      );
    });
    return { values: node, indices, rows: m, cols: n, k };
  });
}

/**
 * topkLinear's selections made on the backend's resident storage where it has a top-k kernel
 * (webgpu): x·W by the backend's gemm shader and + b as a float32 add, as on the host, so the same
 * entries are kept; only the kept values (after ReLU) and their columns come back, not the m × n
 * pre-activations. Null where it cannot (no kernel, a matrix beyond the device's limit) or a row
 * holds a NaN (the host's heap decides where a NaN goes): the caller then selects on the host.
 */
function deviceSelections(
  backend: Backend,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  m: number,
  d: number,
  n: number,
  selections: readonly TopKSelection[],
): { indices: Int32Array; values: Float32Array }[] | null {
  const ops = backend.resident;
  if (!ops?.topK || n > TOPK_MAX_COLUMNS) return null;
  const shapes = [[m, d], [d, n], [m, n], ...selections.map((s) => [m, s.k])];
  if (!shapes.every(([r, c]) => ops.fits(r, c))) return null;
  const held: ResidentMatrix[] = [];
  const hold = (r: ResidentMatrix) => {
    held.push(r);
    return r;
  };
  try {
    const product = hold(ops.gemm(false, false, hold(ops.upload(x, m, d)), hold(ops.upload(w, d, n))));
    const pre = hold(ops.biasActivation(product, hold(ops.upload(bias, 1, n)), 'linear'));
    const out: { indices: Int32Array; values: Float32Array }[] = [];
    for (const s of selections) {
      const kept = ops.topK(pre, s.k, s.eligible);
      hold(kept.values);
      hold(kept.indices);
      const columns = ops.download(kept.indices);
      for (let i = 0; i < m; i++) if (columns[i * s.k] < 0) return null;
      out.push({ indices: Int32Array.from(columns), values: ops.download(kept.values) });
    }
    return out;
  } finally {
    for (const r of held) ops.release(r);
  }
}

/**
 * s·W for s sparse (m × n, k per row) and W (n × d): row i is Σⱼ vᵢⱼ·W[cᵢⱼ, :], a gather of k rows
 * of W — never a dense product over all n. Backward: dvᵢⱼ = gᵢ·W[cᵢⱼ, :], dW[cᵢⱼ, :] += vᵢⱼ·gᵢ.
 */
export function sparseMatmul(s: SparseRows, w: Var): Var {
  const tape = s.values.tape;
  if (w.tape !== tape) throw new Error('operands belong to different tapes');
  const [n, d] = expect2d('sparseMatmul', w);
  if (n !== s.cols) {
    throw new ShapeError(
      `sparseMatmul: sparse [${s.rows}×${s.cols}] · ${formatShape(w.shape)}: inner dimensions differ`,
    );
  }
  const { rows: m, k, indices } = s;
  const v = s.values.value.data;
  const ws = w.value.data;
  const out = tape.alloc([m, d]);
  tape.kernels.sparseRowsMatmul(v, indices, m, k, ws, d, out.data);
  const node = tape.record(out, 'sparseMatmul', [s.values, w], () => {
    tape.kernels.sparseRowsMatmulBackward(
      node.grad!.data,
      v,
      indices,
      m,
      k,
      ws,
      d,
      s.values.requiresGrad ? s.values.gradData() : null,
      w.requiresGrad ? w.gradData() : null,
    );
  });
  return node;
}

/** The sparse rows as a dense m × n tensor (zeros elsewhere); backward gathers the kept entries. */
export function densify(s: SparseRows): Var {
  const tape = s.values.tape;
  const { rows: m, cols: n, k, indices } = s;
  const out = tape.alloc([m, n]);
  const o = out.data;
  o.fill(0);
  const v = s.values.value.data;
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) o[i * n + indices[i * k + j]] = v[i * k + j];
  const node = tape.record(out, 'densify', [s.values], () => {
    const g = node.grad!.data;
    const gv = s.values.gradData();
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) gv[i * k + j] += g[i * n + indices[i * k + j]];
  });
  return node;
}

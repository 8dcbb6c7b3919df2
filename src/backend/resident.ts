import { kernelsOf } from './kernels.ts';
import type { ActivationName, Backend, ResidentMatrix, ResidentOps } from './types.ts';

/** scikit-learn's replacement for a zero denominator: float32's machine epsilon. */
export const MU_EPSILON = 2 ** -23;

/**
 * The most columns ResidentOps.topK takes (2²⁰): its kernel's loops stay within llvmpipe's 65,535
 * iterations an invocation, and its float indices are exact. Wider rows are selected on the host.
 */
export const TOPK_MAX_COLUMNS = 2 ** 20;

/** A host matrix: its data in the backend's memory where it has one, so its gemm reads it in place. */
interface HostMatrix extends ResidentMatrix {
  readonly data: Float32Array;
}

function checkShape(where: string, m: ResidentMatrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols)
    throw new RangeError(`${where}: expected a ${rows}×${cols} matrix, got ${m.rows}×${m.cols}`);
}

/**
 * The operands of ResidentOps.multiplicativeUpdate, checked the same way by every backend: N and D
 * the factor's shape, l1 and l2 finite and ≥ 0. `who` names the backend in the error.
 */
export function checkMuOperands(
  who: string,
  f: ResidentMatrix,
  num: ResidentMatrix,
  den: ResidentMatrix,
  l1: number,
  l2: number,
): void {
  for (const [what, m] of [
    ['numerator', num],
    ['denominator', den],
  ] as const) {
    if (m.rows !== f.rows || m.cols !== f.cols)
      throw new RangeError(
        `${who}: multiplicativeUpdate: ${what} is ${m.rows}×${m.cols}, the factor ${f.rows}×${f.cols}`,
      );
  }
  for (const [what, v] of [
    ['l1', l1],
    ['l2', l2],
  ] as const) {
    if (!Number.isFinite(v) || v < 0)
      throw new RangeError(`${who}: multiplicativeUpdate: ${what} must be finite and ≥ 0, got ${v}`);
  }
}

/** op(A)·op(B)'s m, n, k, or a RangeError naming both shapes. */
export function residentProductShape(
  transA: boolean,
  transB: boolean,
  a: ResidentMatrix,
  b: ResidentMatrix,
): { m: number; n: number; k: number } {
  const [m, k] = transA ? [a.cols, a.rows] : [a.rows, a.cols];
  const [k2, n] = transB ? [b.cols, b.rows] : [b.rows, b.cols];
  if (k !== k2)
    throw new RangeError(
      `resident gemm: op(A) is ${m}×${k} (A ${a.rows}×${a.cols}${transA ? ', transposed' : ''}) but op(B) is ${k2}×${n} (B ${b.rows}×${b.cols}${transB ? ', transposed' : ''})`,
    );
  return { m, n, k };
}

/**
 * The host version of {@link ResidentOps}: matrices are plain buffers from the backend's `alloc`,
 * products its gemm, the rest the backend's elementwise kernels, so a chain through it gives the
 * numbers the same calls give without it.
 */
export function hostResident(backend: Backend): ResidentOps {
  const kernels = kernelsOf(backend);
  const make = (rows: number, cols: number): HostMatrix => ({
    rows,
    cols,
    data: backend.alloc ? backend.alloc(rows * cols) : new Float32Array(rows * cols),
  });
  const host = (m: ResidentMatrix) => (m as HostMatrix).data;
  return {
    upload(data, rows, cols) {
      if (data.length < rows * cols)
        throw new RangeError(`resident upload: ${data.length} values for a ${rows}×${cols} matrix`);
      const m = make(rows, cols);
      m.data.set(data.subarray(0, rows * cols));
      return m;
    },
    gemm(transA, transB, a, b) {
      const { m, n, k } = residentProductShape(transA, transB, a, b);
      const c = make(m, n);
      backend.gemm(transA, transB, m, n, k, host(a), host(b), c.data);
      return c;
    },
    biasActivation(z, bias, act: ActivationName) {
      checkShape('resident biasActivation: bias', bias, 1, z.cols);
      const out = make(z.rows, z.cols);
      out.data.set(host(z));
      kernels.biasActivation(out.data, host(bias), z.rows, z.cols, act);
      return out;
    },
    multiplicativeUpdate(f, num, den, l1, l2) {
      checkShape('resident multiplicativeUpdate: numerator', num, f.rows, f.cols);
      checkShape('resident multiplicativeUpdate: denominator', den, f.rows, f.cols);
      const out = make(f.rows, f.cols);
      const [fv, nv, dv] = [host(f), host(num), host(den)];
      for (let i = 0; i < out.data.length; i++) {
        let d = dv[i];
        if (l1 > 0) d += l1;
        if (l2 > 0) d += l2 * fv[i];
        out.data[i] = fv[i] * (nv[i] / (d === 0 ? MU_EPSILON : d));
      }
      return out;
    },
    download(m, out = new Float32Array(m.rows * m.cols)) {
      out.set(host(m).subarray(0, m.rows * m.cols));
      return out;
    },
    release(m) {
      if (backend.owns?.(host(m))) backend.free?.(host(m));
    },
    fits: () => true,
  };
}

const hosts = new WeakMap<Backend, ResidentOps>();

/** The backend's own resident storage, or the host version (one per backend). */
export function residentOf(backend: Backend): ResidentOps {
  if (backend.resident) return backend.resident;
  let ops = hosts.get(backend);
  if (!ops) {
    ops = hostResident(backend);
    hosts.set(backend, ops);
  }
  return ops;
}

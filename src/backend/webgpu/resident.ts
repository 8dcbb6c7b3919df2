import { ACTIVATIONS } from '../activations.ts';
import { checkMuOperands, residentProductShape, TOPK_MAX_COLUMNS } from '../resident.ts';
import type { ActivationName, ResidentMatrix, ResidentOps, ResidentTopK } from '../types.ts';
import type { Op } from './protocol.ts';
import { GEMM_MAX_K } from './wgsl.ts';

/** A matrix held as a GPU buffer in the device worker, under `id`. */
class BufferMatrix implements ResidentMatrix {
  released = false;
  constructor(
    readonly id: number,
    readonly rows: number,
    readonly cols: number,
  ) {}
}

/** Ids are unique in the process: every WebGpuBackend of a process shares one device worker. */
let nextId = 1;

/** The round trip of the backend that counts transfers (WebGpuBackend.call). */
export type DeviceCall = (
  op: Op,
  params: readonly number[],
  inputs: readonly Float32Array[],
) => Float32Array[];

/**
 * The webgpu backend's {@link ResidentOps}: each matrix is a storage buffer in the device worker
 * (worker-resident.ts). `upload` is the only op that sends data and `download` the only one that
 * reads data back; a product, a bias+activation, an NMF update or a top-k is one request that
 * encodes its dispatch on buffers already there, so a chain counts calls but no transfers.
 * Products use the backend's gemm shader, so they carry its numbers; a matrix must fit in one
 * storage binding (no splitting here: `fits` says no, and callers take their host path).
 */
export class WebGpuResident implements ResidentOps {
  constructor(
    private readonly call: DeviceCall,
    private readonly maxBindingFloats: number,
  ) {}

  fits(rows: number, cols: number): boolean {
    return (
      Number.isInteger(rows) &&
      Number.isInteger(cols) &&
      rows >= 1 &&
      cols >= 1 &&
      rows * cols <= this.maxBindingFloats
    );
  }

  private checkFits(what: string, rows: number, cols: number): void {
    if (!this.fits(rows, cols))
      throw new RangeError(
        `webgpu resident: ${what} (${rows}×${cols}) cannot be held: it needs 1 to ${this.maxBindingFloats} floats (the device's storage binding limit)`,
      );
  }

  private id(m: ResidentMatrix): number {
    if (!(m instanceof BufferMatrix)) throw new Error("webgpu resident: a matrix that is not this backend's");
    if (m.released) throw new Error(`webgpu resident: matrix ${m.id} (${m.rows}×${m.cols}) was released`);
    return m.id;
  }

  /**
   * A request that creates `outs` in the worker. When it fails, whatever of them the worker made
   * is released (a release of one it never made fails, and is ignored), so nothing is left held.
   */
  private create(
    outs: BufferMatrix[],
    op: Op,
    params: readonly number[],
    inputs: readonly Float32Array[],
  ): void {
    try {
      this.call(op, params, inputs);
    } catch (e) {
      for (const o of outs) {
        o.released = true;
        try {
          this.call('residentRelease', [o.id], []);
        } catch {
          // never made: nothing to free
        }
      }
      throw e;
    }
  }

  private make(rows: number, cols: number): BufferMatrix {
    return new BufferMatrix(nextId++, rows, cols);
  }

  upload(data: Float32Array, rows: number, cols: number): ResidentMatrix {
    this.checkFits('upload', rows, cols);
    if (data.length < rows * cols)
      throw new RangeError(`webgpu resident: upload of ${data.length} values for a ${rows}×${cols} matrix`);
    const m = this.make(rows, cols);
    this.create([m], 'residentUpload', [m.id, rows * cols], [data.subarray(0, rows * cols)]);
    return m;
  }

  gemm(transA: boolean, transB: boolean, a: ResidentMatrix, b: ResidentMatrix): ResidentMatrix {
    const { m, n, k } = residentProductShape(transA, transB, a, b);
    this.checkFits(`the product ${m}×${k}·${k}×${n}`, m, n);
    if (k > GEMM_MAX_K)
      throw new RangeError(
        `webgpu resident: the product ${m}×${k}·${k}×${n} is deeper than the ${GEMM_MAX_K} its shader's loop may run on llvmpipe`,
      );
    const c = this.make(m, n);
    this.create([c], 'residentGemm', [c.id, this.id(a), this.id(b), +transA, +transB, m, n, k], []);
    return c;
  }

  biasActivation(z: ResidentMatrix, bias: ResidentMatrix, act: ActivationName): ResidentMatrix {
    if (bias.rows !== 1 || bias.cols !== z.cols)
      throw new RangeError(
        `webgpu resident: biasActivation: bias must be 1×${z.cols}, got ${bias.rows}×${bias.cols}`,
      );
    const a = ACTIVATIONS.indexOf(act);
    if (a < 0) throw new RangeError(`unknown activation '${act}'; expected one of ${ACTIVATIONS.join(', ')}`);
    const out = this.make(z.rows, z.cols);
    this.create([out], 'residentBiasActivation', [out.id, this.id(z), this.id(bias), z.rows, z.cols, a], []);
    return out;
  }

  multiplicativeUpdate(
    f: ResidentMatrix,
    num: ResidentMatrix,
    den: ResidentMatrix,
    l1: number,
    l2: number,
  ): ResidentMatrix {
    checkMuOperands('webgpu resident', f, num, den, l1, l2);
    const out = this.make(f.rows, f.cols);
    const ids = [out.id, this.id(f), this.id(num), this.id(den)];
    this.create([out], 'residentMu', [...ids, f.rows * f.cols, l1, l2], []);
    return out;
  }

  topK(z: ResidentMatrix, k: number, eligible?: Uint8Array): ResidentTopK {
    const { rows, cols } = z;
    if (!(Number.isInteger(k) && k >= 1))
      throw new RangeError(`webgpu resident: topK: k must be an integer ≥ 1, got ${k}`);
    if (eligible && eligible.length !== cols)
      throw new RangeError(
        `webgpu resident: topK: eligible has ${eligible.length} flags for ${cols} columns`,
      );
    let available = cols;
    if (eligible) {
      available = 0;
      for (const f of eligible) if (f) available++;
    }
    if (k > available)
      throw new RangeError(`webgpu resident: topK: k = ${k} exceeds the ${available} eligible columns`);
    if (cols > TOPK_MAX_COLUMNS)
      throw new RangeError(
        `webgpu resident: topK: ${cols} columns, at most ${TOPK_MAX_COLUMNS} are selected on the device`,
      );
    this.checkFits('topK values', rows, k);
    const values = this.make(rows, k);
    const indices = this.make(rows, k);
    const flags = eligible ? [Float32Array.from(eligible, (f) => (f ? 1 : 0))] : [];
    this.create(
      [values, indices],
      'residentTopK',
      [values.id, indices.id, this.id(z), rows, cols, k, eligible ? 1 : 0],
      flags,
    );
    return { values, indices };
  }

  download(m: ResidentMatrix, out = new Float32Array(m.rows * m.cols)): Float32Array {
    if (out.length < m.rows * m.cols)
      throw new RangeError(
        `webgpu resident: download of a ${m.rows}×${m.cols} matrix into ${out.length} values`,
      );
    const [data] = this.call('residentDownload', [this.id(m), m.rows * m.cols], []);
    out.set(data);
    return out;
  }

  /** Releasing twice is a no-op, as for gpu.js's textures. */
  release(m: ResidentMatrix): void {
    if (m instanceof BufferMatrix && m.released) return;
    const id = this.id(m);
    (m as BufferMatrix).released = true;
    this.call('residentRelease', [id], []);
  }
}

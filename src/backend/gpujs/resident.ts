import { type IKernelRunShortcut, Input, type Texture } from 'gpu.js';
import { activationRule } from '../activations.ts';
import { checkMuOperands, MU_EPSILON, residentProductShape } from '../resident.ts';
import type { TransferCounts } from '../transfers.ts';
import type { ActivationName, ResidentMatrix, ResidentOps } from '../types.ts';
import { gemmKernelSource } from './kernel-source.ts';

/** A matrix held as a gpu.js texture: rows×cols, one float a texel, read as t[row][col]. */
class TextureMatrix implements ResidentMatrix {
  constructor(
    readonly rows: number,
    readonly cols: number,
    public texture: Texture | null,
  ) {}
}

/** What {@link GpujsResident} needs of its backend: kernels compiled once per key, and its transfer counts. */
export interface ResidentHost {
  readonly name: string;
  readonly maxTextureSize: number;
  count(delta: Partial<TransferCounts>): void;
  /** A pipeline kernel (its output stays a texture) for `key`, compiled from `source` on first use. */
  pipelineKernel(
    key: string,
    source: () => string,
    rows: number,
    cols: number,
    functions?: readonly string[],
  ): IKernelRunShortcut;
}

/**
 * A JavaScript function gpu.js can translate, named `name`, computing the activation's forward
 * rule from src/backend/activations.ts (its own source, so no rule is copied by hand): a Math
 * function is called as such, an arrow function becomes a function of its expression, and a
 * declared function is renamed.
 */
export function activationFunctionSource(act: ActivationName, name: string): string {
  const forward = activationRule(act).forward;
  const native = Object.getOwnPropertyNames(Math).find(
    (p) => (Math as unknown as Record<string, unknown>)[p] === forward,
  );
  if (native) return `function ${name}(x) {\n  return Math.${native}(x);\n}`;
  const text = forward.toString();
  const arrow = /^\(?\s*(\w+)\s*\)?\s*=>\s*([^{][\s\S]*)$/.exec(text);
  if (arrow) return `function ${name}(${arrow[1]}) {\n  return ${arrow[2]};\n}`;
  const declared = /^function\s*\w*\s*\(/.exec(text);
  if (declared) return text.replace(/^function\s*\w*\s*\(/, `function ${name}(`);
  throw new Error(`gpu.js: cannot turn activation '${act}' into a kernel function (source: ${text})`);
}

/** A number as a float literal of kernel source (never an int, which GLSL would not mix with floats). */
function literal(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`gpu.js kernel constant must be finite, got ${x}`);
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * gpu.js's {@link ResidentOps}: every matrix is a float texture that pipeline kernels read and
 * write, so a chain of products crosses to the host only at `upload` and `download`. Products use
 * the backend's gemm kernels at one float a thread (an `Array(4)` output would be a texture of
 * four-float texels that the next kernel would have to read as such).
 */
export class GpujsResident implements ResidentOps {
  constructor(private readonly host: ResidentHost) {}

  fits(rows: number, cols: number): boolean {
    const max = this.host.maxTextureSize;
    return rows >= 1 && cols >= 1 && rows <= max && cols <= max;
  }

  private checkFits(what: string, rows: number, cols: number): void {
    if (!this.fits(rows, cols))
      throw new RangeError(
        `${this.host.name}: ${what} (${rows}×${cols}) cannot be held as one texture: each side must be 1 to ${this.host.maxTextureSize}, this GL context's maximum texture size`,
      );
  }

  private run(kernel: IKernelRunShortcut, rows: number, cols: number, ...args: unknown[]): TextureMatrix {
    const texture = (kernel as unknown as (...a: unknown[]) => Texture)(...args);
    this.host.count({ calls: 1 });
    return new TextureMatrix(rows, cols, texture);
  }

  private tex(m: ResidentMatrix): Texture {
    const t = m instanceof TextureMatrix ? m.texture : null;
    if (!t) throw new Error(`${this.host.name}: a resident matrix that is released or not this backend's`);
    return t;
  }

  upload(data: Float32Array, rows: number, cols: number): ResidentMatrix {
    this.checkFits('upload', rows, cols);
    if (data.length < rows * cols)
      throw new RangeError(`${this.host.name}: upload of ${data.length} values for a ${rows}×${cols} matrix`);
    const kernel = this.host.pipelineKernel(
      `upload ${rows}x${cols}`,
      () => 'function (a) {\n  return a[this.thread.y][this.thread.x];\n}',
      rows,
      cols,
    );
    const input = new Input(data.subarray(0, rows * cols) as unknown as number[], [cols, rows]);
    this.host.count({ uploads: 1, uploadBytes: 4 * rows * cols });
    return this.run(kernel, rows, cols, input);
  }

  gemm(transA: boolean, transB: boolean, a: ResidentMatrix, b: ResidentMatrix): ResidentMatrix {
    const { m, n, k } = residentProductShape(transA, transB, a, b);
    this.checkFits(`the product ${m}×${k}·${k}×${n}`, m, n);
    const shape = { transA, transB, rows: m, cols: n, k, aIsRowBlock: true, width: 1 as const };
    const key = `gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}x${n}x${k} a${a.rows}x${a.cols} b${b.rows}x${b.cols}`;
    const kernel = this.host.pipelineKernel(key, () => gemmKernelSource(shape), m, n);
    return this.run(kernel, m, n, this.tex(a), this.tex(b), 0, 0);
  }

  biasActivation(z: ResidentMatrix, bias: ResidentMatrix, act: ActivationName): ResidentMatrix {
    if (bias.rows !== 1 || bias.cols !== z.cols)
      throw new RangeError(
        `${this.host.name}: biasActivation: bias must be 1×${z.cols}, got ${bias.rows}×${bias.cols}`,
      );
    const fn = `activation_${act}`;
    const kernel = this.host.pipelineKernel(
      `bias+${act} ${z.rows}x${z.cols}`,
      () =>
        `function (z, bias) {\n  return ${fn}(z[this.thread.y][this.thread.x] + bias[0][this.thread.x]);\n}`,
      z.rows,
      z.cols,
      [activationFunctionSource(act, fn)],
    );
    return this.run(kernel, z.rows, z.cols, this.tex(z), this.tex(bias));
  }

  readonly multiplicativeUpdate: ResidentOps['multiplicativeUpdate'] = (f, num, den, l1, l2) => {
    checkMuOperands(this.host.name, f, num, den, l1, l2);
    // The penalties are literals: a solve uses one pair throughout.
    const terms = `${l1 > 0 ? ` + ${literal(l1)}` : ''}${l2 > 0 ? ` + ${literal(l2)} * v` : ''}`;
    const kernel = this.host.pipelineKernel(
      `mu ${f.rows}x${f.cols} l1=${l1} l2=${l2}`,
      () => `function (f, num, den) {
  const v = f[this.thread.y][this.thread.x];
  let d = den[this.thread.y][this.thread.x]${terms};
  if (d == 0) {
    d = ${literal(MU_EPSILON)};
  }
  return v * (num[this.thread.y][this.thread.x] / d);
}`,
      f.rows,
      f.cols,
    );
    return this.run(kernel, f.rows, f.cols, this.tex(f), this.tex(num), this.tex(den));
  };

  download(m: ResidentMatrix, out = new Float32Array(m.rows * m.cols)): Float32Array {
    if (out.length < m.rows * m.cols)
      throw new RangeError(
        `${this.host.name}: download of a ${m.rows}×${m.cols} matrix into ${out.length} values`,
      );
    const rows = this.tex(m).toArray() as unknown as Float32Array[] | Float32Array;
    this.host.count({ readbacks: 1, readbackBytes: 4 * m.rows * m.cols });
    if (rows instanceof Float32Array) out.set(rows.subarray(0, m.rows * m.cols));
    else for (let i = 0; i < m.rows; i++) out.set(rows[i].subarray(0, m.cols), i * m.cols);
    return out;
  }

  release(m: ResidentMatrix): void {
    if (m instanceof TextureMatrix && m.texture) {
      m.texture.delete();
      m.texture = null;
    }
  }
}

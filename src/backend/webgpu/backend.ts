import { ACTIVATIONS } from '../activations.ts';
import { checkedGemm, type Gemm, type GemmBody } from '../gemm-args.ts';
import { referenceKernels } from '../kernels.ts';
import {
  addTransfers,
  byteLengthOf,
  type CountsTransfers,
  type TransferCounts,
  zeroTransfers,
} from '../transfers.ts';
import type {
  ActivationName,
  Backend,
  DenseTrainer,
  DenseTrainerSpec,
  ElementwiseKernels,
  ResidentOps,
  SaeTrainer,
  SaeTrainerSpec,
} from '../types.ts';
import type { DeviceChannel } from './channel.ts';
import type { Op } from './protocol.ts';
import { WebGpuResident } from './resident.ts';
import { saeTrainerMisfit, WebGpuSaeTrainer } from './sae-trainer.ts';
import { denseTrainerMisfit, WebGpuDenseTrainer } from './trainer.ts';
import { COLUMN_SUM_MAX_ROWS, GEMM_MAX_K } from './wgsl.ts';

export interface WebGpuBackendOptions {
  /**
   * Where the elementwise kernels run: 'gpu' sends each call to the device (an upload and a
   * readback per call), 'host' keeps them in the TypeScript reference kernels.
   */
  readonly kernels: 'gpu' | 'host';
  /** A smaller binding limit than the device's, so tests can reach the split path cheaply. */
  readonly maxBindingBytes?: number;
  /**
   * How fit() and trainSae train on this backend: 'device' (default) through the device-resident
   * trainers (trainer.ts, sae-trainer.ts) where they support the model, 'tape' on the autodiff
   * Tape, a round trip per op.
   */
  readonly training?: 'device' | 'tape';
  /**
   * How trainSae trains (with training 'device'): 'device' through the device SAE trainer
   * (sae-trainer.ts), 'tape' on the Tape. Default: 'device' on a hardware adapter, 'tape' on a
   * software one (llvmpipe), where the device step measured 0.8× the Tape's samples/s
   * (bench/webgpu-sae.ts, d 784, n 1,024, k 32; README, WebGPU).
   */
  readonly saeTraining?: 'device' | 'tape';
  /**
   * Keep matrices on the device between products (`resident`, resident.ts). Default: on a
   * hardware adapter, not on a software one (llvmpipe), where a transfer is a memory copy and the
   * chain measured no faster (bench/webgpu-nmf.ts, bench/webgpu-topk.ts), as for gpu.js.
   */
  readonly chain?: boolean;
}

/**
 * The webgpu backend: every gemm (and, with kernels 'gpu', every elementwise kernel) is one
 * round trip: its operands uploaded, one dispatch, its result read back, all counted in
 * `transfers`. `resident` (resident.ts; see WebGpuBackendOptions.chain) keeps matrices on the
 * device for callers that chain products; its bias+activation and NMF update run as WGSL
 * whatever `kernels` says.
 */
export class WebGpuBackend implements Backend, CountsTransfers {
  readonly name = 'webgpu';
  readonly description: string;
  readonly kernels: Partial<ElementwiseKernels>;
  readonly resident?: ResidentOps;
  private counts = zeroTransfers();
  /** Floats in the largest operand one dispatch may bind; larger products are split. */
  private readonly maxBindingFloats: number;

  constructor(
    private readonly channel: DeviceChannel,
    options: WebGpuBackendOptions,
  ) {
    this.description = `WebGPU compute shaders through Dawn on ${channel.info.adapter}`;
    this.maxBindingFloats = Math.floor((options.maxBindingBytes ?? channel.info.maxBindingBytes) / 4);
    this.kernels = options.kernels === 'gpu' ? this.deviceKernels() : {};
    if ((options.training ?? 'device') === 'device')
      this.trainer = (spec) =>
        denseTrainerMisfit(spec, this.maxBindingFloats) === undefined
          ? new WebGpuDenseTrainer(this, this.maxBindingFloats, spec)
          : undefined;
    const software = isSoftwareAdapter(channel.info.adapter);
    if (
      (options.training ?? 'device') === 'device' &&
      (options.saeTraining ?? (software ? 'tape' : 'device')) === 'device'
    )
      this.saeTrainer = (spec) =>
        saeTrainerMisfit(spec, this.maxBindingFloats) === undefined
          ? new WebGpuSaeTrainer(this, this.maxBindingFloats, spec)
          : undefined;
    if (options.chain ?? !software)
      this.resident = new WebGpuResident(
        (op, params, inputs) => this.call(op, params, inputs),
        this.maxBindingFloats,
      );
  }

  /** The device-resident trainer (absent with training 'tape'; undefined for a model too big to bind). */
  readonly trainer?: (spec: DenseTrainerSpec) => DenseTrainer | undefined;

  /** The device SAE trainer (sae-trainer.ts; absent with training or saeTraining 'tape'; undefined for an SAE too big to bind). */
  readonly saeTrainer?: (spec: SaeTrainerSpec) => SaeTrainer | undefined;

  get transfers(): TransferCounts {
    return { ...this.counts };
  }

  resetTransfers(): void {
    this.counts = zeroTransfers();
  }

  /** One counted round trip. */
  call(op: Op, params: readonly number[], inputs: readonly Float32Array[]): Float32Array[] {
    const compiledBefore = this.channel.compiles;
    const outputs = this.channel.call(op, params, inputs);
    addTransfers(this.counts, {
      calls: 1,
      uploads: inputs.length,
      uploadBytes: byteLengthOf(inputs),
      readbacks: outputs.length,
      readbackBytes: byteLengthOf(outputs),
      compiles: this.channel.compiles - compiledBefore,
    });
    return outputs;
  }

  readonly gemm: Gemm = checkedGemm((transA, transB, m, n, k, a, b, c, accumulate) => {
    const limit = this.maxBindingFloats;
    if (m * k <= limit && k * n <= limit && m * n <= limit && k <= GEMM_MAX_K) {
      this.product(transA, transB, m, n, k, a.subarray(0, m * k), b.subarray(0, k * n), c, accumulate);
      return;
    }
    // Too big for one binding, or deeper than the shader's loop may run: blocks of C's rows,
    // each summed over blocks of k.
    if (n > limit)
      throw new RangeError(`webgpu gemm: one row of C (n = ${n}) exceeds the device's binding limit`);
    const kb = Math.min(k, Math.floor(limit / n), GEMM_MAX_K);
    const mb = Math.min(m, Math.floor(limit / Math.max(kb, n)));
    for (let i0 = 0; i0 < m; i0 += mb) {
      const rows = Math.min(mb, m - i0);
      const cBlock = c.subarray(i0 * n, (i0 + rows) * n);
      for (let p0 = 0; p0 < k; p0 += kb) {
        const depth = Math.min(kb, k - p0);
        const aBlock = block(a, transA ? m : k, transA, i0, rows, p0, depth);
        const bBlock = block(b, transB ? k : n, transB, p0, depth, 0, n);
        this.product(transA, transB, rows, n, depth, aBlock, bBlock, cBlock, accumulate || p0 > 0);
      }
    }
  });

  /** One product within the binding limit: one round trip. */
  private readonly product: GemmBody = (transA, transB, m, n, k, a, b, c, accumulate) => {
    const params = [+transA, +transB, m, n, k, +accumulate];
    const inputs = accumulate ? [a, b, c.subarray(0, m * n)] : [a, b];
    c.set(this.call('gemm', params, inputs)[0]);
  };

  private deviceKernels(): Partial<ElementwiseKernels> {
    const act = (name: ActivationName) => {
      const i = ACTIVATIONS.indexOf(name);
      if (i < 0)
        throw new RangeError(`unknown activation '${name}'; expected one of ${ACTIVATIONS.join(', ')}`);
      return i;
    };
    return {
      biasActivation: (z, bias, rows, cols, name) => {
        if (rows * cols === 0) return;
        const out = this.call(
          'biasActivation',
          [rows, cols, act(name)],
          [z.subarray(0, rows * cols), bias.subarray(0, cols)],
        );
        z.set(out[0]);
      },
      activationBackward: (g, y, name) => {
        if (g.length === 0) return;
        g.set(this.call('activationBackward', [g.length, act(name)], [g, y.subarray(0, g.length)])[0]);
      },
      columnSum: (g, rows, cols, out, accumulate) => {
        if (cols === 0) return;
        // Past the shader's row limit (llvmpipe's loop cap) the host sums, in the same order.
        if (rows > COLUMN_SUM_MAX_ROWS) return referenceKernels.columnSum(g, rows, cols, out, accumulate);
        const inputs = accumulate
          ? [g.subarray(0, rows * cols), out.subarray(0, cols)]
          : [g.subarray(0, rows * cols)];
        out.set(this.call('columnSum', [rows, cols, +accumulate], inputs)[0]);
      },
      mse: (p, t, grad, scale) => {
        const n = p.length;
        if (n === 0) return referenceKernels.mse(p, t, grad, scale);
        const out = this.call('mse', [n, grad ? 1 : 0, (2 * scale) / n], [p, t.subarray(0, n)]);
        // Partial sums of 4096 terms each in float32, added here in float64.
        let sum = 0;
        for (const s of out[0]) sum += s;
        if (grad) grad.set(out[1]);
        return sum / n;
      },
      adam: (w, g, m, v, lrT, beta1, beta2, epsilon) => {
        const n = w.length;
        if (n === 0) return;
        const out = this.call(
          'adam',
          [n, lrT, 1 - beta1, 1 - beta2, epsilon],
          [w, g.subarray(0, n), m.subarray(0, n), v.subarray(0, n)],
        );
        w.set(out[0]);
        m.set(out[1]);
        v.set(out[2]);
      },
    };
  }
}

/** True for an adapter that is a CPU rasteriser (Mesa's llvmpipe and lavapipe, SwiftShader). */
export function isSoftwareAdapter(adapter: string): boolean {
  return /llvmpipe|lavapipe|softpipe|swiftshader/i.test(adapter);
}

/**
 * A rows×cols block (from row r0, column c0) of the logical matrix that `x` stores, in the
 * same layout: `x` holds it row-major when `!transposed`, else its transpose (rows of storedCols).
 */
function block(
  x: Float32Array,
  storedCols: number,
  transposed: boolean,
  r0: number,
  rows: number,
  c0: number,
  cols: number,
): Float32Array {
  // Logical (r, c) sits at stored (r, c), or (c, r) when transposed: copy stored rows' segments.
  const [sr0, sRows, sc0, sCols] = transposed ? [c0, cols, r0, rows] : [r0, rows, c0, cols];
  if (sc0 === 0 && sCols === storedCols) return x.subarray(sr0 * storedCols, (sr0 + sRows) * storedCols);
  const out = new Float32Array(sRows * sCols);
  for (let r = 0; r < sRows; r++) {
    const from = (sr0 + r) * storedCols + sc0;
    out.set(x.subarray(from, from + sCols), r * sCols);
  }
  return out;
}

// The device-resident trainer's worker side: a dense stack's weights, biases, gradients, Adam's
// moments, activations and data sets live in GPU buffers for the trainer's life; a training
// step is one submission of every dispatch (gather, forward, MSE, backward, Adam) whose only
// readback is the batch's loss (4 bytes). See trainer.ts for the main-thread side.
import { ACTIVATIONS } from '../activations.ts';
import type { ActivationName } from '../types.ts';
import {
  dispatchGrid,
  MAP_READ,
  type PipelineHost,
  type RecordedDispatch,
  settle,
  TRAINER_UNIFORM_BYTES,
  USAGE_READBACK,
  USAGE_STORAGE,
  USAGE_UNIFORM,
} from './dawn.ts';
import type { Request } from './protocol.ts';
import { TrainerOp } from './trainer-protocol.ts';
import {
  activationBackwardShader,
  adamShader,
  biasActivationShader,
  columnSumShader,
  GEMM_TILE,
  gemmShader,
  MSE_CHUNK,
  mseShader,
  WORKGROUP_INVOCATIONS,
} from './wgsl.ts';
import { gatherRowsShader, sumPartialsShader } from './wgsl-trainer.ts';

interface Layer {
  din: number;
  dout: number;
  act: ActivationName;
  w: GPUBuffer;
  b: GPUBuffer;
  gw: GPUBuffer;
  gb: GPUBuffer;
  /** Adam's m and v of the kernel, then of the bias. */
  mw: GPUBuffer;
  vw: GPUBuffer;
  mb: GPUBuffer;
  vb: GPUBuffer;
}

interface DataSet {
  rows: number;
  x: GPUBuffer;
  /** Null: the targets are x. */
  y: GPUBuffer | null;
}

const groups1d = (count: number, perGroup = WORKGROUP_INVOCATIONS): [number, number] =>
  dispatchGrid(Math.ceil(count / perGroup));

class WorkerTrainer {
  readonly layers: Layer[] = [];
  /** h[0] the batch's input, h[l] layer l's output (batch × units). */
  private readonly h: GPUBuffer[] = [];
  /** dh[l] the gradient at layer l's output, then (in place) at its pre-activation. */
  private readonly dh: GPUBuffer[] = [];
  private readonly yb: GPUBuffer;
  private readonly idx: GPUBuffer;
  private readonly partial: GPUBuffer;
  private readonly loss: GPUBuffer;
  private evalSums: GPUBuffer | null = null;
  private readback: GPUBuffer | null = null;
  private readonly data: (DataSet | null)[] = [null, null];
  /** Dispatch lists by what they do and for which rows; dropped when a data set changes. */
  private plans = new Map<string, { dispatches: RecordedDispatch[]; adamUniforms: GPUBuffer[] }>();
  private readonly uniforms: GPUBuffer[] = [];
  private readonly owned: GPUBuffer[] = [];

  constructor(
    private readonly host: PipelineHost,
    readonly batch: number,
    readonly inputDim: number,
    units: number[],
    acts: ActivationName[],
    private readonly beta1: number,
    private readonly beta2: number,
    private readonly epsilon: number,
  ) {
    let din = inputDim;
    this.h.push(this.storage(batch * inputDim));
    this.dh.push(this.storage(1)); // no gradient flows into the data
    units.forEach((dout, l) => {
      const p = (n: number) => this.storage(n);
      const s = din * dout;
      this.layers.push({
        din,
        dout,
        act: acts[l],
        w: p(s),
        b: p(dout),
        gw: p(s),
        gb: p(dout),
        mw: p(s),
        vw: p(s),
        mb: p(dout),
        vb: p(dout),
      });
      this.h.push(p(batch * dout));
      this.dh.push(p(batch * dout));
      din = dout;
    });
    this.yb = this.storage(batch * din);
    this.idx = this.storage(batch);
    this.partial = this.storage(Math.ceil((batch * din) / MSE_CHUNK));
    this.loss = this.storage(1);
  }

  get outputDim(): number {
    return this.layers[this.layers.length - 1].dout;
  }

  private storage(floats: number, usage = USAGE_STORAGE): GPUBuffer {
    const size = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    const b = this.host.device.createBuffer({ size, usage });
    this.owned.push(b);
    return b;
  }

  private write(b: GPUBuffer, x: Float32Array): void {
    if (x.length > 0) this.host.device.queue.writeBuffer(b, 0, x.buffer, x.byteOffset, x.byteLength);
  }

  /** One dispatch with its own uniform buffer (many dispatches share a submission). */
  private dispatch(
    key: string,
    source: () => string,
    buffers: GPUBuffer[],
    uniform: ArrayBuffer,
    groups: [number, number],
  ): { d: RecordedDispatch; u: GPUBuffer } {
    const { device } = this.host;
    const pipeline = this.host.pipeline(key, source);
    const u = device.createBuffer({ size: TRAINER_UNIFORM_BYTES, usage: USAGE_UNIFORM });
    this.uniforms.push(u);
    device.queue.writeBuffer(u, 0, uniform);
    const entries = [...buffers, u].map((buffer, binding) => ({ binding, resource: { buffer } }));
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    return { d: { pipeline, bindGroup, groups }, u };
  }

  private gemm(
    out: RecordedDispatch[],
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: GPUBuffer,
    b: GPUBuffer,
    c: GPUBuffer,
  ): void {
    const flags = (transA ? 1 : 0) | (transB ? 2 : 0);
    const groups: [number, number] = [Math.ceil(n / GEMM_TILE.bn), Math.ceil(m / GEMM_TILE.bm)];
    out.push(this.dispatch('gemm', gemmShader, [a, b, c], u32s(m, n, k, flags), groups).d);
  }

  /** Gather `rows` rows of data set `slot` into h[0] (and the targets into yb), by index or from `start`. */
  private gather(out: RecordedDispatch[], slot: number, rows: number, start: number, indexed: boolean): void {
    const set = this.data[slot];
    if (!set) throw new Error(`webgpu trainer: no data set in slot ${slot}`);
    const one = (src: GPUBuffer, dst: GPUBuffer, cols: number) =>
      out.push(
        this.dispatch(
          'trainer-gather',
          gatherRowsShader,
          [this.idx, src, dst],
          u32s(rows, cols, start, +indexed),
          groups1d(rows * cols),
        ).d,
      );
    one(set.x, this.h[0], this.inputDim);
    if (set.y) one(set.y, this.yb, this.outputDim);
  }

  private forward(out: RecordedDispatch[], rows: number): void {
    this.layers.forEach((L, l) => {
      this.gemm(out, false, false, rows, L.dout, L.din, this.h[l], L.w, this.h[l + 1]);
      out.push(
        this.dispatch(
          `bias-${L.act}`,
          () => biasActivationShader(L.act),
          [this.h[l + 1], L.b],
          u32s(rows * L.dout, L.dout),
          groups1d(rows * L.dout),
        ).d,
      );
    });
  }

  /** Squared errors of h[L] against the targets summed into out[slot]; with `grad`, dh[L] = 2(p − t)/count. */
  private squaredError(
    out: RecordedDispatch[],
    rows: number,
    targetsAreX: boolean,
    grad: boolean,
    sums: GPUBuffer,
    slot: number,
  ): void {
    const L = this.layers.length;
    const count = rows * this.outputDim;
    const chunks = Math.ceil(count / MSE_CHUNK);
    const uniform = new ArrayBuffer(16);
    new Uint32Array(uniform, 0, 2).set([count, +grad]);
    new Float32Array(uniform, 8, 1)[0] = 2 / count;
    const target = targetsAreX ? this.h[0] : this.yb;
    out.push(
      this.dispatch(
        'mse',
        mseShader,
        [this.h[L], target, this.dh[L], this.partial],
        uniform,
        groups1d(chunks, 1),
      ).d,
    );
    out.push(
      this.dispatch('trainer-sum', sumPartialsShader, [this.partial, sums], u32s(chunks, slot), [1, 1]).d,
    );
  }

  /** Backward through every layer (the Tape's order), then Adam on every parameter. */
  private backwardAndAdam(out: RecordedDispatch[], rows: number): GPUBuffer[] {
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const L = this.layers[l];
      const n = rows * L.dout;
      out.push(
        this.dispatch(
          `back-${L.act}`,
          () => activationBackwardShader(L.act),
          [this.dh[l + 1], this.h[l + 1]],
          u32s(n),
          groups1d(n),
        ).d,
      );
      this.gemm(out, true, false, L.din, L.dout, rows, this.h[l], this.dh[l + 1], L.gw);
      out.push(
        this.dispatch(
          'columnSum',
          columnSumShader,
          [this.dh[l + 1], L.gb],
          u32s(rows, L.dout, 0),
          groups1d(L.dout),
        ).d,
      );
      if (l > 0) this.gemm(out, false, true, rows, L.din, L.dout, this.dh[l + 1], L.w, this.dh[l]);
    }
    const adamUniforms: GPUBuffer[] = [];
    for (const L of this.layers) {
      for (const [w, g, m, v, n] of [
        [L.w, L.gw, L.mw, L.vw, L.din * L.dout],
        [L.b, L.gb, L.mb, L.vb, L.dout],
      ] as const) {
        const { d, u } = this.dispatch('adam', adamShader, [w, g, m, v], this.adamUniform(n, 0), groups1d(n));
        out.push(d);
        adamUniforms.push(u);
      }
    }
    return adamUniforms;
  }

  private adamUniform(count: number, lrT: number): ArrayBuffer {
    const uniform = new ArrayBuffer(TRAINER_UNIFORM_BYTES);
    new Uint32Array(uniform, 0, 1)[0] = count;
    new Float32Array(uniform, 4, 4).set([lrT, 1 - this.beta1, 1 - this.beta2, this.epsilon]);
    return uniform;
  }

  private plan(key: string, build: (out: RecordedDispatch[]) => GPUBuffer[] | undefined) {
    let p = this.plans.get(key);
    if (!p) {
      const dispatches: RecordedDispatch[] = [];
      const adamUniforms = build(dispatches) ?? [];
      p = { dispatches, adamUniforms };
      this.plans.set(key, p);
    }
    return p;
  }

  private dropPlans(): void {
    for (const u of this.uniforms) u.destroy();
    this.uniforms.length = 0;
    this.plans.clear();
  }

  private encode(encoder: GPUCommandEncoder, dispatches: RecordedDispatch[]): void {
    const pass = encoder.beginComputePass();
    for (const d of dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      if (d.groups[0] > 0 && d.groups[1] > 0) pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
    }
    pass.end();
  }

  /** Submits `encoder` after copying `outputs` into the readback buffer; returns them as fresh arrays. */
  private async finish(encoder: GPUCommandEncoder, outputs: [GPUBuffer, number][]): Promise<Float32Array[]> {
    const total = outputs.reduce((s, [, n]) => s + n, 0);
    if (total === 0) {
      this.host.device.queue.submit([encoder.finish()]);
      return [];
    }
    const bytes = Math.max(16, Math.ceil((total * 4) / 16) * 16);
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.readback = this.host.device.createBuffer({ size: bytes, usage: USAGE_READBACK });
    }
    const staging = this.readback;
    let offset = 0;
    for (const [b, n] of outputs) {
      if (n > 0) encoder.copyBufferToBuffer(b, 0, staging, offset * 4, Math.ceil(n) * 4);
      offset += n;
    }
    this.host.device.queue.submit([encoder.finish()]);
    await settle(staging.mapAsync(MAP_READ, 0, bytes));
    const mapped = new Float32Array(staging.getMappedRange(0, bytes));
    const result: Float32Array[] = [];
    offset = 0;
    for (const [, n] of outputs) {
      result.push(mapped.slice(offset, offset + n));
      offset += n;
    }
    staging.unmap();
    return result;
  }

  setParams(withMoments: boolean, inputs: readonly Float32Array[]): void {
    const P = 2 * this.layers.length;
    const need = withMoments ? 3 * P : P;
    if (inputs.length !== need)
      throw new Error(`webgpu trainer setParams: ${inputs.length} arrays, expected ${need}`);
    const encoder = this.host.device.createCommandEncoder();
    this.layers.forEach((L, l) => {
      const moments = [
        [L.mw, L.vw],
        [L.mb, L.vb],
      ];
      [L.w, L.b].forEach((buf, j) => {
        this.write(buf, inputs[2 * l + j]);
        const [m, v] = moments[j];
        if (withMoments) {
          this.write(m, inputs[P + 2 * (2 * l + j)]);
          this.write(v, inputs[P + 2 * (2 * l + j) + 1]);
        } else {
          encoder.clearBuffer(m);
          encoder.clearBuffer(v);
        }
      });
    });
    this.host.device.queue.submit([encoder.finish()]);
  }

  getParams(): Promise<Float32Array[]> {
    const values: [GPUBuffer, number][] = [];
    const moments: [GPUBuffer, number][] = [];
    for (const L of this.layers) {
      const s = L.din * L.dout;
      values.push([L.w, s], [L.b, L.dout]);
      moments.push([L.mw, s], [L.vw, s], [L.mb, L.dout], [L.vb, L.dout]);
    }
    return this.finish(this.host.device.createCommandEncoder(), [...values, ...moments]);
  }

  setData(slot: number, rows: number, inputs: readonly Float32Array[]): void {
    const old = this.data[slot];
    if (old) {
      old.x.destroy();
      old.y?.destroy();
    }
    const x = this.host.device.createBuffer({
      size: Math.max(16, Math.ceil((rows * this.inputDim * 4) / 16) * 16),
      usage: USAGE_STORAGE,
    });
    this.write(x, inputs[0]);
    let y: GPUBuffer | null = null;
    if (inputs.length > 1) {
      y = this.host.device.createBuffer({
        size: Math.max(16, Math.ceil((rows * this.outputDim * 4) / 16) * 16),
        usage: USAGE_STORAGE,
      });
      this.write(y, inputs[1]);
    }
    this.data[slot] = { rows, x, y };
    this.dropPlans();
  }

  step(rows: number, mode: number, lrT: number, inputs: readonly Float32Array[]): Promise<Float32Array[]> {
    if (!(rows > 0 && rows <= this.batch))
      throw new Error(`webgpu trainer step: ${rows} rows, expected 1 to ${this.batch}`);
    const indexed = mode === 0;
    const targetsAreX = indexed ? !this.data[0]?.y : inputs.length === 1;
    const plan = this.plan(`step:${rows}:${mode}:${+targetsAreX}`, (out) => {
      if (indexed) this.gather(out, 0, rows, 0, true);
      this.forward(out, rows);
      this.squaredError(out, rows, targetsAreX, true, this.loss, 0);
      return this.backwardAndAdam(out, rows);
    });
    if (indexed) this.write(this.idx, inputs[0]);
    else {
      this.write(this.h[0], inputs[0]);
      if (!targetsAreX) this.write(this.yb, inputs[1]);
    }
    let i = 0;
    for (const L of this.layers)
      for (const n of [L.din * L.dout, L.dout])
        this.host.device.queue.writeBuffer(plan.adamUniforms[i++], 0, this.adamUniform(n, lrT));
    const encoder = this.host.device.createCommandEncoder();
    this.encode(encoder, plan.dispatches);
    return this.finish(encoder, [[this.loss, 1]]);
  }

  evaluate(slot: number, batch: number): Promise<Float32Array[]> {
    const set = this.data[slot];
    if (!set) throw new Error(`webgpu trainer evaluate: no data set in slot ${slot}`);
    if (!(batch > 0 && batch <= this.batch))
      throw new Error(`webgpu trainer evaluate: batch ${batch}, expected 1 to ${this.batch}`);
    const batches = Math.ceil(set.rows / batch);
    if (!this.evalSums || this.evalSums.size < batches * 4) {
      // The plans bind the old buffer.
      this.dropPlans();
      this.evalSums?.destroy();
      this.evalSums = this.storage(batches);
    }
    const sums = this.evalSums;
    const plan = this.plan(`eval:${slot}:${batch}`, (out) => {
      for (let b = 0; b < batches; b++) {
        const rows = Math.min(batch, set.rows - b * batch);
        this.gather(out, slot, rows, b * batch, false);
        this.forward(out, rows);
        this.squaredError(out, rows, !set.y, false, sums, b);
      }
      return undefined;
    });
    const encoder = this.host.device.createCommandEncoder();
    this.encode(encoder, plan.dispatches);
    return this.finish(encoder, [[sums, batches]]);
  }

  dispose(): void {
    this.dropPlans();
    for (const b of this.owned) b.destroy();
    for (const d of this.data) {
      d?.x.destroy();
      d?.y?.destroy();
    }
    this.readback?.destroy();
  }
}

const u32s = (...v: number[]) => {
  const out = new ArrayBuffer(TRAINER_UNIFORM_BYTES);
  new Uint32Array(out, 0, v.length).set(v);
  return out;
};

const trainers = new Map<number, WorkerTrainer>();

/** Serves one 'trainer' request (see trainer-protocol.ts). */
export async function trainerRequest(host: PipelineHost, req: Request): Promise<Float32Array[]> {
  const [code, id, ...p] = req.params;
  if (code === TrainerOp.create) {
    const [batch, inputDim, L] = p;
    const units = p.slice(3, 3 + L);
    const acts = p.slice(3 + L, 3 + 2 * L).map((a) => {
      const name = ACTIVATIONS[a];
      if (!name) throw new Error(`webgpu trainer: unknown activation index ${a}`);
      return name;
    });
    const [beta1, beta2, epsilon] = p.slice(3 + 2 * L);
    trainers.get(id)?.dispose();
    trainers.set(id, new WorkerTrainer(host, batch, inputDim, units, acts, beta1, beta2, epsilon));
    return [];
  }
  const t = trainers.get(id);
  if (!t) throw new Error(`webgpu trainer ${id}: none (disposed, or never created)`);
  switch (code) {
    case TrainerOp.setParams:
      t.setParams(p[0] === 1, req.inputs);
      return [];
    case TrainerOp.getParams:
      return t.getParams();
    case TrainerOp.setData:
      t.setData(p[0], p[1], req.inputs);
      return [];
    case TrainerOp.step:
      return t.step(p[0], p[1], p[2], req.inputs);
    case TrainerOp.evaluate:
      return t.evaluate(p[0], p[1]);
    case TrainerOp.dispose:
      t.dispose();
      trainers.delete(id);
      return [];
    default:
      throw new Error(`webgpu trainer: unknown request ${code}`);
  }
}

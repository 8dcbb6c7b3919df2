// The device SAE trainer's worker side: a TopK SAE's parameters, gradients, Adam's moments,
// dead-latent counters and training set live in GPU buffers for the trainer's life; a training
// step is one submission of every dispatch (gather, centre, encode, top-k, decode, loss with
// AuxK, backward, Adam, renormalisation, counters) whose only readback is SAE_STEP_SUMS floats.
// See sae-trainer.ts for the main-thread side and the step's arithmetic.
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
import { SAE_STEP_SUMS, SaeSum, SaeTrainerOp } from './sae-trainer-protocol.ts';
import {
  adamShader,
  biasActivationShader,
  columnSumShader,
  GEMM_TILE,
  gemmShader,
  MSE_CHUNK,
  mseShader,
  WORKGROUP_INVOCATIONS,
} from './wgsl.ts';
import { topkShader } from './wgsl-resident.ts';
import {
  auxGradShader,
  axpyShader,
  centredGradShader,
  centreShader,
  deadMaskShader,
  decodeShader,
  fireShader,
  keptGradShader,
  listCountShader,
  listFillShader,
  listProductShader,
  listSumShader,
  normalizeRowsShader,
  prefixShader,
  removeParallelShader,
  residualShader,
  SPREAD_CHUNK,
  sinceShader,
  slotScatterShader,
  spreadShader,
} from './wgsl-sae.ts';
import { gatherRowsShader, sumPartialsShader } from './wgsl-trainer.ts';

/** A uniform rewritten before every step from that step's lrT and k_aux. */
type PerStep = (lrT: number, kAuxNow: number) => void;

interface Plan {
  dispatches: RecordedDispatch[];
  perStep: PerStep[];
}

const groups1d = (count: number, perGroup = WORKGROUP_INVOCATIONS): [number, number] =>
  dispatchGrid(Math.ceil(count / perGroup));

/** A uniform of u32 and f32 fields, in order ('f' marks a float). */
function uniform(fields: readonly (number | { f: number })[]): ArrayBuffer {
  const out = new ArrayBuffer(TRAINER_UNIFORM_BYTES);
  const u = new Uint32Array(out);
  const f = new Float32Array(out);
  fields.forEach((v, i) => {
    if (typeof v === 'number') u[i] = v;
    else f[i] = v.f;
  });
  return out;
}

export interface SaeWorkerSpec {
  batch: number;
  d: number;
  n: number;
  k: number;
  kAux: number;
  alpha: number;
  mseScale: number;
  cap: number;
  fire: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

class WorkerSaeTrainer {
  private readonly owned: GPUBuffer[] = [];
  private readonly uniforms: GPUBuffer[] = [];
  private readonly plans = new Map<string, Plan>();
  private data: { rows: number; x: GPUBuffer } | null = null;
  private readback: GPUBuffer | null = null;
  // Parameters (W_e d×n, b_e n, W_d n×d, b_pre d), their gradients and Adam's m and v.
  private readonly we: GPUBuffer;
  private readonly be: GPUBuffer;
  private readonly wd: GPUBuffer;
  private readonly bp: GPUBuffer;
  private readonly grads: GPUBuffer[];
  private readonly moments: [GPUBuffer, GPUBuffer][];
  // The step's working buffers.
  private readonly idx: GPUBuffer;
  private readonly xb: GPUBuffer;
  private readonly xc: GPUBuffer;
  private readonly pre: GPUBuffer;
  private readonly v: GPUBuffer;
  private readonly i: GPUBuffer;
  private readonly va: GPUBuffer;
  private readonly ia: GPUBuffer;
  private readonly recon: GPUBuffer;
  private readonly e: GPUBuffer;
  private readonly eHat: GPUBuffer;
  private readonly gRecon: GPUBuffer;
  private readonly gAux: GPUBuffer;
  private readonly gv: GPUBuffer;
  private readonly gva: GPUBuffer;
  /** m × n, zero between uses: a selection's slots by row and latent, for listing its entries. */
  private readonly slots: GPUBuffer;
  /** Each selection's entries by latent: counts, offsets and the entry numbers. */
  private readonly list: Record<'main' | 'aux', { cnt: GPUBuffer; off: GPUBuffer; entries: GPUBuffer }>;
  private readonly gCentred: GPUBuffer;
  private readonly colD: GPUBuffer;
  private readonly partial: GPUBuffer;
  private readonly sums: GPUBuffer;
  private readonly since: GPUBuffer;
  private readonly mask: GPUBuffer;
  private readonly dummy: GPUBuffer;

  constructor(
    private readonly host: PipelineHost,
    private readonly s: SaeWorkerSpec,
  ) {
    const { batch: m, d, n, k, kAux } = s;
    const b = (floats: number) => this.storage(floats);
    this.we = b(d * n);
    this.be = b(n);
    this.wd = b(n * d);
    this.bp = b(d);
    this.grads = [b(d * n), b(n), b(n * d), b(d)];
    this.moments = [d * n, n, n * d, d].map((c) => [b(c), b(c)]);
    this.idx = b(m);
    this.xb = b(m * d);
    this.xc = b(m * d);
    this.pre = b(m * n);
    this.v = b(m * k);
    this.i = b(m * k);
    this.va = b(m * kAux);
    this.ia = b(m * kAux);
    this.recon = b(m * d);
    this.e = b(m * d);
    this.eHat = b(m * d);
    this.gRecon = b(m * d);
    this.gAux = b(m * d);
    this.gv = b(m * k);
    this.gva = b(m * kAux);
    this.slots = b(m * n);
    this.list = {
      main: { cnt: b(n), off: b(n), entries: b(m * k) },
      aux: { cnt: b(n), off: b(n), entries: b(m * kAux) },
    };
    this.gCentred = b(m * d);
    this.colD = b(d);
    this.partial = b(Math.max(Math.ceil((m * d) / MSE_CHUNK), Math.ceil((m * d) / SPREAD_CHUNK)));
    this.sums = b(SAE_STEP_SUMS);
    this.since = b(n);
    this.mask = b(n);
    this.dummy = b(4);
  }

  private storage(floats: number): GPUBuffer {
    const size = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    const buf = this.host.device.createBuffer({ size, usage: USAGE_STORAGE });
    this.owned.push(buf);
    return buf;
  }

  private write(buf: GPUBuffer, x: Float32Array): void {
    if (x.length > 0) this.host.device.queue.writeBuffer(buf, 0, x.buffer, x.byteOffset, x.byteLength);
  }

  /** One dispatch with its own uniform buffer; returns the uniform for per-step rewrites. */
  private add(
    out: RecordedDispatch[],
    key: string,
    source: () => string,
    buffers: GPUBuffer[],
    u: ArrayBuffer,
    groups: [number, number],
  ): GPUBuffer {
    const { device } = this.host;
    const pipeline = this.host.pipeline(key, source);
    const ub = device.createBuffer({ size: TRAINER_UNIFORM_BYTES, usage: USAGE_UNIFORM });
    this.uniforms.push(ub);
    device.queue.writeBuffer(ub, 0, u);
    const entries = [...buffers, ub].map((buffer, binding) => ({ binding, resource: { buffer } }));
    const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    out.push({ pipeline, bindGroup, groups });
    return ub;
  }

  private gemm(
    out: RecordedDispatch[],
    transA: boolean,
    transB: boolean,
    accumulate: boolean,
    [m, n, k]: [number, number, number],
    a: GPUBuffer,
    b: GPUBuffer,
    c: GPUBuffer,
  ): void {
    const flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (accumulate ? 4 : 0);
    const groups: [number, number] = [Math.ceil(n / GEMM_TILE.bn), Math.ceil(m / GEMM_TILE.bm)];
    this.add(out, 'gemm', gemmShader, [a, b, c], uniform([m, n, k, flags]), groups);
  }

  private columnSum(out: RecordedDispatch[], g: GPUBuffer, rows: number, cols: number, dst: GPUBuffer): void {
    this.add(out, 'columnSum', columnSumShader, [g, dst], uniform([rows, cols, 0]), groups1d(cols));
  }

  /** Σ (p − t)² into sums[slot] (and, with `grad`, c·(p − t) into gr). */
  private squares(
    out: RecordedDispatch[],
    p: GPUBuffer,
    t: GPUBuffer,
    gr: GPUBuffer | null,
    c: number,
    slot: number,
  ) {
    const count = this.s.batch * this.s.d;
    const chunks = Math.ceil(count / MSE_CHUNK);
    this.add(
      out,
      'mse',
      mseShader,
      [p, t, gr ?? this.dummy, this.partial],
      uniform([count, gr ? 1 : 0, { f: c }]),
      groups1d(chunks, 1),
    );
    this.sumInto(out, chunks, slot);
  }

  private sumInto(out: RecordedDispatch[], chunks: number, slot: number): void {
    this.add(
      out,
      'trainer-sum',
      sumPartialsShader,
      [this.partial, this.sums],
      uniform([chunks, slot]),
      [1, 1],
    );
  }

  /**
   * One dispatch for the main selection and, with `aux`, one for the aux selection, whose k is
   * the step's k_aux (rewritten before each step); the aux one accumulates (acc = 1).
   */
  private perSelection(
    out: RecordedDispatch[],
    perStep: PerStep[],
    aux: boolean,
    make: (
      sel: 'main' | 'aux',
      k: number,
      acc: number,
    ) => {
      key: string;
      source: () => string;
      buffers: GPUBuffer[];
      fields: number[];
      groups: [number, number];
    },
  ): void {
    for (const sel of aux ? (['main', 'aux'] as const) : (['main'] as const)) {
      const acc = sel === 'main' ? 0 : 1;
      const first = make(sel, this.kMax(sel), acc);
      const ub = this.add(out, first.key, first.source, first.buffers, uniform(first.fields), first.groups);
      if (sel === 'aux')
        perStep.push((_, kNow) =>
          this.host.device.queue.writeBuffer(ub, 0, uniform(make(sel, kNow, acc).fields)),
        );
    }
  }

  /** A selection's entries listed by latent: its slots scattered into S, counted, offset, listed, S cleared. */
  private lists(out: RecordedDispatch[], perStep: PerStep[], sel: 'main' | 'aux'): void {
    const { batch: m, n } = this.s;
    const L = this.list[sel];
    const cols = sel === 'main' ? this.i : this.ia;
    const kMax = this.kMax(sel);
    const scatter = (kk: number, clear: number) => uniform([m, kk, n, clear]);
    const fill = (kk: number) => uniform([m, kk, n]);
    const set = this.add(
      out,
      'sae-slots',
      slotScatterShader,
      [cols, this.slots],
      scatter(kMax, 0),
      groups1d(m * kMax),
    );
    this.add(out, 'sae-list-count', listCountShader, [this.slots, L.cnt], uniform([m, n]), groups1d(n));
    this.add(out, 'sae-prefix', prefixShader, [L.cnt, L.off], uniform([n]), [1, 1]);
    const list = this.add(
      out,
      'sae-list-fill',
      listFillShader,
      [this.slots, L.off, L.entries],
      fill(kMax),
      groups1d(n),
    );
    const clear = this.add(
      out,
      'sae-slots',
      slotScatterShader,
      [cols, this.slots],
      scatter(kMax, 1),
      groups1d(m * kMax),
    );
    if (sel === 'aux')
      perStep.push((_, kNow) => {
        const q = this.host.device.queue;
        q.writeBuffer(set, 0, scatter(kNow, 0));
        q.writeBuffer(list, 0, fill(kNow));
        q.writeBuffer(clear, 0, scatter(kNow, 1));
      });
  }

  private kMax(sel: 'main' | 'aux'): number {
    return sel === 'main' ? this.s.k : this.s.kAux;
  }

  private buildStep(indexed: boolean, aux: boolean): Plan {
    const out: RecordedDispatch[] = [];
    const perStep: PerStep[] = [];
    const { batch: m, d, n, k, kAux } = this.s;
    const md = m * d;
    const q = this.host.device.queue;
    // The batch, centred; the pre-activations (x − b_pre)·W_e + b_e.
    if (indexed) {
      const set = this.data;
      if (!set) throw new Error('webgpu SAE trainer step: no training data (setData first)');
      this.add(
        out,
        'trainer-gather',
        gatherRowsShader,
        [this.idx, set.x, this.xb],
        uniform([m, d, 0, 1]),
        groups1d(md),
      );
    }
    this.add(out, 'sae-centre', centreShader, [this.xb, this.bp, this.xc], uniform([md, d]), groups1d(md));
    this.gemm(out, false, false, false, [m, n, d], this.xc, this.we, this.pre);
    this.add(
      out,
      'bias-linear',
      () => biasActivationShader('linear'),
      [this.pre, this.be],
      uniform([m * n, n]),
      groups1d(m * n),
    );
    // TopK then ReLU; the aux selection over the dead latents of the mask (the step before's).
    this.add(
      out,
      'topk',
      topkShader,
      [this.pre, this.mask, this.v, this.i],
      uniform([m, n, k, 0]),
      dispatchGrid(m),
    );
    if (aux) {
      const ub = this.add(
        out,
        'topk',
        topkShader,
        [this.pre, this.mask, this.va, this.ia],
        uniform([m, n, kAux, 1]),
        dispatchGrid(m),
      );
      perStep.push((_, kNow) => q.writeBuffer(ub, 0, uniform([m, n, kNow, 1])));
    }
    // x̂ = decode + b_pre; Σ‖x − x̂‖² and its gradient mseScale·2(x̂ − x)/(m·d).
    this.add(
      out,
      'sae-decode',
      decodeShader,
      [this.v, this.i, this.wd, this.bp, this.recon],
      uniform([m, k, d, 1]),
      groups1d(md),
    );
    this.squares(out, this.recon, this.xb, this.gRecon, (2 * this.s.mseScale) / md, SaeSum.mainSquares);
    if (aux) {
      // e = x − x̂ (a constant), Σ‖e − ē‖², ê = the aux latents decoded (no b_pre), Σ‖ê − e‖², and
      // ê's gradient (2α/Σ‖e − ē‖²)(ê − e), zero when the spread is 0.
      this.add(
        out,
        'sae-residual',
        residualShader,
        [this.xb, this.recon, this.e],
        uniform([md]),
        groups1d(md),
      );
      this.columnSum(out, this.e, m, d, this.colD);
      const chunks = Math.ceil(md / SPREAD_CHUNK);
      this.add(
        out,
        'sae-spread',
        spreadShader,
        [this.e, this.colD, this.partial],
        uniform([md, d, { f: m }]),
        groups1d(chunks, 1),
      );
      this.sumInto(out, chunks, SaeSum.spread);
      const dec = (kk: number) => uniform([m, kk, d, 0]);
      const ub = this.add(
        out,
        'sae-decode',
        decodeShader,
        [this.va, this.ia, this.wd, this.bp, this.eHat],
        dec(kAux),
        groups1d(md),
      );
      perStep.push((_, kNow) => q.writeBuffer(ub, 0, dec(kNow)));
      this.squares(out, this.eHat, this.e, null, 0, SaeSum.auxSquares);
      this.add(
        out,
        'sae-aux-grad',
        auxGradShader,
        [this.eHat, this.e, this.sums, this.gAux],
        uniform([md, SaeSum.spread, { f: this.s.alpha }]),
        groups1d(md),
      );
    }
    // The backward, sparse: each selection's entries listed by latent, then W_d's gradient
    // Σ v·g_x̂ (+ Σ v_aux·g_ê) over each latent's entries.
    this.lists(out, perStep, 'main');
    if (aux) this.lists(out, perStep, 'aux');
    this.perSelection(out, perStep, aux, (sel, kk, acc) => {
      const [vals, , g] = sel === 'main' ? [this.v, this.i, this.gRecon] : [this.va, this.ia, this.gAux];
      const L = this.list[sel];
      return {
        key: 'sae-list-product-0',
        source: () => listProductShader(false),
        buffers: [vals, L.cnt, L.off, L.entries, g, this.grads[2]],
        fields: [n, d, kk, acc],
        groups: groups1d(n * d),
      };
    });
    // The kept values' gradients through the decode and ReLU.
    this.perSelection(out, perStep, aux, (sel, kk) => ({
      key: 'sae-kept-grad',
      source: keptGradShader,
      buffers:
        sel === 'main'
          ? [this.v, this.i, this.wd, this.gRecon, this.gv]
          : [this.va, this.ia, this.wd, this.gAux, this.gva],
      fields: [m, kk, d],
      groups: groups1d(m * this.kMax(sel)),
    }));
    // g_b_e, g_W_e = Σ g·(x − b_pre) over each latent's entries, g_centred = Σⱼ g·W_e[:, c] a row.
    this.perSelection(out, perStep, aux, (sel, _kk, acc) => {
      const L = this.list[sel];
      return {
        key: 'sae-list-sum',
        source: listSumShader,
        buffers: [sel === 'main' ? this.gv : this.gva, L.cnt, L.off, L.entries, this.grads[1]],
        fields: [n, acc],
        groups: groups1d(n),
      };
    });
    this.perSelection(out, perStep, aux, (sel, kk, acc) => {
      const L = this.list[sel];
      return {
        key: 'sae-list-product-1',
        source: () => listProductShader(true),
        buffers: [sel === 'main' ? this.gv : this.gva, L.cnt, L.off, L.entries, this.xc, this.grads[0]],
        fields: [n, d, kk, acc],
        groups: groups1d(n * d),
      };
    });
    this.perSelection(out, perStep, aux, (sel, kk, acc) => ({
      key: 'sae-centred-grad',
      source: centredGradShader,
      buffers: [
        sel === 'main' ? this.gv : this.gva,
        sel === 'main' ? this.i : this.ia,
        this.we,
        this.gCentred,
      ],
      fields: [m, kk, d, n, acc],
      groups: groups1d(m * d),
    }));
    // g_b_pre = Σ_rows g_x̂ − Σ_rows g_centred (the Tape's order: the decode's bias first).
    this.columnSum(out, this.gRecon, m, d, this.grads[3]);
    this.columnSum(out, this.gCentred, m, d, this.colD);
    this.add(out, 'sae-axpy', axpyShader, [this.colD, this.grads[3]], uniform([d, { f: -1 }]), groups1d(d));
    // The atoms' parallel gradient removed, Adam on every parameter, the atoms renormalised.
    this.add(
      out,
      'sae-remove-parallel',
      removeParallelShader,
      [this.wd, this.grads[2]],
      uniform([n, d]),
      groups1d(n),
    );
    const params = [this.we, this.be, this.wd, this.bp];
    const counts = [d * n, n, n * d, d];
    params.forEach((w, p) => {
      const [mm, vv] = this.moments[p];
      const adam = (lrT: number) =>
        uniform([
          counts[p],
          { f: lrT },
          { f: 1 - this.s.beta1 },
          { f: 1 - this.s.beta2 },
          { f: this.s.epsilon },
        ]);
      const ub = this.add(out, 'adam', adamShader, [w, this.grads[p], mm, vv], adam(0), groups1d(counts[p]));
      perStep.push((lrT) => q.writeBuffer(ub, 0, adam(lrT)));
    });
    this.add(out, 'sae-normalize', normalizeRowsShader, [this.wd], uniform([n, d]), groups1d(n));
    // Dead-latent counters: + m for all, 0 for the fired; the mask and count for the next step.
    this.add(
      out,
      'sae-since',
      sinceShader,
      [this.since],
      uniform([n, { f: m }, { f: this.s.cap }]),
      groups1d(n),
    );
    this.add(
      out,
      'sae-fire',
      fireShader,
      [this.v, this.i, this.since],
      uniform([m * k, { f: this.s.fire }]),
      groups1d(m * k),
    );
    this.add(
      out,
      'sae-dead',
      deadMaskShader,
      [this.since, this.i, this.mask, this.sums],
      uniform([n, { f: this.s.cap }, m, k, SaeSum.dead, SaeSum.refusedRows]),
      [1, 1],
    );
    return { dispatches: out, perStep };
  }

  private async finish(encoder: GPUCommandEncoder, outputs: [GPUBuffer, number][]): Promise<Float32Array[]> {
    const total = outputs.reduce((s, [, n]) => s + n, 0);
    const bytes = Math.max(16, Math.ceil((total * 4) / 16) * 16);
    if (!this.readback || this.readback.size < bytes) {
      this.readback?.destroy();
      this.readback = this.host.device.createBuffer({ size: bytes, usage: USAGE_READBACK });
    }
    const staging = this.readback;
    let offset = 0;
    for (const [b, n] of outputs) {
      if (n > 0) encoder.copyBufferToBuffer(b, 0, staging, offset * 4, n * 4);
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

  setParams(inputs: readonly Float32Array[]): void {
    if (inputs.length !== 4)
      throw new Error(`webgpu SAE trainer setParams: ${inputs.length} arrays, expected 4`);
    [this.we, this.be, this.wd, this.bp].forEach((b, j) => {
      this.write(b, inputs[j]);
    });
    const encoder = this.host.device.createCommandEncoder();
    for (const [m, v] of this.moments) {
      encoder.clearBuffer(m);
      encoder.clearBuffer(v);
    }
    // Fresh counters: nothing dead, so the mask is all zeros too.
    encoder.clearBuffer(this.since);
    encoder.clearBuffer(this.mask);
    this.host.device.queue.submit([encoder.finish()]);
  }

  getParams(): Promise<Float32Array[]> {
    const { d, n } = this.s;
    return this.finish(this.host.device.createCommandEncoder(), [
      [this.we, d * n],
      [this.be, n],
      [this.wd, n * d],
      [this.bp, d],
    ]);
  }

  setData(rows: number, x: Float32Array): void {
    this.data?.x.destroy();
    const buf = this.host.device.createBuffer({
      size: Math.max(16, Math.ceil((rows * this.s.d * 4) / 16) * 16),
      usage: USAGE_STORAGE,
    });
    this.write(buf, x);
    this.data = { rows, x: buf };
    // The indexed plans bind the old set.
    this.plans.delete('1:0');
    this.plans.delete('1:1');
  }

  step(mode: number, lrT: number, kAuxNow: number, inputs: readonly Float32Array[]): Promise<Float32Array[]> {
    const indexed = mode === 0;
    const aux = kAuxNow > 0;
    if (aux && !(Number.isInteger(kAuxNow) && kAuxNow <= this.s.kAux))
      throw new Error(`webgpu SAE trainer step: k_aux ${kAuxNow}, expected 1 to ${this.s.kAux}`);
    const key = `${+indexed}:${+aux}`;
    let plan = this.plans.get(key);
    if (!plan) {
      plan = this.buildStep(indexed, aux);
      this.plans.set(key, plan);
    }
    this.write(indexed ? this.idx : this.xb, inputs[0]);
    for (const w of plan.perStep) w(lrT, kAuxNow);
    const encoder = this.host.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const d of plan.dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      if (d.groups[0] > 0 && d.groups[1] > 0) pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
    }
    pass.end();
    return this.finish(encoder, [[this.sums, SAE_STEP_SUMS]]);
  }

  dispose(): void {
    for (const u of this.uniforms) u.destroy();
    for (const b of this.owned) b.destroy();
    this.data?.x.destroy();
    this.readback?.destroy();
    this.plans.clear();
  }
}

const trainers = new Map<number, WorkerSaeTrainer>();

/** Serves one 'saeTrainer' request (see sae-trainer-protocol.ts). */
export async function saeTrainerRequest(host: PipelineHost, req: Request): Promise<Float32Array[]> {
  const [code, id, ...p] = req.params;
  if (code === SaeTrainerOp.create) {
    const [batch, d, n, k, kAux, alpha, mseScale, cap, fire, beta1, beta2, epsilon] = p;
    trainers.get(id)?.dispose();
    trainers.set(
      id,
      new WorkerSaeTrainer(host, { batch, d, n, k, kAux, alpha, mseScale, cap, fire, beta1, beta2, epsilon }),
    );
    return [];
  }
  const t = trainers.get(id);
  if (!t) throw new Error(`webgpu SAE trainer ${id}: none (disposed, or never created)`);
  switch (code) {
    case SaeTrainerOp.setParams:
      t.setParams(req.inputs);
      return [];
    case SaeTrainerOp.getParams:
      return t.getParams();
    case SaeTrainerOp.setData:
      t.setData(p[0], req.inputs[0]);
      return [];
    case SaeTrainerOp.step:
      return t.step(p[0], p[1], p[2], req.inputs);
    case SaeTrainerOp.dispose:
      t.dispose();
      trainers.delete(id);
      return [];
    default:
      throw new Error(`webgpu SAE trainer: unknown request ${code}`);
  }
}

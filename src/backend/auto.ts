import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultCacheDir, writeFileAtomicSync } from '../util/files.ts';
import type { ActivationName, Backend, DenseWeights, GemmProduct, ResidentOps, Workload } from './types.ts';

/**
 * The products of one training step of a dense network with layer widths `sizes` at `batch`
 * samples: each layer's forward product, its weight gradient, and (all but the first layer)
 * its input gradient, as src/autodiff/ops.ts issues them.
 */
export function trainingStepWorkload(sizes: readonly number[], batch: number): Workload {
  const products: GemmProduct[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    products.push({ transA: false, transB: false, m: batch, n: sizes[l + 1], k: sizes[l] });
  }
  for (let l = sizes.length - 2; l >= 0; l--) {
    products.push({ transA: true, transB: false, m: sizes[l], n: sizes[l + 1], k: batch });
    if (l > 0) products.push({ transA: false, transB: true, m: batch, n: sizes[l], k: sizes[l + 1] });
  }
  return { label: `training step ${sizes.join('-')} batch ${batch}`, products };
}

/**
 * A dense model's training step as fit() runs it (MSE, Adam without per-parameter multipliers):
 * trainingStepWorkload's products and the model itself (`hidden` on every layer but the last,
 * `output` on the last), so `auto` also times the backends that train it on their device
 * (Backend.trainer). Labelled apart from the bare products, whose candidates differ.
 */
export function denseTrainingWorkload(
  sizes: readonly number[],
  batch: number,
  hidden: ActivationName,
  output: ActivationName,
): Workload {
  const step = trainingStepWorkload(sizes, batch);
  const last = sizes.length - 2;
  return {
    label: `dense ${step.label} (${hidden}, ${output} output; mse, adam)`,
    products: step.products,
    model: {
      inputDim: sizes[0],
      layers: sizes.slice(1).map((units, l) => ({ units, activation: l === last ? output : hidden })),
      batchSize: batch,
    },
  };
}

/**
 * The six products of one multiplicative-update NMF iteration (Frobenius loss) of a rows×cols X
 * at rank k, as src/nmf/mu.ts issues them: X·Hᵀ, H·Hᵀ, W·(HHᵀ), Xᵀ·W, Wᵀ·W, Hᵀ·(WᵀW).
 */
export function nmfMuWorkload(rows: number, cols: number, k: number, chained = false): Workload {
  return {
    label: `nmf mu iteration ${rows}x${cols} rank ${k}${chained ? ' chained' : ''}`,
    ...(chained ? { chained } : {}),
    products: [
      { transA: false, transB: false, m: rows, n: k, k: cols },
      { transA: true, transB: false, m: k, n: k, k: cols },
      { transA: false, transB: false, m: rows, n: k, k },
      { transA: true, transB: false, m: cols, n: k, k: rows },
      { transA: true, transB: false, m: k, n: k, k: rows },
      { transA: false, transB: false, m: cols, n: k, k },
    ],
  };
}

/** What most studies run: the seed autoencoder's training step at batch 256. */
export const DEFAULT_WORKLOAD = trainingStepWorkload([784, 128, 64, 32, 64, 128, 784], 256);

/** What `auto` measured: each candidate's GFLOP/s over the workload, and the winner. */
export interface AutoChoice {
  machine: string;
  workload: string;
  chosen: string;
  gflops: Record<string, number>;
}

const FILE_VERSION = 2;
const choiceSchema = z
  .object({ chosen: z.string().min(1), gflops: z.record(z.string(), z.number()) })
  .strict();
/** auto-backend.json: the machine it was measured on and one choice per workload label. */
const fileSchema = z
  .object({
    version: z.literal(FILE_VERSION),
    machine: z.string().min(1),
    workloads: z.record(z.string(), choiceSchema),
  })
  .strict();
type ChoiceFile = z.infer<typeof fileSchema>;

/**
 * GFLOP/s of one backend over the workload. A workload with a model (Workload.model) on a
 * backend with a device trainer is timed through the trainer (measureTrainerStep); a chained one
 * on a backend with resident storage as a chain (measureChained). Otherwise the first pass calls
 * each product twice, untimed (kernel compilation) then timed; up to two more timed passes
 * follow while a pass takes under a second, and the best pass counts. With `beatMs` (the best
 * pass of the candidates measured so far) the first pass stops as soon as its timed products
 * alone exceed it: that backend cannot win, and its rate over the products it ran is returned.
 */
export function measureWorkload(
  backend: Backend,
  workload: Workload = DEFAULT_WORKLOAD,
  beatMs = Number.POSITIVE_INFINITY,
): number {
  if (workload.model && backend.trainer) return measureTrainerStep(backend, workload, beatMs);
  if (workload.chained && backend.resident) return measureChained(backend.resident, workload, beatMs);
  const flopsOf = (p: GemmProduct) => 2 * p.m * p.n * p.k;
  const buffers = workload.products.map((p, i) => {
    const make = (length: number, salt: number) => {
      const out = backend.alloc ? backend.alloc(length) : new Float32Array(length);
      for (let j = 0; j < length; j++) out[j] = (((j + i) * salt) % 101) / 101;
      return out;
    };
    return { a: make(p.m * p.k, 7919), b: make(p.k * p.n, 104729), c: make(p.m * p.n, 1) };
  });
  const run = (i: number) => {
    const p = workload.products[i];
    const { a, b, c } = buffers[i];
    const t0 = performance.now();
    backend.gemm(p.transA, p.transB, p.m, p.n, p.k, a, b, c);
    return performance.now() - t0;
  };
  try {
    let first = 0;
    let flops = 0;
    for (let i = 0; i < workload.products.length; i++) {
      run(i);
      first += run(i);
      flops += flopsOf(workload.products[i]);
      if (first > beatMs) return flops / (first * 1e6);
    }
    let best = first;
    for (let r = 1; r < 3 && best < 1000; r++) {
      let pass = 0;
      for (let i = 0; i < workload.products.length; i++) pass += run(i);
      best = Math.min(best, pass);
    }
    return flops / (Math.max(best, 1e-3) * 1e6);
  } finally {
    if (backend.free) for (const { a, b, c } of buffers) for (const x of [a, b, c]) backend.free(x);
  }
}

/**
 * GFLOP/s of a chained workload on resident storage: each product's operands uploaded once
 * (untimed), then passes of every product, each pass ended by downloading its last result (a
 * device's queue runs in order, so that waits for the whole pass). An untimed pass compiles the
 * kernels; up to three timed passes follow while a pass takes under a second, and the best
 * counts; a first timed pass slower than `beatMs` ends the measurement.
 */
export function measureChained(
  ops: ResidentOps,
  workload: Workload,
  beatMs = Number.POSITIVE_INFINITY,
): number {
  const flops = workload.products.reduce((sum, p) => sum + 2 * p.m * p.n * p.k, 0);
  const held = workload.products.map((p, i) => {
    const make = (rows: number, cols: number, salt: number) => {
      const data = new Float32Array(rows * cols);
      for (let j = 0; j < data.length; j++) data[j] = (((j + i) * salt) % 101) / 101;
      return ops.upload(data, rows, cols);
    };
    const a = p.transA ? make(p.k, p.m, 7919) : make(p.m, p.k, 7919);
    const b = p.transB ? make(p.n, p.k, 104729) : make(p.k, p.n, 104729);
    return { p, a, b };
  });
  const pass = () => {
    const t0 = performance.now();
    const results = held.map(({ p, a, b }) => ops.gemm(p.transA, p.transB, a, b));
    const last = results[results.length - 1];
    if (last) ops.download(last);
    const ms = performance.now() - t0;
    for (const r of results) ops.release(r);
    return ms;
  };
  try {
    pass();
    let best = pass();
    if (best > beatMs) return flops / (best * 1e6);
    for (let r = 1; r < 3 && best < 1000; r++) best = Math.min(best, pass());
    return flops / (Math.max(best, 1e-3) * 1e6);
  } finally {
    for (const { a, b } of held) {
      ops.release(a);
      ops.release(b);
    }
  }
}

/** Untimed trainer steps before measureTrainerStep times any (the pipelines compile). */
export const TRAINER_WARMUP_STEPS = 2;
/** Trainer steps measureTrainerStep times; the median counts. */
export const TRAINER_TIMED_STEPS = 5;

/**
 * GFLOP/s of a dense model's training step (Workload.model) through the backend's device trainer:
 * the workload's flops over the median of TRAINER_TIMED_STEPS whole steps (each a request: row
 * numbers up, the loss back), after TRAINER_WARMUP_STEPS untimed ones, on fixed pseudo-random
 * data and weights. A trainer that cannot hold the model (fit() would train on the Tape) rates 0,
 * so it is never chosen; a first timed step slower than `beatMs` ends the measurement. The other
 * candidates are timed on the step's products alone, less than their whole step, so the trainer
 * wins only where it beats even that. `now` is the clock (tests inject one).
 */
export function measureTrainerStep(
  backend: Backend,
  workload: Workload,
  beatMs = Number.POSITIVE_INFINITY,
  now: () => number = () => performance.now(),
): number {
  const model = workload.model;
  if (!model || !backend.trainer)
    throw new Error(`measureTrainerStep: backend '${backend.name}' has no trainer for ${workload.label}`);
  const trainer = backend.trainer({ ...model, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  if (!trainer) return 0;
  const flops = workload.products.reduce((sum, p) => sum + 2 * p.m * p.n * p.k, 0);
  let seed = 12345;
  const random = (length: number, scale: number) =>
    Float32Array.from({ length }, () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed / 2 ** 32) * scale;
    });
  try {
    const { inputDim, layers, batchSize } = model;
    const outputDim = layers[layers.length - 1].units;
    const weights: DenseWeights[] = [];
    let din = inputDim;
    for (const l of layers) {
      weights.push({ kernel: random(din * l.units, 2 / Math.sqrt(din)), bias: new Float32Array(l.units) });
      din = l.units;
    }
    trainer.setState(
      weights,
      weights.flatMap(() => [null, null]),
    );
    // Two batches of rows, stepped in turn; an autoencoder's targets are its inputs.
    const rows = 2 * batchSize;
    const targets = outputDim === inputDim ? null : random(rows * outputDim, 1);
    trainer.setData('train', random(rows * inputDim, 1), targets, rows);
    const order = Uint32Array.from({ length: rows }, (_, i) => i);
    let steps = 0;
    const step = () => {
      const from = (steps++ % 2) * batchSize;
      const t0 = now();
      trainer.step(order.subarray(from, from + batchSize), 1e-3);
      return now() - t0;
    };
    for (let s = 0; s < TRAINER_WARMUP_STEPS; s++) step();
    const times: number[] = [];
    while (times.length < TRAINER_TIMED_STEPS) {
      times.push(step());
      if (times[0] > beatMs) return flops / (times[0] * 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    return flops / (Math.max(median, 1e-3) * 1e6);
  } finally {
    trainer.dispose();
  }
}

/**
 * Backends `auto` offers only for workloads that stay on their device: chained products
 * (Workload.chained, on Backend.resident) and a dense model's training step (Workload.model,
 * through Backend.trainer); elsewhere each of their calls is a round trip. They stay out of the
 * machine key, so adding or dropping them never discards the other workloads' stored choices;
 * a stored choice is used only if every current candidate was measured for it.
 */
export const DEVICE_RESIDENT_BACKENDS: readonly string[] = ['webgpu'];

/** The forward product of the seed autoencoder's widest layer: kept for callers timing one gemm. */
export function measureGemm(backend: Backend): number {
  return measureWorkload(backend, {
    label: 'forward 256x784x128',
    products: [{ transA: false, transB: false, m: 256, n: 128, k: 784 }],
  });
}

/** Identifies the machine a measurement belongs to: a change of processor, cores, Node or candidates re-measures. */
function machineKey(candidates: readonly string[]): string {
  const always = candidates.filter((c) => !DEVICE_RESIDENT_BACKENDS.includes(c));
  return [cpus()[0]?.model ?? 'cpu', cpus().length, process.version, process.arch, ...always].join('|');
}

/**
 * Reads auto-backend.json, checked against its schema. A file that does not parse or match is
 * reported once through `warn` and ignored (so the choice is measured again and rewritten).
 */
function readChoices(path: string, warn: (message: string) => void): ChoiceFile | undefined {
  if (!existsSync(path)) return undefined;
  let why: string;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    why = `${issue.path.join('.') || 'the file'}: ${issue.message}`;
  } catch (e) {
    why = e instanceof Error ? e.message : String(e);
  }
  warn(
    `auto backend: ignoring ${path} (not a valid choice file, version ${FILE_VERSION}: ${why}); measuring again`,
  );
  return undefined;
}

/**
 * Picks the fastest of the available candidates for `workload` by measuring each once per
 * machine, and remembers the choice in the cache directory, so `auto` means the same backend on
 * every later run of that workload here (numbers are per backend; a study must not switch
 * backends between runs). A stored choice is used only after its schema checks out.
 */
export function chooseFastest(
  candidates: readonly string[],
  create: (name: string) => Backend,
  cacheDir = defaultCacheDir(),
  measure: (backend: Backend, workload: Workload, beatMs: number) => number = measureWorkload,
  workload: Workload = DEFAULT_WORKLOAD,
  warn: (message: string) => void = (m) => console.warn(m),
): AutoChoice {
  const machine = machineKey(candidates);
  const path = join(cacheDir, 'auto-backend.json');
  const stored = readChoices(path, warn);
  const sameMachine = stored?.machine === machine ? stored : undefined;
  const hit = sameMachine?.workloads[workload.label];
  // A device-resident backend that joined the candidates since (e.g. an adapter now found) is measured.
  if (hit && candidates.includes(hit.chosen) && candidates.every((c) => c in hit.gflops))
    return { machine, workload: workload.label, ...hit };
  const gflops: Record<string, number> = {};
  const flops = workload.products.reduce((sum, p) => sum + 2 * p.m * p.n * p.k, 0);
  let bestMs = Number.POSITIVE_INFINITY;
  for (const name of candidates) {
    try {
      const rate = measure(create(name), workload, bestMs);
      gflops[name] = Number.isFinite(rate) && rate > 0 ? rate : 0;
      if (gflops[name] > 0) bestMs = Math.min(bestMs, flops / (gflops[name] * 1e6));
    } catch {
      gflops[name] = 0;
    }
  }
  const chosen = [...candidates].sort((x, y) => gflops[y] - gflops[x])[0];
  const file: ChoiceFile = {
    version: FILE_VERSION,
    machine,
    workloads: { ...(sameMachine?.workloads ?? {}), [workload.label]: { chosen, gflops } },
  };
  try {
    writeFileAtomicSync(path, `${JSON.stringify(file, null, 2)}\n`);
  } catch {
    // a read-only cache only costs a re-measurement next time
  }
  return { machine, workload: workload.label, chosen, gflops };
}

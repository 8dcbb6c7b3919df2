import type { z } from 'zod';
import type { PluginBase } from '../registry/registry.ts';
import type { RowKernels } from './row-kernels.ts';
import type { SparseKernels } from './sparse-kernels.ts';

/** Activation functions the engine knows by name. */
export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh';

/**
 * Elementwise kernels a backend may accelerate. All buffers are row-major Float32Arrays; every
 * kernel has a TypeScript reference in src/backend/kernels.ts that a backend must agree with.
 */
export interface ElementwiseKernels extends SparseKernels, RowKernels {
  /** z ← act(z + bias) in place; z is rows×cols, bias has cols entries. */
  biasActivation(z: Float32Array, bias: Float32Array, rows: number, cols: number, act: ActivationName): void;
  /** g ← g ⊙ act'(·), written in place, with the derivative expressed through the activation's output y. */
  activationBackward(g: Float32Array, y: Float32Array, act: ActivationName): void;
  /** out[j] (+)= Σ_i g[i, j]; overwrites unless `accumulate`. */
  columnSum(g: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void;
  /**
   * Mean squared error Σ(p − t)² / p.length (float64 accumulation); when `grad` is given it
   * receives scale · 2(p − t) / p.length.
   */
  mse(p: Float32Array, t: Float32Array, grad: Float32Array | null, scale: number): number;
  /** One Adam step in Keras form: m,v updated in place, then w ← w − lrT · m / (√v + ε). */
  adam(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    lrT: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ): void;
}

/**
 * A matrix-multiply backend. `gemm` computes C ← op(A)·op(B), or C ← C + op(A)·op(B) when
 * `accumulate`, on row-major buffers: op(A) is m×k (A is stored k×m when transA), op(B) is k×n
 * (B is stored n×k when transB), C is m×n. The three products of dense-layer training map to
 * (false,false) forward, (true,false) weight gradient and (false,true) input gradient.
 */
export interface Backend {
  readonly name: string;
  readonly description: string;
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    accumulate?: boolean,
  ): void;
  /** Storage the backend reads without copying (e.g. inside its WebAssembly memory). */
  alloc?(length: number): Float32Array;
  /** True when `buffer` lives in storage that `alloc` hands out. */
  owns?(buffer: Float32Array): boolean;
  /** Returns a buffer from `alloc` to the backend (views of it must not be used afterwards). */
  free?(buffer: Float32Array): void;
  /** Faster versions of some elementwise kernels; the rest fall back to the TypeScript reference. */
  readonly kernels?: Partial<ElementwiseKernels>;
  /**
   * Matrices kept in the backend's own storage between products (GL textures for gpu.js), for
   * callers that chain products. Absent: `residentOf` (src/backend/resident.ts) gives every
   * backend the host version, so callers need no special case.
   */
  readonly resident?: ResidentOps;
  /**
   * A trainer that keeps a dense stack, its gradients and Adam's state on the device for a whole
   * fit (webgpu): fit() uses it when the model, loss and optimizer are ones it supports (see
   * src/train/device-fit.ts). Absent, or undefined for a model the device cannot hold (e.g. a
   * layer over its binding limit): training runs on the autodiff Tape.
   */
  trainer?(spec: DenseTrainerSpec): DenseTrainer | undefined;
  /**
   * A trainer that keeps a TopK sparse autoencoder's parameters, their Adam moments, its
   * dead-latent counters and its training set on the device, a whole step (forward, loss with
   * AuxK, backward, Adam, atom renormalisation) one submission (webgpu): trainSae (src/sae/train.ts)
   * uses it with its default choices. Absent, or undefined for a size the device cannot hold:
   * the SAE trains on the autodiff Tape.
   */
  saeTrainer?(spec: SaeTrainerSpec): SaeTrainer | undefined;
  dispose?(): void;
}

/** What a {@link SaeTrainer} trains: trainSae's default step (see the comment atop src/sae/train.ts). */
export interface SaeTrainerSpec {
  /** d. */
  readonly inputDim: number;
  /** n. */
  readonly latents: number;
  readonly k: number;
  /** k_aux, the most dead latents the auxiliary loss selects. */
  readonly kAux: number;
  /** Rows of every step. */
  readonly batchSize: number;
  /** α; 0: no auxiliary loss. */
  readonly auxCoefficient: number;
  /** 1/σ², the main term's scale. */
  readonly mseScale: number;
  /** Samples without firing after which a latent is dead. */
  readonly deadSamples: number;
  /** A kept latent fires on a sample when its value (after ReLU) is above this. */
  readonly firingThreshold: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** W_e (d × n), b_e (n), W_d (n × d, unit rows), b_pre (d), row-major. */
export interface SaeParameters {
  readonly encoderKernel: Float32Array;
  readonly encoderBias: Float32Array;
  readonly decoderKernel: Float32Array;
  readonly preBias: Float32Array;
}

/** A TopK SAE trained where it lives: only what the methods name crosses between host and device. */
export interface SaeTrainer {
  /** Copies the parameters in; Adam's moments and the dead-latent counters start at zero. */
  setState(p: SaeParameters): void;
  /** Copies of the parameters. */
  getState(): SaeParameters;
  /** The training set (rows × d) that `step` indexes; it must not change while set. */
  setData(x: Float32Array, rows: number): void;
  /**
   * One step on the training rows `indices` (batchSize of them) with Adam's lr·√(1−β2ᵗ)/(1−β1ᵗ)
   * = lrT: the batch's loss, and the dead latents after the step's counter update.
   */
  step(indices: Uint32Array, lrT: number): { loss: number; dead: number };
  dispose(): void;
}

/** What a {@link DenseTrainer} trains: a dense stack with MSE and Keras-form Adam. */
export interface DenseTrainerSpec {
  readonly inputDim: number;
  readonly layers: readonly { readonly units: number; readonly activation: ActivationName }[];
  /** The largest batch a step or an evaluation will use. */
  readonly batchSize: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** One dense layer's kernel (inputDim × units, row-major) and bias. */
export interface DenseWeights {
  readonly kernel: Float32Array;
  readonly bias: Float32Array;
}

/**
 * A dense stack trained where it lives: only what the methods name crosses between host and
 * device. Parameters are in the order kernel₀, bias₀, kernel₁, …; their Adam moments likewise.
 */
export interface DenseTrainer {
  /** Copies weights in, and Adam's m and v per parameter (null: zeros). */
  setState(weights: readonly DenseWeights[], moments: readonly ([Float32Array, Float32Array] | null)[]): void;
  /** Copies of the weights and Adam's moments. */
  getState(): { weights: DenseWeights[]; moments: [Float32Array, Float32Array][] };
  /**
   * The data that `step` and `evaluate` read: x (rows × inputDim) and targets y (rows ×
   * outputDim), or null when the targets are x. 'train' is indexed by step, 'validation' only
   * evaluated. The arrays must not change while set.
   */
  setData(which: 'train' | 'validation', x: Float32Array, y: Float32Array | null, rows: number): void;
  /**
   * One Adam step on the training rows `indices` (a batch, at most batchSize): forward, MSE,
   * backward, w ← w − lrT·m/(√v + ε). Returns the batch's MSE.
   */
  step(indices: Uint32Array, lrT: number): number;
  /** The MSE over all rows of a data set, in batches of `batchSize` (as fit's evaluate). */
  evaluate(which: 'train' | 'validation', batchSize: number): number;
  dispose(): void;
}

/** A rows×cols float32 matrix held by a backend's {@link ResidentOps} (e.g. a GL texture). */
export interface ResidentMatrix {
  readonly rows: number;
  readonly cols: number;
}

/**
 * Products that chain without leaving the backend: only `upload` and `download` cross between
 * host and backend. Every op returns a new matrix and leaves its inputs alone; a caller releases
 * what it no longer needs. The numbers are those of the backend's gemm and of the reference
 * kernels (src/backend/kernels.ts), in float32.
 */
export interface ResidentOps {
  /** Copies a row-major rows×cols matrix into the backend (one upload). */
  upload(data: Float32Array, rows: number, cols: number): ResidentMatrix;
  /** op(A)·op(B), as Backend.gemm: op(A) is m×k (A stored k×m when transA), op(B) k×n. */
  gemm(transA: boolean, transB: boolean, a: ResidentMatrix, b: ResidentMatrix): ResidentMatrix;
  /** act(Z + bias) with bias a 1×cols matrix added to every row: a dense layer's output. */
  biasActivation(z: ResidentMatrix, bias: ResidentMatrix, act: ActivationName): ResidentMatrix;
  /**
   * The multiplicative NMF update F ∘ N / D, D = den + l1 + l2·F (each term only when its weight
   * is > 0) and a zero D replaced by 2⁻²³, as src/nmf/mu.ts does it in float64.
   */
  multiplicativeUpdate(
    f: ResidentMatrix,
    num: ResidentMatrix,
    den: ResidentMatrix,
    l1: number,
    l2: number,
  ): ResidentMatrix;
  /**
   * The top-k selection of the sparse autoencoder (src/autodiff/topk.ts: selectTopK, then ReLU) on
   * each row of z (rows×cols): the columns of the k largest eligible entries, ascending, as floats
   * (rows×k), and their values after ReLU (rows×k). Ties keep the earlier column. A row of z
   * holding a NaN has index −1 in its first slot: its selection is the host's to make. At most
   * TOPK_MAX_COLUMNS (src/backend/resident.ts) columns.
   * Optional: the webgpu backend has it; elsewhere the SAE selects on the host.
   */
  topK?(z: ResidentMatrix, k: number, eligible?: Uint8Array): ResidentTopK;
  /** Copies a matrix back, row-major, into `out` or a new array (one readback). */
  download(m: ResidentMatrix, out?: Float32Array): Float32Array;
  /** Frees a matrix's storage; it must not be used afterwards. */
  release(m: ResidentMatrix): void;
  /** False when a rows×cols matrix cannot be held (e.g. beyond the GL maximum texture size). */
  fits(rows: number, cols: number): boolean;
}

/** What {@link ResidentOps.topK} returns: both rows×k, the indices as float column numbers. */
export interface ResidentTopK {
  readonly values: ResidentMatrix;
  readonly indices: ResidentMatrix;
}

/** One gemm of a workload: C (m×n) = op(A) (m×k) · op(B) (k×n). */
export interface GemmProduct {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
}

/** What a run does, as the products `auto` times on every candidate: a training step, an NMF iteration. */
export interface Workload {
  /** Names the workload in auto-backend.json and in `nmfinit backends`. */
  label: string;
  products: readonly GemmProduct[];
  /**
   * The run chains these products on the backend's resident storage where it has one (an NMF mu
   * solve of dense data): `auto` then times them as a chain on Backend.resident, operands uploaded
   * once, and offers the backends that only pay off chained (webgpu).
   */
  chained?: boolean;
  /**
   * The dense model these products are a training step of, where the run trains it with fit()'s
   * MSE and an Adam without per-parameter multipliers: `auto` then also offers backends with a
   * device trainer (Backend.trainer, webgpu), timed on whole steps through it.
   */
  model?: DenseModelWorkload;
}

/** A dense stack as fit() would hand it to a device trainer (see DenseTrainerSpec). */
export interface DenseModelWorkload {
  readonly inputDim: number;
  readonly layers: readonly { readonly units: number; readonly activation: ActivationName }[];
  readonly batchSize: number;
}

/** What a run tells the backends it creates. */
export interface BackendContext {
  /** The run's cache directory (`--cache-dir`): compiled kernels are cached there. */
  readonly cacheDir?: string;
  /** What `auto` times the candidates on (default: the seed autoencoder's training step). */
  readonly workload?: Workload;
}

/**
 * How a backend is found by name and created: a plugin of the `backends` registry. Its
 * parameters come from the name's query part (`simd?threads=2`), validated by `params`.
 */
export interface BackendFactory<S extends z.ZodType = z.ZodType> extends PluginBase {
  readonly params: S;
  /** Higher wins in `auto` selection among the available ones. */
  readonly priority: number;
  /** A cheap probe: can this backend run on this machine? */
  isAvailable(): boolean;
  /**
   * Whether `auto` may try it here, asked before `isAvailable` (default: yes). False keeps a
   * backend `auto` would never pick on this machine from being started (and heard) at all.
   */
  autoEligible?(): boolean;
  /** Why it cannot run here (what is missing, how to get it); asked only when `isAvailable()` is false. */
  unavailableReason?(): string;
  /** One line on what it runs on here (e.g. the GL renderer and version), for `nmfinit backends`. */
  detail?(): string;
  create(params: z.output<S>, context?: BackendContext): Backend;
}

/** Identity function that gives a backend factory its full type (its params typed from its schema). */
export function defineBackend<S extends z.ZodType>(factory: BackendFactory<S>): BackendFactory<S> {
  return factory;
}

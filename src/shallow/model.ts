import { sigmoid } from '../backend/activations.ts';
import { erfScaled, erfScaledDerivative } from '../backend/erf.ts';
import type { Rng } from '../tensor/rng.ts';
import { instantiateShallowKernels, type ShallowKernels } from './wasm.ts';

/** The hidden activations of the paper's shallow autoencoder. */
export const SHALLOW_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'erf'] as const;
export type ShallowActivation = (typeof SHALLOW_ACTIVATIONS)[number];

/**
 * Where trainable biases sit: 'encoder' is b^k inside g (the authors' model, their nn.Linear(D, K)
 * encoder), 'decoder' is an output bias c_i on x̂ (their decoder nn.Linear(K, D, bias=False) has
 * none), 'both' is the two, 'none' neither.
 */
export const SHALLOW_BIASES = ['none', 'encoder', 'decoder', 'both'] as const;
export type ShallowBias = (typeof SHALLOW_BIASES)[number];

export interface ShallowOptions {
  /** Input dimension D. */
  d: number;
  /** Hidden units K. */
  k: number;
  activation: ShallowActivation;
  /** v^k = w^k: the decoder is the encoder's transpose, one parameter. */
  tied: boolean;
  /**
   * Tied only: 'full' (default) steps W along the whole gradient, its encoder and decoder uses
   * summed; 'encoder' along the encoder's use only, the decoder reading W as a constant, as the
   * authors' tied model does (`F.linear(x, self.fce.weight.data.t())` detaches it).
   */
  tiedGradient?: TiedGradient;
  /** Which trainable biases exist (see ShallowBias). */
  bias: ShallowBias;
  /** The learning constant η, scaled per parameter as described on ShallowAutoencoder. */
  lr: number;
  /**
   * The encoder bias's own step size on b (default η/D, the authors' rate: see ShallowAutoencoder).
   * For probing the rate only; the study uses the default.
   */
  encoderBiasLr?: number;
  /** Standard deviation of the Gaussian initial weights (the authors' default is 0.1). */
  initStd?: number;
  /** Storage of the parameters; float64 serves the finite-difference tests. */
  precision?: 'float32' | 'float64';
  /** Where the compiled SIMD kernels are cached (default: defaultCacheDir(); a run passes its --cache-dir). */
  cacheDir?: string;
  /**
   * At K = 4 and D a multiple of 4, step with the fused K = 4 kernels (default true). They leave
   * bit-for-bit the weights the generic kernels leave; false is for the test that checks it.
   */
  fusedK4?: boolean;
}

export const TIED_GRADIENTS = ['full', 'encoder'] as const;
export type TiedGradient = (typeof TIED_GRADIENTS)[number];

type Buffer = Float32Array | Float64Array;

/**
 * Refinetti & Goldt's shallow autoencoder, x̂ = Σ_k v^k g(λ^k) (+ c), λ^k = w^k·x/√D (+ b^k),
 * trained by vanilla online SGD on ℓ = ‖x − x̂‖²/(2D) (their criterion, 0.5·MSELoss).
 *
 * Learning rates follow the authors' code (mariaref/NonLinearShallowAE, train_autoencoder.py):
 * untied, the encoder weights step with η/D and the decoder weights with η; tied, the one weight
 * matrix steps with η. Their encoder bias b' sits inside the scaling, λ = (w·x + b')/√D, and steps
 * with η; here b = b'/√D, so the same dynamics step b with η/D. The output bias c, which their
 * model lacks, steps with η as a decoder nn.Linear(K, D) bias would. Biases start at 0 (theirs at
 * nn.Linear's U(±1/√D) on b', |b| < 1/D). Time is t = steps/D. Their tied model detaches the
 * decoder's use of w (`fce.weight.data`), so W steps along the encoder's use only: that is
 * `tiedGradient: 'encoder'`. The default 'full' sums the encoder and the decoder contributions.
 *
 * Layout: the encoder kernel W is D × K (fanIn × fanOut, row-major, so w^k is column k) and the
 * untied decoder V is K × D, so every inner loop runs over contiguous memory.
 *
 * Why not the tape and gemm: at batch 1 every product is a matrix–vector product. The gemm
 * kernels pack and pad to register tiles built for many rows, and the tape allocates a node and
 * closures per op per step; here one step is four passes over the weights with scratch vectors
 * allocated once, and the updates are fused into the backward passes (no gradient buffers).
 */
export class ShallowAutoencoder {
  readonly d: number;
  readonly k: number;
  readonly activation: ShallowActivation;
  readonly tied: boolean;
  /** Tied only: whether W's step includes the decoder's use of it (see ShallowOptions). */
  readonly tiedGradient: TiedGradient;
  readonly bias: ShallowBias;
  /** Encoder kernel, D × K. */
  readonly w: Buffer;
  /** Decoder, K × D; null when tied (the decoder is Wᵀ). */
  readonly v: Buffer | null;
  /** Encoder bias (K) and output bias (D); each null where `bias` leaves it out. */
  readonly b: Buffer | null;
  readonly c: Buffer | null;
  /** Per-parameter learning rates (see the class comment). */
  readonly lrW: number;
  readonly lrV: number;
  /** Step size of the encoder bias b and of the output bias c. */
  readonly lrB: number;
  readonly lrC: number;
  private readonly invSqrtD: number;
  // Scratch, allocated once: a step allocates nothing.
  private readonly lambda: Float64Array;
  private readonly h: Float64Array;
  private readonly delta: Float64Array;
  private readonly s: Float64Array;
  private readonly e: Float64Array;
  /** The SIMD kernels and their float32 scratch vectors; null for float64 or without WebAssembly SIMD. */
  private readonly kernels: ShallowKernels | null;
  /** Whether stepSimd takes the fused K = 4 kernels (see ShallowOptions.fusedK4). */
  private readonly fusedK4: boolean;

  /** Which code a training step runs: the fused K = 4 kernels, the generic SIMD kernels, or TypeScript loops. */
  get stepPath(): 'fused-k4' | 'simd' | 'typescript' {
    return this.fusedK4 ? 'fused-k4' : this.kernels ? 'simd' : 'typescript';
  }
  private fx!: Float32Array;
  private fLambda!: Float32Array;
  private fH!: Float32Array;
  private fS!: Float32Array;
  private fDelta!: Float32Array;
  private fCoef!: Float32Array;
  private fE!: Float32Array;
  private fXs!: Float32Array;
  private fEs!: Float32Array;
  private fXhat!: Float32Array;

  constructor(options: ShallowOptions, rng: Rng) {
    const { d, k, activation, tied, bias, lr } = options;
    const tiedGradient = options.tiedGradient ?? 'full';
    if (!TIED_GRADIENTS.includes(tiedGradient)) {
      throw new RangeError(
        `ShallowAutoencoder: unknown tiedGradient '${tiedGradient}'; expected one of ${TIED_GRADIENTS.join(', ')}`,
      );
    }
    for (const [what, value] of [
      ['d', d],
      ['k', k],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0)
        throw new RangeError(`ShallowAutoencoder: ${what} must be a positive integer, got ${value}`);
    }
    if (!SHALLOW_ACTIVATIONS.includes(activation)) {
      throw new RangeError(
        `ShallowAutoencoder: unknown activation '${activation}'; expected one of ${SHALLOW_ACTIVATIONS.join(', ')}`,
      );
    }
    if (!SHALLOW_BIASES.includes(bias)) {
      throw new RangeError(
        `ShallowAutoencoder: unknown bias '${bias}'; expected one of ${SHALLOW_BIASES.join(', ')}`,
      );
    }
    if (!(lr > 0 && Number.isFinite(lr)))
      throw new RangeError(`ShallowAutoencoder: lr must be positive, got ${lr}`);
    const lrB = options.encoderBiasLr ?? lr / d;
    if (!(lrB > 0 && Number.isFinite(lrB)))
      throw new RangeError(`ShallowAutoencoder: encoderBiasLr must be positive, got ${lrB}`);
    const initStd = options.initStd ?? 0.1;
    const float64 = (options.precision ?? 'float32') === 'float64';
    // float32 parameters and scratch live in the SIMD kernels' memory (one block, sized here): W,
    // V, b, c and ten scratch vectors of max(D, K), each padded to 16 bytes, after 16 bytes.
    const kernels = float64
      ? null
      : instantiateShallowKernels(4 * (2 * d * k + d + k + 10 * Math.max(d, k)) + 16 * 16, options.cacheDir);
    let top = 16;
    const make = (n: number): Buffer => {
      if (float64) return new Float64Array(n);
      if (!kernels) return new Float32Array(n);
      const view = new Float32Array(kernels.memory.buffer, top, n);
      top += Math.ceil((4 * n) / 16) * 16;
      return view;
    };
    this.d = d;
    this.k = k;
    this.activation = activation;
    this.tied = tied;
    this.tiedGradient = tiedGradient;
    this.bias = bias;
    this.w = rng.child('w').fillNormal(make(d * k), 0, initStd);
    this.v = tied ? null : rng.child('v').fillNormal(make(k * d), 0, initStd);
    this.b = bias === 'encoder' || bias === 'both' ? make(k) : null;
    this.c = bias === 'decoder' || bias === 'both' ? make(d) : null;
    this.lrW = tied ? lr : lr / d;
    this.lrV = lr;
    this.lrB = lrB;
    this.lrC = lr;
    this.invSqrtD = 1 / Math.sqrt(d);
    this.lambda = new Float64Array(k);
    this.h = new Float64Array(k);
    this.delta = new Float64Array(k);
    this.s = new Float64Array(k);
    this.e = new Float64Array(d);
    this.kernels = kernels;
    this.fusedK4 = kernels !== null && k === 4 && d % 4 === 0 && (options.fusedK4 ?? true);
    if (kernels) {
      const scratch = () => make(Math.max(d, k)) as Float32Array;
      this.fx = scratch();
      this.fLambda = scratch();
      this.fH = scratch();
      this.fS = scratch();
      this.fDelta = scratch();
      this.fCoef = scratch();
      this.fE = scratch();
      this.fXs = scratch();
      this.fEs = scratch();
      this.fXhat = scratch();
    }
  }

  /** Pre-activations λ and activations h of x (D values at `offset`), into the scratch vectors. */
  private encode(x: ArrayLike<number>, offset: number): void {
    const { d, k, w, lambda, h } = this;
    lambda.fill(0);
    for (let i = 0; i < d; i++) {
      const xi = x[offset + i];
      const row = i * k;
      for (let j = 0; j < k; j++) lambda[j] += xi * w[row + j];
    }
    const b = this.b;
    for (let j = 0; j < k; j++) {
      const z = lambda[j] * this.invSqrtD + (b ? b[j] : 0);
      lambda[j] = z;
      h[j] = this.g(z);
    }
  }

  /** e = x − x̂ into the scratch vector; returns ‖e‖². */
  private residual(x: ArrayLike<number>, offset: number): number {
    const { d, k, h, e } = this;
    const c = this.c;
    for (let i = 0; i < d; i++) e[i] = x[offset + i] - (c ? c[i] : 0);
    if (this.v) {
      const v = this.v;
      for (let j = 0; j < k; j++) {
        const hj = h[j];
        const row = j * d;
        for (let i = 0; i < d; i++) e[i] -= hj * v[row + i];
      }
    } else {
      const w = this.w;
      for (let i = 0; i < d; i++) {
        const row = i * k;
        let xhat = 0;
        for (let j = 0; j < k; j++) xhat += h[j] * w[row + j];
        e[i] -= xhat;
      }
    }
    let sq = 0;
    for (let i = 0; i < d; i++) sq += e[i] * e[i];
    return sq;
  }

  private g(z: number): number {
    switch (this.activation) {
      case 'linear':
        return z;
      case 'relu':
        return z > 0 ? z : 0;
      case 'sigmoid':
        return sigmoid(z);
      case 'erf':
        return erfScaled(z);
    }
  }

  private gPrime(z: number, y: number): number {
    switch (this.activation) {
      case 'linear':
        return 1;
      case 'relu':
        return z > 0 ? 1 : 0;
      case 'sigmoid':
        return y * (1 - y);
      case 'erf':
        return erfScaledDerivative(z);
    }
  }

  /** Byte address of a view into the kernels' memory. */
  private static at(view: Buffer): number {
    return view.byteOffset;
  }

  /** The SIMD forward pass: λ, h into fLambda/fH, e = x − x̂ into fE; returns ‖e‖². */
  private forwardSimd(x: ArrayLike<number>, offset: number): number {
    const kn = this.kernels!;
    const { d, k } = this;
    const at = ShallowAutoencoder.at;
    const fx = this.fx;
    this.loadSimd(x, offset);
    kn.vecmat(at(fx), at(this.w), d, k, at(this.fLambda));
    this.activateSimd();
    const h = this.fH;
    if (this.v) kn.vecmat(at(h), at(this.v), k, d, at(this.fXhat));
    else kn.matvec(at(this.w), at(h), d, k, at(this.fXhat));
    const xhat = this.fXhat;
    const e = this.fE;
    const c = this.c;
    let sq = 0;
    for (let i = 0; i < d; i++) {
      const r = fx[i] - xhat[i] - (c ? c[i] : 0);
      e[i] = r;
      sq += r * r;
    }
    return sq;
  }

  /** The copy of x (D values at `offset`) the SIMD kernels read. */
  private loadSimd(x: ArrayLike<number>, offset: number): void {
    const { d, fx } = this;
    if (x instanceof Float32Array) fx.set(x.subarray(offset, offset + d));
    else for (let i = 0; i < d; i++) fx[i] = x[offset + i];
  }

  /** λ = λ/√D + b and h = g(λ) on the SIMD scratch, from fLambda = xᵀW. */
  private activateSimd(): void {
    const lam = this.fLambda;
    const h = this.fH;
    const b = this.b;
    for (let j = 0; j < this.k; j++) {
      const z = lam[j] * this.invSqrtD + (b ? b[j] : 0);
      lam[j] = z;
      h[j] = this.g(z);
    }
  }

  /** δ = g'(λ)·s/D, then the encoder bias's step; the decoder bias's step from e. */
  private biasStepsSimd(): void {
    const { d, k } = this;
    const invD = 1 / d;
    const delta = this.fDelta;
    const lam = this.fLambda;
    const h = this.fH;
    const s = this.fS;
    for (let j = 0; j < k; j++) delta[j] = this.gPrime(lam[j], h[j]) * s[j] * invD;
    if (this.b) {
      const b = this.b;
      for (let j = 0; j < k; j++) b[j] += this.lrB * delta[j];
    }
    if (this.c) {
      const c = this.c;
      const e = this.fE;
      const a = this.lrC * invD;
      for (let i = 0; i < d; i++) c[i] += a * e[i];
    }
  }

  /** stepSimd at K = 4: three passes over the weights (kernels-k4-wat.ts), the same numbers. */
  private stepFusedK4(x: ArrayLike<number>, offset: number): number {
    const kn = this.kernels!;
    const d = this.d;
    const at = ShallowAutoencoder.at;
    const invD = 1 / d;
    this.loadSimd(x, offset);
    kn.enc4(at(this.fx), at(this.w), d, at(this.fLambda));
    this.activateSimd();
    const h = this.fH;
    const cAt = this.c ? at(this.c) : 0;
    let sq: number;
    if (this.v) {
      const coef = this.fCoef;
      for (let j = 0; j < 4; j++) coef[j] = this.lrV * h[j] * invD;
      sq = kn.untied_residual4(at(this.v), at(h), at(coef), at(this.fx), cAt, d, at(this.fE), at(this.fS));
    } else {
      sq = kn.tied_residual4(at(this.w), at(h), at(this.fx), cAt, d, at(this.fE), at(this.fS));
    }
    this.biasStepsSimd();
    const ae = this.tied && this.tiedGradient === 'full' ? this.lrW * invD : 0;
    kn.update4(at(this.w), at(this.fx), this.lrW * this.invSqrtD, at(this.fDelta), at(this.fE), ae, at(h), d);
    return sq / (2 * d);
  }

  /** One SGD step with the SIMD kernels: the same arithmetic as the loops of step(), in float32. */
  private stepSimd(x: ArrayLike<number>, offset: number): number {
    if (this.fusedK4) return this.stepFusedK4(x, offset);
    const kn = this.kernels!;
    const { d, k } = this;
    const at = ShallowAutoencoder.at;
    const loss = this.forwardSimd(x, offset) / (2 * d);
    const invD = 1 / d;
    const h = this.fH;
    const s = this.fS;
    const e = this.fE;
    if (this.v) {
      const coef = this.fCoef;
      for (let j = 0; j < k; j++) coef[j] = this.lrV * h[j] * invD;
      kn.dot_axpy(at(this.v), at(e), at(coef), k, d, at(s)); // s = V·e (old V), then V += coef ⊗ e
    } else {
      kn.vecmat(at(e), at(this.w), d, k, at(s)); // s_k = Σ_i e_i W[i, k]
    }
    this.biasStepsSimd();
    const delta = this.fDelta;
    const xs = this.fXs;
    const fx = this.fx;
    const aw = this.lrW * this.invSqrtD;
    for (let i = 0; i < d; i++) xs[i] = aw * fx[i];
    if (this.tied && this.tiedGradient === 'full') {
      const es = this.fEs;
      const ae = this.lrW * invD;
      for (let i = 0; i < d; i++) es[i] = ae * e[i];
      kn.ger2(at(this.w), at(xs), at(delta), at(es), at(h), d, k);
    } else {
      kn.ger(at(this.w), at(xs), at(delta), d, k);
    }
    return loss;
  }

  /** The per-sample loss ‖x − x̂‖²/(2D) of x (D values at `offset`), without changing anything. */
  loss(x: ArrayLike<number>, offset = 0): number {
    if (this.kernels) return this.forwardSimd(x, offset) / (2 * this.d);
    this.encode(x, offset);
    return this.residual(x, offset) / (2 * this.d);
  }

  /** x̂ of one sample into `out` (D values at `outOffset`). */
  reconstruct(x: ArrayLike<number>, offset: number, out: Buffer, outOffset = 0): void {
    const e = this.kernels ? this.fE : this.e;
    if (this.kernels) this.forwardSimd(x, offset);
    else {
      this.encode(x, offset);
      this.residual(x, offset);
    }
    for (let i = 0; i < this.d; i++) out[outOffset + i] = x[offset + i] - e[i];
  }

  /**
   * One online-SGD step on the sample at `offset`; returns its loss before the step. With `grads`
   * the step writes ∂ℓ/∂θ there instead of updating (tied with tiedGradient 'encoder': for W, the
   * encoder use's part, the decoder's W held constant) (for tests), always with the TypeScript loops.
   * float32 models step with the SIMD kernels where WebAssembly SIMD exists.
   */
  step(x: ArrayLike<number>, offset = 0, grads?: ShallowGradients): number {
    if (this.kernels && !grads) return this.stepSimd(x, offset);
    const { d, k, w, h, lambda, s, e, delta } = this;
    this.encode(x, offset);
    const loss = this.residual(x, offset) / (2 * d);
    const invD = 1 / d;
    // s_k = v^k·e, read before v changes; the decoder step is fused into the same pass.
    s.fill(0);
    if (this.v) {
      const v = this.v;
      const gv = grads?.v;
      for (let j = 0; j < k; j++) {
        const row = j * d;
        const a = this.lrV * h[j] * invD;
        let acc = 0;
        if (gv) {
          for (let i = 0; i < d; i++) {
            acc += v[row + i] * e[i];
            gv[row + i] = -h[j] * e[i] * invD;
          }
        } else {
          for (let i = 0; i < d; i++) {
            acc += v[row + i] * e[i];
            v[row + i] += a * e[i];
          }
        }
        s[j] = acc;
      }
    } else {
      for (let i = 0; i < d; i++) {
        const row = i * k;
        const ei = e[i];
        for (let j = 0; j < k; j++) s[j] += w[row + j] * ei;
      }
    }
    // δ_k = −∂ℓ/∂λ_k = g'(λ_k)·s_k/D.
    for (let j = 0; j < k; j++) delta[j] = this.gPrime(lambda[j], h[j]) * s[j] * invD;
    if (this.b) {
      const b = this.b;
      if (grads) for (let j = 0; j < k; j++) grads.b![j] = -delta[j];
      else for (let j = 0; j < k; j++) b[j] += this.lrB * delta[j];
    }
    if (this.c) {
      const c = this.c;
      if (grads) for (let i = 0; i < d; i++) grads.c![i] = -e[i] * invD;
      else {
        const a = this.lrC * invD;
        for (let i = 0; i < d; i++) c[i] += a * e[i];
      }
    }
    // The encoder gradient x_i·δ_k/√D, plus, tied with the full gradient, the decoder's h_k·e_i/D
    // in the same matrix.
    const tied = this.tied && this.tiedGradient === 'full';
    const gw = grads?.w;
    const lrW = this.lrW;
    for (let i = 0; i < d; i++) {
      const xi = x[offset + i] * this.invSqrtD;
      const ei = tied ? e[i] * invD : 0;
      const row = i * k;
      if (gw) {
        for (let j = 0; j < k; j++) gw[row + j] = -(xi * delta[j] + ei * h[j]);
      } else {
        for (let j = 0; j < k; j++) w[row + j] += lrW * (xi * delta[j] + ei * h[j]);
      }
    }
    return loss;
  }

  /** Mean over the n samples of x (n × D) of Σ_i (x_i − x̂_i)²/D: the test MSE, float64. */
  meanSquaredError(x: ArrayLike<number>, n: number): number {
    let sum = 0;
    for (let r = 0; r < n; r++) {
      if (this.kernels) {
        sum += this.forwardSimd(x, r * this.d);
        continue;
      }
      this.encode(x, r * this.d);
      sum += this.residual(x, r * this.d);
    }
    return sum / (n * this.d);
  }

  /** Column k of W, w^k (D values, float64). */
  /** Whether every parameter is a finite number (a ReLU unit with NaN weights outputs 0 and leaves the loss finite). */
  isFinite(): boolean {
    for (const buffer of [this.w, this.v, this.b, this.c])
      if (buffer) for (let i = 0; i < buffer.length; i++) if (!Number.isFinite(buffer[i])) return false;
    return true;
  }

  encoderVector(k: number, out = new Float64Array(this.d)): Float64Array {
    for (let i = 0; i < this.d; i++) out[i] = this.w[i * this.k + k];
    return out;
  }

  /** Allocates gradient buffers shaped like the parameters (for `step(x, offset, grads)`). */
  gradientBuffers(): ShallowGradients {
    return {
      w: new Float64Array(this.d * this.k),
      v: this.v ? new Float64Array(this.k * this.d) : null,
      b: this.b ? new Float64Array(this.k) : null,
      c: this.c ? new Float64Array(this.d) : null,
    };
  }
}

/** ∂ℓ/∂θ for each parameter of a ShallowAutoencoder, laid out like it. */
export interface ShallowGradients {
  w: Float64Array;
  v: Float64Array | null;
  b: Float64Array | null;
  c: Float64Array | null;
}

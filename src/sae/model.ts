import * as ops from '../autodiff/ops.ts';
import { Parameter, type Tape, type Var } from '../autodiff/tape.ts';
import { type SparseRows, sparseMatmul, type TopKSelection, topkLinear } from '../autodiff/topk.ts';
import { kernelsOf } from '../backend/kernels.ts';
import { referenceRowKernels } from '../backend/row-kernels.ts';
import type { Backend } from '../backend/types.ts';
import { BackendModel } from '../nn/backend-model.ts';
import { formatShape, ShapeError, Tensor } from '../tensor/tensor.ts';

// A TopK sparse autoencoder (Gao et al. 2024; the notes' O'Neill et al. section):
//   h = TopK(W_e(x − b_pre) + b_e),   x̂ = W_d·h + b_pre.
// Orientation as everywhere in nmfinit: kernels are fanIn × fanOut, so the encoder kernel is
// d × n and the decoder kernel n × d. A dictionary atom (a "decoder column" in the paper's
// out × in notation) is one row of the decoder kernel: contiguous, so decoding gathers k rows.

export interface SaeShape {
  /** d, the input dimension. */
  readonly inputDim: number;
  /** n, the number of latents (dictionary atoms). */
  readonly latents: number;
  /** Latents kept per sample. */
  readonly k: number;
}

export class SparseAutoencoder extends BackendModel {
  readonly inputDim: number;
  readonly latents: number;
  readonly k: number;
  /** W_e, d × n. */
  readonly encoderKernel: Parameter;
  /** b_e, n. */
  readonly encoderBias: Parameter;
  /** W_d, n × d: row j is atom j, kept at unit norm. */
  readonly decoderKernel: Parameter;
  /** b_pre, d: subtracted before encoding, added after decoding. */
  readonly preBias: Parameter;

  constructor(backend: Backend, shape: SaeShape) {
    super(backend);
    const { inputDim: d, latents: n, k } = shape;
    for (const [name, v] of [
      ['inputDim', d],
      ['latents', n],
      ['k', k],
    ] as const) {
      if (!(Number.isInteger(v) && v >= 1))
        throw new RangeError(`SparseAutoencoder: ${name} must be an integer ≥ 1, got ${v}`);
    }
    if (k > n) throw new RangeError(`SparseAutoencoder: k = ${k} exceeds the ${n} latents`);
    this.inputDim = d;
    this.latents = n;
    this.k = k;
    const param = (name: string, shape: number[]) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return new Parameter(
        name,
        new Tensor(this.allocate(size).fill(0), shape),
        new Tensor(this.allocate(size).fill(0), shape),
      );
    };
    this.encoderKernel = param('encoder/kernel', [d, n]);
    this.encoderBias = param('encoder/bias', [n]);
    this.decoderKernel = param('decoder/kernel', [n, d]);
    this.preBias = param('pre_bias', [d]);
  }

  get parameters(): Parameter[] {
    return [this.encoderKernel, this.encoderBias, this.decoderKernel, this.preBias];
  }

  /**
   * Sets the dictionary: the decoder's atoms (n × d, row j = atom j) are normalised to unit
   * norm, the encoder becomes their transpose, b_e = 0, and b_pre = `preBias`.
   */
  setDictionary(atoms: Float32Array, preBias: Float32Array): void {
    const { inputDim: d, latents: n } = this;
    if (atoms.length !== n * d)
      throw new ShapeError(`setDictionary: ${atoms.length} values for ${n} atoms of ${d}`);
    if (preBias.length !== d)
      throw new ShapeError(`setDictionary: pre-bias of ${preBias.length} for d = ${d}`);
    this.decoderKernel.value.data.set(atoms);
    kernelsOf(this.backend).normalizeRows(this.decoderKernel.value.data, n, d);
    const wd = this.decoderKernel.value.data;
    const we = this.encoderKernel.value.data;
    for (let j = 0; j < n; j++) for (let p = 0; p < d; p++) we[p * n + j] = wd[j * d + p];
    this.encoderBias.value.data.fill(0);
    this.preBias.value.data.set(preBias);
  }

  /**
   * The forward pass on a batch x (m × d). `aux`, when given, also selects the top k_aux of the
   * eligible (dead) latents' pre-activations from the same encoder pass.
   */
  forward(tape: Tape, x: Var, aux?: TopKSelection): SaeForward {
    if (x.shape.length !== 2 || x.shape[1] !== this.inputDim) {
      throw new ShapeError(`SAE expects input of shape [m×${this.inputDim}], got ${formatShape(x.shape)}`);
    }
    const preBias = tape.param(this.preBias);
    const centred = ops.biasAdd(x, ops.scale(preBias, -1));
    const selections: TopKSelection[] = aux ? [{ k: this.k }, aux] : [{ k: this.k }];
    const [latents, auxLatents] = topkLinear(
      centred,
      tape.param(this.encoderKernel),
      tape.param(this.encoderBias),
      selections,
    );
    const decoder = tape.param(this.decoderKernel);
    const recon = ops.biasAdd(sparseMatmul(latents, decoder), preBias);
    return { latents, recon, auxLatents, decoder, preBias };
  }

  /** x̂ for a batch, without gradients (evaluation). */
  reconstruct(
    x: Float32Array,
    rows: number,
  ): { recon: Float32Array; latents: { indices: Int32Array; values: Float32Array } } {
    const tape = this.tape(false);
    const out = this.forward(tape, tape.constant(new Tensor(x, [rows, this.inputDim])));
    const result = {
      recon: out.recon.value.data.slice(),
      latents: { indices: out.latents.indices, values: out.latents.values.value.data.slice() },
    };
    tape.release();
    return result;
  }
}

export interface SaeForward {
  readonly latents: SparseRows;
  readonly recon: Var;
  /** The top k_aux dead latents (ReLU'd), when asked for. */
  readonly auxLatents?: SparseRows;
  /** The decoder kernel's node, for decoding the auxiliary latents with the same W_d. */
  readonly decoder: Var;
  /** b_pre's node, for an auxiliary prediction that adds it again (the reference's). */
  readonly preBias: Var;
}

/** The row kernels' references (src/backend/row-kernels.ts), for callers outside a backend. */
export const { normalizeRows, removeParallelComponent } = referenceRowKernels;

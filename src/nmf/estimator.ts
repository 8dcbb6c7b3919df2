// NMF of data, X (samples × pixels) ≈ W·H with W, H ≥ 0, following scikit-learn's NMF (v1.2):
// fit_transform → W, components_ → H, reconstruction_err_, n_iter_, and transform(X_new), which
// solves for W with H fixed. The rows of H are basis images; the rows of W are encodings.
import type { Backend } from '../backend/types.ts';
import { parseOrThrow } from '../registry/parse.ts';
import { Rng } from '../tensor/rng.ts';
import { fitCdData } from './cd.ts';
import { betaError, type DataFactors } from './data-loss.ts';
import { type NmfData, nmfData, releaseNmfData } from './data-matrix.ts';
import { Workspace, xTimes, xtTimes } from './data-products.ts';
import { initialFactors } from './init.ts';
import type { NmfMatrix } from './matrix.ts';
import { fitMuData } from './mu.ts';
import {
  defaultInitMethod,
  type NmfDataOptions,
  type NmfDataOptionsInput,
  NmfError,
  nmfDataOptionsSchema,
  type Penalties,
  penalties,
} from './options.ts';
import { dataRandomizedSvd } from './svd.ts';

/** X as given by a caller: validated and copied into the backend's memory by the estimator. */
export interface NmfDataInput {
  readonly rows: number;
  readonly cols: number;
  readonly values: ArrayLike<number>;
}

export interface NmfEnvironment {
  /** Runs the products; the simd backend also runs the 'cd' sweeps in WebAssembly. */
  readonly backend: Backend;
  /** Seeds the init ('random', 'nndsvdar' and the randomized SVD). Default Rng.seeded(0). */
  readonly rng?: Rng;
}

export class NMF {
  readonly options: NmfDataOptions;
  private readonly backend: Backend;
  private readonly rng: Rng;
  private fitted: {
    components: Float64Array;
    cols: number;
    reconstructionErr: number;
    nIter: number;
  } | null = null;

  constructor(options: NmfDataOptionsInput, env: NmfEnvironment) {
    this.options = parseOrThrow(nmfDataOptionsSchema, options ?? {}, 'NMF: invalid parameters', {
      error: NmfError,
    });
    if (this.options.betaLoss === 'kullback-leibler' && this.options.solver !== 'mu') {
      throw new NmfError(
        "NMF: betaLoss 'kullback-leibler' needs solver 'mu' (coordinate descent minimises the Frobenius loss only)",
      );
    }
    this.backend = env.backend;
    this.rng = env.rng ?? Rng.seeded(0);
  }

  /** H (k × d), row-major float64: the basis images. */
  get components(): Float64Array {
    return this.model('components').components;
  }
  /** scikit-learn's reconstruction_err_ on the training data: ‖X − WH‖_F, or sqrt(2·D_KL). */
  get reconstructionErr(): number {
    return this.model('reconstructionErr').reconstructionErr;
  }
  /** Iterations the fit took (scikit-learn's n_iter_). */
  get nIter(): number {
    return this.model('nIter').nIter;
  }

  /**
   * Learns H from X and returns W (n × k), row-major float64. `initial` starts from given factors
   * (scikit-learn's init='custom'): W (n × k) and H (k × d), row-major, finite and ≥ 0.
   */
  fitTransform(
    input: NmfData | NmfDataInput,
    initial?: { W: ArrayLike<number>; H: ArrayLike<number> },
  ): Float64Array {
    const x = this.data(input, 'NMF.fitTransform');
    const k = this.options.nComponents;
    if (k > Math.min(x.rows, x.cols)) {
      throw new NmfError(
        `NMF.fitTransform: nComponents ${k} is larger than min(samples, pixels) = min(${x.rows}, ${x.cols}) = ${Math.min(x.rows, x.cols)}`,
      );
    }
    const ws = new Workspace(this.backend);
    try {
      const method = this.options.init ?? defaultInitMethod(k, x.rows, x.cols); // 'nndsvda' here, as k ≤ min(n, d)
      const start = initial
        ? customFactors(initial, x.rows, x.cols, k)
        : initialFactors(asNmfMatrix(x, ws), k, method, this.rng.child('init'));
      const f = factorsIn(ws, k, start.w, start.ht);
      const pen = penalties(this.options, x.rows, x.cols);
      const nIter = this.solve(x, f, pen, ws, true);
      const reconstructionErr = betaError(this.options.betaLoss, x, f, ws);
      const components = transposeToF64(f.ht, x.cols, k);
      this.fitted = { components, cols: x.cols, reconstructionErr, nIter };
      return Float64Array.from(f.w);
    } finally {
      ws.release();
      if (x !== input) releaseNmfData(x, this.backend);
    }
  }

  /** Learns H from X (fitTransform without keeping W). */
  fit(input: NmfData | NmfDataInput): this {
    this.fitTransform(input);
    return this;
  }

  /**
   * Encodes X_new with H fixed, as scikit-learn's transform: the fit's solver, tol and maxIter on W
   * alone, from W = 0 ('cd') or W = sqrt(mean(X_new)/k) ('mu'); W's penalty scales with d as in the fit.
   */
  transform(input: NmfData | NmfDataInput): Float64Array {
    const { components, cols } = this.model('transform');
    const x = this.data(input, 'NMF.transform');
    if (x.cols !== cols) {
      throw new NmfError(`NMF.transform: X has ${x.cols} columns, the model was fitted on ${cols}`);
    }
    const k = this.options.nComponents;
    const ws = new Workspace(this.backend);
    try {
      const w0 = new Float64Array(x.rows * k);
      if (this.options.solver === 'mu') w0.fill(Math.sqrt(x.mean / k));
      const f = factorsIn(ws, k, w0, transposeToF64(components, k, cols));
      this.solve(x, f, penalties(this.options, x.rows, x.cols), ws, false);
      return Float64Array.from(f.w);
    } finally {
      ws.release();
      if (x !== input) releaseNmfData(x, this.backend);
    }
  }

  private solve(x: NmfData, f: DataFactors, pen: Penalties, ws: Workspace, updateH: boolean): number {
    const o = this.options;
    const stop = { tol: o.tol, maxIter: o.maxIter };
    return o.solver === 'cd'
      ? fitCdData(x, f, pen, stop, ws, updateH)
      : fitMuData(x, f, o.betaLoss, pen, stop, ws, updateH);
  }

  private data(input: NmfData | NmfDataInput, where: string): NmfData {
    if ('squaredNorm' in input && input.values instanceof Float32Array) return input as NmfData;
    return nmfData(input.rows, input.cols, input.values, this.backend, where);
  }

  private model(what: string) {
    if (!this.fitted)
      throw new NmfError(`NMF.${what}: the model is not fitted yet; call fit or fitTransform first`);
    return this.fitted;
  }
}

function customFactors(
  initial: { W: ArrayLike<number>; H: ArrayLike<number> },
  n: number,
  d: number,
  k: number,
): { w: Float64Array; ht: Float64Array } {
  for (const [name, f, size, shape] of [
    ['W', initial.W, n * k, `${n} × ${k}`],
    ['H', initial.H, k * d, `${k} × ${d}`],
  ] as const) {
    if (f.length !== size) {
      throw new NmfError(
        `NMF.fitTransform: initial ${name} has ${f.length} values, expected ${shape} = ${size}`,
      );
    }
    for (let i = 0; i < f.length; i++) {
      if (!(f[i] >= 0) || !Number.isFinite(f[i])) {
        throw new NmfError(
          `NMF.fitTransform: initial ${name}[${i}] is ${f[i]}; factors must be finite and ≥ 0`,
        );
      }
    }
  }
  return { w: Float64Array.from(initial.W), ht: transposeToF64(Float64Array.from(initial.H), k, d) };
}

function factorsIn(ws: Workspace, k: number, w: Float64Array, ht: Float64Array): DataFactors {
  const f = {
    k,
    w: ws.f64(w.length),
    w32: ws.f32(w.length),
    ht: ws.f64(ht.length),
    ht32: ws.f32(ht.length),
  };
  f.w.set(w);
  f.w32.set(w);
  f.ht.set(ht);
  f.ht32.set(ht);
  return f;
}

/** The transpose (cols × rows) of a row-major rows × cols matrix, float64. */
function transposeToF64(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/**
 * X as the inits (src/nmf/init.ts) see it: its products with float64 blocks (the randomized SVD's
 * test matrices) run as float32 gemms, Xᵀ· summed over blocks of rows in float64.
 */
function asNmfMatrix(x: NmfData, ws: Workspace): NmfMatrix {
  return {
    kind: 'dense',
    rows: x.rows,
    cols: x.cols,
    mean: x.mean,
    squaredNorm: x.squaredNorm,
    timesTransposed(ht, k, scratch) {
      const b = ws.named32('svd.b', x.cols * k);
      b.set(ht.subarray(0, x.cols * k));
      const out = xTimes(x, b, k, ws.backend, ws.named32('svd.out', x.rows * k));
      for (let i = 0; i < x.rows * k; i++) scratch[i] = out[i];
      return scratch;
    },
    transposeTimes(w, k, scratch) {
      const a = ws.named32('svd.a', x.rows * k);
      a.set(w.subarray(0, x.rows * k));
      return xtTimes(x, a, k, ws, scratch, ws.named32('svd.block', x.cols * k));
    },
    toDense: () => ({ rows: x.rows, cols: x.cols, data: Float64Array.from(x.values) }),
    truncatedSvd: (k, rng) => dataRandomizedSvd(x, k, rng, ws),
  };
}

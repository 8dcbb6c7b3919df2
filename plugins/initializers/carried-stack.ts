// A network that computes a given linear code and decodes it, exactly, through a ReLU stack.
// The first layer computes r signals s_j = x·p_j + o_j; every hidden layer passes them on; the
// output layer adds Σ_j s_j·q_j to a calibrated bias. A signal that may be negative rides a ReLU
// layer as the pair (relu(s), relu(−s)), whose difference is s again; a non-negative one (NMF
// codes) rides as itself. Linear hidden layers carry signals as they are.
import { type DenseLayerSpec, type LayerWeights, type Rng, z } from 'nmfinit';
import { fillUnusedUnits, structuredChainProblem } from './data-common.ts';

export interface CarriedCode {
  /** r × d, row-major: signal j is x·projections_j + offsets_j. */
  readonly projections: Float64Array;
  readonly offsets: Float64Array;
  /** r × d: signal j adds signal_j · reconstruction_j to the output's deviation. */
  readonly reconstruction: Float64Array;
  /** Subtracted from Σ_j s_j·q_j before scaling: the deviation is measured from it (0 or the mean). */
  readonly centre: Float64Array;
  readonly rank: number;
  /** Whether signals can be negative (then ReLU layers carry them as sign-split pairs). */
  readonly signed: boolean;
}

const splits = (layer: DenseLayerSpec, signed: boolean) => signed && layer.activation === 'relu';

/** The most signals every hidden layer of `layers` can carry. */
export function carriedCapacity(layers: readonly DenseLayerSpec[], signed: boolean): number {
  return Math.min(...layers.slice(0, -1).map((l) => Math.floor(l.fanOut / (splits(l, signed) ? 2 : 1))));
}

/** The `rank` parameter of an initializer built on carriedStack: how many signals it carries (optional). */
export const rankParam = (describe: string) => z.number().int().positive().optional().describe(describe);

/** The `restScale` parameter of every initializer built on carriedStack. */
export const restScaleParam = z
  .number()
  .min(0)
  .default(1)
  .describe('He-normal scale of the incoming weights of units the components leave unused');

/**
 * Why a carried code of `requested` signals (undefined: as many as fit) cannot be built on these
 * layers, or null: their `supports` check. `tooMany` words the error for a request over capacity.
 */
export function carriedCodeProblem(
  layers: readonly DenseLayerSpec[],
  signed: boolean,
  requested: number | undefined,
  tooMany: (capacity: number) => string,
): string | null {
  const chain = structuredChainProblem(layers);
  if (chain) return chain;
  const capacity = carriedCapacity(layers, signed);
  if (capacity < 1) return 'a hidden layer is too narrow to carry one component';
  return requested !== undefined && requested > capacity ? tooMany(capacity) : null;
}

/**
 * The weights of the carried code, with the output calibrated as out(bias + scale·δ) ≈ μ + δ;
 * hidden units the code leaves unused get He-normal incoming weights times `restScale`.
 */
export function carriedStack(
  layers: readonly DenseLayerSpec[],
  code: CarriedCode,
  output: { bias: Float64Array; scale: Float64Array },
  restScale: number,
  rng: Rng,
): LayerWeights[] {
  const { rank: r, signed } = code;
  const d = layers[0].fanIn;
  if (r > carriedCapacity(layers, signed))
    throw new RangeError(`carried code: rank ${r} does not fit the hidden layers`);
  const out: LayerWeights[] = [];
  // readout[j]: the previous layer's units and signs whose sum is signal j.
  let readout: { unit: number; sign: number }[][] = [];
  layers.forEach((layer, i) => {
    const kernel = new Float32Array(layer.fanIn * layer.fanOut);
    const bias = new Float32Array(layer.fanOut);
    const n = layer.fanOut;
    if (i === layers.length - 1) {
      for (let j = 0; j < r; j++) {
        for (const { unit, sign } of readout[j]) {
          for (let k = 0; k < n; k++)
            kernel[unit * n + k] = sign * output.scale[k] * code.reconstruction[j * d + k];
        }
      }
      for (let k = 0; k < n; k++) bias[k] = output.bias[k] - output.scale[k] * code.centre[k];
      out.push({ kernel, bias });
      return;
    }
    const split = splits(layer, signed);
    const next: { unit: number; sign: number }[][] = [];
    for (let j = 0; j < r; j++) {
      const units = split ? [2 * j, 2 * j + 1] : [j];
      units.forEach((u, side) => {
        const sign = side === 0 ? 1 : -1;
        if (i === 0) {
          for (let f = 0; f < d; f++) kernel[f * n + u] = sign * code.projections[j * d + f];
          bias[u] = sign * code.offsets[j];
        } else {
          for (const inp of readout[j]) kernel[inp.unit * n + u] = sign * inp.sign;
        }
      });
      next.push(units.map((unit, side) => ({ unit, sign: side === 0 ? 1 : -1 })));
    }
    const used = r * (split ? 2 : 1);
    // Units beyond the code read everything but feed nothing: they learn without moving the start.
    fillUnusedUnits(kernel, layer, used, restScale, rng.child(`layer/${i}/rest`));
    readout = next;
    out.push({ kernel, bias });
  });
  return out;
}

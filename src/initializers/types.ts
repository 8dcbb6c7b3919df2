import { z } from 'zod';
import type { ActivationName, Backend } from '../backend/types.ts';
import type { PluginBase } from '../registry/registry.ts';
import type { Rng } from '../tensor/rng.ts';

/** One dense layer as an initializer sees it. The kernel is fanIn × fanOut (Keras/JAX orientation). */
export interface DenseLayerSpec {
  readonly index: number;
  readonly fanIn: number;
  readonly fanOut: number;
  readonly activation: ActivationName;
}

/** The weights of one dense layer: kernel fanIn × fanOut, row-major; bias of fanOut entries. */
export interface LayerWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

export interface InitializerContext<P> {
  /** Every dense layer of the network, input to output: NMF pairs layer i with layer L−1−i. */
  readonly layers: readonly DenseLayerSpec[];
  /** Parameters, already validated against the plugin's schema (defaults filled in). */
  readonly params: P;
  /** This run's initializer stream; use `rng.child('layer/i')` per layer so layers stay independent. */
  readonly rng: Rng;
  /** A directory the plugin may cache results in (e.g. NMF factors); absent means do not cache. */
  readonly cacheDir?: string;
  /** Progress and notes for the user. */
  readonly log?: (message: string) => void;
  /**
   * Present only for plugins that declare `data`: a sample of the training split (never the
   * validation split), and, when they ask for it, a forward pass through their own weights.
   */
  readonly data?: InitializerData;
}

/** What a data-aware initializer declares it needs. */
export interface DataNeeds {
  /** Also give `ctx.data.forward` (LSUV and data-dependent scaling need layer outputs). */
  readonly forward?: boolean;
}

/** The output of one layer on the sample: before and after its activation, rows × fanOut. */
export interface LayerOutput {
  readonly pre: Float32Array;
  readonly post: Float32Array;
}

/** The training data a data-aware initializer sees. */
export interface InitializerData {
  /** rows × cols, row-major: a sample of the training split only, its size set by the spec. */
  readonly x: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** The run's backend, for the plugin's own products (PCA, NMF). */
  readonly backend: Backend;
  /**
   * Runs the sample through the first `weights.length` layers with these weights (the
   * partially initialized network) and returns every one of their outputs. Only with `forward: true`.
   */
  forward?(weights: readonly LayerWeights[]): LayerOutput[];
}

/**
 * An initializer plugin. It sees the whole network, because some initializers (NMF) pair
 * encoder and decoder layers; most are per-tensor and are written with `perTensorInitializer`.
 */
export interface InitializerPlugin<S extends z.ZodType = z.ZodType> extends PluginBase {
  readonly params: S;
  /** True when different seeds give different weights (checked by `checkInitializer`). */
  readonly random: boolean;
  /** Declares that `init` needs a sample of the training data (`ctx.data`); absent: data-free. */
  readonly data?: DataNeeds;
  init(ctx: InitializerContext<z.output<S>>): LayerWeights[] | Promise<LayerWeights[]>;
  /**
   * Whether the plugin can initialize this network with these parameters, checked before any
   * training: null when it can, otherwise why not (e.g. NMF needs a mirrored autoencoder).
   */
  supports?(layers: readonly DenseLayerSpec[], params: z.output<S>): string | null;
}

/** Identity function that gives a plugin object its full type (like Vite's defineConfig). */
export function defineInitializer<S extends z.ZodType>(plugin: InitializerPlugin<S>): InitializerPlugin<S> {
  return plugin;
}

/** What a per-tensor initializer is given for one kernel. */
export interface KernelShape {
  readonly fanIn: number;
  readonly fanOut: number;
}

/** Options of `perTensorInitializer`. */
export interface PerTensorOptions<S extends z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly params: S;
  readonly random?: boolean;
  /** Values of one kernel, fanIn × fanOut row-major. */
  kernel(shape: KernelShape, rng: Rng, params: z.output<S>): Float32Array;
  /** Values of one bias (fanOut entries); zeros when absent. */
  bias?(shape: KernelShape, rng: Rng, params: z.output<S>): Float32Array;
}

/**
 * Lifts a per-tensor function into a whole-network plugin: layer i draws its kernel from
 * `rng.child('layer/i/kernel')` and its bias from `rng.child('layer/i/bias')`.
 */
export function perTensorInitializer<S extends z.ZodType>(
  options: PerTensorOptions<S>,
): InitializerPlugin<S> {
  return {
    name: options.name,
    description: options.description,
    params: options.params,
    random: options.random ?? true,
    init({ layers, params, rng }) {
      return layers.map((layer) => {
        const shape = { fanIn: layer.fanIn, fanOut: layer.fanOut };
        const kernel = options.kernel(shape, rng.child(`layer/${layer.index}/kernel`), params);
        const bias = options.bias
          ? options.bias(shape, rng.child(`layer/${layer.index}/bias`), params)
          : new Float32Array(layer.fanOut);
        return { kernel, bias };
      });
    },
  };
}

/** A schema for plugins without parameters: an empty object, unknown keys rejected. */
export const noParams = z.object({}).strict();

// The NMF initializer: an autoencoder whose encoder is n_0 ≥ n_1 ≥ … ≥ n_b, mirrored by its decoder,
// gets for each encoder layer i the factors of the identity I_{n_i} ≈ W_i·H_i with k = n_{i+1}:
// encoder layer i's kernel is W_i (n_i × n_{i+1}) and the mirrored decoder layer L−1−i's kernel is
// H_i (n_{i+1} × n_i), both exactly fanIn × fanOut.
import {
  cachedNmf,
  type DenseLayerSpec,
  defineInitializer,
  identityMatrix,
  type LayerWeights,
  NmfError,
  nmfOptionsSchema,
  Rng,
  z,
} from 'nmfinit';

// The original study's notebook (nmf_weight_initialization.ipynb) calls
//   NMF(n_components=layers[i+1], init='random', random_state=0).fit_transform(np.identity(layers[i]))
// with every other argument scikit-learn's default (solver='cd', tol=1e-4, max_iter=200), and
// gives every layer np.random.rand(fan_out) biases (U[0, 1), unseeded). The parameters below are
// the NMF options schema's (src/nmf/options.ts) less `rank`, which the network fixes, with the
// notebook's init as the default, plus what only the initializer has.
const solverOptions = nmfOptionsSchema.omit({ rank: true });

export const nmfParams = solverOptions.extend({
  init: solverOptions.shape.init
    .unwrap()
    .default('random')
    .describe("how the factors start; 'random' as the original study (init='random')"),
  randomState: z
    .union([z.number().int().min(0).max(0xffffffff), z.literal('run')])
    .default(0)
    .describe(
      "the factorization's own seed, as scikit-learn's random_state: the same factors for every run and seed, " +
        "computed once and cached; 'run' draws them from each run's seed instead",
    ),
  bias: z
    .enum(['uniform', 'zeros'])
    .default('uniform')
    .describe("'uniform': U[0, 1) from the run's stream, as the original study; 'zeros'"),
  cache: z.boolean().default(true).describe('reuse factors from the cache directory'),
});
export type NmfInitializerParams = z.output<typeof nmfParams>;

export const nmfInitializer = defineInitializer({
  name: 'nmf',
  description: 'encoder/decoder kernels from the NMF I ≈ W·H of the identity, per mirrored layer pair',
  params: nmfParams,
  random: true,
  // Checked before any training (the study's check), so a bad model fails in seconds, not after data loads.
  supports: (layers) => {
    const message = mirrorMessage(layers);
    return message === null ? null : `it ${message}`;
  },
  init({ layers, params, rng, cacheDir, log }) {
    const pairs = mirroredPairs(layers);
    const kernels: Float32Array[] = new Array(layers.length);
    for (const { encoder, decoder } of pairs) {
      const n = encoder.fanIn;
      const k = encoder.fanOut;
      const started = performance.now();
      const { randomState, bias: _bias, cache, ...options } = params;
      // A fixed state gives one stream for every factorization, as scikit-learn's random_state=0
      // gives each NMF call a fresh RandomState(0): the factors depend on (n, k, options) alone.
      const stream =
        randomState === 'run'
          ? rng.child(`layer/${encoder.index}/nmf`)
          : Rng.seeded(randomState).child('nmf');
      const { result, source } = cachedNmf(identityMatrix(n), { ...options, rank: k }, stream, {
        cacheDir: cache ? cacheDir : undefined,
        log,
      });
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const error = result.errors[result.errors.length - 1];
      log?.(
        `nmf: I_${n} ≈ W·H with k = ${k} (${source === 'cache' ? 'cached' : `${result.iterations} iterations`}, ${seconds} s): ` +
          `‖I − WH‖_F = ${error.toFixed(4)}, optimum √(n − k) = ${Math.sqrt(n - k).toFixed(4)}`,
      );
      kernels[encoder.index] = Float32Array.from(result.W); // n × k = fanIn × fanOut
      kernels[decoder.index] = Float32Array.from(result.H); // k × n = fanIn × fanOut
    }
    return layers.map(
      (layer): LayerWeights => ({
        kernel: kernels[layer.index],
        bias:
          params.bias === 'uniform'
            ? (rng
                .child(`layer/${layer.index}/bias`)
                .fillUniform(new Float32Array(layer.fanOut)) as Float32Array)
            : new Float32Array(layer.fanOut),
      }),
    );
  },
});

/**
 * Why the network is not a mirrored encoder/decoder (an even number of layers, a chained encoder
 * that never widens, each decoder layer the transpose of its encoder partner), or null when it is.
 */
function mirrorProblem(layers: readonly DenseLayerSpec[]): string | null {
  const count = layers.length;
  if (count === 0 || count % 2 !== 0) return `it has ${count} dense layers, expected an even number ≥ 2`;
  for (let i = 0; i < count; i++) {
    const layer = layers[i];
    if (layer.index !== i) return `layer at position ${i} has index ${layer.index}`;
    if (i > 0 && layers[i - 1].fanOut !== layer.fanIn) {
      return `layer ${i - 1} outputs ${layers[i - 1].fanOut} values but layer ${i} takes ${layer.fanIn}`;
    }
  }
  for (let i = 0; i < count / 2; i++) {
    const encoder = layers[i];
    const decoder = layers[count - 1 - i];
    if (encoder.fanOut > encoder.fanIn) {
      return `encoder layer ${i} (${encoder.fanIn}×${encoder.fanOut}) must not widen: fanOut ≤ fanIn`;
    }
    if (decoder.fanIn !== encoder.fanOut || decoder.fanOut !== encoder.fanIn) {
      return `decoder layer ${count - 1 - i} is ${decoder.fanIn}×${decoder.fanOut}, expected ${encoder.fanOut}×${encoder.fanIn} to mirror encoder layer ${i}`;
    }
  }
  return null;
}

/** The reason with the layer shapes, as `supports` and `init` both give it; null when mirrored. */
function mirrorMessage(layers: readonly DenseLayerSpec[]): string | null {
  const why = mirrorProblem(layers);
  if (why === null) return null;
  const shapes = layers.map((l) => `${l.fanIn}×${l.fanOut}`).join(', ');
  return `needs a mirrored encoder/decoder network; ${why} (layer shapes fanIn×fanOut: ${shapes})`;
}

/** Pairs encoder layer i with decoder layer L−1−i; throws NmfError when the network is not mirrored. */
function mirroredPairs(
  layers: readonly DenseLayerSpec[],
): { encoder: DenseLayerSpec; decoder: DenseLayerSpec }[] {
  const message = mirrorMessage(layers);
  if (message !== null) throw new NmfError(`initializer 'nmf' ${message}`);
  const count = layers.length;
  return Array.from({ length: count / 2 }, (_, i) => ({
    encoder: layers[i],
    decoder: layers[count - 1 - i],
  }));
}

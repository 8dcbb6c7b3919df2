// The NMF factors each `nmf` initializer of the spec gives the network, kept beside the runs so the
// report can draw them from the output directory alone (it loads no cache and trains nothing).
//
// Stored as the float32 kernels the network starts with, base64-encoded like the display images
// and reconstructions: exact (the figure shows what the runs got, not a rounding of it) and about
// 1.1 MB for the seed study's 784×128 pair (W and H, 100,352 values each), where JSON numbers
// rounded to 4 significant digits would be as large and no longer exact.
import { autoencoder, type Backend, encodeFloat32, initializers, Rng, type StudyContext, z } from 'nmfinit';
import { type AutoencoderSpec, labelOf } from './spec.ts';

export const NMF_FACTORS_FOLDER = 'nmf-factors';

export const nmfFactorsSchema = z.object({
  /** The initializer's label in the spec. */
  initializer: z.string(),
  /** What the factors depend on; an artifact with the same key is not written again. */
  key: z.string(),
  /** The seed whose runs start from these factors (every seed's, unless `perSeed`). */
  seed: z.number().int(),
  /** True when the factors are drawn from each run's seed (randomState 'run'). */
  perSeed: z.boolean(),
  pairs: z.array(
    z.object({
      /** I_n ≈ W·H with k = the encoder layer's width. */
      n: z.number().int().positive(),
      k: z.number().int().positive(),
      encoderLayer: z.number().int().nonnegative(),
      decoderLayer: z.number().int().nonnegative(),
      /** n × k, row-major: the encoder layer's kernel (fanIn × fanOut). */
      W: z.string(),
      /** k × n, row-major: the mirrored decoder layer's kernel. */
      H: z.string(),
    }),
  ),
});
export type NmfFactorsArtifact = z.infer<typeof nmfFactorsSchema>;

export const nmfFactorsName = (label: string) => `${NMF_FACTORS_FOLDER}/${label}.json`;

/**
 * For every `nmf` initializer of the spec, the kernels it gives the runs of the first seed (the
 * same for every seed with a fixed randomState), computed as a run computes them: the same
 * plugin, layers, stream and cache. Doing it here also fills the factor cache before the workers
 * start, so they load it rather than wait for one another.
 */
export async function writeNmfFactors(
  spec: AutoencoderSpec,
  ctx: StudyContext,
  backend: Backend,
): Promise<void> {
  const refs = spec.initializers.filter((r) => r.name === 'nmf');
  if (refs.length === 0) return;
  const layers = autoencoder(backend, spec.model.sizes, {
    hidden: spec.model.hidden,
    output: spec.model.output,
  }).layerSpecs();
  for (const ref of refs) {
    const label = labelOf(ref);
    const plugin = initializers.get(ref.name);
    const params = initializers.parseParams(plugin, ref.params) as { randomState?: unknown };
    const seed = spec.firstSeed;
    const key = JSON.stringify({ sizes: spec.model.sizes, params, seed });
    const name = nmfFactorsName(label);
    if (ctx.artifacts.exists(name)) {
      try {
        if (ctx.artifacts.read(name, nmfFactorsSchema).key === key) continue;
      } catch {
        // An unreadable artifact is computed again and replaced.
      }
    }
    // The stream executeRun gives the initializer: Rng.seeded(seed), then `init/<name>`.
    const weights = await plugin.init({
      layers,
      params,
      rng: Rng.seeded(seed).child(`init/${ref.name}`),
      cacheDir: ctx.cacheDir,
      log: ctx.log,
    });
    const count = layers.length;
    const artifact: NmfFactorsArtifact = {
      initializer: label,
      key,
      seed,
      perSeed: params.randomState === 'run',
      pairs: Array.from({ length: count / 2 }, (_, i) => ({
        n: layers[i].fanIn,
        k: layers[i].fanOut,
        encoderLayer: i,
        decoderLayer: count - 1 - i,
        W: encodeFloat32(weights[i].kernel),
        H: encodeFloat32(weights[count - 1 - i].kernel),
      })),
    };
    ctx.artifacts.write(name, artifact);
  }
}

import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { getBackend } from '../backend/index.ts';
import { initializerData } from '../initializers/data.ts';
import type { DenseLayerSpec, InitializerPlugin, LayerWeights } from '../initializers/types.ts';
import { parseOrThrow } from '../registry/parse.ts';
import { Rng } from '../tensor/rng.ts';
import { firstNonFinite } from '../tensor/tensor.ts';
import { autoencoderStack, denseStack } from './stacks.ts';

export interface CheckInitializerOptions {
  /** Raw parameters, validated by the plugin's schema before every call (default `{}`). */
  readonly params?: unknown;
  /**
   * The networks to try: 'dense' chains, mirrored 'autoencoder' stacks, or your own arbitrary.
   * Default 'dense', and 'autoencoder' for data-aware plugins (they initialize reconstructions), or
   * the other family when the plugin's `supports` rejects all of a sample of the first ('nmf').
   * Networks the plugin's `supports` rejects are skipped; at least one must be supported.
   */
  readonly stacks?: 'dense' | 'autoencoder' | fc.Arbitrary<readonly DenseLayerSpec[]>;
  /** Random networks tried (default 25); each costs three `init` calls. */
  readonly numRuns?: number;
  /** fast-check seed and path, from a failure message, to replay it. */
  readonly seed?: number;
  readonly path?: string;
  /** Passed to the plugin as `cacheDir`. */
  readonly cacheDir?: string;
  /** Rows of the random training sample a data-aware plugin gets (default 40): values U[0, 1) per network. */
  readonly dataRows?: number;
}

/** Thrown by `checkInitializer`: names the plugin, the property, the layer and the replay seed. */
export class InitializerCheckError extends Error {
  override name = 'InitializerCheckError';
}

/** One broken law, found inside a property run. */
class Violation extends Error {
  constructor(
    readonly property: string,
    readonly layer: DenseLayerSpec | null,
    readonly detail: string,
  ) {
    super(`${property}: ${detail}`);
  }
}

/**
 * Property-tests an initializer plugin over random layer stacks: for every network it must
 * return one kernel (fanIn·fanOut) and one bias (fanOut) per layer, all finite, in storage of their
 * own; leave the layers and params it was given unchanged; give bit-identical weights for the same
 * seed; never depend on the seed when not `plugin.random`; and, when `plugin.random`, depend on it
 * somewhere: different seeds must change the weights of at least one of the networks tried. (Not
 * of every network: a random plugin may have few possible outcomes on a tiny one — an orthogonal
 * 1×1 kernel is ±gain — so per-network difference would be a flaky law.)
 * A data-aware plugin (`plugin.data`) gets a random U[0, 1) sample per network, the same for the
 * calls compared, and a forward pass when it asks; it must not write into the sample.
 * Resolves when all hold; rejects with an `InitializerCheckError` otherwise. Use inside a test:
 * `await checkInitializer(myPlugin, { params: { gain: 2 } })`.
 */
export async function checkInitializer(
  plugin: InitializerPlugin,
  options: CheckInitializerOptions = {},
): Promise<void> {
  assertPluginShape(plugin);
  const label = `initializer '${plugin.name}'`;
  parseParams(plugin, options.params, label); // fail fast, outside the property, on bad options

  const supportParams = parseParams(plugin, options.params, label);
  const stacks = chooseStacks(plugin, options.stacks, supportParams);
  const seeds = fc.uniqueArray(fc.integer({ min: -0x80000000, max: 0x7fffffff }), {
    minLength: 2,
    maxLength: 2,
  });

  let networksWhereSeedMattered = 0;
  let networksTried = 0;
  let lastRejection: { layers: readonly DenseLayerSpec[]; why: string } | undefined;
  const property = fc.asyncProperty(stacks, seeds, async (layers, [seed, otherSeed]) => {
    // A network the plugin says it cannot initialize is not a counterexample.
    const why = plugin.supports?.(layers, supportParams);
    if (why) {
      lastRejection = { layers, why };
      fc.pre(false);
    }
    // One sample per network, the same for all three calls: only the seed changes between them.
    const sample = plugin.data ? randomSample(layers, options.dataRows ?? 40, seed ^ otherSeed) : undefined;
    const run = (s: number) => initOnce(plugin, layers, options, s, label, sample);
    const first = await run(seed);
    checkShapes(layers, first);
    checkFinite(layers, first);
    checkOwnStorage(layers, [first]);

    const again = await run(seed);
    checkShapes(layers, again);
    checkOwnStorage(layers, [first, again]); // a cache must hand out copies, not its own arrays
    const changed = firstDifference(layers, first, again);
    if (changed) {
      throw new Violation(
        'same seed gives the same weights',
        changed.layer,
        `${changed.what} differs between two calls with seed ${seed}`,
      );
    }

    const other = await run(otherSeed);
    checkShapes(layers, other);
    const differs = firstDifference(layers, first, other);
    networksTried++;
    if (differs) networksWhereSeedMattered++;
    if (!plugin.random && differs) {
      throw new Violation(
        'weights do not depend on the seed',
        differs.layer,
        `${differs.what} differs between seeds ${seed} and ${otherSeed}, but the plugin declares random: false`,
      );
    }
  });

  const details = await fc.check(property, {
    numRuns: options.numRuns ?? 25,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  // fast-check gives up, with no counterexample, when too many runs are skipped by fc.pre.
  const allSkipped = details.failed && details.counterexample === null && details.errorInstance === null;
  if (allSkipped || (!details.failed && networksTried === 0)) {
    const last = lastRejection
      ? `; the last one, ${describeLayers(lastRejection.layers)}, because ${lastRejection.why}`
      : '';
    throw new InitializerCheckError(
      `${label}: its supports() rejected every one of the random networks tried${last}; pass options.stacks ` +
        "with networks it supports ('dense', 'autoencoder' or an arbitrary of your own)",
    );
  }
  if (details.failed) throw new InitializerCheckError(failureMessage(label, details));
  if (plugin.random && networksWhereSeedMattered === 0) {
    throw new InitializerCheckError(
      `${label} breaks "different seeds give different weights": over ${networksTried} random networks, ` +
        'a second seed never changed any weight, but the plugin declares random: true (does it ignore ctx.rng?)\n' +
        `  replay with options { seed: ${details.seed} }`,
    );
  }
}

/**
 * The networks to try. Given stacks are used as they are. By default a data-aware plugin gets
 * mirrored autoencoders and any other plugin dense chains, unless its supports() rejects every one
 * of a fixed sample of that family and accepts some of the other's ('nmf' takes only mirrored
 * autoencoders): then the other family, so the defaults check every plugin on networks it can take.
 */
function chooseStacks(
  plugin: InitializerPlugin,
  given: CheckInitializerOptions['stacks'],
  params: unknown,
): fc.Arbitrary<readonly DenseLayerSpec[]> {
  if (given === 'autoencoder') return autoencoderStack();
  if (given === 'dense') return denseStack();
  if (given !== undefined) return given;
  const families = plugin.data ? [autoencoderStack(), denseStack()] : [denseStack(), autoencoderStack()];
  const supports = plugin.supports;
  if (!supports) return families[0];
  const acceptsSome = (family: fc.Arbitrary<DenseLayerSpec[]>) =>
    fc.sample(family, { numRuns: 50, seed: 1 }).some((layers) => !supports(layers, params));
  return families.find(acceptsSome) ?? families[0];
}

/** One `init` call with freshly parsed params; fails if it changed the layers or params it got. */
async function initOnce(
  plugin: InitializerPlugin,
  layers: readonly DenseLayerSpec[],
  options: CheckInitializerOptions,
  seed: number,
  label: string,
  sample?: { x: Float32Array; rows: number },
): Promise<LayerWeights[]> {
  const params = parseParams(plugin, options.params, label);
  const layersBefore = structuredClone(layers);
  const paramsBefore = structuredClone(params);
  const sampleBefore = sample?.x.slice();
  const data = sample
    ? initializerData(getBackend('reference'), layers, sample, { forward: plugin.data?.forward })
    : undefined;
  const weights = await plugin.init({
    layers,
    params,
    rng: Rng.seeded(seed),
    cacheDir: options.cacheDir,
    ...(data ? { data } : {}),
  });
  if (sample && sampleBefore && !sameBits(sample.x, sampleBefore)) {
    throw new Violation('inputs are not mutated', null, `init wrote into ctx.data.x (seed ${seed})`);
  }
  if (!isDeepStrictEqual(layers, layersBefore)) {
    throw new Violation('inputs are not mutated', null, `init changed ctx.layers (seed ${seed})`);
  }
  if (!isDeepStrictEqual(params, paramsBefore)) {
    throw new Violation(
      'inputs are not mutated',
      null,
      `init changed ctx.params from ${JSON.stringify(paramsBefore)} to ${JSON.stringify(params)} (seed ${seed})`,
    );
  }
  return weights;
}

/** rows × fanIn values U[0, 1), like pixels, from a stream of its own. */
function randomSample(layers: readonly DenseLayerSpec[], rows: number, seed: number) {
  const cols = layers[0].fanIn;
  const x = Rng.seeded(seed)
    .child('check-initializer/data')
    .fillUniform(new Float32Array(rows * cols)) as Float32Array;
  return { x, rows };
}

function parseParams(plugin: InitializerPlugin, raw: unknown, label: string): unknown {
  return parseOrThrow(plugin.params, raw ?? {}, `${label}: options.params are invalid`, {
    root: 'params',
    error: InitializerCheckError,
  });
}

/** The fields every plugin needs (the registry's own rules, so a checked plugin also registers). */
function assertPluginShape(plugin: InitializerPlugin): void {
  const name = typeof plugin?.name === 'string' ? plugin.name : JSON.stringify(plugin?.name);
  const rules: [boolean, string][] = [
    [
      typeof plugin?.name === 'string' && /^[a-z0-9][a-z0-9._:-]*$/.test(plugin.name),
      "name must be lower-case letters, digits, '.', '_', ':' or '-' (kebab-case preferred)",
    ],
    [
      typeof plugin?.description === 'string' && plugin.description.trim() !== '',
      'description must be a non-empty string',
    ],
    [
      typeof (plugin?.params as { safeParse?: unknown })?.safeParse === 'function',
      'params must be a zod schema',
    ],
    [typeof plugin?.random === 'boolean', 'random must be true or false'],
    [typeof plugin?.init === 'function', 'init must be a function'],
  ];
  const problems = rules.filter(([ok]) => !ok).map(([, problem]) => problem);
  if (problems.length > 0) throw new InitializerCheckError(`initializer ${name}: ${problems.join('; ')}`);
}

function checkShapes(layers: readonly DenseLayerSpec[], weights: unknown): asserts weights is LayerWeights[] {
  if (!Array.isArray(weights) || weights.length !== layers.length) {
    const got = Array.isArray(weights) ? `${weights.length} entries` : typeof weights;
    throw new Violation(
      'one LayerWeights per layer',
      null,
      `init returned ${got} for ${layers.length} layers`,
    );
  }
  layers.forEach((layer, i) => {
    const { kernel, bias } = (weights[i] ?? {}) as Partial<LayerWeights>;
    if (!(kernel instanceof Float32Array))
      throw new Violation('kernel shape', layer, 'kernel is not a Float32Array');
    if (kernel.length !== layer.fanIn * layer.fanOut) {
      throw new Violation(
        'kernel shape',
        layer,
        `kernel has ${kernel.length} values, expected fanIn·fanOut = ${layer.fanIn * layer.fanOut}`,
      );
    }
    if (!(bias instanceof Float32Array))
      throw new Violation('bias shape', layer, 'bias is not a Float32Array');
    if (bias.length !== layer.fanOut) {
      throw new Violation(
        'bias shape',
        layer,
        `bias has ${bias.length} values, expected fanOut = ${layer.fanOut}`,
      );
    }
  });
}

function checkFinite(layers: readonly DenseLayerSpec[], weights: LayerWeights[]): void {
  layers.forEach((layer, i) => {
    for (const what of ['kernel', 'bias'] as const) {
      const at = firstNonFinite(weights[i][what]);
      if (at >= 0) throw new Violation('finite values', layer, `${what}[${at}] = ${weights[i][what][at]}`);
    }
  });
}

/** No two returned arrays share memory: training updates one layer in place without touching another. */
function checkOwnStorage(layers: readonly DenseLayerSpec[], runs: LayerWeights[][]): void {
  const arrays = runs.flatMap((weights, run) =>
    weights.flatMap((w, i) => [
      { array: w.kernel, name: `call ${run + 1}, kernel`, layer: layers[i] },
      { array: w.bias, name: `call ${run + 1}, bias`, layer: layers[i] },
    ]),
  );
  for (let a = 0; a < arrays.length; a++) {
    for (let b = a + 1; b < arrays.length; b++) {
      const x = arrays[a];
      const y = arrays[b];
      if (x.array.buffer !== y.array.buffer) continue;
      const overlap =
        x.array.byteOffset < y.array.byteOffset + y.array.byteLength &&
        y.array.byteOffset < x.array.byteOffset + x.array.byteLength;
      if (overlap) {
        throw new Violation(
          'weights have storage of their own',
          x.layer,
          `${x.name} (layer ${x.layer.index}) shares memory with ${y.name} (layer ${y.layer.index})`,
        );
      }
    }
  }
}

function firstDifference(
  layers: readonly DenseLayerSpec[],
  a: LayerWeights[],
  b: LayerWeights[],
): { layer: DenseLayerSpec; what: string } | null {
  for (let i = 0; i < layers.length; i++) {
    for (const what of ['kernel', 'bias'] as const) {
      if (!sameBits(a[i][what], b[i][what])) return { layer: layers[i], what };
    }
  }
  return null;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function describeLayers(layers: readonly DenseLayerSpec[]): string {
  return `[${layers.map((l) => `${l.fanIn}×${l.fanOut} ${l.activation}`).join(', ')}]`;
}

function failureMessage(
  label: string,
  details: fc.RunDetails<[readonly DenseLayerSpec[], number[]]>,
): string {
  const replay = `replay with options { seed: ${details.seed}, path: '${details.counterexamplePath}' }`;
  const error = details.errorInstance;
  if (!(error instanceof Violation)) {
    const cause =
      error instanceof Error ? `${error.name}: ${error.message}` : String(error ?? 'no error recorded');
    const network = details.counterexample ? ` on layers ${describeLayers(details.counterexample[0])}` : '';
    return `${label} threw${network}: ${cause}\n  ${replay}`;
  }
  const [layers, seeds] = details.counterexample ?? [[], []];
  const where = error.layer
    ? ` at layer ${error.layer.index} (fanIn ${error.layer.fanIn}, fanOut ${error.layer.fanOut})`
    : '';
  return [
    `${label} breaks "${error.property}"${where}: ${error.detail}`,
    `  network ${describeLayers(layers)}, seeds ${seeds.join(' and ')}`,
    `  ${replay}`,
  ].join('\n');
}

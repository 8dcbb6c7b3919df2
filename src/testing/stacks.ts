import fc from 'fast-check';
import type { ActivationName } from '../backend/types.ts';
import type { DenseLayerSpec } from '../initializers/types.ts';

const allActivations: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh'];

/** The dense layers of a chain of layer sizes: layer i maps sizes[i] → sizes[i + 1]. */
export function layerSpecs(
  sizes: readonly number[],
  activations: ActivationName | readonly ActivationName[] = 'relu',
): DenseLayerSpec[] {
  if (sizes.length < 2) throw new RangeError(`layerSpecs needs at least 2 sizes, got [${sizes.join(', ')}]`);
  return sizes.slice(1).map((fanOut, index) => ({
    index,
    fanIn: sizes[index],
    fanOut,
    activation: typeof activations === 'string' ? activations : activations[index % activations.length],
  }));
}

export interface DenseStackOptions {
  /** Fewest dense layers (default 1). */
  readonly minLayers?: number;
  /** Most dense layers (default 6). */
  readonly maxLayers?: number;
  /** Largest layer width (default 64). */
  readonly maxSize?: number;
}

/** Random chains of dense layers: widths 1…maxSize, each layer's fanIn the previous fanOut. */
export function denseStack(options: DenseStackOptions = {}): fc.Arbitrary<DenseLayerSpec[]> {
  const minLayers = options.minLayers ?? 1;
  const maxLayers = options.maxLayers ?? 6;
  const maxSize = options.maxSize ?? 64;
  return fc
    .array(fc.integer({ min: 1, max: maxSize }), { minLength: minLayers + 1, maxLength: maxLayers + 1 })
    .chain((sizes) =>
      fc
        .array(fc.constantFrom(...allActivations), {
          minLength: sizes.length - 1,
          maxLength: sizes.length - 1,
        })
        .map((activations) => layerSpecs(sizes, activations)),
    );
}

export interface AutoencoderStackOptions {
  /** Most encoder layers (default 3; the decoder mirrors them). */
  readonly maxDepth?: number;
  /** Largest input width (default 64). */
  readonly maxSize?: number;
}

/**
 * Random mirrored bottleneck autoencoders, as the NMF initializer expects: an input width d,
 * encoder widths d ≥ h1 ≥ … ≥ hk ≥ 1, then the mirror image (d-h1-…-hk-…-h1-d, 2k layers).
 * Encoder layer i and decoder layer 2k−1−i are transposes of each other in shape.
 */
export function autoencoderStack(options: AutoencoderStackOptions = {}): fc.Arbitrary<DenseLayerSpec[]> {
  const maxDepth = options.maxDepth ?? 3;
  const maxSize = options.maxSize ?? 64;
  return fc.integer({ min: 1, max: maxSize }).chain((input) =>
    fc.array(fc.integer({ min: 1, max: input }), { minLength: 1, maxLength: maxDepth }).map((hidden) => {
      const encoder = [...hidden].sort((a, b) => b - a);
      const sizes = [input, ...encoder, ...encoder.slice(0, -1).reverse(), input];
      const activations = sizes
        .slice(1)
        .map((_, i): ActivationName => (i === sizes.length - 2 ? 'sigmoid' : 'relu'));
      return layerSpecs(sizes, activations);
    }),
  );
}

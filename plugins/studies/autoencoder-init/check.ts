import { type ActivationName, type DenseLayerSpec, datasets, initializers } from 'nmfinit';
import { type ExperimentSpec, labelOf } from './spec.ts';

/** The dense layers of the spec's autoencoder, as an initializer sees them (without building it). */
export function layerSpecsOf(model: ExperimentSpec['model']): DenseLayerSpec[] {
  const { sizes } = model;
  return sizes.slice(1).map((fanOut, index) => ({
    index,
    fanIn: sizes[index],
    fanOut,
    activation: (index === sizes.length - 2 ? model.output : model.hidden) as ActivationName,
  }));
}

/**
 * Every plugin of the spec exists, its parameters are valid (defaults filled in), and every
 * initializer supports the model: all before any data is loaded or any run starts.
 */
export function checkModelFits(spec: ExperimentSpec): ExperimentSpec {
  const problems: string[] = [];
  const check = (path: string, f: () => void) => {
    try {
      f();
    } catch (e) {
      problems.push(`${path}: ${(e as Error).message}`);
    }
  };
  spec.datasets.forEach((ref, i) => {
    check(`datasets[${i}]`, () => {
      ref.params = datasets.parseParams(datasets.get(ref.name), ref.params) as Record<string, unknown>;
    });
  });
  const layers = layerSpecsOf(spec.model);
  spec.initializers.forEach((ref, i) => {
    check(`initializers[${i}]`, () => {
      const plugin = initializers.get(ref.name);
      ref.params = initializers.parseParams(plugin, ref.params) as Record<string, unknown>;
      const why = plugin.supports?.(layers, ref.params);
      if (why)
        throw new Error(`'${labelOf(ref)}' cannot initialize model ${spec.model.sizes.join('-')}: ${why}`);
    });
  });
  if (problems.length > 0) throw new Error(problems.join('; '));
  return spec;
}

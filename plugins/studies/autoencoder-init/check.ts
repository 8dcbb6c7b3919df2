import {
  type ActivationName,
  type DenseLayerSpec,
  datasets,
  type GridAxis,
  initializers,
  type PlannedBuffer,
} from 'nmfinit';
import { type AutoencoderSpec, labelOf } from './spec.ts';

/** The dense layers of the spec's autoencoder, as an initializer sees them (without building it). */
export function layerSpecsOf(model: AutoencoderSpec['model']): DenseLayerSpec[] {
  const { sizes } = model;
  return sizes.slice(1).map((fanOut, index) => ({
    index,
    fanIn: sizes[index],
    fanOut,
    activation: (index === sizes.length - 2 ? model.output : model.hidden) as ActivationName,
  }));
}

/**
 * Every plugin of the spec exists, its parameters are valid and are replaced in the spec by the
 * parsed ones (defaults filled in), and every initializer supports the model: all before any
 * data is loaded or any run starts.
 */
export function resolvePluginParamsAndCheckModel(spec: AutoencoderSpec): AutoencoderSpec {
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
  const groupsAt: [string, AutoencoderSpec['training']['parameterGroups']][] = [
    ['training.parameterGroups', spec.training.parameterGroups],
    ...(spec.grid.recipes ?? []).map(
      (r, i) =>
        [`grid.recipes[${i}].training.parameterGroups`, r.training.parameterGroups] as [
          string,
          AutoencoderSpec['training']['parameterGroups'],
        ],
    ),
  ];
  for (const [path, groups] of groupsAt) {
    const seen = new Map<string, number>();
    groups?.forEach((g, i) => {
      g.layers.forEach((index, j) => {
        const at = index < 0 ? layers.length + index : index;
        if (at < 0 || at >= layers.length) {
          problems.push(
            `${path}[${i}].layers[${j}]: layer ${index} is not in the ${layers.length}-layer model (use 0..${layers.length - 1}, or −1 for the output layer)`,
          );
          return;
        }
        for (const p of g.params === 'all' ? ['kernel', 'bias'] : [g.params]) {
          const key = `${at}/${p}`;
          const other = seen.get(key);
          if (other !== undefined && other !== i)
            problems.push(`${path}[${i}]: layer ${at}'s ${p} is in group ${other} already`);
          seen.set(key, i);
        }
      });
    });
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return spec;
}

/** Data sets × Σ seeds over sample counts × recipes × initializers: the runs `expandRuns` gives. */
export function autoencoderGridAxes(spec: AutoencoderSpec): GridAxis[] {
  const seeds = spec.grid.samples.reduce((s, e) => s + e.seeds, 0);
  const most = spec.grid.samples.reduce((a, e, i) => (e.seeds > spec.grid.samples[a].seeds ? i : a), 0);
  return [
    { field: 'datasets', size: spec.datasets.length },
    // Sample counts add their seeds; the entry named is the one with the most.
    { field: `grid.samples[${most}].seeds`, size: seeds },
    { field: 'grid.recipes', size: spec.grid.recipes?.length ?? 1 },
    { field: 'initializers', size: spec.initializers.length },
  ];
}

/** Each layer's kernel (fan-in × fan-out) and a batch of its outputs (the largest batch size). */
export function autoencoderBuffers(spec: AutoencoderSpec): PlannedBuffer[] {
  const sizes = spec.model.sizes;
  const batch = Math.max(
    spec.training.batchSize,
    ...(spec.grid.recipes ?? []).map((r) => r.training.batchSize ?? 0),
  );
  return sizes.slice(1).flatMap((out, i) => [
    {
      field: `model.sizes[${i + 1}]`,
      what: `layer ${i}'s kernel (${sizes[i]} × ${out})`,
      floats: sizes[i] * out,
    },
    {
      field: `model.sizes[${i + 1}]`,
      what: `a batch of layer ${i}'s outputs (${batch} × ${out})`,
      floats: batch * out,
    },
  ]);
}

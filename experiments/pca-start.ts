// A start below the PCA optimum (issue 24): `pca-affine` carries the full bottleneck rank through
// biased ReLUs and fits the sigmoid output to the training sample. Five specs, chosen with
// PCA_START_PART (each writes its own results folder):
//   seed        (default) part 1: the seed network 784-128-64-32-64-128-784 on MNIST and
//               Fashion-MNIST, the first 3,000 samples × 10 seeds × 50 epochs, against the seed
//               study's six and `pca`, under the seed's recipe and under a warm-up recipe (the
//               same Adam, its rate ramped over the first 80 updates; the issue allows warm-up
//               applied to every initializer alike). Adam at 1e-3 pushes the fitted start up in the
//               first epoch (MNIST 0.0120 → 0.0154, Fashion 0.0136 → 0.0198, one seed); the
//               warm-up keeps it (0.0120, 0.0136).
//   full        part 2: the same network and initializers, all 60,000 samples × 3 seeds × 50
//               epochs, the seed's recipe only (a second recipe would double the longest part);
//   deep        part 3, Hinton & Salakhutdinov's 784-1000-500-250-30-250-500-1000-784 (`nmf`
//               cannot take it: its first layer widens, 784 → 1000),
//   shallow     part 3, a shallow 784-64-784,
//   asymmetric  part 3, 784-256-64-32-784: a three-layer encoder and a one-layer decoder, which
//               `nmf` cannot take (it needs a mirrored stack);
//               each 3,000 samples × 10 seeds × 10 epochs against He normal, Glorot normal and
//               `nmf` where it applies.
// The report's target verdict judges `pca-affine` against the rest, with the conditions
// for each part (see outputs.target); part 3's reports leave out the seed's claim about `nmf`.
//
//   npx tsx experiments/pca-start.ts                              part 1 (flags: --help)
//   PCA_START_PART=full npx tsx experiments/pca-start.ts          part 2 (long: 60,000 samples)
//   PCA_START_PART=deep npx tsx experiments/pca-start.ts          part 3, one network
//   npx tsx experiments/pca-start.ts --quick                      the same pipeline small
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as mnist } from './mnist.ts';

const SEED_BASELINES = mnist.initializers.map((i: { name: string; label?: string }) => i.label ?? i.name);

/** A part-3 network: 3,000 samples × 10 seeds × 10 epochs against he-normal, glorot-normal (and nmf). */
function otherNetwork(part: string, sizes: number[], nmf: boolean) {
  const baselines = ['he-normal', 'glorot-normal', ...(nmf ? ['nmf'] : [])];
  return defineExperiment({
    ...mnist,
    name: `pca-start-${part}`,
    description: `pca-affine on ${sizes.join('-')} against ${baselines.join(', ')} (issue 24, part 3).`,
    model: { sizes, hidden: 'relu', output: 'sigmoid' },
    initializers: [...baselines.map((name) => ({ name })), { name: 'pca-affine' }],
    initializerData: { samples: 3000 },
    grid: { samples: [{ count: 3000, seeds: 10 }], epochs: [10] },
    outputs: {
      dir: `results/pca-start-${part}`,
      tableEpochs: [0, 1, 10],
      // Built to test pca-affine, not the seed's claim about nmf.
      claim: false,
      // Epoch 0 at or below the PCA error of the bottleneck's rank and below the best baseline's
      // epoch 1, then best at epochs 1 and 10 with p < 0.01.
      target: {
        dataset: 'mnist_digit',
        baselines,
        referenceEpoch: 1,
        startAtOrBelowPca: true,
        alpha: 0.01,
      },
    },
  });
}

/** Parts 1 and 2: the seed network, its six initializers, `pca` and `pca-affine`. */
const seedNetwork = {
  ...mnist,
  description:
    'pca-affine (full-rank biased-ReLU PCA start, output fitted to the sample) against the seed six and pca (issue 24).',
  initializers: [...mnist.initializers, { name: 'pca' }, { name: 'pca-affine' }],
  // Every training row of a 3,000-sample run (2,009); 3,000 of the 40,200 of a full run.
  initializerData: { samples: 3000 },
  outputs: { tableEpochs: [0, 1, 10, 50] },
};

const SEED_NETWORK_BASELINES = [...SEED_BASELINES, 'pca'];

export const parts = {
  seed: defineExperiment({
    ...seedNetwork,
    name: 'pca-start',
    description: `${seedNetwork.description} Part 1: 3,000 samples, 10 seeds, seed and warm-up recipes.`,
    grid: {
      samples: [{ count: 3000, seeds: 10 }],
      epochs: [10, 50],
      recipes: [
        { label: 'seed', training: {} },
        { label: 'warmup', training: { schedule: { warmupSteps: 80 } } },
      ],
    },
    outputs: {
      ...seedNetwork.outputs,
      dir: 'results/pca-start',
      // The part 1: epoch 0 at or below PCA-32 on both sets, best at epochs 1, 10 and 50
      // with p < 0.01, and at epoch 50 at least 10% below its own epoch 0 (per recipe).
      target: {
        dataset: 'mnist_digit',
        baselines: SEED_NETWORK_BASELINES,
        referenceEpoch: null,
        startAtOrBelowPca: true,
        alpha: 0.01,
        improveOnStart: 0.1,
      },
    },
  }),
  full: defineExperiment({
    ...seedNetwork,
    name: 'pca-start-full',
    description: `${seedNetwork.description} Part 2: all 60,000 samples, 3 seeds.`,
    grid: { samples: [{ count: 'all', seeds: 3 }], epochs: [10, 50] },
    outputs: {
      ...seedNetwork.outputs,
      dir: 'results/pca-start-full',
      // The part 2: below every baseline at epochs 1, 10 and 50. Three seeds are too few
      // for a judged paired test (the statistics policy needs 5), so the means decide; p is shown.
      target: {
        dataset: 'mnist_digit',
        baselines: SEED_NETWORK_BASELINES,
        referenceEpoch: null,
        best: 'mean',
        alpha: 0.01,
      },
    },
  }),
  deep: otherNetwork('deep', [784, 1000, 500, 250, 30, 250, 500, 1000, 784], false),
  shallow: otherNetwork('shallow', [784, 64, 784], true),
  asymmetric: otherNetwork('asymmetric', [784, 256, 64, 32, 784], false),
};

const part = process.env.PCA_START_PART ?? 'seed';
if (!Object.hasOwn(parts, part))
  throw new Error(
    `PCA_START_PART is '${part}'; expected one of ${Object.keys(parts).join(', ')} (unset: seed)`,
  );

export const spec = parts[part as keyof typeof parts];

await runIfMain(import.meta.url, spec);

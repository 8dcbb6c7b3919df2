// Issue 23, the shallow autoencoder (Refinetti & Goldt, ICML 2022) at the authors' own setup
// (mariaref/NonLinearShallowAE: train_autoencoder.py, src/utils.py), next to today's
// experiments/shallow-pca.ts. Facts read from their code:
// - defaults: K = 4, g = erf(·/√2), lr 0.1, batch 1, online = 1 (a fresh input every step), init
//   std 0.1, untied, no bias (bias0 = 0), SGD with the encoder at lr/D and the decoder at lr,
//   loss 0.5·MSE; the pre-activation is w·x/√D (models.py AutoEncoder, scale = True for SGD);
// - tied (--tied 1): one SGD group at lr for W (and b'), and the decoder is
//   F.linear(h, fce.weight.data.t()): W is detached there, so W steps along its encoder use alone
//   (our model.tiedGradient 'encoder'; experiments/shallow-pca.ts keeps the full gradient);
// - time t counts steps in units of D (step += 1/D) up to --steps = 10⁵, so 10⁵·D SGD steps; the
//   test error and, for K ≤ 10 untied, the order parameters are logged at 50 times log-spaced from
//   t = 10⁻² (print_every 50); the test set is 10,000 samples;
// - synthetic data (createGenerativeModel with dataset None): x = c·A + ξ, A a K × D standard
//   normal matrix, c_m ~ N(0, Λ_m²) with Λ_m = 2^m + 1 (3, 5, 9, 17), ξ ~ N(0, I); online steps
//   then draw Gaussian inputs with the covariance of those 10,000 samples. Its eigenvalues are
//   ≈ Λ_m²·‖a_m‖² ≈ Λ_m²·D above a bulk of 1: here the spiked Gaussian with spikes 289, 81, 25, 9
//   (×D) on exactly orthonormal directions (theirs: the nearly orthogonal rows of A);
// - Fashion-MNIST (getDataset 'fmnist'): ToTensor (pixels ÷ 255), then preprocessData on each split
//   on its own: divide by twice the split's overall std, subtract its overall mean (scalars; no
//   per-pixel centring, no resizing: D = 784). Grayscale is CIFAR-10's transform (not run here).
//   Their PCA line is from the test batch's second moment; ours from the training samples'.
//   With their default online = 1 the real-data runs would train on Gaussian inputs of the
//   data's second moment; this file trains on the images themselves (their online = 0), which is
//   the real-data check's point.
// Parts, chosen with SHALLOW_AUTHORS_PART (each writes its own results folder):
//   spiked   (default) D = 500, K = 4, online, 10⁵·D = 5·10⁷ steps, g ∈ {linear, ReLU, erf} × tied or
//            not × no bias or the encoder's (the authors' default is erf, untied, no bias), 3 seeds;
//   fashion  Fashion-MNIST, all 60,000 training images cycled, 10,000 test images, K = 4, lr 0.1,
//            10⁵·784 = 7.84·10⁷ steps, the same grid.
//   fashion-tied-full  the fashion part with tied W stepped along its whole gradient (our choice,
//            the one move that turns tied linear on spiked data), seed 0 only. Its untied runs are
//            the fashion part's (same ids and hashes): copy runs/*untied*__s0.json from the fashion
//            part's results and it trains the 6 tied runs alone.
//   ablation-<x>  the one-at-a-time ablation on spiked data: today's spiked study (shallow-pca.ts:
//            D = 100, spikes 4, 2, 1 × D, K = 3, 100,000 finite samples, 10⁵ steps, the full tied
//            gradient, biases none, the encoder's or both, 40 records) with ONE setting moved to the
//            authors': <x> is ours (nothing moved), biases (none or the encoder's), records (50),
//            spikes (289, 81, 25, 9 × D, K = 4), dim (D = 500 at the same t = steps/D = 1000),
//            online (a fresh draw every step), length (t = 10⁵: 10⁷ steps) or tied-gradient (W
//            stepped along its encoder use alone). The spiked part's report sets their verdicts
//            side by side (outputs.ablation). Not moved: the test set (1,000 samples, theirs 10,000).
// Every record keeps the K × K overlap matrix, for the paper's plots.
//
//   npx tsx experiments/shallow-authors.ts                              the spiked part
//   SHALLOW_AUTHORS_PART=fashion npx tsx experiments/shallow-authors.ts  Fashion-MNIST
//   SHALLOW_AUTHORS_PART=ablation-spikes npx tsx experiments/shallow-authors.ts  one ablation part
//   npx tsx experiments/shallow-authors.ts --quick                      the same pipeline small
import { defineExperiment, runIfMain } from 'nmfinit';
import { spec as today } from './shallow-pca.ts';

const T = 1e5; // the authors' --steps default, in units of D

const model = {
  activations: ['linear', 'relu', 'erf'],
  tied: [true, false],
  biases: ['none', 'encoder'],
  initStd: 0.1,
  // Their tied decoder reads `fce.weight.data`: W steps along its encoder use alone.
  tiedGradient: 'encoder' as const,
};

/** The study settings of both authors'-setup parts (spiked and Fashion-MNIST). */
const authorsStudy = { model, seeds: 3, records: 50, tolerance: 0.1, overlapThreshold: 0.5 };

/** Both authors'-setup reports set their verdicts next to today's configuration. */
const comparedWithToday = {
  dir: 'results/shallow-pca',
  title: "today's configuration (experiments/shallow-pca.ts)",
};

/** Today's spiked set as experiments/shallow-pca.ts declares it: the base of the ablation. */
const todaysSpiked = today.datasets.find((d) => d.label === 'spiked')!;

/** The moves of the ablation: each takes one setting of today's spiked study to the authors'. */
const moves = {
  ours: { title: "today's spiked set (nothing moved)" },
  biases: {
    title: "biases none or the encoder's (no output bias)",
    model: { biases: ['none', 'encoder'] },
  },
  records: { title: '50 records (not 40)', study: { records: 50 } },
  spikes: {
    title: 'spikes 289, 81, 25, 9 × D (K = 4)',
    dataset: { params: { ...todaysSpiked.params, spikes: [289, 81, 25, 9] }, k: 4 },
  },
  dim: {
    title: 'D = 500 (t = 1000 kept)',
    dataset: { params: { ...todaysSpiked.params, dim: 500 }, steps: 1000 * 500 },
  },
  online: { title: 'online (a fresh draw every step)', dataset: { online: true } },
  length: { title: 't = 10⁵ (10⁷ steps)', dataset: { steps: T * 100 } },
  'tied-gradient': {
    title: 'tied W stepped along its encoder use alone',
    model: { tiedGradient: 'encoder' as const },
  },
};
type Move = { title: string; dataset?: object; model?: object; study?: object };

const ablationDir = (move: string) => `results/shallow-ablation-${move}`;

function ablationPart(move: keyof typeof moves) {
  const { title, dataset = {}, model: moved = {}, study = {} } = moves[move] as Move;
  return defineExperiment({
    name: `shallow-ablation-${move}`,
    kind: 'shallow-pca',
    description: `Shallow autoencoders, today's spiked set with one setting moved to the authors': ${title} (issue 23).`,
    datasets: [{ ...todaysSpiked, ...dataset }],
    model: { ...today.model, ...moved },
    seeds: today.seeds,
    records: today.records,
    tolerance: today.tolerance,
    overlapThreshold: today.overlapThreshold,
    ...study,
    outputs: { dir: ablationDir(move) },
  });
}

const fashion = defineExperiment({
  name: 'shallow-authors-fashion',
  kind: 'shallow-pca',
  description: 'Shallow autoencoders on Fashion-MNIST preprocessed as the authors’ loader does (issue 23).',
  datasets: [
    {
      label: 'fashion',
      title: 'Fashion-MNIST',
      name: 'fashion-mnist',
      trainCount: 60000,
      testCount: 10000,
      k: 4,
      steps: T * 784,
      lr: 0.1,
      preprocess: 'authors',
    },
  ],
  ...authorsStudy,
  outputs: {
    dir: 'results/shallow-authors-fashion',
    compareWith: comparedWithToday,
  },
});

export const parts = {
  spiked: defineExperiment({
    name: 'shallow-authors-spiked',
    kind: 'shallow-pca',
    description:
      'Shallow autoencoders at the authors’ synthetic defaults (D = 500, K = 4, online, t = 10⁵) (issue 23).',
    datasets: [
      {
        label: 'spiked500',
        title: 'Spiked Gaussian (D = 500, the authors’ spectrum)',
        name: 'spiked-gaussian',
        params: { dim: 500, spikes: [289, 81, 25, 9], bulk: 1, trainCount: 10000, testCount: 10000 },
        trainCount: 10000,
        testCount: 10000,
        k: 4,
        steps: T * 500,
        lr: 0.1,
        online: true,
      },
    ],
    ...authorsStudy,
    outputs: {
      dir: 'results/shallow-authors-spiked',
      compareWith: comparedWithToday,
      ablation: {
        baseline: { dir: ablationDir('ours'), title: moves.ours.title },
        moved: (['biases', 'records', 'spikes', 'dim', 'online', 'length', 'tied-gradient'] as const).map(
          (m) => ({
            dir: ablationDir(m),
            title: moves[m].title,
          }),
        ),
      },
    },
  }),
  fashion,
  'fashion-tied-full': defineExperiment({
    ...fashion,
    name: 'shallow-authors-fashion-tied-full',
    description:
      'The Fashion-MNIST part with tied W stepped along its whole gradient (our choice), one seed: does a verdict hinge on it? (issue 23)',
    model: { ...model, tiedGradient: 'full' },
    seeds: 1,
    outputs: {
      dir: 'results/shallow-authors-fashion-tied-full',
      compareWith: { dir: 'results/shallow-authors-fashion', title: "the authors' setup (part fashion)" },
    },
  }),
  ...(Object.fromEntries(
    (Object.keys(moves) as (keyof typeof moves)[]).map((m) => [`ablation-${m}`, ablationPart(m)]),
  ) as Record<`ablation-${keyof typeof moves}`, ReturnType<typeof ablationPart>>),
};

const part = process.env.SHALLOW_AUTHORS_PART ?? 'spiked';
if (!Object.hasOwn(parts, part))
  throw new Error(
    `SHALLOW_AUTHORS_PART is '${part}'; expected one of ${Object.keys(parts).join(', ')} (unset: spiked)`,
  );

export const spec = parts[part as keyof typeof parts];

await runIfMain(import.meta.url, spec);

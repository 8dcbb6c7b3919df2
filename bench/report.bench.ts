// Report graphics and the PCA reference: render times of loss plots and image grids, and the
// cost of a PCA fit on MNIST (covariance on the auto backend, then the 784×784 eigen-decomposition).
// Run: npm run bench -- report   (NMFINIT_BENCH_PCA_N sets the training rows, default 40000)
import { mnist } from '../plugins/datasets/index.ts';
import { covarianceMatrix } from '../src/analysis/covariance.ts';
import { fitPca, pcaReconstructionMse, pcaTrainMseFromEigenvalues } from '../src/analysis/pca.ts';
import { autoBackendName, getBackend } from '../src/backend/index.ts';
import { imageGridPng } from '../src/report/image-grid.ts';
import { lossPlot } from '../src/report/loss-plot.ts';
import type { LossSeries } from '../src/report/loss-plot-spec.ts';
import { defaultCacheDir } from '../src/util/files.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';

const NAMES = [
  'nmf',
  'random-normal',
  'glorot-normal',
  'he-normal',
  'orthogonal',
  'variance-scaling',
  'lecun-normal',
  'zeros',
];

function syntheticSeries(count: number, epochs: number): LossSeries[] {
  const e = Array.from({ length: epochs + 1 }, (_, i) => i);
  return NAMES.slice(0, count).map((label, k) => {
    const mean = e.map((t) => 0.015 + (0.1 + 0.01 * k) * Math.exp(-t / (1 + 2 * k)));
    return { label, epochs: e, mean, lower: mean.map((m) => m * 0.92), upper: mean.map((m) => m * 1.08) };
  });
}

export default defineBench({
  name: 'report',
  description: 'loss plot and image grid render times; PCA fit on MNIST (covariance + eigen)',
  async run(log) {
    const figures: Figure[] = [];
    const reference = { label: 'PCA rank 32', value: 0.0183 };

    for (const [count, epochs] of [
      [6, 10],
      [8, 50],
    ] as const) {
      const spec = {
        title: `${count} initializers × ${epochs} epochs`,
        series: syntheticSeries(count, epochs),
        reference,
      };
      const times = await timeIt(() => lossPlot(spec), 5);
      figures.push({
        name: `lossPlot ${count} series × ${epochs + 1} epochs (svg + 2× png)`,
        value: median(times),
        unit: 'ms',
        details: { times },
      });
    }

    const test = await mnist.load({ split: 'test', params: {}, cacheDir: defaultCacheDir() });
    const d = 784;
    const display = Array.from({ length: 10 }, (_, i) => test.images.slice(i * d, (i + 1) * d));
    const gridSpec = {
      title: 'reconstructions',
      rows: NAMES.map((label) => ({ label, images: display })),
      imageShape: [28, 28] as [number, number],
      columnLabels: test.classNames.slice(0, 10),
    };
    const gridTimes = await timeIt(() => imageGridPng(gridSpec), 5);
    figures.push({
      name: 'imageGridPng 8 rows × 10 images at 3×',
      value: median(gridTimes),
      unit: 'ms',
      details: { times: gridTimes },
    });

    const n = Number(process.env.NMFINIT_BENCH_PCA_N ?? 40_000);
    const train = await mnist.load({ split: 'train', limit: n, params: {}, cacheDir: defaultCacheDir() });
    const backend = autoBackendName();
    getBackend(backend); // created outside the timing
    log(`PCA on the first ${n} MNIST training images, backend ${backend}`);
    let t0 = performance.now();
    covarianceMatrix(train.images, n, d);
    const covMs = performance.now() - t0;
    figures.push({
      name: `covariance ${n}×${d} [${backend}]`,
      value: covMs,
      unit: 'ms',
      details: { gflop: (2 * n * d * d) / 1e9 },
    });

    t0 = performance.now();
    const pca = fitPca(train.images, n, d, 32);
    const fitMs = performance.now() - t0;
    figures.push({
      name: `fitPca ${n}×${d} rank 32 (covariance + eigen) [${backend}]`,
      value: fitMs,
      unit: 'ms',
    });
    figures.push({
      name: `eigen-decomposition ${d}×${d} (ml-matrix, by difference)`,
      value: fitMs - covMs,
      unit: 'ms',
    });

    t0 = performance.now();
    const testMse = pcaReconstructionMse(pca, test.images, test.count, d);
    const mseMs = performance.now() - t0;
    const trainMse = pcaReconstructionMse(pca, train.images, n, d);
    figures.push({
      name: `pcaReconstructionMse ${test.count}×${d} rank 32 [${backend}]`,
      value: mseMs,
      unit: 'ms',
    });
    figures.push({
      name: `MNIST PCA rank-32 MSE, test split (fit on ${n} train)`,
      value: testMse,
      unit: 'mse',
    });
    figures.push({
      name: `MNIST PCA rank-32 MSE, train (${n})`,
      value: trainMse,
      unit: 'mse',
      details: { fromEigenvalues: pcaTrainMseFromEigenvalues(pca) },
    });
    return figures;
  },
});

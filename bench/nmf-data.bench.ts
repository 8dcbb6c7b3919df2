// NMF of data against scikit-learn, side by side in one run: MNIST train (n samples × 784),
// k = 64, nndsvda, 200 iterations (tol 0, so both run them all), cd and mu; then transform of the
// 10,000 test images and their MSE ‖X − W·H‖² / (n·d). scikit-learn runs when `python3 -c 'import
// sklearn'` works (python3 on PATH, else /usr/bin/python3), with OPENBLAS_NUM_THREADS = THREADS.
// Run: npm run bench -- nmf-data
// Size: NMF_DATA_N (training samples, default 60000), NMF_DATA_ITER (default 200), NMF_DATA_K
// (default 64), NMF_DATA_THREADS (default 2), NMF_DATA_SOLVERS (default "cd,mu").
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mnist } from '../plugins/datasets/mnist.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { NMF } from '../src/nmf/estimator.ts';
import { defineBench, type Figure } from './harness.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const N = env('NMF_DATA_N', 60_000);
const ITER = env('NMF_DATA_ITER', 200);
const K = env('NMF_DATA_K', 64);
const THREADS = env('NMF_DATA_THREADS', 2);
const SOLVERS = (process.env.NMF_DATA_SOLVERS ?? 'cd,mu').split(',') as ('cd' | 'mu')[];
const D = 784;

function python(): string | null {
  for (const exe of ['python3', '/usr/bin/python3']) {
    if (spawnSync(exe, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0) return exe;
  }
  return null;
}

const SKLEARN = `
import sys, time, json, numpy as np
from sklearn.decomposition import NMF
n, nt, k, it, solver, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
X = np.fromfile(path + '/train.f32', dtype=np.float32).reshape(n, 784).astype(np.float64)
T = np.fromfile(path + '/test.f32', dtype=np.float32).reshape(nt, 784).astype(np.float64)
m = NMF(k, solver=solver, init='nndsvda', max_iter=it, tol=0, random_state=0)
t = time.time(); m.fit_transform(X); fit = time.time() - t
t = time.time(); W = m.transform(T); tr = time.time() - t
mse = float(((T - W @ m.components_) ** 2).mean())
print(json.dumps({'fit': fit, 'err': m.reconstruction_err_, 'nIter': m.n_iter_, 'transform': tr, 'mse': mse}))
`;

export default defineBench({
  name: 'nmf-data',
  description: `NMF of MNIST ${N} × ${D}, k = ${K}, nndsvda, ${ITER} iterations, ${THREADS} thread(s): nmfinit against scikit-learn`,
  async run(log) {
    const figures: Figure[] = [];
    const train = await mnist.load({ split: 'train', limit: N, params: {}, cacheDir: '.cache' });
    const test = await mnist.load({ split: 'test', params: {}, cacheDir: '.cache' });
    const backend = new SimdBackend({ threads: THREADS });
    const x = nmfData(N, D, train.images, backend, 'bench');
    const xt = nmfData(test.count, D, test.images, backend, 'bench');
    const py = python();
    const dir = mkdtempSync(join(tmpdir(), 'nmf-data-bench-'));
    try {
      if (py) {
        writeFileSync(join(dir, 'train.f32'), train.images.subarray(0, N * D));
        writeFileSync(join(dir, 'test.f32'), test.images);
      } else log('scikit-learn not installed (python3 -c "import sklearn" fails): nmfinit alone');
      for (const solver of SOLVERS) {
        const model = new NMF(
          { nComponents: K, solver, init: 'nndsvda', maxIter: ITER, tol: 0 },
          { backend },
        );
        let t0 = performance.now();
        model.fit(x);
        const fit = (performance.now() - t0) / 1000;
        t0 = performance.now();
        const w = model.transform(xt);
        const transform = (performance.now() - t0) / 1000;
        const mse = testMse(xt.values, w, model.components, test.count, K);
        const ours = { fit, err: model.reconstructionErr, nIter: model.nIter, transform, mse };
        log(
          `${solver} nmfinit:      fit ${fit.toFixed(2)} s, reconstruction_err_ ${ours.err.toFixed(2)}, n_iter_ ${ours.nIter}, transform ${transform.toFixed(2)} s, test MSE ${mse.toFixed(5)}`,
        );
        figures.push({
          name: `${solver} fit, nmfinit`,
          value: fit,
          unit: 's',
          details: { ...ours, n: N, k: K, threads: THREADS },
        });
        if (!py) continue;
        const out = execFileSync(
          py,
          ['-c', SKLEARN, String(N), String(test.count), String(K), String(ITER), solver, dir],
          {
            env: { ...process.env, OPENBLAS_NUM_THREADS: String(THREADS), OMP_NUM_THREADS: String(THREADS) },
            maxBuffer: 1 << 20,
          },
        );
        const sk = JSON.parse(out.toString()) as typeof ours;
        log(
          `${solver} scikit-learn: fit ${sk.fit.toFixed(2)} s, reconstruction_err_ ${sk.err.toFixed(2)}, n_iter_ ${sk.nIter}, transform ${sk.transform.toFixed(2)} s, test MSE ${sk.mse.toFixed(5)}`,
        );
        log(
          `${solver}: scikit-learn / nmfinit fit time ×${(sk.fit / fit).toFixed(2)}, reconstruction_err_ nmfinit / scikit-learn ${(ours.err / sk.err).toFixed(5)}`,
        );
        figures.push({ name: `${solver} fit, scikit-learn`, value: sk.fit, unit: 's', details: sk });
        figures.push({ name: `${solver} fit speed-up over scikit-learn`, value: sk.fit / fit, unit: '×' });
        figures.push({
          name: `${solver} reconstruction_err_ ratio to scikit-learn`,
          value: ours.err / sk.err,
          unit: '',
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
});

/** ‖X − W·H‖² / (n·d) in float64. */
function testMse(x: Float32Array, w: Float64Array, h: Float64Array, n: number, k: number): number {
  let sum = 0;
  const row = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let t = 0; t < k; t++) {
      const v = w[i * k + t];
      if (v === 0) continue;
      for (let j = 0; j < D; j++) row[j] += v * h[t * D + j];
    }
    for (let j = 0; j < D; j++) sum += (x[i * D + j] - row[j]) ** 2;
  }
  return sum / (n * D);
}

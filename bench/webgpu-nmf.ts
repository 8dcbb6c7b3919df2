// NMF of data on the webgpu backend, for webgpu.bench.ts: the Frobenius mu solve of MNIST train
// (n × 784, k = 64, nndsvda, tol 0) chained on the device's resident buffers, next to simd in the
// same run (and the same solve on webgpu without the chain, every product a round trip): fit time
// and reconstruction_err_. The 60,000 × 784 at 200 iterations runs only
// on a hardware adapter; on a software one (llvmpipe) a slice, 2,000 × 784 at 20 iterations.
// WEBGPU_NMF_N and WEBGPU_NMF_ITER override either size.
import { mnist } from '../plugins/datasets/mnist.ts';
import { SimdBackend } from '../src/backend/simd/index.ts';
import type { Backend } from '../src/backend/types.ts';
import { isSoftwareAdapter, WebGpuBackend } from '../src/backend/webgpu/backend.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { nmfData } from '../src/nmf/data-matrix.ts';
import { NMF } from '../src/nmf/estimator.ts';
import type { Figure } from './harness.ts';

const D = 784;
const K = 64;

export async function nmfOfDataOnWebGpu(
  channel: DeviceChannel,
  log: (line: string) => void,
): Promise<Figure[]> {
  const software = isSoftwareAdapter(channel.info.adapter);
  const n = Number(process.env.WEBGPU_NMF_N ?? (software ? 2000 : 60_000));
  const iter = Number(process.env.WEBGPU_NMF_ITER ?? (software ? 20 : 200));
  log(
    `NMF of data: MNIST train ${n} × ${D}, k = ${K}, mu (Frobenius), nndsvda, ${iter} iterations, tol 0${software ? ' (a slice: software adapter)' : ''}`,
  );
  const train = await mnist.load({ split: 'train', limit: n, params: {}, cacheDir: '.cache' });
  const simd = new SimdBackend({ threads: 2 });
  const figures: Figure[] = [];
  const results: Record<string, { fit: number; err: number }> = {};
  for (const [name, backend] of [
    ['webgpu chained', new WebGpuBackend(channel, { kernels: 'host', chain: true })],
    ['webgpu round trips', new WebGpuBackend(channel, { kernels: 'host', chain: false })],
    ['simd', simd],
  ] as [string, Backend][]) {
    const x = nmfData(n, D, train.images, backend, 'bench');
    const model = new NMF(
      { nComponents: K, solver: 'mu', init: 'nndsvda', maxIter: iter, tol: 0 },
      { backend },
    );
    if (backend instanceof WebGpuBackend) backend.resetTransfers();
    const t0 = performance.now();
    model.fit(x);
    const fit = (performance.now() - t0) / 1000;
    const err = model.reconstructionErr;
    results[name] = { fit, err };
    const storage = x.sparse ? 'sparse X' : 'dense X';
    let transfers = '';
    if (backend instanceof WebGpuBackend) {
      const t = backend.transfers;
      transfers = `; ${t.calls} device calls, ${t.uploads} uploads (${(t.uploadBytes / 2 ** 20).toFixed(1)} MiB), ${t.readbacks} readbacks (${(t.readbackBytes / 2 ** 20).toFixed(1)} MiB) in the fit (nndsvda's products included)`;
    }
    log(
      `${name}: fit ${fit.toFixed(2)} s, reconstruction_err_ ${err.toFixed(4)}, n_iter_ ${model.nIter} (${storage}${backend.resident ? ', resident chain' : ''})${transfers}`,
    );
    figures.push({
      name: `nmf mu fit ${n}x${D} k${K} ${iter} it, ${name}`,
      value: fit,
      unit: 's',
      details: {
        reconstructionErr: err,
        nIter: model.nIter,
        n,
        k: K,
        iterations: iter,
        adapter: channel.info.adapter,
      },
    });
  }
  const { 'webgpu chained': g, 'webgpu round trips': r, simd: s } = results;
  log(`webgpu chained / round trips: fit time ×${(g.fit / r.fit).toFixed(2)}`);
  log(
    `webgpu chained / simd: fit time ×${(g.fit / s.fit).toFixed(2)}, reconstruction_err_ relative difference ${(Math.abs(g.err - s.err) / s.err).toExponential(2)}`,
  );
  return figures;
}

// Sparse autoencoders: decoding k non-zeros per row by gathering k decoder rows vs a dense gemm
// over all n latents (n = 4,096, k = 32, batch 256, d = 784), and training samples/s of the same
// TopK SAE in nmfinit and in PyTorch (bench/python/sae_torch.py) on the same machine, both on one
// thread (torch.set_num_threads(1), the simd backend's default). PyTorch is run only when a
// python3 that imports torch is found (bench/python.ts). Smaller sizes: SAE_BENCH_SMALL=1.
// Run: npm run bench -- sae
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { standardDictionary } from '../plugins/sae/dictionaries.ts';
import { Tape } from '../src/autodiff/tape.ts';
import { densify, sparseMatmul, topk } from '../src/autodiff/topk.ts';
import { getBackend } from '../src/backend/index.ts';
import { SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { defineBench, type Figure, median, timeIt } from './harness.ts';
import { pythonWith } from './python.ts';

const SMALL = process.env.SAE_BENCH_SMALL === '1';
const D = SMALL ? 196 : 784;
const N = SMALL ? 1024 : 4096;
const K = 32;
const BATCH = 256;
const STEPS = SMALL ? 5 : 20;

export default defineBench({
  name: 'sae',
  description: `TopK SAE, d = ${D}, n = ${N}, k = ${K}, batch ${BATCH}, one thread`,
  async run(log) {
    const figures: Figure[] = [];
    const backend = getBackend('simd');
    const rng = Rng.seeded(0);

    // Decoding: the same latents (TopK of random pre-activations) through the same decoder.
    const tape = new Tape(backend, undefined, false);
    const pre = tape.constant(
      new Tensor(
        Float32Array.from({ length: BATCH * N }, () => rng.normal()),
        [BATCH, N],
      ),
    );
    const latents = topk(pre, K);
    const w = tape.constant(
      new Tensor(
        Float32Array.from({ length: N * D }, () => rng.normal()),
        [N, D],
      ),
    );
    const dense = densify(latents).value.data;
    const out = new Float32Array(BATCH * D);
    const sparseMs = median(await timeIt(() => sparseMatmul(latents, w), 15, 3));
    const denseMs = median(
      await timeIt(() => backend.gemm(false, false, BATCH, D, N, dense, w.value.data, out), 15, 3),
    );
    log(
      `decode ${BATCH}×${N} (k = ${K}) · ${N}×${D}: sparse gather ${sparseMs.toFixed(2)} ms, dense gemm ${denseMs.toFixed(2)} ms, ${(denseMs / sparseMs).toFixed(1)}× faster`,
    );
    figures.push(
      { name: `decode sparse gather n=${N} k=${K} batch ${BATCH}`, value: sparseMs, unit: 'ms' },
      { name: `decode dense gemm n=${N} batch ${BATCH}`, value: denseMs, unit: 'ms' },
      { name: 'decode dense / sparse', value: denseMs / sparseMs, unit: '×' },
    );

    // Training throughput on random data in [0, 1).
    const rows = BATCH * 8;
    const x = Float32Array.from({ length: rows * D }, () => rng.uniform());
    const model = new SparseAutoencoder(backend, { inputDim: D, latents: N, k: K });
    const atoms = await standardDictionary.init({
      latents: N,
      inputDim: D,
      data: { x, rows },
      params: {},
      rng,
    });
    model.setDictionary(atoms, dataMoments(x, rows, D).mean);
    const options = {
      batchSize: BATCH,
      auxCoefficient: 1 / 32,
      deadSamples: BATCH * 4,
      recordEvery: 1e9,
      evalSet: { x, rows: 1 },
    };
    trainSae(model, x, rows, { ...options, epochs: 1 }, rng.child('warm'));
    const epochs = Math.max(1, Math.round(STEPS / 8));
    const t0 = performance.now();
    const r = trainSae(model, x, rows, { ...options, epochs }, rng.child('timed'));
    const ours = (r.steps * BATCH) / ((performance.now() - t0) / 1000);
    log(`training nmfinit: ${ours.toFixed(0)} samples/s (${r.steps} steps)`);
    figures.push({ name: `train samples/s nmfinit d=${D} n=${N} k=${K}`, value: ours, unit: 'samples/s' });
    model.dispose();

    const python = pythonWith('torch');
    if (!python) {
      log('PyTorch not installed (no python3 imports torch): nmfinit alone');
      return figures;
    }
    const script = fileURLToPath(new URL('./python/sae_torch.py', import.meta.url));
    const res = JSON.parse(
      execFileSync(python, [script, String(D), String(N), String(K), String(BATCH), String(STEPS), '1'], {
        encoding: 'utf8',
      }),
    );
    log(
      `training PyTorch ${res.torch} (${res.threads} thread): ${res.samples_per_s.toFixed(0)} samples/s; nmfinit / PyTorch = ${(ours / res.samples_per_s).toFixed(2)}`,
    );
    figures.push(
      {
        name: `train samples/s pytorch d=${D} n=${N} k=${K}`,
        value: res.samples_per_s,
        unit: 'samples/s',
        details: res,
      },
      { name: 'train nmfinit / pytorch', value: ours / res.samples_per_s, unit: '×' },
    );
    return figures;
  },
});

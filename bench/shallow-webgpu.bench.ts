// The shallow autoencoder's online SGD at batch 1 (issue 23's spiked part: D = 500, K = 4, erf,
// untied, no biases, lr 0.1): steps/s of the host (the SIMD step plus the host's draws of 500
// normals a step, as a shallow-pca run on a CPU backend) against the webgpu device trainer
// (src/shallow/webgpu-trainer.ts: chunks of steps in one workgroup, the draws on the device), and
// the device on a resident training set of D = 784 (the Fashion part's shape).
// Run: DISPLAY=:96 npm run bench -- shallow-webgpu   (SHALLOW_WEBGPU_STEPS=N: timed steps, default 20,000)
// On a real GPU, `npm run bench -- shallow-webgpu --authors` times the authors' size instead: a
// part's 36 runs (12 configurations × 3 seeds) side by side (SHALLOW_WEBGPU_REPLICAS=N), 5·10⁷
// online steps at D = 500, then 7.84·10⁷ steps over 60,000 resident rows at D = 784
// (SHALLOW_WEBGPU_CHUNK=N: steps a dispatch, default SHALLOW_DEFAULT_CHUNK). The plain run also
// times 4 models side by side. SHALLOW_WEBGPU_AUTHORS_SCALE=f runs f of the authors' steps (a
// dry run of the path on llvmpipe). A study on webgpu trains its grid side by side the same way (run
// it with --workers 1).
import { probeWebGpu, WebGpuBackend } from '../src/backend/index.ts';
import { ShallowAutoencoder } from '../src/shallow/model.ts';
import {
  SHALLOW_DEFAULT_CHUNK,
  type ShallowDeviceSource,
  type ShallowLaw,
  WebGpuShallowTrainer,
} from '../src/shallow/webgpu-trainer.ts';
import { Rng } from '../src/tensor/rng.ts';
import { defineBench, type Figure } from './harness.ts';

const AUTHORS = process.argv.includes('--authors');
const STEPS = Number(process.env.SHALLOW_WEBGPU_STEPS ?? 20_000);
const CHUNK = Number(process.env.SHALLOW_WEBGPU_CHUNK ?? SHALLOW_DEFAULT_CHUNK);
const K = 4;
/** Models trained side by side in the replica figures (--authors: a part's 36 runs at once). */
/** The fraction of the authors' steps --authors runs (1: all of them). */
const AUTHORS_SCALE = Number(process.env.SHALLOW_WEBGPU_AUTHORS_SCALE ?? 1);
const REPLICAS = Number(process.env.SHALLOW_WEBGPU_REPLICAS ?? (AUTHORS ? 36 : 4));

/** The authors' spiked law at D: spikes 289, 81, 25, 9 (Λ_m² for Λ_m = 2^m + 1) on a random orthonormal basis, bulk 1. */
function spikedLaw(d: number): ShallowLaw {
  const rng = Rng.seeded(7);
  const variances = [289, 81, 25, 9];
  const basis = new Float64Array(variances.length * d);
  // Gram–Schmidt on Gaussian vectors.
  for (let r = 0; r < variances.length; r++) {
    const u = rng.fillNormal(new Float64Array(d));
    for (let q = 0; q < r; q++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += u[i] * basis[q * d + i];
      for (let i = 0; i < d; i++) u[i] -= dot * basis[q * d + i];
    }
    const norm = Math.hypot(...u);
    for (let i = 0; i < d; i++) basis[r * d + i] = u[i] / norm;
  }
  return { basis, amplitude: variances.map((v) => Math.sqrt(v - 1)), noise: 1 };
}

/** The authors' grid (shallow-authors.ts): g × tied × bias, 12 configurations, model 0 their default (erf, untied, no bias). */
const GRID = (['erf', 'linear', 'relu'] as const).flatMap((activation) =>
  [false, true].flatMap((tied) => (['none', 'encoder'] as const).map((bias) => ({ activation, tied, bias }))),
);

/** Model r of a side-by-side set: configuration r mod 12 of the authors' grid, its own initial weights. */
function model(d: number, r = 0): ShallowAutoencoder {
  return new ShallowAutoencoder({ d, k: K, ...GRID[r % GRID.length], lr: 0.1 }, Rng.seeded(1 + r));
}

/**
 * Steps/s of each of `replicas` models trained side by side (one workgroup each), `steps` device
 * steps after a warm-up (the pipeline's compile) of 256.
 */
function deviceRate(
  backend: WebGpuBackend,
  d: number,
  source: (replicas: number) => ShallowDeviceSource,
  steps: number,
  replicas = 1,
): number {
  const models = Array.from({ length: replicas }, (_, r) => model(d, r));
  const t = new WebGpuShallowTrainer(backend, models, source(replicas), { chunk: CHUNK });
  try {
    t.advance(0, 256);
    t.pull();
    const t0 = performance.now();
    t.advance(256, 256 + steps);
    t.pull();
    return steps / ((performance.now() - t0) / 1000);
  } finally {
    t.dispose();
  }
}

/** Steps/s of the host: the host's draw of a fresh sample (onlineSampler's arithmetic) and the SIMD step. */
function hostRate(d: number, law: ShallowLaw, steps: number): number {
  const m = model(d);
  const rng = Rng.seeded(3);
  const row = new Float64Array(d);
  const x = new Float32Array(d);
  const draw = () => {
    for (let i = 0; i < d; i++) row[i] = law.noise * rng.normal();
    law.amplitude.forEach((a, r) => {
      const z = a * rng.normal();
      for (let i = 0; i < d; i++) row[i] += z * law.basis[r * d + i];
    });
    x.set(row);
  };
  for (let s = 0; s < 2000; s++) {
    draw();
    m.step(x, 0);
  }
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    draw();
    m.step(x, 0);
  }
  return steps / ((performance.now() - t0) / 1000);
}

export default defineBench({
  name: 'shallow-webgpu',
  description: AUTHORS
    ? `shallow autoencoder at the authors' size on webgpu: ${REPLICAS} runs side by side of 5·10⁷ online steps (D = 500, K = ${K}), then of 7.84·10⁷ resident steps (D = 784): steps/s of each`
    : `shallow autoencoder, online SGD at batch 1, D = 500, K = ${K}, erf, ${STEPS} steps: steps/s, host SIMD (with the host's draws) vs the webgpu device trainer`,
  async run(log) {
    const figures: Figure[] = [];
    const probe = probeWebGpu();
    if (!('channel' in probe)) {
      log(`no WebGPU device: ${probe.reason}`);
      return figures;
    }
    const backend = new WebGpuBackend(probe.channel, { kernels: 'host' });
    log(`adapter: ${probe.channel.info.adapter}; ${CHUNK} steps a dispatch`);
    const law = spikedLaw(500);
    const online = (replicas: number): ShallowDeviceSource => ({
      law,
      seeds: Array.from({ length: replicas }, (_, r) => [1, r] as const),
    });
    const rows = 60_000;
    const images = Rng.seeded(4).fillNormal(new Float32Array(rows * 784));
    const fashionShaped = (): ShallowDeviceSource => ({ train: images, trainCount: rows });
    if (AUTHORS) {
      for (const [name, d, source, steps] of [
        ['online D = 500', 500, online, Math.round(5e7 * AUTHORS_SCALE)],
        ['resident D = 784', 784, fashionShaped, Math.round(7.84e7 * AUTHORS_SCALE)],
      ] as const) {
        const rate = deviceRate(backend, d, source, steps, REPLICAS);
        log(
          `${name}: ${REPLICAS} runs of ${steps} steps side by side in ${(steps / rate).toFixed(0)} s (${rate.toFixed(0)} steps/s each)`,
        );
        figures.push({
          name: `webgpu ${name}, ${REPLICAS} authors' runs side by side, each`,
          value: rate,
          unit: 'steps/s',
        });
      }
      return figures;
    }
    const host = hostRate(500, law, STEPS);
    const device = deviceRate(backend, 500, online, STEPS);
    const side = deviceRate(backend, 500, online, STEPS, REPLICAS);
    const resident = deviceRate(backend, 784, fashionShaped, STEPS);
    figures.push(
      { name: 'host simd online D = 500 (draws included)', value: host, unit: 'steps/s' },
      { name: 'webgpu online D = 500 (draws on the device)', value: device, unit: 'steps/s' },
      { name: 'webgpu / host', value: device / host, unit: '×' },
      {
        name: `webgpu online D = 500, ${REPLICAS} models side by side, all together`,
        value: REPLICAS * side,
        unit: 'steps/s',
      },
      { name: 'webgpu resident D = 784 (60,000 rows)', value: resident, unit: 'steps/s' },
    );
    return figures;
  },
});

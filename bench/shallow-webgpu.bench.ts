// The shallow autoencoder's online SGD at batch 1 (issue 23's spiked part: D = 500, K = 4, erf,
// untied, no biases, lr 0.1): steps/s of the host (the SIMD step plus the host's draws of 500
// normals a step, as a shallow-pca run on a CPU backend) against the webgpu device trainer
// (src/shallow/webgpu-trainer.ts: chunks of steps in one workgroup, the draws on the device), and
// the device on a resident training set of D = 784 (the Fashion part's shape).
// Run: DISPLAY=:96 npm run bench -- shallow-webgpu   (SHALLOW_WEBGPU_STEPS=N: timed steps, default 20,000)
// On a real GPU, `npm run bench -- shallow-webgpu --authors` times one run at the authors' size
// instead: 5·10⁷ online steps at D = 500 and 7.84·10⁷ steps over 60,000 resident rows at D = 784
// (SHALLOW_WEBGPU_CHUNK=N sets the steps a dispatch, default SHALLOW_DEFAULT_CHUNK).
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

function model(d: number): ShallowAutoencoder {
  return new ShallowAutoencoder(
    { d, k: K, activation: 'erf', tied: false, bias: 'none', lr: 0.1 },
    Rng.seeded(1),
  );
}

/** Steps/s of `steps` device steps after a warm-up (the pipeline's compile) of a few hundred. */
function deviceRate(backend: WebGpuBackend, d: number, source: ShallowDeviceSource, steps: number): number {
  const m = model(d);
  const t = new WebGpuShallowTrainer(backend, m, source, { chunk: CHUNK });
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
    ? `shallow autoencoder at the authors' size on webgpu: one run of 5·10⁷ online steps (D = 500, K = ${K}) and one of 7.84·10⁷ resident steps (D = 784): steps/s`
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
    const online: ShallowDeviceSource = { law, seeds: [[1, 2]] };
    const rows = 60_000;
    const fashionShaped: ShallowDeviceSource = {
      train: Rng.seeded(4).fillNormal(new Float32Array(rows * 784)),
      trainCount: rows,
    };
    if (AUTHORS) {
      for (const [name, d, source, steps] of [
        ['online D = 500', 500, online, 5e7],
        ['resident D = 784', 784, fashionShaped, 7.84e7],
      ] as const) {
        const rate = deviceRate(backend, d, source, steps);
        log(
          `${name}: ${steps} steps in ${(steps / rate).toFixed(0)} s; 36 runs one after another: ${((36 * steps) / rate / 3600).toFixed(2)} h`,
        );
        figures.push({ name: `webgpu ${name}, one authors' run`, value: rate, unit: 'steps/s' });
      }
      return figures;
    }
    const host = hostRate(500, law, STEPS);
    const device = deviceRate(backend, 500, online, STEPS);
    const resident = deviceRate(backend, 784, fashionShaped, STEPS);
    figures.push(
      { name: 'host simd online D = 500 (draws included)', value: host, unit: 'steps/s' },
      { name: 'webgpu online D = 500 (draws on the device)', value: device, unit: 'steps/s' },
      { name: 'webgpu / host', value: device / host, unit: '×' },
      { name: 'webgpu resident D = 784', value: resident, unit: 'steps/s' },
    );
    return figures;
  },
});

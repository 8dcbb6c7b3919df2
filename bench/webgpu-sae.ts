// SAE training on the webgpu backend, for webgpu.bench.ts: samples/s of the TopK SAE (src/sae,
// k = 32, k_aux = 64, batch 256, the standard dictionary init) on BATCH·8 rows of U[0, 1), the
// same training loop as sae.bench.ts, twice: through the device SAE trainer (sae-trainer.ts: the
// whole step on the device, what trainSae uses on a hardware adapter) and on the Tape (saeTraining 'tape': the
// top-k layer's product and selection on the device, the rest on the host). The d = 784,
// n = 16,384 runs only on a hardware adapter; on a software one (llvmpipe) a slice, n = 1,024 at
// 8 steps. WEBGPU_SAE_D, WEBGPU_SAE_N and WEBGPU_SAE_STEPS override the sizes (steps are rounded
// up to whole epochs of 8); WEBGPU_SAE_TAPE=0 skips the Tape's run.
import { standardDictionary } from '../plugins/sae/dictionaries.ts';
import { isSoftwareAdapter, WebGpuBackend } from '../src/backend/webgpu/backend.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { SparseAutoencoder } from '../src/sae/model.ts';
import { dataMoments, trainSae } from '../src/sae/train.ts';
import { Rng } from '../src/tensor/rng.ts';
import type { Figure } from './harness.ts';

export const SAE_K = 32;
export const SAE_BATCH = 256;

/** The workload, for the PyTorch side to repeat on the same rows. */
export interface SaeRun {
  /** The device trainer's samples/s (what trainSae does on webgpu). */
  readonly figure: Figure;
  /** The Tape's samples/s on the same backend, unless skipped. */
  readonly tapeFigure?: Figure;
  readonly d: number;
  readonly n: number;
  readonly steps: number;
  /** BATCH·8 rows × d. */
  readonly x: Float32Array;
}

function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const v = Number(raw ?? fallback);
  if (!(Number.isInteger(v) && v >= 1))
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}

export async function saeTrainingOnWebGpu(
  channel: DeviceChannel,
  log: (line: string) => void,
): Promise<SaeRun> {
  const software = isSoftwareAdapter(channel.info.adapter);
  const d = sizeFromEnv('WEBGPU_SAE_D', 784);
  const n = sizeFromEnv('WEBGPU_SAE_N', software ? 1024 : 16_384);
  const epochs = Math.ceil(sizeFromEnv('WEBGPU_SAE_STEPS', software ? 8 : 40) / 8);
  const rows = SAE_BATCH * 8;
  const rng = Rng.seeded(0);
  const x = Float32Array.from({ length: rows * d }, () => rng.uniform());
  const train = async (training: 'device' | 'tape') => {
    const backend = new WebGpuBackend(channel, { kernels: 'host', saeTraining: training });
    const model = new SparseAutoencoder(backend, { inputDim: d, latents: n, k: SAE_K });
    const atoms = await standardDictionary.init({
      latents: n,
      inputDim: d,
      data: { x, rows },
      params: {},
      rng: rng.child('atoms'),
    });
    model.setDictionary(atoms, dataMoments(x, rows, d).mean);
    const options = {
      batchSize: SAE_BATCH,
      auxCoefficient: 1 / 32,
      kAux: 2 * SAE_K,
      deadSamples: SAE_BATCH * 4,
      recordEvery: 1e9,
      evalSet: { x, rows: 1 },
    };
    trainSae(model, x, rows, { ...options, epochs: 1 }, rng.child('warm')); // compiles the shaders
    backend.resetTransfers();
    const t0 = performance.now();
    const r = trainSae(model, x, rows, { ...options, epochs }, rng.child('timed'));
    const samplesPerS = (r.steps * SAE_BATCH) / ((performance.now() - t0) / 1000);
    const t = backend.transfers;
    model.dispose();
    const how =
      training === 'device'
        ? 'device trainer'
        : backend.resident
          ? 'tape, top-k chained'
          : 'tape, round trips';
    log(
      `SAE training d = ${d}, n = ${n}, k = ${SAE_K}, k_aux = ${2 * SAE_K}, batch ${SAE_BATCH}, webgpu (${how}): ${samplesPerS.toFixed(0)} samples/s (${r.steps} steps; ${t.calls} round trips, ${t.uploadBytes} bytes up, ${t.readbackBytes} back, with the records' two evaluations)${software ? ' (a slice: software adapter)' : ''}`,
    );
    return {
      steps: r.steps,
      figure: {
        name: `sae train samples/s d=${d} n=${n} k=${SAE_K}, webgpu ${how}`,
        value: samplesPerS,
        unit: 'samples/s',
        details: { d, n, k: SAE_K, batch: SAE_BATCH, steps: r.steps, adapter: channel.info.adapter },
      } satisfies Figure,
    };
  };
  const device = await train('device');
  const tape = process.env.WEBGPU_SAE_TAPE === '0' ? undefined : await train('tape');
  if (tape)
    log(
      `SAE training: the device trainer ${(device.figure.value / tape.figure.value).toFixed(1)}× the Tape's samples/s`,
    );
  return { figure: device.figure, tapeFigure: tape?.figure, d, n, steps: device.steps, x };
}

// PyTorch beside the webgpu backend, for webgpu.bench.ts: the same three workloads (seed-autoencoder
// training, NMF of data by mu, SAE training) through bench/python/{ae,nmf,sae}_torch.py, on CUDA
// where torch has it, else on the CPU (labelled so), on the same rows (written to float32 files)
// and at the sizes the webgpu figures of the same run used. Each comparison prints both figures
// and the ratio webgpu / PyTorch, and records PyTorch's figure and the ratio.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnist } from '../plugins/datasets/mnist.ts';
import type { Figure } from './harness.ts';
import { pythonWith } from './python.ts';
import { SAE_BATCH, SAE_K, type SaeRun } from './webgpu-sae.ts';

export interface TorchPeer {
  readonly python: string;
  readonly device: 'cuda' | 'cpu';
  /** "PyTorch CUDA (<gpu>)" or "PyTorch CPU (no CUDA here)". */
  readonly label: string;
}

/** A python3 that imports torch, and whether it sees CUDA; null (and one line saying so) when none. */
export function findTorchPeer(log: (line: string) => void): TorchPeer | null {
  const python = pythonWith('torch');
  if (!python) {
    log('PyTorch not installed (no python3 imports torch): webgpu alone, no PyTorch figures');
    return null;
  }
  const probe = JSON.parse(
    execFileSync(
      python,
      [
        '-c',
        'import json, torch; c = torch.cuda.is_available(); print(json.dumps({"cuda": c, "gpu": torch.cuda.get_device_name(0) if c else None, "torch": torch.__version__}))',
      ],
      { encoding: 'utf8' },
    ),
  ) as { cuda: boolean; gpu: string | null; torch: string };
  const device = probe.cuda ? 'cuda' : 'cpu';
  const label = probe.cuda ? `PyTorch CUDA (${probe.gpu})` : 'PyTorch CPU (no CUDA here)';
  log(`PyTorch ${probe.torch} (${python}) beside webgpu: ${label}`);
  return { python, device, label };
}

/**
 * Runs bench/python/<script> on the peer's device (all the machine's threads on the CPU), with
 * `--data FILE` holding `data` when given, and returns its JSON line, or null after logging why it
 * failed (the webgpu figures stand alone). The file (float32, row-major, the host's byte order:
 * little-endian on x86 and ARM, what torch_device.py's load_f32 reads) is removed afterwards.
 */
export function runTorchScript(
  peer: TorchPeer,
  script: string,
  args: readonly string[],
  log: (line: string) => void,
  data?: Float32Array,
): Record<string, unknown> | null {
  const file = fileURLToPath(new URL(`./python/${script}`, import.meta.url));
  const options = ['--device', peer.device];
  // sae_torch.py takes its thread count as a positional argument (sae.bench.ts's call).
  if (peer.device === 'cpu' && script !== 'sae_torch.py')
    options.push('--threads', String(os.availableParallelism()));
  const dir = data ? mkdtempSync(path.join(os.tmpdir(), 'nmfinit-torch-')) : undefined;
  try {
    if (dir && data) {
      if (os.endianness() !== 'LE')
        throw new Error(
          `${script}: the float32 data file must be little-endian, this host is ${os.endianness()}`,
        );
      const dataFile = path.join(dir, 'x.f32');
      writeFileSync(dataFile, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      options.push('--data', dataFile);
    }
    const out = execFileSync(peer.python, [file, ...args, ...options], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const last = out.trim().split('\n').at(-1) ?? '';
    return JSON.parse(last) as Record<string, unknown>;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    log(`${peer.label}: ${script} failed, no PyTorch figure: ${(err.stderr ?? '').trim() || err.message}`);
    return null;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The number `key` of a script's JSON, or an error naming the script and the key. */
export function numberOf(result: Record<string, unknown>, key: string, script: string): number {
  const v = result[key];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${script} printed ${key} = ${JSON.stringify(v)}, expected a finite number`);
  return v;
}

/**
 * PyTorch's figure and the ratio webgpu / PyTorch for one workload, with a line printing both.
 * `faster` says which way is better: 'higher' (samples/s) or 'lower' (seconds).
 */
export function sideBySide(
  peer: TorchPeer,
  workload: string,
  webgpu: number,
  torch: number,
  unit: string,
  faster: 'higher' | 'lower',
  log: (line: string) => void,
  details: Record<string, unknown> = {},
): Figure[] {
  const ratio = webgpu / torch;
  const speedup = faster === 'higher' ? ratio : 1 / ratio;
  log(
    `${workload}: webgpu ${webgpu.toPrecision(4)} ${unit}, ${peer.label} ${torch.toPrecision(4)} ${unit}; webgpu / PyTorch = ${ratio.toFixed(3)} (webgpu ${speedup.toFixed(2)}× as fast)`,
  );
  return [
    { name: `${workload}, ${peer.label}`, value: torch, unit, details: { device: peer.device, ...details } },
    {
      name: `${workload}, webgpu / ${peer.label}`,
      value: ratio,
      unit: '×',
      details: { webgpu, torch, unit, faster },
    },
  ];
}

/**
 * NMF of data in PyTorch at the size of webgpu-nmf.ts's figures (found by name): the same MNIST
 * rows, k, iterations and init; fit time and reconstruction_err_ beside webgpu chained and simd.
 */
export async function nmfBesideTorch(
  peer: TorchPeer,
  webgpuFigures: readonly Figure[],
  log: (line: string) => void,
): Promise<Figure[]> {
  const chained = webgpuFigures.find((f) => f.name.endsWith(', webgpu chained'));
  const simd = webgpuFigures.find((f) => f.name.endsWith(', simd'));
  if (!chained?.details || !simd?.details)
    throw new Error('nmfBesideTorch: no webgpu chained or simd NMF figure');
  const { n, k, iterations } = chained.details as { n: number; k: number; iterations: number };
  const train = await mnist.load({ split: 'train', limit: n, params: {}, cacheDir: '.cache' });
  const args = ['--rows', String(n), '--cols', '784', '--k', String(k), '--iter', String(iterations)];
  const res = runTorchScript(peer, 'nmf_torch.py', args, log, Float32Array.from(train.images));
  if (!res) return [];
  const fit = numberOf(res, 'fit_s', 'nmf_torch.py');
  const err = numberOf(res, 'reconstruction_err', 'nmf_torch.py');
  const webgpuErr = chained.details.reconstructionErr as number;
  const simdErr = simd.details.reconstructionErr as number;
  log(
    `NMF reconstruction_err_: webgpu chained ${webgpuErr.toFixed(4)}, simd ${simdErr.toFixed(4)}, ${peer.label} ${err.toFixed(4)} (PyTorch vs simd ${((100 * (err - simdErr)) / simdErr).toFixed(3)} %)`,
  );
  return sideBySide(
    peer,
    `nmf mu fit ${n}x784 k${k} ${iterations} it`,
    chained.value,
    fit,
    's',
    'lower',
    log,
    {
      ...res,
      webgpuReconstructionErr: webgpuErr,
      simdReconstructionErr: simdErr,
    },
  );
}

/** SAE training in PyTorch (sae_torch.py) on the rows webgpu-sae.ts trained on, same sizes and steps. */
export function saeBesideTorch(peer: TorchPeer, sae: SaeRun, log: (line: string) => void): Figure[] {
  const threads = peer.device === 'cpu' ? os.availableParallelism() : 1;
  const sizes = [sae.d, sae.n, SAE_K, SAE_BATCH, sae.steps, threads].map(String);
  const res = runTorchScript(peer, 'sae_torch.py', sizes, log, sae.x);
  if (!res) return [];
  const workload = `sae train samples/s d=${sae.d} n=${sae.n} k=${SAE_K}`;
  return sideBySide(
    peer,
    workload,
    sae.figure.value,
    numberOf(res, 'samples_per_s', 'sae_torch.py'),
    'samples/s',
    'higher',
    log,
    res,
  );
}

/** Seed-autoencoder training in PyTorch (ae_torch.py) on the same rows, epochs, batch and split. */
export function aeBesideTorch(
  peer: TorchPeer,
  x: Float32Array,
  run: { samples: number; epochs: number; batch: number; split: number; webgpu: number; label: string },
  log: (line: string) => void,
): Figure[] {
  const args = [
    ['--samples', String(run.samples)],
    ['--epochs', String(run.epochs)],
    ['--batch', String(run.batch)],
    ['--split', String(run.split)],
  ].flat();
  const res = runTorchScript(peer, 'ae_torch.py', args, log, x);
  if (!res) return [];
  const workload = `train ${run.label} (${run.epochs} epochs × ${run.samples} samples)`;
  return sideBySide(
    peer,
    workload,
    run.webgpu,
    numberOf(res, 'samples_per_s', 'ae_torch.py'),
    'samples/s',
    'higher',
    log,
    res,
  );
}

// The SAE's top-k layer on the webgpu backend, for webgpu.bench.ts: topkLinear (x·W + b, then the
// k largest a row and the k_aux largest among eligible columns) with the selection on the device
// (resident buffers, only the kept entries read back) against the same backend without the chain
// (the m × n pre-activations read back and selected on the host). Shape of the SAE study's widest
// dictionary: batch 256, 784 inputs, 4,096 latents, k 32, k_aux 64 among half the columns.
import { Parameter, Tape } from '../src/autodiff/tape.ts';
import { topkLinear } from '../src/autodiff/topk.ts';
import { WebGpuBackend } from '../src/backend/webgpu/backend.ts';
import type { DeviceChannel } from '../src/backend/webgpu/channel.ts';
import { Rng } from '../src/tensor/rng.ts';
import { Tensor } from '../src/tensor/tensor.ts';
import { type Figure, median } from './harness.ts';

export function saeTopkOnWebGpu(channel: DeviceChannel, log: (line: string) => void): Figure[] {
  const [m, d, n, k, kAux] = [256, 784, 4096, 32, 64];
  const rng = Rng.seeded(1);
  const param = (name: string, length: number, shape: number[], sd: number) =>
    new Parameter(name, new Tensor(rng.fillNormal(new Float32Array(length), 0, sd) as Float32Array, shape));
  const x = param('x', m * d, [m, d], 1);
  const w = param('w', d * n, [d, n], 0.05);
  const b = param('b', n, [n], 0.01);
  const eligible = Uint8Array.from({ length: n }, (_, c) => c % 2);
  const figures: Figure[] = [];
  for (const chain of [true, false]) {
    const backend = new WebGpuBackend(channel, { kernels: 'host', chain });
    const times: number[] = [];
    for (let r = 0; r < 5; r++) {
      const tape = new Tape(backend);
      backend.resetTransfers();
      const t0 = performance.now();
      topkLinear(tape.param(x), tape.param(w), tape.param(b), [{ k }, { k: kAux, eligible }]);
      if (r > 0) times.push(performance.now() - t0); // the first compiles the shaders
    }
    const t = backend.transfers;
    const name = `sae topkLinear ${m}x${d}·${d}x${n} k ${k} + aux ${kAux}, webgpu ${chain ? 'chained' : 'round trips'}`;
    log(
      `${name}: ${times.map((v) => v.toFixed(0)).join(', ')} ms; a call reads back ${(t.readbackBytes / 2 ** 10).toFixed(0)} KiB in ${t.readbacks} readback(s)`,
    );
    figures.push({
      name,
      value: median(times),
      unit: 'ms',
      details: { ms: times, readbackBytes: t.readbackBytes },
    });
  }
  return figures;
}

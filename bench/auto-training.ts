// What `auto` measures for a dense model's training step (the seed autoencoder, batch 256, as
// autoencoder-init declares it): every candidate's rate over the step's products, webgpu's
// through its device trainer (whole steps) where auto tries it, the pick, in a fresh cache
// directory; then webgpu's trainer timed alone wherever webgpu runs.
// Run: DISPLAY=:92 npx tsx bench/auto-training.ts (Xvfb on :92 for llvmpipe's WebGPU adapter).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureTrainerStep, TRAINER_TIMED_STEPS } from '../src/backend/auto.ts';
import { autoChoice, denseTrainingWorkload, getBackend, listBackends } from '../src/backend/index.ts';

const batch = 256;
const w = denseTrainingWorkload([784, 128, 64, 32, 64, 128, 784], batch, 'relu', 'sigmoid');
const flops = w.products.reduce((s, p) => s + 2 * p.m * p.n * p.k, 0);
const dir = mkdtempSync(join(tmpdir(), 'nmfinit-auto-training-'));
try {
  const choice = autoChoice(dir, w);
  console.log(w.label);
  for (const [name, gflops] of Object.entries(choice.gflops)) {
    const ms = gflops > 0 ? flops / (gflops * 1e6) : Number.POSITIVE_INFINITY;
    console.log(
      `${name.padEnd(18)} ${gflops.toFixed(2).padStart(8)} GFLOP/s  ${ms.toFixed(1).padStart(8)} ms a step  ${Math.round((batch * 1000) / ms)} samples/s`,
    );
  }
  console.log(`auto picks ${choice.chosen}`);
  // auto stops timing a candidate after one step slower than the best, and tries webgpu only
  // through Vulkan (its factory's autoEligible); here its trainer's full median wherever it runs.
  const webgpu = listBackends().find((b) => b.name === 'webgpu');
  if (webgpu?.available) {
    if (!('webgpu' in choice.gflops))
      console.log('webgpu: available, not tried by auto here (no Vulkan loader)');
    const gflops = measureTrainerStep(getBackend('webgpu'), w);
    const ms = flops / (gflops * 1e6);
    console.log(
      `webgpu trainer, median of ${TRAINER_TIMED_STEPS} steps: ${ms.toFixed(1)} ms a step, ${Math.round((batch * 1000) / ms)} samples/s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Two ways to use both cores for the seed study: one run whose gemms split across 2 threads
// (backend simd?threads=2), or two runs side by side with one thread each (the default: one
// worker per core). The same MNIST-3000 runs (he-normal, 10 epochs), side by side in one
// process; the figure that matters is runs finished per minute. Run: npm run bench -- threads
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExperiment } from 'nmfinit';
import { defineBench } from './harness.ts';

const EPOCHS = Number(process.env.THREADS_BENCH_EPOCHS ?? 10);

function spec(dir: string, backend: string, seeds: number) {
  return {
    name: 'threads-bench',
    datasets: [{ name: 'mnist' }],
    model: { sizes: [784, 128, 64, 32, 64, 128, 784] },
    initializers: [{ name: 'he-normal' }],
    grid: { samples: [{ count: 3000, seeds }], epochs: [EPOCHS] },
    backend,
    outputs: { dir },
  };
}

export default defineBench({
  name: 'threads',
  description: 'one run on simd?threads=2 vs two runs on simd (one thread each) at once: runs per minute',
  async run(log) {
    const root = mkdtempSync(join(tmpdir(), 'nmfinit-threads-'));
    const options = { plugins: ['nmfinit/plugins'], progress: 'none' as const, force: true, log: () => {} };
    try {
      const time = async (label: string, backend: string, seeds: number, workers: number) => {
        const t0 = performance.now();
        const outcome = await runExperiment(spec(join(root, label), backend, seeds), { ...options, workers });
        const seconds = (performance.now() - t0) / 1000;
        if (outcome.failed.length > 0) throw new Error(`${label}: ${outcome.failed.length} run(s) failed`);
        log(`${label}: ${outcome.trained.length} run(s) in ${seconds.toFixed(1)} s`);
        return { seconds, runs: outcome.trained.length };
      };
      // Warm the caches (data set, compiled kernels) so neither side pays for them.
      await time('warm-up', 'simd', 1, 1);
      const one = await time('1 run, simd?threads=2, 1 worker', 'simd?threads=2', 1, 1);
      const two = await time('2 runs, simd, 2 workers', 'simd', 2, 2);
      const rate = (r: { seconds: number; runs: number }) => (60 * r.runs) / r.seconds;
      log(`runs per minute: ${rate(one).toFixed(2)} (threads=2) vs ${rate(two).toFixed(2)} (2 workers)`);
      return [
        { name: `one run, 2 gemm threads (${EPOCHS} epochs)`, value: one.seconds, unit: 's', details: one },
        {
          name: `two runs, 1 thread each, 2 workers (${EPOCHS} epochs)`,
          value: two.seconds,
          unit: 's',
          details: two,
        },
        {
          name: 'throughput of 2 workers over 2 threads (runs/min ratio)',
          value: rate(two) / rate(one),
          unit: '×',
        },
      ];
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
});

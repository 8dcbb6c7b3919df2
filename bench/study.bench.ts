// The full seed study (experiments/mnist.ts, one seed for every set) from scratch in a child
// process: wall time and peak resident memory (main thread and workers together). Takes about
// as long as the study itself. Run: npm run bench -- study
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineBench } from './harness.ts';

const CHILD = `
const { runExperiment } = await import('nmfinit');
const { spec } = await import('./experiments/mnist.ts');
const outcome = await runExperiment(spec, { out: process.env.OUT, grid: { seeds: 1 }, force: true, progress: 'plain', plugins: ['nmfinit/plugins'] });
const usage = process.resourceUsage();
console.log('STUDY ' + JSON.stringify({ seconds: outcome.seconds, runs: outcome.trained.length, failed: outcome.failed.length, maxRssKiB: usage.maxRSS }));
`;

export default defineBench({
  name: 'study',
  description: 'the full seed study (8 result sets, 1 seed each) from scratch: wall time and peak memory',
  async run(log) {
    const out = mkdtempSync(join(tmpdir(), 'nmfinit-study-'));
    try {
      const t0 = performance.now();
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
        env: { ...process.env, OUT: out },
        encoding: 'utf8',
        maxBuffer: 64 * 2 ** 20,
      });
      const wall = (performance.now() - t0) / 1000;
      const line = child.stdout.split('\n').find((l) => l.startsWith('STUDY '));
      if (child.status !== 0 || !line)
        throw new Error(`the study failed (exit ${child.status}):\n${child.stderr.slice(-2000)}`);
      const r = JSON.parse(line.slice(6)) as {
        seconds: number;
        runs: number;
        failed: number;
        maxRssKiB: number;
      };
      log(`${r.runs} runs, ${r.failed} failed; output was ${out}`);
      return [
        {
          name: 'full seed study wall time (target ≤ 20 min)',
          value: wall / 60,
          unit: 'min',
          details: { ...r, wallSeconds: wall },
        },
        { name: 'full seed study peak RSS (target < 2 GiB)', value: r.maxRssKiB / 2 ** 20, unit: 'GiB' },
      ];
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
});

// Start-up of the nmfinit command from a checkout: `node bin/nmfinit.js --help` and `--version`,
// each a fresh process. Wall time depends on the machine's load (recorded with the figures); CPU
// time (user + system, from /usr/bin/time) much less so, and on an idle machine wall ≈ CPU.
// Run: npm run bench -- cli
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineBench, type Figure, median } from './harness.ts';

const bin = fileURLToPath(new URL('../bin/nmfinit.js', import.meta.url));
const REPEATS = 15;

/** Wall and CPU seconds of each run (the first, which warms tsx's transform cache, left out). */
function timeCommand(args: string[]): { wall: number[]; cpu: number[] } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i <= REPEATS; i++) {
    const t0 = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, bin, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const seconds = (performance.now() - t0) / 1000;
    if (r.error) throw new Error(`cannot run /usr/bin/time (apt-get install time): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`nmfinit ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    const [user, system] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
    if (i === 0) continue;
    wall.push(seconds);
    cpu.push(user + system);
  }
  return { wall, cpu };
}

const list = (xs: number[]) =>
  [...xs]
    .sort((a, b) => a - b)
    .map((t) => t.toFixed(2))
    .join(' ');

export default defineBench({
  name: 'cli',
  description: 'nmfinit --help and --version start-up from a checkout (fresh process each)',
  async run(log) {
    const figures: Figure[] = [];
    for (const args of [['--help'], ['--version']]) {
      const load = loadavg()[0];
      const { wall, cpu } = timeCommand(args);
      log(`${args.join(' ')}: wall ${list(wall)} s; CPU ${list(cpu)} s (load average ${load.toFixed(1)})`);
      const details = { wallS: wall, cpuS: cpu, loadAverage1m: load, cores: cpus().length };
      figures.push(
        {
          name: `nmfinit ${args.join(' ')} wall (median of ${REPEATS})`,
          value: median(wall),
          unit: 's',
          details,
        },
        { name: `nmfinit ${args.join(' ')} CPU (median of ${REPEATS})`, value: median(cpu), unit: 's' },
      );
    }
    return figures;
  },
});

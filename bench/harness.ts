import os from 'node:os';

/** One printed figure of a benchmark group. */
export interface Figure {
  /** What was measured, e.g. "matmul 256×784·784×128 [simd]". */
  name: string;
  value: number;
  unit: string;
  /** Anything else worth keeping in results.json (samples, ratios, parameters). */
  details?: Record<string, unknown>;
}

/** A benchmark group: bench/<name>.bench.ts default-exports one. Groups print figures, never pass/fail. */
export interface BenchGroup {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<Figure[]>;
}

export function defineBench(group: BenchGroup): BenchGroup {
  return group;
}

/** Runs `fn` `repeats` times after `warmup` calls and returns every duration in milliseconds. */
export async function timeIt(fn: () => unknown, repeats: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function machineDescription(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

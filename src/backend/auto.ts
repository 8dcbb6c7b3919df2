import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir, writeFileAtomicSync } from '../util/files.ts';
import type { Backend } from './types.ts';

/** What `auto` measured: each candidate's forward-gemm rate, and the winner. */
export interface AutoChoice {
  machine: string;
  chosen: string;
  gflops: Record<string, number>;
}

// The forward product of the study's widest layer at batch 256: what training spends most on.
const M = 256;
const N = 128;
const K = 784;

/** Best-of-3 GFLOP/s of one backend at the forward shape, after a warm-up call (kernel compilation). */
export function measureGemm(backend: Backend): number {
  const a = new Float32Array(M * K).map((_, i) => ((i * 7919) % 101) / 101);
  const b = new Float32Array(K * N).map((_, i) => ((i * 104729) % 103) / 103);
  const c = new Float32Array(M * N);
  backend.gemm(false, false, M, N, K, a, b, c);
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    backend.gemm(false, false, M, N, K, a, b, c);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * M * N * K) / (Math.max(best, 1e-3) * 1e6);
}

/** Identifies the machine a measurement belongs to: a change of processor, cores, Node or candidates re-measures. */
function machineKey(candidates: readonly string[]): string {
  return [cpus()[0]?.model ?? 'cpu', cpus().length, process.version, process.arch, ...candidates].join('|');
}

/**
 * Picks the fastest of the available candidates by measuring each once per machine, and
 * remembers the choice in the cache directory, so `auto` means the same backend on every later
 * run here (numbers are per backend; a study must not switch backends between runs).
 */
export function chooseFastest(
  candidates: readonly string[],
  create: (name: string) => Backend,
  cacheDir = defaultCacheDir(),
  measure: (backend: Backend) => number = measureGemm,
): AutoChoice {
  const machine = machineKey(candidates);
  const path = join(cacheDir, 'auto-backend.json');
  if (existsSync(path)) {
    try {
      const stored = JSON.parse(readFileSync(path, 'utf8')) as AutoChoice;
      if (stored.machine === machine && candidates.includes(stored.chosen)) return stored;
    } catch {
      // unreadable: measure again
    }
  }
  const gflops: Record<string, number> = {};
  for (const name of candidates) {
    try {
      gflops[name] = measure(create(name));
    } catch {
      gflops[name] = 0;
    }
  }
  const chosen = [...candidates].sort((x, y) => gflops[y] - gflops[x])[0];
  const choice = { machine, chosen, gflops };
  try {
    writeFileAtomicSync(path, `${JSON.stringify(choice, null, 2)}\n`);
  } catch {
    // a read-only cache only costs a re-measurement next time
  }
  return choice;
}

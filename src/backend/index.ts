import { parseOrThrow } from '../registry/parse.ts';
import {
  type AutoChoice,
  chooseFastest,
  DEFAULT_WORKLOAD,
  DEVICE_RESIDENT_BACKENDS,
  measureWorkload,
} from './auto.ts';
import { gpujsBackendFactories } from './gpujs/index.ts';
import { referenceBackendFactory } from './reference.ts';
import { backends } from './registry.ts';
import { simdBackendFactory } from './simd/index.ts';
import type { Backend, BackendContext, BackendFactory, Workload } from './types.ts';
import { webgpuBackendFactory } from './webgpu/index.ts';

export {
  type AutoChoice,
  DEFAULT_WORKLOAD,
  DEVICE_RESIDENT_BACKENDS,
  denseTrainingWorkload,
  nmfMuWorkload,
  trainingStepWorkload,
} from './auto.ts';
export { referenceGemm } from './reference.ts';
export { SimdBackend, type SimdBackendOptions } from './simd/index.ts';
export type { CountsTransfers, TransferCounts } from './transfers.ts';
export {
  type ActivationName,
  type Backend,
  type BackendContext,
  type BackendFactory,
  defineBackend,
  type ElementwiseKernels,
  type GemmProduct,
  type Workload,
} from './types.ts';
export { probeWebGpu, WebGpuBackend } from './webgpu/index.ts';

for (const f of [
  referenceBackendFactory,
  ...gpujsBackendFactories,
  simdBackendFactory,
  webgpuBackendFactory,
]) {
  if (!backends.has(f.name)) backends.register(f as BackendFactory);
}

/** One row of {@link listBackends}. */
export interface BackendListing {
  name: string;
  description: string;
  priority: number;
  available: boolean;
  /** Why it cannot run here: '' when available. */
  reason: string;
  /** What it runs on here (the GL renderer for gpujs:headlessgl), '' when the backend says nothing. */
  detail: string;
  /** False where `auto` will not try it on this machine (its factory's autoEligible). */
  autoEligible?: boolean;
}

/** Every known backend with whether it can run here (and why not), highest priority first. */
export function listBackends(): BackendListing[] {
  return backends
    .list()
    .map((f) => {
      const available = safeAvailable(f);
      return {
        name: f.name,
        description: f.description,
        priority: f.priority,
        available,
        reason: available ? '' : safeText(() => f.unavailableReason?.()) || 'its availability probe said no',
        detail: available ? safeText(() => f.detail?.()) : '',
        autoEligible: f.autoEligible?.() ?? true,
      };
    })
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

/**
 * Backends `auto` chooses among: every available one but the slow oracles and gpu.js's alias for
 * its own pick; webgpu only for a chained workload (an NMF mu solve, timed on its resident
 * buffers) or a dense model's training step (timed through its device trainer), as elsewhere
 * each of its calls is a round trip that the workload's timing would not show, and probing it
 * starts a GPU device.
 */
export function autoCandidates(workload: Workload): string[] {
  const excluded = ['reference', 'gpujs', 'gpujs:cpu'];
  if (!workload.chained && !workload.model) excluded.push(...DEVICE_RESIDENT_BACKENDS);
  return backends
    .list()
    .filter((f) => !excluded.includes(f.name) && (f.autoEligible?.() ?? true) && safeAvailable(f))
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))
    .map((f) => f.name);
}

/**
 * What `auto` means on this machine for `workload`: the available backend fastest at it,
 * measured once (every product of the workload, e.g. a whole training step) and remembered in
 * the cache directory, so every later run of that workload here uses the same one. See
 * {@link chooseFastest}. `cacheDir` is the run's (default: defaultCacheDir()).
 */
export function autoChoice(cacheDir?: string, workload: Workload = DEFAULT_WORKLOAD): AutoChoice {
  const candidates = autoCandidates(workload);
  if (candidates.length === 0) {
    return { machine: 'none', workload: workload.label, chosen: 'reference', gflops: {} };
  }
  return chooseFastest(
    candidates,
    (name) => getBackend(name, { cacheDir }),
    cacheDir,
    measureWorkload,
    workload,
  );
}

/** The backend name `auto` resolves to here for `workload`. */
export function autoBackendName(cacheDir?: string, workload?: Workload): string {
  return autoChoice(cacheDir, workload).chosen;
}

const created = new Map<string, Backend>();

/**
 * Splits a backend reference into its registered name and parameters: `simd?threads=2` is the
 * `simd` backend with `{ threads: '2' }` (the backend's schema coerces and checks the values).
 */
export function parseBackendName(text: string): { name: string; params: Record<string, string> } {
  const q = text.indexOf('?');
  if (q < 0) return { name: text, params: {} };
  return { name: text.slice(0, q), params: Object.fromEntries(new URLSearchParams(text.slice(q + 1))) };
}

/**
 * Checks a backend reference without creating the backend (nor building its kernels, nor
 * measuring for `auto`): unknown or unavailable names get an error listing what is available;
 * bad parameters name the parameter. Returns the factory and its parsed parameters.
 */
export function checkBackend(text: string): { factory: BackendFactory; params: unknown } | null {
  if (text === 'auto') return null;
  const { name, params } = parseBackendName(text);
  if (name === 'auto') throw new Error(`backend 'auto' takes no parameters, got '${text}'`);
  const factory = backends.get(name);
  if (!safeAvailable(factory)) {
    const ok = listBackends()
      .filter((b) => b.available)
      .map((b) => b.name);
    throw new Error(`backend '${name}' is not available on this machine; available here: ${ok.join(', ')}`);
  }
  return { factory, params: parseOrThrow(factory.params, params, `backend '${name}': parameters`) };
}

/**
 * The backend of that name ('auto' picks the fastest available), with parameters after a `?`
 * (`simd?threads=2`), created once per thread and name. Unknown or unavailable names get an
 * error listing what is available; bad parameters name the parameter. `context.cacheDir` is
 * where the run caches compiled kernels and the `auto` choice.
 */
export function getBackend(text = 'auto', context: BackendContext = {}): Backend {
  const resolved = text === 'auto' ? autoBackendName(context.cacheDir, context.workload) : text;
  const cached = created.get(resolved);
  if (cached) return cached;
  const { factory, params } = checkBackend(resolved)!;
  const backend = factory.create(params, context);
  created.set(resolved, backend);
  return backend;
}

function safeText(f: () => string | undefined): string {
  try {
    return f() ?? '';
  } catch (e) {
    return `(could not tell: ${e instanceof Error ? e.message : String(e)})`;
  }
}

function safeAvailable(f: BackendFactory): boolean {
  try {
    return f.isAvailable();
  } catch {
    return false;
  }
}

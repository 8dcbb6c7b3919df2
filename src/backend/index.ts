import { closest } from 'fastest-levenshtein';
import { type AutoChoice, chooseFastest } from './auto.ts';
import { gpujsBackendFactories } from './gpujs.ts';
import { referenceBackendFactory } from './reference.ts';
import { simdBackendFactory } from './simd/index.ts';
import type { Backend, BackendFactory } from './types.ts';

export type { AutoChoice } from './auto.ts';
export { referenceGemm } from './reference.ts';
export { SimdBackend, type SimdBackendOptions } from './simd/index.ts';
export type { ActivationName, Backend, BackendFactory, ElementwiseKernels } from './types.ts';

const factories = new Map<string, BackendFactory>();
for (const f of [referenceBackendFactory, ...gpujsBackendFactories]) factories.set(f.name, f);
factories.set(simdBackendFactory.name, simdBackendFactory);

/** Adds a backend factory (a name registered twice is an error). */
export function registerBackend(factory: BackendFactory): void {
  if (factories.has(factory.name)) throw new Error(`backend '${factory.name}' is already registered`);
  factories.set(factory.name, factory);
}

/** Every known backend with whether it can run here, highest priority first. */
export function listBackends(): {
  name: string;
  description: string;
  priority: number;
  available: boolean;
}[] {
  return [...factories.values()]
    .map((f) => ({
      name: f.name,
      description: f.description,
      priority: f.priority,
      available: safeAvailable(f),
    }))
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
}

/** Backends `auto` chooses among: every available one but the slow oracles and gpu.js's alias for its own pick. */
function autoCandidates(): string[] {
  return listBackends()
    .filter((b) => b.available && !['reference', 'gpujs', 'gpujs:cpu'].includes(b.name))
    .map((b) => b.name);
}

/**
 * What `auto` means on this machine: the fastest available backend, measured once (a forward
 * gemm of the study's widest layer) and remembered in the cache directory, so every later run
 * here uses the same one. See {@link chooseFastest}.
 */
export function autoChoice(): AutoChoice {
  const candidates = autoCandidates();
  if (candidates.length === 0) {
    return { machine: 'none', chosen: 'reference', gflops: {} };
  }
  return chooseFastest(candidates, (name) => getBackend(name));
}

/** The backend name `auto` resolves to here. */
export function autoBackendName(): string {
  return autoChoice().chosen;
}

const created = new Map<string, Backend>();

/**
 * The backend of that name ('auto' picks the fastest available), created once per thread.
 * Unknown or unavailable names get an error listing what is available.
 */
export function getBackend(name = 'auto'): Backend {
  const resolved = name === 'auto' ? autoBackendName() : name;
  const cached = created.get(resolved);
  if (cached) return cached;
  const factory = factories.get(resolved);
  if (!factory) {
    const names = [...factories.keys()];
    throw new Error(
      `unknown backend '${name}'. Did you mean '${closest(name, names)}'? Available: auto, ${names.join(', ')}`,
    );
  }
  if (!safeAvailable(factory)) {
    const ok = listBackends()
      .filter((b) => b.available)
      .map((b) => b.name);
    throw new Error(
      `backend '${resolved}' is not available on this machine; available here: ${ok.join(', ')}`,
    );
  }
  const backend = factory.create();
  created.set(resolved, backend);
  return backend;
}

function safeAvailable(f: BackendFactory): boolean {
  try {
    return f.isAvailable();
  } catch {
    return false;
  }
}

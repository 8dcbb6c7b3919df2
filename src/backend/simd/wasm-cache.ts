/**
 * WebAssembly modules assembled from WebAssembly text with wabt, once per thread, and cached by
 * the text's sha256 and wabt's version under the cache directory the caller passes
 * (`<cacheDir>/wasm/<name>-<hash>.wasm`), so `--cache-dir` holds them like every other cache.
 * wabt starts (~40 ms) when this file is imported, so that a module can be built synchronously
 * the first time it is needed, when the cache directory of the run is known.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sha256Hex, writeFileAtomicSync } from '../../util/files.ts';
import { type WasmModule, wasmApi } from './wasm-api.ts';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;

const wabtLoad: { wabt: Wabt | null; error: string | null } = await (async () => {
  try {
    return { wabt: await (await import('wabt')).default(), error: null };
  } catch (e) {
    return { wabt: null, error: `wabt did not load: ${(e as Error).message}` };
  }
})();

export type WasmFeatures = Readonly<Record<string, boolean>>;

/** A module's text and the proposals it uses; `name` prefixes its cache file. */
export interface WatSource {
  readonly name: string;
  readonly text: string;
  readonly features: WasmFeatures;
}

function wabtVersion(): string {
  try {
    return (createRequire(import.meta.url)('wabt/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Where a module's bytes are cached under `cacheDir`. */
export function wasmCachePath(source: WatSource, cacheDir: string): string {
  return join(cacheDir, 'wasm', `${source.name}-${sha256Hex(source.text, wabtVersion()).slice(0, 24)}.wasm`);
}

/** Assembles text to bytes (synchronously: wabt is already started). */
export function assembleWat(source: WatSource): Uint8Array {
  const { wabt, error } = wabtLoad;
  if (!wabt) throw new Error(error ?? 'wabt is not available');
  const parsed = wabt.parseWat(`${source.name}.wat`, source.text, source.features);
  try {
    parsed.resolveNames();
    // wabt's typings omit it, but validate takes the feature set too (without it, shared memory is refused).
    (parsed.validate as (features: object) => void)(source.features);
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

const compiled = new Map<string, { module: WasmModule } | { error: string }>();

/**
 * The compiled module for `source`: built once per thread, from `<cacheDir>/wasm` when the entry
 * there compiles, else assembled and written there (a failed cache write only costs the next
 * start its time). Throws, saying why, where it cannot be built (no WebAssembly, no SIMD).
 */
export function cachedWasmModule(source: WatSource, cacheDir: string): WasmModule {
  const key = `${source.name}\n${source.text}`;
  let got = compiled.get(key);
  if (!got) {
    got = buildModule(source, cacheDir);
    compiled.set(key, got);
  }
  if ('error' in got) throw new Error(got.error);
  return got.module;
}

function buildModule(source: WatSource, cacheDir: string): { module: WasmModule } | { error: string } {
  const api = wasmApi;
  if (!api) return { error: 'this runtime has no WebAssembly' };
  const path = wasmCachePath(source, cacheDir);
  try {
    return { module: new api.Module(readFileSync(path)) };
  } catch {
    // no entry yet, or one that does not compile: assemble afresh
  }
  try {
    const bytes = assembleWat(source);
    const module = new api.Module(bytes);
    try {
      writeFileAtomicSync(path, bytes);
    } catch {
      // a read-only or missing cache directory is not an error here
    }
    return { module };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const probes = new Map<string, boolean>();

/**
 * Whether this runtime runs modules with these features (SIMD, shared memory), tried on a
 * one-instruction module: what backends' `isAvailable` asks without building their kernels.
 */
export function wasmFeaturesSupported(features: WasmFeatures): boolean {
  const key = JSON.stringify(features);
  let ok = probes.get(key);
  if (ok === undefined) {
    try {
      const memory = features.threads ? '(memory 1 1 shared)' : '(memory 1 1)';
      const body = features.simd ? '(func (result v128) (v128.const i32x4 0 0 0 0))' : '(func)';
      const bytes = assembleWat({ name: 'probe', text: `(module ${memory} ${body})`, features });
      ok = wasmApi?.validate(bytes) ?? false;
    } catch {
      ok = false;
    }
    probes.set(key, ok);
  }
  return ok;
}

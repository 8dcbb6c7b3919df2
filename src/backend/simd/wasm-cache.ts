/**
 * WebAssembly modules assembled from WebAssembly text with wabt, once per thread, and cached by
 * the text's sha256 and wabt's version under the cache directory the caller passes
 * (`<cacheDir>/wasm/<name>-<hash>.wasmc`), so `--cache-dir` holds them like every other cache.
 * A cache file is a framed file (util/framed-file.ts): the module's bytes behind a header naming
 * the source they were assembled from, with a SHA-256 over all of it. A module that merely
 * compiles is not trusted (a flipped bit in an instruction still compiles, and gives wrong
 * numbers): a file whose digest, magic or source does not match is reported once and rebuilt.
 * wabt starts (~40 ms) when this file is imported, so that a module can be built synchronously
 * the first time it is needed, when the cache directory of the run is known.
 */
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { computeOnce } from '../../util/compute-once.ts';
import { sha256Hex, writeFileAtomicSync } from '../../util/files.ts';
import { decodeFramed, encodeFramed } from '../../util/framed-file.ts';
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

/** The key a cached module is verified against: its name, text, features and wabt's version. */
function sourceKey(source: WatSource): string {
  return sha256Hex(
    source.name,
    '\n',
    source.text,
    '\n',
    JSON.stringify(source.features),
    '\n',
    wabtVersion(),
  );
}

/** Where a module's bytes are cached under `cacheDir`. */
export function wasmCachePath(source: WatSource, cacheDir: string): string {
  return join(cacheDir, 'wasm', `${source.name}-${sha256Hex(source.text, wabtVersion()).slice(0, 24)}.wasmc`);
}

const WASM_MAGIC = 'NMFWASM1';
const wasmHeader = z.object({ name: z.string(), key: z.string() }).strict();

/** A module cache file that cannot be used; the message names the file and says why. */
export class WasmCacheError extends Error {
  override name = 'WasmCacheError';
}

/** A cache file's bytes: the module behind a header naming its source, with a digest. */
export function encodeWasmCacheFile(source: WatSource, bytes: Uint8Array): Uint8Array {
  return encodeFramed(WASM_MAGIC, { name: source.name, key: sourceKey(source) }, [bytes]);
}

/** The module bytes of a cache file, verified (digest, magic, source); throws WasmCacheError naming `path`. */
export function decodeWasmCacheFile(file: Uint8Array, path: string, source: WatSource): Uint8Array {
  const fail = (why: string) => new WasmCacheError(`${path}: ${why}`);
  const { header, payload } = decodeFramed(
    file,
    WASM_MAGIC,
    'an nmfinit compiled-kernel cache',
    wasmHeader,
    fail,
  );
  if (header.name !== source.name || header.key !== sourceKey(source)) {
    throw fail(`stale: assembled from another source than '${source.name}' of this version`);
  }
  return payload;
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
 * there is verified, else assembled and written there (a failed cache write only costs the next
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
  // Only a verified file is compiled; an unusable one is reported by whoever holds the lock and
  // is about to rewrite it (computeOnce), so one message however many workers look.
  const load = (locked: boolean): WasmModule | undefined => {
    let file: Uint8Array;
    try {
      file = readFileSync(path);
    } catch {
      return undefined; // no entry yet
    }
    try {
      return new api.Module(decodeWasmCacheFile(file, path, source));
    } catch (e) {
      if (locked) console.warn(`wasm cache: ${(e as Error).message}; reassembling it`);
      return undefined;
    }
  };
  const assemble = (write: boolean): WasmModule => {
    const bytes = assembleWat(source);
    const module = new api.Module(bytes);
    if (write) {
      try {
        writeFileAtomicSync(path, encodeWasmCacheFile(source, bytes));
      } catch {
        // a full or read-only cache directory only costs the next start its time
      }
    }
    return module;
  };
  try {
    if (!cacheWritable(dirname(path))) return { module: load(true) ?? assemble(false) };
    return { module: computeOnce(`${path}.lock`, load, () => assemble(true)) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether lock and cache files can be written in `dir` (a read-only cache is used, not written). */
function cacheWritable(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
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

/**
 * The part of the WebAssembly JavaScript API these kernels use, typed here because the project's
 * type libraries (ES2023 + Node) do not declare it. Kept local rather than as a global declaration
 * so it cannot clash with another package's typings.
 */
export interface WasmMemory {
  /** A SharedArrayBuffer for a shared memory; a new object after each growth, old ones stay valid. */
  readonly buffer: SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export interface WasmGlobal {
  value: number;
}

/** An opaque compiled module (it can be posted to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: (new (
    bytes: Uint8Array,
  ) => WasmModule) & {
    exports(module: WasmModule): { name: string; kind: string }[];
  };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: object };
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's WebAssembly object, or undefined where there is none. */
export const wasmApi: WasmApi | undefined = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

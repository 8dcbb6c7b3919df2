export {
  DEFAULT_GEMM_BLOCKING,
  type GemmBlocking,
  SimdBackend,
  type SimdBackendOptions,
  simdAvailable,
  simdBackendFactory,
} from './backend.ts';
export { DEFAULT_GEMM_SHAPE, type GemmShape } from './gemm-wat.ts';
export { type HeapOptions, WasmHeap } from './heap.ts';
export { buildSimdModule, type SimdModule } from './module.ts';

// The dataset machinery plugins build on (the contract itself is in ./types.ts).
export {
  type AssembleOptions,
  type ByteSamples,
  bytesToUnitFloat,
  bytesToUnitFloatTransposed,
  datasetFromBytes,
  maxLabel,
  numberedClassNames,
  resolveLimit,
} from './assemble.ts';
export {
  type CachedSplit,
  type CachedSplitOptions,
  CacheError,
  cachedSplitPath,
  decodeCachedSplit,
  encodeCachedSplit,
  loadOrBuildCachedSplit,
  readCachedSplit,
  sourceFilesKey,
} from './binary-cache.ts';
export { DatasetError } from './errors.ts';
export {
  encodeIdx,
  IDX_TYPES,
  type IdxArray,
  type IdxData,
  type IdxType,
  idxByteLength,
  parseIdx,
} from './idx.ts';
export {
  expectIdx,
  findIdxFile,
  type IdxExpectation,
  idxFileCandidates,
  type RawSplit,
  type ReadIdxSplitOptions,
  readIdxFile,
  readIdxLabels,
  readIdxSplit,
} from './idx-files.ts';
export {
  type DatasetInspection,
  datasetGridPng,
  formatInspection,
  type InspectOptions,
  inspectDataset,
  type SplitSummary,
  summarizeSplit,
} from './inspect.ts';
export {
  type JsonPixelRows,
  type MalformedSample,
  pixelRowProblem,
  readJsonPixelRows,
  summarizeMalformed,
} from './json-samples.ts';
export { type LoadDatasetOptions, loadDataset, parseDatasetParams, validateDataset } from './load.ts';

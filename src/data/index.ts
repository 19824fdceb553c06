// Public surface of the data layer: datasets, specs, loading, scaling and seeded shuffles.
export type { DataSplits, Dataset, FeatureScaling, RawData, SplitOptions } from './dataset.js';
export { batchIndices, gatherSamples, head, makeDataset, sampleSize, splitData, subset } from './dataset.js';
export type { LoadOptions, LocalDataset } from './load.js';
export { listLocalDatasets, loadData, loadRaw } from './load.js';
export { createRng, permutation } from './random.js';
export { applyScaling, fitScaling, invertScaling } from './scaling.js';
export type { DataSpecInput, DataSpecOptions, TextDataSpec } from './spec.js';
export { DataSpec, formatDataSpec, isTextSpec, parseDataSpec } from './spec.js';
export type { TokenizerKind, TokenizerOptions } from './text/tokenizer.js';
export { tokenize } from './text/tokenizer.js';
export type { TextVocabulary, VocabularyOptions } from './text/vocabulary.js';
export {
  BOS_ID,
  decodeIds,
  EOS_ID,
  encodeText,
  fitVocabulary,
  PAD_ID,
  RESERVED_TOKENS,
  UNK_ID,
} from './text/vocabulary.js';

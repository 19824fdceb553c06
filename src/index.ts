// latentlab's public API, curated: each family's config, model and family object; the registry; training,
// loading and saving; the apps; the metrics; the array API. Internals stay behind their module paths (the CLI,
// server and tests import those). test/api/exports.test.ts lists every name, so an addition is deliberate.

// ---- The array API ----
export {
  type ArrayOutput,
  Autoencoder,
  CalibrateOptions,
  FitOptions,
} from './api/autoencoder.js';
export type { ArrayFormat, ArrayInput, DecodedImage } from './api/inputs.js';
// ---- The apps ----
export { AugmentOptions, type AugmentOptionsInput, type AugmentResult, augment } from './apps/augment.js';
// Tables of mixed types: reading, column encoders, decoding, writing; numpy's files; synthetic-table quality.
export { benchmarkAnomaly } from './apps/benchmark-anomaly.js';
export { benchmarkImpute } from './apps/benchmark-impute.js';
export {
  type CompareOptionsInput,
  type Comparison,
  compareFamilies,
  comparisonTable,
} from './apps/compare.js';
export {
  CompressOptions,
  type CompressOptionsInput,
  type CompressReport,
  compressDataset,
  decompressCodes,
} from './apps/compress.js';
export {
  DenoiseOptions,
  type DenoiseOptionsInput,
  type DenoiseResult,
  denoiseDataset,
} from './apps/denoise.js';
export {
  AnomalyScore,
  anomalyScorer,
  type Detection,
  DetectOptions,
  type DetectOptionsInput,
  DetectRunOptions,
  type DetectRunOptionsInput,
  type DetectRunResult,
  detectAnomalies,
  detectRun,
} from './apps/detect.js';
export {
  type EmbedRunOptionsInput,
  type EmbedRunResult,
  embedRun,
  mapCodes,
  representationQuality,
} from './apps/embed.js';
export { imputeTable } from './apps/impute.js';
// ---- Data and backend ----
export {
  applyScaling,
  DataSpec,
  type DataSpecInput,
  type DataSplits,
  type Dataset,
  decodeIds,
  encodeText,
  type FeatureScaling,
  fitScaling,
  formatDataSpec,
  invertScaling,
  listLocalDatasets,
  loadData,
  makeDataset,
  parseDataSpec,
  type TextVocabulary,
} from './data/index.js';
export { decodeRows, encodeTable } from './data/table/encode.js';
export { TableEncoding, tableSpans } from './data/table/encoding.js';
export { fitTableEncoding } from './data/table/fit.js';
export { typeTable } from './data/table/infer.js';
export { readCsvCells } from './data/table/read.js';
export type { Table, TableColumn } from './data/table/table.js';
export {
  type BackendInfo,
  BackendName,
  currentBackend,
  ensureBackend,
  type SelectBackendOptions,
  selectBackend,
  tf,
  tfl,
} from './engine/index.js';
export {
  BackendError,
  ConfigError,
  DataError,
  type ErrorCode,
  exitCodeFor,
  IoError,
  LatentlabError,
  NumericError,
  UsageError,
} from './errors.js';
// ---- Metrics ----
export { auprc, auroc, calibrateThreshold, flagRates, quantile, type Threshold } from './eval/anomaly.js';
export { clusteringNmi, kMeans, normalizedMutualInformation } from './eval/clustering.js';
export { encodeDataset } from './eval/codes.js';
export { imageQuality, psnr, ssim } from './eval/image-quality.js';
export { evaluateLikelihood, type LikelihoodReport } from './eval/likelihood.js';
export {
  classCoverage,
  frechetDistance,
  kernelDistance,
  precisionRecall,
  type SampleQuality,
  sampleQuality,
} from './eval/metrics.js';
export { fitPca, pcaTransform } from './eval/pca.js';
export { linearProbe, pcaProbe } from './eval/probe.js';
export { tableQuality } from './eval/table-quality.js';
export { mmdTest, type TwoSampleTest } from './eval/two-sample.js';
export {
  type LoadedModel,
  loadModel,
  loadNetwork,
  ModelManifest,
  readManifest,
  type SaveModelExtras,
  saveModel,
  saveNetwork,
} from './io/model-files.js';
export { readNpy, readNpz } from './io/numpy.js';
export { writeTableCsv } from './io/table-files.js';
// ---- Families: config (schema and type), model, family ----
export { AaeConfig } from './models/aae/config.js';
export { AaeModel, aaeFamily } from './models/aae/model.js';
export { AeGanConfig } from './models/aegan/config.js';
export { AeGanModel, aeGanFamily } from './models/aegan/model.js';
export { AttentionAutoencoderConfig } from './models/attention-ae/config.js';
export { attentionAutoencoderFamily } from './models/attention-ae/model.js';
// ---- The VAE zoo, VQ-VAE (issue 21): each kind's config schema and family ----
export { BetaTcVaeConfig, betaTcVaeFamily } from './models/beta-tcvae/model.js';
export { ClassifierConfig } from './models/classifier/config.js';
export { ClassifierModel, classifierFamily } from './models/classifier/model.js';
export type { ModelConfig, ModelConfigInput, ModelConfigSchemas, ModelKind } from './models/configs.js';
export { ConvAutoencoderConfig } from './models/conv-ae/config.js';
export { convAutoencoderFamily } from './models/conv-ae/model.js';
export { CtganConfig } from './models/ctgan/config.js';
export { ctganFamily } from './models/ctgan/model.js';
export { DenseAutoencoderConfig } from './models/dense-ae/config.js';
export { denseAutoencoderFamily } from './models/dense-ae/model.js';
export { DipVaeConfig, dipVaeFamily } from './models/dip-vae/model.js';
export { FactorVaeConfig, factorVaeFamily } from './models/factor-vae/model.js';
export {
  type Autoencoder as AutoencodingModel,
  type Batch,
  type BuildContext,
  type GenerativeModel,
  generatesClasses,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
  type LikelihoodModel,
  type LossRecord,
  type ModelFamily,
  type TrainableModel,
} from './models/family.js';
export { GainConfig, gainFamily } from './models/gain/model.js';
export { GanConfig, GanLoss, GanModel, ganFamily } from './models/gan/model.js';
export { InfoVaeConfig, infoVaeFamily } from './models/info-vae/model.js';
export { InfoGanConfig, infoGanFamily } from './models/infogan/model.js';
export { IwaeConfig, iwaeFamily } from './models/iwae/model.js';
export { LatentGanConfig } from './models/latentgan/config.js';
export { LatentGanModel, latentGanFamily } from './models/latentgan/model.js';
export { MAX_PARAMETERS, MAX_UNITS } from './models/limits.js';
export { MsssimVaeConfig, msssimVaeFamily } from './models/msssim-vae/model.js';
export { RaeGpConfig, RaeL2Config, raeGpFamily, raeL2Family } from './models/rae/model.js';
// ---- The registry ----
export { getFamily, listFamilies, parseModelConfig, registerFamily } from './models/registry.js';
export {
  LanguageModel,
  LanguageModelConfig,
  languageModelFamily,
  SeqAutoencoderConfig,
  SeqAutoencoderModel,
  SeqVaeConfig,
  SeqVaeModel,
  seqAutoencoderFamily,
  seqVaeFamily,
} from './models/seq/model.js';
export { Augmentation } from './models/shared/augmentation.js';
export {
  Activation,
  AutoencoderModel,
  InputNoise,
  ReconstructionLoss,
} from './models/shared/autoencoder-base.js';
export { CodePrior } from './models/shared/code-priors.js';
export {
  TableAutoencoderConfig,
  TableVaeConfig,
  tableAutoencoderFamily,
  tableVaeFamily,
} from './models/table-ae/model.js';
export { TvaeConfig } from './models/tvae/config.js';
export { tvaeFamily } from './models/tvae/model.js';
export {
  ConvVaeConfig,
  CvaeConfig,
  convVaeFamily,
  cvaeFamily,
  VaeConfig,
  VaeModel,
  vaeFamily,
} from './models/vae/model.js';
export { VaeIafConfig, vaeIafFamily } from './models/vae-iaf/model.js';
export { VaeNfConfig, vaeNfFamily } from './models/vae-nf/model.js';
export { VaeGanConfig, VaeGanModel, vaeganFamily } from './models/vaegan/model.js';
export { VampPriorConfig, vampPriorFamily } from './models/vamp-prior/model.js';
export { VqVaeConfig } from './models/vq-vae/config.js';
export { vqVaeFamily } from './models/vq-vae/model.js';
export { WaeConfig, waeFamily } from './models/wae/model.js';
export { WaveAutoencoderConfig } from './models/wave-ae/config.js';
export { waveAutoencoderFamily } from './models/wave-ae/model.js';
export { buildServer, type ServerOptions, type StartOptions, startServer } from './server/app.js';
// ---- Training, loading and saving ----
export type { EpochRecord } from './train/checkpoint.js';
export {
  AdamConfig,
  EarlyStoppingConfig,
  RunConfig,
  type RunConfigInput,
  ScheduleConfig,
  TrainConfig,
} from './train/config.js';
export { parseRunConfig, type RunOptions, type RunResult, resumeRun, trainRun } from './train/run.js';
export {
  type BatchProgress,
  evaluateDataset,
  type RollbackEvent,
  type TrainCallbacks,
} from './train/trainer.js';
export { LATENTLAB_VERSION } from './version.js';

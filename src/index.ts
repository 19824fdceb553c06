// latentlab's public API: data, engine, models, training, evaluation and persistence.

export * from './apps/augment.js';
export * from './apps/compare.js';
export * from './apps/compress.js';
export * from './apps/denoise.js';
export * from './apps/detect.js';
export * from './apps/embed.js';
export * from './apps/image-folder.js';
export * from './apps/model-data.js';
export * from './data/dataset.js';
export { listLocalDatasets, loadData } from './data/load.js';
export { loadToy, sampleToy, TOY_MIXTURES, TOY_NAMES, type ToyName } from './data/sources/toy2d.js';
export * from './data/spec.js';
export * from './engine/index.js';
export * from './errors.js';
export * from './eval/anomaly.js';
export * from './eval/clustering.js';
export * from './eval/code-prior.js';
export * from './eval/codes.js';
export * from './eval/domain-classifier.js';
export * from './eval/image-filters.js';
export * from './eval/image-quality.js';
export * from './eval/metrics.js';
export * from './eval/pca.js';
export * from './eval/probe.js';
export * from './eval/toy2d.js';
export * from './eval/two-sample.js';
export { encodeMatrix, type Matrix, MatrixFormat, readMatrix } from './io/arrays.js';
export * from './io/code-file.js';
export * from './io/dataset-files.js';
export {
  loadModel,
  loadNetwork,
  ModelManifest,
  readManifest,
  saveModel,
  saveNetwork,
} from './io/model-files.js';
export { encodeImage, encodeImageGrid, toBytes, writeImageGrid } from './io/png.js';
export * from './models/aae.js';
export * from './models/aegan.js';
export * from './models/attention-autoencoder.js';
export * from './models/autoencoder-base.js';
export { ClassifierConfig, ClassifierModel, classifierFamily } from './models/classifier.js';
export { ConvAutoencoderConfig, convAutoencoderFamily } from './models/conv-autoencoder.js';
export { DenseAutoencoderConfig, denseAutoencoderFamily } from './models/dense-autoencoder.js';
export * from './models/family.js';
export * from './models/gan/model.js';
export * from './models/hybrid.js';
export * from './models/latentgan.js';
export * from './models/registry.js';
export * from './models/vae/model.js';
export {
  buildServer,
  type CachedModel,
  HttpError,
  ModelCache,
  RunsDirectory,
  type ServerContext,
  type ServerLimits,
  type ServerOptions,
  type ServerPlugin,
  type StartOptions,
  startServer,
  TensorQueue,
} from './server/app.js';
export { type EpochRecord, readCheckpoint } from './train/checkpoint.js';
export * from './train/config.js';
export { parseRunConfig, type RunOptions, type RunResult, resumeRun, trainRun } from './train/run.js';
export { type BatchProgress, evaluateDataset, type TrainCallbacks, trainLoop } from './train/trainer.js';
export { LATENTLAB_VERSION } from './version.js';

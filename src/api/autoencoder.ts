// The array API: fit a model of any autoencoding or generative family on data in memory, then encode, decode,
// reconstruct, score and sample arrays, as scikit-learn and PyOD do (`fit`, `transform`, `inverse_transform`,
// `score_samples`, `contamination`, `threshold_`, `predict`). It is a shell over the library: the registry builds
// the model, the one training loop trains it, detect's scorers score, and saved models are ordinary model
// directories that the CLI and loadModel read (and it loads those the CLI trained).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AnomalyScore, type AnomalyScorer, anomalyScorer } from '../apps/detect.js';
import {
  type DataSplits,
  type Dataset,
  type FeatureScaling,
  makeDataset,
  splitData,
} from '../data/dataset.js';
import { applyScaling, fitScaling, invertScaling } from '../data/scaling.js';
import type { DataSpec } from '../data/spec.js';
import { ensureBackend } from '../engine/backend.js';
import type { Tensor } from '../engine/tf.js';
import { ConfigError, DataError, parseOrThrow } from '../errors.js';
import { calibrateThreshold, type Threshold } from '../eval/anomaly.js';
import { drawSamples, gaussianCodeSampler, type Sampler } from '../eval/code-prior.js';
import { decodeCodes, encodeDataset, requireAutoencoder } from '../eval/codes.js';
import { loadModel, saveModel } from '../io/model-files.js';
import type { ModelConfigInput, ModelKind } from '../models/configs.js';
import {
  type BuildContext,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
  type TrainableModel,
} from '../models/family.js';
import { modelDefaultsForData, parseModelConfig } from '../models/registry.js';
import { defaultEpochs, TrainConfig } from '../train/config.js';
import { resolveModelDir } from '../train/run-dir.js';
import { type TrainCallbacks, trainLoop } from '../train/trainer.js';
import {
  type ArrayFormat,
  type ArrayInput,
  type DecodedImage,
  readSamples,
  type Samples,
  toFormat,
} from './inputs.js';

export const FitOptions = TrainConfig.pick({
  batchSize: true,
  optimizer: true,
  schedule: true,
  earlyStopping: true,
  nanLearningRateFactor: true,
})
  .extend({
    /** Default: enough for about 1,000 optimiser steps (defaultEpochs), as the CLI. */
    epochs: z.number().int().positive().optional(),
    /** Share of the rows held out for validation, early stopping and the anomaly threshold. */
    validationFraction: z.number().min(0).lt(1).default(0.1),
    /** Seeds the split, the weights and the batches: the same seed and data give the same model. */
    seed: z.number().int().min(0).default(0),
    /** Per-feature scaling of table rows, fitted on the training rows (images are used as given, in [0, 1]). */
    scaling: z.enum(['minmax', 'standard', 'none']).default('minmax'),
    /** The anomaly score of `score` and `predict`. */
    score: AnomalyScore.default('mse'),
    /** Threshold of `predict` at this quantile of the held-out rows' scores (default 0.99)… */
    quantile: z.number().gt(0).lt(1).optional(),
    /** …or at 1 − contamination, the share of anomalies expected among them (PyOD's `contamination`). */
    contamination: z.number().gt(0).lt(1).optional(),
    /** The shape of one sample, needed for a flat Float32Array (e.g. [28, 28, 1]). */
    sampleShape: z.array(z.number().int().positive()).min(1).optional(),
    /** Channels of decoded images: 1 (grey) or 3 (RGB). */
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    /** Class labels per row (non-negative integers): conditional models need them. */
    labels: z.array(z.number().int().min(0)).optional(),
    /** Keep the run's files (metrics.jsonl, checkpoint, previews) here; by default a temporary folder, removed. */
    runDir: z.string().min(1).optional(),
  })
  .refine((o) => o.quantile === undefined || o.contamination === undefined, {
    message: 'give a quantile or a contamination rate, not both',
    path: ['contamination'],
  });
export type FitOptions = z.input<typeof FitOptions> & {
  callbacks?: TrainCallbacks;
  signal?: AbortSignal;
};

export const CalibrateOptions = z
  .object({
    score: AnomalyScore.optional(),
    quantile: z.number().gt(0).lt(1).optional(),
    contamination: z.number().gt(0).lt(1).optional(),
  })
  .refine((o) => o.quantile === undefined || o.contamination === undefined, {
    message: 'give a quantile or a contamination rate, not both',
    path: ['contamination'],
  });
export type CalibrateOptions = z.input<typeof CalibrateOptions>;

/** Results take the form of the input: a tensor for a tensor, a flat Float32Array for one, else rows. */
export type ArrayOutput<T> = T extends Tensor
  ? Tensor
  : T extends Float32Array
    ? Float32Array
    : T extends readonly DecodedImage[]
      ? Float32Array
      : number[][];

const DEFAULT_QUANTILE = 0.99;
/** Where a saved model keeps its threshold: `threshold_<score>` among the manifest's metrics. */
const THRESHOLD_KEY = /^threshold_(mse|bce|elbo|mahalanobis|knn)$/;

function parseWith<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  return parseOrThrow(schema, raw ?? {}, where);
}

/** A data spec standing for arrays, so data-dependent model defaults (a linear output on standardised rows) apply. */
function arraySpec(sampleShape: readonly number[], scaling: FitOptions['scaling']): DataSpec {
  return sampleShape.length === 3
    ? { source: 'images', dir: '(arrays)', height: sampleShape[0], width: sampleShape[1], channels: 1 }
    : { source: 'csv', path: '(arrays)', scaling: scaling ?? 'minmax' };
}

export class Autoencoder {
  /** The anomaly threshold `predict` flags above (PyOD's `threshold_`), once calibrated. */
  threshold?: Threshold;
  /** The score `score`, `predict` and the threshold use. */
  scoreKind: AnomalyScore;
  private scorer?: AnomalyScorer;
  private codePrior?: Sampler;

  private constructor(
    /** The trained model (encode, decode, networks); owned by this object until dispose(). */
    readonly model: TrainableModel,
    /** Table scaling fitted on the training rows, applied on the way in and inverted on the way out. */
    readonly scaling: FeatureScaling | undefined,
    readonly classNames: readonly string[] | undefined,
    scoreKind: AnomalyScore,
  ) {
    this.scoreKind = scoreKind;
  }

  get kind(): string {
    return this.model.kind;
  }

  get sampleShape(): readonly number[] {
    return this.model.context.sampleShape;
  }

  get latentSize(): number | undefined {
    const model = this.model as Partial<{ latentSize: number }>;
    return model.latentSize;
  }

  /**
   * Train a model of family `config.kind` on `x` (rows, a flat Float32Array with options.sampleShape, a tensor
   * [n, ...sampleShape] or decoded images). Rows are split into training and validation (options.validationFraction);
   * the threshold of `predict` is calibrated on the validation rows' scores.
   */
  static async fit<K extends ModelKind>(
    x: ArrayInput,
    config: ModelConfigInput<K>,
    options: FitOptions = {},
  ): Promise<Autoencoder> {
    await ensureBackend();
    const { callbacks, signal, ...raw } = options;
    const fit = parseWith(FitOptions, raw, 'options');
    const samples = readSamples(x, 'x', fit.sampleShape, fit.channels);
    const labels = fit.labels ? Int32Array.from(fit.labels) : undefined;
    if (labels && labels.length !== samples.count) {
      throw new DataError(`expected one label per sample (${samples.count}), got ${labels.length}`, {
        path: 'options.labels',
      });
    }
    const classNames = labels
      ? Array.from({ length: Math.max(...labels) + 1 }, (_, i) => String(i))
      : undefined;
    const table = samples.sampleShape.length === 1;
    const { family, config: modelConfig } = parseModelConfig(
      modelDefaultsForData(
        config as Record<string, unknown>,
        arraySpec(samples.sampleShape, table ? fit.scaling : 'none'),
      ),
      'config',
    );
    if (family.needsImages && samples.sampleShape.length !== 3) {
      throw new ConfigError(
        `model "${family.kind}" needs images [height, width, channels], but x has samples of shape [${samples.sampleShape}]`,
        { path: 'config.kind' },
      );
    }
    let splits: DataSplits = splitData(
      {
        name: 'x',
        sampleShape: samples.sampleShape,
        classNames,
        train: { x: samples.x, labels },
      },
      { validationFraction: fit.validationFraction, testFraction: 0, seed: fit.seed },
    );
    const scaling = table && fit.scaling !== 'none' ? fitScaling(splits.train, fit.scaling) : undefined;
    if (scaling) {
      splits = {
        train: applyScaling(splits.train, scaling),
        validation: applyScaling(splits.validation, scaling),
        test: applyScaling(splits.test, scaling),
        scaling,
      };
    }
    const train = parseWith(
      TrainConfig,
      {
        epochs: fit.epochs ?? defaultEpochs(splits.train.size, fit.batchSize),
        batchSize: fit.batchSize,
        optimizer: fit.optimizer,
        schedule: fit.schedule,
        earlyStopping: fit.earlyStopping,
        nanLearningRateFactor: fit.nanLearningRateFactor,
        validationFraction: fit.validationFraction,
        previewCount: 0,
      },
      'options',
    );
    const context: BuildContext = {
      sampleShape: [...samples.sampleShape],
      numClasses: classNames?.length,
      seed: fit.seed,
    };
    const model = family.build(modelConfig, context);
    const runDir = fit.runDir ?? (await mkdtemp(join(tmpdir(), 'latentlab-fit-')));
    try {
      await trainLoop({ model, splits, train, seed: fit.seed, runDir, callbacks, signal });
    } catch (error) {
      model.dispose();
      throw error;
    } finally {
      if (!fit.runDir) await rm(runDir, { recursive: true, force: true });
    }
    const fitted = new Autoencoder(model, scaling, classNames, fit.score);
    // Held-out rows are normal data the model has not trained on: the threshold and code prior come from them.
    // A model without an encoder or a likelihood (a GAN) has no score, so no threshold.
    if (isAutoencoder(model) || (fit.score === 'elbo' && hasLikelihood(model))) {
      const normal = splits.validation.size > 0 ? splits.validation : splits.train;
      await fitted.calibrateScaled(normal, fit, splits.train);
    }
    return fitted;
  }

  /** A model saved by `save` or trained by the CLI: a model directory, or a run directory holding model/. */
  static async load(dir: string): Promise<Autoencoder> {
    const { model, manifest } = await loadModel(resolveModelDir(dir));
    const saved = Object.entries(manifest.metrics ?? {}).find(([key]) => THRESHOLD_KEY.test(key));
    const scoreKind = saved ? (THRESHOLD_KEY.exec(saved[0])![1] as AnomalyScore) : 'mse';
    const loaded = new Autoencoder(model, manifest.scaling, manifest.classNames, scoreKind);
    if (saved) {
      loaded.threshold = {
        value: saved[1],
        quantile: manifest.metrics?.thresholdQuantile ?? DEFAULT_QUANTILE,
        calibrationSamples: manifest.metrics?.thresholdSamples ?? 0,
      };
    }
    return loaded;
  }

  /** Write a model directory (manifest.json and one folder per network) that `latentlab` commands read. */
  async save(dir: string): Promise<void> {
    const metrics = this.threshold
      ? {
          [`threshold_${this.scoreKind}`]: this.threshold.value,
          thresholdQuantile: this.threshold.quantile,
          thresholdSamples: this.threshold.calibrationSamples,
        }
      : undefined;
    await saveModel(this.model, dir, { scaling: this.scaling, classNames: this.classNames, metrics });
  }

  /**
   * Set the threshold of `predict` from normal samples `x` (their scores' quantile, or 1 − contamination); also
   * what a loaded plain autoencoder samples from (a Gaussian fitted to their codes) and the `mahalanobis` fit.
   */
  async calibrate(x: ArrayInput, options: CalibrateOptions = {}): Promise<Threshold> {
    await ensureBackend();
    const parsed = parseWith(CalibrateOptions, options, 'options');
    const { dataset } = this.dataset(x, 'x');
    if (parsed.score) this.scoreKind = parsed.score;
    return this.calibrateScaled(dataset, parsed, dataset);
  }

  private async calibrateScaled(
    normal: Dataset,
    rule: { quantile?: number; contamination?: number },
    fitData: Dataset,
  ): Promise<Threshold> {
    this.scorer = await anomalyScorer(this.model, this.scoreKind, { fit: fitData });
    if (isAutoencoder(this.model) && !isGenerative(this.model)) {
      this.codePrior = gaussianCodeSampler(this.model, await encodeDataset(this.model, fitData));
    }
    // Calibrated on the rows it was fitted on (calibrate(x)): each row scored without itself, or a knn threshold
    // would be set by rows at distance 0 from their own copy.
    const scores =
      normal === fitData && this.scorer.fitScores
        ? await this.scorer.fitScores()
        : await this.scorer.scores(normal);
    this.threshold = calibrateThreshold(
      scores,
      rule.contamination !== undefined
        ? { contamination: rule.contamination }
        : { quantile: rule.quantile ?? DEFAULT_QUANTILE },
    );
    return this.threshold;
  }

  /** Codes [n, latent] of the samples (a VAE's mean code). */
  async transform<T extends ArrayInput>(x: T, labels?: ArrayLike<number>): Promise<ArrayOutput<T>> {
    await ensureBackend();
    const ae = requireAutoencoder(this.model, 'transform');
    const { dataset, format } = this.dataset(x, 'x', labels);
    const codes = await encodeDataset(ae, dataset);
    return toFormat(codes.data, codes.rows, [codes.cols], format) as ArrayOutput<T>;
  }

  /** Samples decoded from codes [n, latent], in the data's units (table scaling inverted). */
  async inverseTransform<T extends ArrayInput>(
    codes: T,
    labels?: ArrayLike<number>,
  ): Promise<ArrayOutput<T>> {
    await ensureBackend();
    const ae = requireAutoencoder(this.model, 'inverseTransform');
    const read = readSamples(codes, 'codes', [ae.latentSize]);
    const decoded = await decodeCodes(
      ae,
      { rows: read.count, cols: ae.latentSize, data: read.x },
      500,
      labels,
    );
    return this.output(decoded, read.count, read.format) as ArrayOutput<T>;
  }

  /** Each sample encoded and decoded again, in the data's units. */
  async reconstruct<T extends ArrayInput>(x: T, labels?: ArrayLike<number>): Promise<ArrayOutput<T>> {
    await ensureBackend();
    const ae = requireAutoencoder(this.model, 'reconstruct');
    const { dataset, format } = this.dataset(x, 'x', labels);
    const codes = await encodeDataset(ae, dataset);
    const decoded = await decodeCodes(ae, codes, 500, dataset.labels);
    return this.output(decoded, dataset.size, format) as ArrayOutput<T>;
  }

  /** Anomaly score per sample, higher = more anomalous (scikit-learn's score_samples negated, PyOD's decision_function). */
  async score(x: ArrayInput, labels?: ArrayLike<number>): Promise<Float32Array> {
    await ensureBackend();
    const { dataset } = this.dataset(x, 'x', labels);
    this.scorer ??= await this.scorerFor(dataset);
    return this.scorer.scores(dataset);
  }

  /** 1 where a sample scores above the threshold (an anomaly), else 0, as PyOD's predict. */
  async predict(x: ArrayInput, labels?: ArrayLike<number>): Promise<Uint8Array> {
    const threshold = this.threshold;
    if (!threshold) {
      throw new ConfigError('no anomaly threshold yet: call calibrate(normalSamples) first', {
        path: 'threshold',
      });
    }
    const scores = await this.score(x, labels);
    return Uint8Array.from(scores, (s) => (s > threshold.value ? 1 : 0));
  }

  /**
   * `n` new samples in the data's units: from the prior of a generative model, or for a plain autoencoder from a
   * Gaussian fitted to the codes of its training rows (after `load`, of the rows given to `calibrate`).
   */
  async sample<F extends ArrayFormat = 'rows'>(
    n: number,
    options: { seed?: number; format?: F } = {},
  ): Promise<F extends 'tensor' ? Tensor : F extends 'flat' ? Float32Array : number[][]> {
    await ensureBackend();
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`expected a positive whole number of samples, got ${n}`, { path: 'n' });
    }
    const sampler: Sampler | undefined = isGenerative(this.model) ? this.model : this.codePrior;
    if (!sampler) {
      throw new ConfigError(
        isAutoencoder(this.model)
          ? `"${this.kind}" samples from a Gaussian fitted to codes of its data: call calibrate(normalSamples) first`
          : `"${this.kind}" cannot draw samples`,
        { path: 'sample' },
      );
    }
    const drawn = await drawSamples(sampler, n, options.seed ?? 0);
    // biome-ignore lint/suspicious/noExplicitAny: the conditional return type follows `format`
    return this.output(drawn, n, options.format ?? 'rows') as any;
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.model.dispose();
  }

  private async scorerFor(dataset: Dataset): Promise<AnomalyScorer> {
    if (this.scoreKind === 'mahalanobis' || this.scoreKind === 'knn') {
      throw new ConfigError(
        `the ${this.scoreKind} score needs normal samples to fit: call calibrate(normalSamples) first`,
        {
          path: 'score',
        },
      );
    }
    return anomalyScorer(this.model, this.scoreKind, { fit: dataset });
  }

  /** The samples of `x` checked against the model's sample shape and scaled as its training rows. */
  private dataset(
    x: ArrayInput,
    name: string,
    labels?: ArrayLike<number>,
  ): { dataset: Dataset; format: ArrayFormat } {
    const samples: Samples = readSamples(x, name, this.sampleShape);
    if (labels && labels.length !== samples.count) {
      throw new DataError(`expected one label per sample (${samples.count}), got ${labels.length}`, {
        path: 'labels',
      });
    }
    const dataset = makeDataset(
      name,
      samples.sampleShape,
      samples.x,
      labels ? Int32Array.from(labels) : undefined,
    );
    return { dataset: this.scaling ? applyScaling(dataset, this.scaling) : dataset, format: samples.format };
  }

  /** Model-space values back in the data's units, in `format`. */
  private output(values: Float32Array, count: number, format: ArrayFormat) {
    const units = this.scaling ? invertScaling(values, this.scaling) : values;
    return toFormat(units, count, this.sampleShape, format);
  }
}

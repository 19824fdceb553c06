// Anomaly detection with a model trained on normal data: score new samples (reconstruction error, negative ELBO,
// a text model's NLL, Mahalanobis distance of codes), flag those above a threshold calibrated on held-out normal
// data, and with known labels judge the scores by AUROC and AUPRC (text: beside a TF-IDF → PCA baseline scored
// on the same rows). `latentlab detect` is the shell over detectRun.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type Dataset, subset } from '../data/dataset.js';
import { DataSpec, formatDataSpec } from '../data/spec.js';
import { isStreamedSpec, type StreamableSpec } from '../data/stream/sources.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError, DataError, IoError, parseOrThrow } from '../errors.js';
import {
  auprc,
  auroc,
  calibrateThreshold,
  type FlagRates,
  flagRates,
  knnDistances,
  type Threshold,
} from '../eval/anomaly.js';
import { fitGaussian, type GaussianFit } from '../eval/code-prior.js';
import {
  batchesOf,
  encodeDataset,
  meanObserved,
  reconstructBatch,
  requireAutoencoder,
} from '../eval/codes.js';
import type { OnProgress } from '../eval/progress.js';
import { countTokens } from '../eval/text.js';
import { fitTextPcaBaseline } from '../eval/text-features.js';
import type { Matrix } from '../io/arrays.js';
import { writeDirAtomic } from '../io/atomic.js';
import { loadModel } from '../io/model-files.js';
import { heatMapRgb } from '../io/plot.js';
import { encodeImageGrid } from '../io/png.js';
import { type Autoencoder, hasLikelihood, isAutoencoder, type TrainableModel } from '../models/family.js';
import { scoresSentences } from '../models/seq/model.js';
import { resolveModelDir } from '../train/run-dir.js';
import { detectStreamRun } from './detect-stream.js';
import { DataSplit, isOwnData, modelData, wholeData } from './model-data.js';

export const AnomalyScore = z.enum(['mse', 'bce', 'elbo', 'nll', 'mahalanobis', 'knn']);
export type AnomalyScore = z.infer<typeof AnomalyScore>;

/** Text scores (elbo, nll) per sentence, or divided by the sentence's tokens (<eos> counted). */
export const TextScoreUnit = z.enum(['token', 'sentence']);
export type TextScoreUnit = z.infer<typeof TextScoreUnit>;

/** Whether a model reads text (token ids with a vocabulary). */
function readsText(model: TrainableModel): boolean {
  return model.context.vocabularySize !== undefined;
}

/**
 * The score when none is asked for: pixel/value error for other data; for text, the negative ELBO of a model
 * with a likelihood, else the model's own NLL (a seq-ae's teacher-forced reconstruction, a language model's).
 */
export function defaultScore(model: TrainableModel): AnomalyScore {
  if (!readsText(model)) return 'mse';
  return hasLikelihood(model) ? 'elbo' : 'nll';
}

/** Default threshold: the 0.99 quantile of the normal calibration scores (1% of normal samples flagged). */
export const DEFAULT_QUANTILE = 0.99;

/** k of the knn score: chosen on the one-class validation splits (docs/results.md), never on a test split. */
export const DEFAULT_NEIGHBOURS = 5;

export const DetectOptions = z
  .object({
    /** Default: mse, or for text models elbo (seq-vae) or nll (seq-ae, lm); see defaultScore. */
    score: AnomalyScore.optional(),
    /** Text: elbo and nll per token (default: length does not count) or per sentence. */
    per: TextScoreUnit.optional(),
    /** Threshold at this quantile of the calibration scores (default 0.99). */
    quantile: z
      .number()
      .gt(0, 'expected a quantile between 0 and 1')
      .lt(1, 'expected a quantile between 0 and 1')
      .optional(),
    /** Or: the share of the calibration data taken to be anomalous (threshold at the 1 − c quantile). */
    contamination: z
      .number()
      .gt(0, 'expected a contamination rate between 0 and 1')
      .lt(1, 'expected a contamination rate between 0 and 1')
      .optional(),
    /**
     * Classes that are normal (the one-class protocol): the others are anomalies for AUROC/AUPRC, and calibration
     * (and the Mahalanobis fit) keep only normal samples. Without it, labels that are all 0/1 are read as
     * 0 normal, 1 anomaly.
     */
    normalClasses: z.array(z.number().int().min(0)).min(1).optional(),
    /** How many of the highest-scoring samples get a heat map (images only). */
    top: z.number().int().min(0).default(16),
    /** Seeds the ELBO's draws. */
    seed: z.number().int().min(0).default(0),
    /** knn: how many nearest normal training codes the distance is averaged over. */
    neighbours: z.number().int().positive().default(DEFAULT_NEIGHBOURS),
    /** ELBO estimates averaged per sample (each is a single-draw estimate). */
    elboSamples: z.number().int().positive().default(1),
    batchSize: z.number().int().positive().default(250),
  })
  .refine((o) => o.quantile === undefined || o.contamination === undefined, {
    message: 'give a quantile or a contamination rate, not both',
    path: ['contamination'],
  });
export type DetectOptions = z.output<typeof DetectOptions>;
export type DetectOptionsInput = z.input<typeof DetectOptions>;

/** Validate options; `name` maps a field to what the user typed (e.g. quantile → --quantile) for error paths. */
export function parseDetectOptions(raw: unknown, name: (field: string) => string = (f) => f): DetectOptions {
  return parseOrThrow(DetectOptions, raw, name);
}

// ---- Scores ----

/** What a model without a likelihood can be scored by instead: every other score reads an encoder. */
function otherScores(model: TrainableModel): string {
  if (!isAutoencoder(model)) return ' (nor an encoder, which every other score needs)';
  return readsText(model)
    ? ': score it by nll or by its codes (mahalanobis, knn)'
    : ': score it by reconstruction error (mse, bce) or by its codes (mahalanobis, knn)';
}

/** Scores per sample, higher = more anomalous; `errorMaps` gives per-pixel terms for heat maps. */
export interface AnomalyScorer {
  readonly score: AnomalyScore;
  /** Reports the samples scored so far through `onProgress`. */
  scores(dataset: Dataset, onProgress?: OnProgress): Promise<Float32Array>;
  /**
   * Scores of the fit data itself, each row left out of its own fit (knn: a row is not its own neighbour), for a
   * threshold calibrated on the rows the scorer was fitted on; absent where scoring them as any rows is fair.
   */
  fitScores?(): Promise<Float32Array>;
}

// Probabilities are clipped so a confident wrong pixel costs log(1e6), not infinity.
const BCE_EPSILON = 1e-6;

/** Per-value error of a reconstruction: squared error, or binary cross-entropy of x against it. */
function valueErrors(x: Tensor, recon: Tensor, score: AnomalyScore): Tensor {
  return tf.tidy(() => {
    if (score !== 'bce') return tf.squaredDifference(x, recon);
    const p = tf.clipByValue(recon, BCE_EPSILON, 1 - BCE_EPSILON);
    return tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
  });
}

function checkUnitRange(dataset: Dataset): void {
  for (let i = 0; i < dataset.x.length; i++) {
    const v = dataset.x[i];
    if (!(v >= 0 && v <= 1)) {
      throw new ConfigError(
        `binary cross-entropy needs data in [0, 1], but ${dataset.name} has ${v} (use --score mse, or --scaling minmax for tables)`,
        { path: 'score' },
      );
    }
  }
}

/** Codes whitened by a Gaussian fit, L⁻¹ (z − μ) by forward substitution: Euclidean there is Mahalanobis here. */
export function whitenCodes(fit: GaussianFit, codes: Matrix): Matrix {
  const d = fit.dims;
  if (codes.cols !== d)
    throw new ConfigError(`codes have ${codes.cols} columns, the fitted Gaussian ${d}`, { path: 'codes' });
  const data = new Float32Array(codes.rows * d);
  const y = new Float64Array(d);
  for (let i = 0; i < codes.rows; i++) {
    for (let r = 0; r < d; r++) {
      let v = codes.data[i * d + r] - fit.mean[r];
      for (let c = 0; c < r; c++) v -= fit.cholesky[r * d + c] * y[c];
      y[r] = v / fit.cholesky[r * d + r];
    }
    data.set(y, i * d);
  }
  return { rows: codes.rows, cols: d, data };
}

/** Mahalanobis distance √((z − μ)ᵀ Σ⁻¹ (z − μ)) of each row: the length of its whitened code. */
export function mahalanobisDistances(fit: GaussianFit, codes: Matrix): Float32Array {
  const white = whitenCodes(fit, codes);
  const d = fit.dims;
  const out = new Float32Array(codes.rows);
  for (let i = 0; i < codes.rows; i++) {
    let sum = 0;
    for (let r = 0; r < d; r++) sum += white.data[i * d + r] ** 2;
    out[i] = Math.sqrt(sum);
  }
  return out;
}

/** The same progress under another task name (a scorer's 'score' is calibration when it scores that). */
function renamed(task: string, onProgress: OnProgress): OnProgress {
  return (p) => onProgress({ ...p, task });
}

/**
 * A scorer for `model`. Reconstruction scores need an encoder; `elbo` a likelihood model (VAE); `mahalanobis`
 * fits a Gaussian to the codes of `fit` (normal training data); `knn` takes the mean distance to the
 * `neighbours` nearest codes of `fit`, all whitened by that Gaussian (a sample of `fit` itself finds itself first).
 */
export async function anomalyScorer(
  model: TrainableModel,
  score: AnomalyScore,
  options: {
    fit?: Dataset;
    seed?: number;
    elboSamples?: number;
    batchSize?: number;
    per?: TextScoreUnit;
    neighbours?: number;
  } = {},
): Promise<AnomalyScorer & { gaussian?: GaussianFit }> {
  const batchSize = options.batchSize ?? 250;
  const seed = options.seed ?? 0;
  if (readsText(model) && (score === 'mse' || score === 'bce'))
    throw new ConfigError(
      `${score} would compare token ids as numbers, which means nothing for text: use elbo (seq-vae), nll (seq-ae, seq-vae, lm) or mahalanobis (codes)`,
      { path: 'score' },
    );
  const per = options.per ?? 'token';
  if (options.per !== undefined && !(readsText(model) && (score === 'elbo' || score === 'nll')))
    throw new ConfigError(
      `per token or per sentence applies to the elbo and nll scores of text models, not to ${score}${readsText(model) ? '' : ` on "${model.kind}"`}`,
      { path: 'per' },
    );
  const perToken = (scores: Float32Array, dataset: Dataset): Float32Array => {
    if (!readsText(model) || per === 'sentence') return scores;
    const length = dataset.sampleShape[0];
    return scores.map(
      (s, i) => s / Math.max(1, countTokens(dataset.x.subarray(i * length, (i + 1) * length))),
    );
  };
  switch (score) {
    case 'mse':
    case 'bce': {
      const ae = requireAutoencoder(model, `the ${score} score`);
      return {
        score,
        async scores(dataset, onProgress) {
          if (score === 'bce') checkUnitRange(dataset);
          const out = new Float32Array(dataset.size);
          for (const batch of batchesOf(dataset, batchSize)) {
            const s = tf.tidy(() => {
              // Missing cells (mask 0) add no error: their stored 0 is no data.
              return meanObserved(valueErrors(batch.x, reconstructBatch(ae, batch), score), batch.mask);
            });
            out.set((await s.data()) as Float32Array, batch.start);
            tf.dispose(s);
            batch.dispose();
            onProgress?.({ task: 'score', done: batch.start + s.shape[0], total: dataset.size });
          }
          return out;
        },
      };
    }
    case 'elbo': {
      if (!hasLikelihood(model))
        throw new ConfigError(
          `elbo needs a model with a likelihood (a VAE family, e.g. vae, iwae, beta-tcvae); "${model.kind}" has none${otherScores(model)}`,
          { path: 'score' },
        );
      const draws = options.elboSamples ?? 1;
      return {
        score,
        async scores(dataset, onProgress) {
          const out = new Float32Array(dataset.size);
          for (const batch of batchesOf(dataset, batchSize)) {
            const s = tf.tidy(() => {
              let sum = model.negativeElbo(batch.x, batch.labels, seed + batch.start);
              for (let k = 1; k < draws; k++)
                sum = tf.add(
                  sum,
                  model.negativeElbo(batch.x, batch.labels, seed + batch.start + k * 1_000_003),
                );
              return tf.div(sum, draws);
            });
            out.set((await s.data()) as Float32Array, batch.start);
            tf.dispose(s);
            batch.dispose();
            onProgress?.({ task: 'score', done: batch.start + s.shape[0], total: dataset.size });
          }
          return perToken(out, dataset);
        },
      };
    }
    case 'nll': {
      if (!readsText(model))
        throw new ConfigError(
          `nll is the score of text models (seq-ae, seq-vae, lm); "${model.kind}" reads no text: use mse, bce, elbo or mahalanobis`,
          { path: 'score' },
        );
      if (!scoresSentences(model))
        throw new ConfigError(`"${model.kind}" gives no NLL per sentence: use another score`, {
          path: 'score',
        });
      return {
        score,
        async scores(dataset, onProgress) {
          // Teacher-forced NLL of each sentence: a language model's exact one; an autoencoder's given its code
          // (a seq-vae's posterior mean, so the score is deterministic).
          const out = new Float32Array(dataset.size);
          for (const batch of batchesOf(dataset, batchSize)) {
            const s = tf.tidy(() => {
              const z = isAutoencoder(model) ? model.encode(batch.x, batch.labels) : undefined;
              return tf.neg(model.logProbability(batch.x, z, batch.labels));
            });
            out.set((await s.data()) as Float32Array, batch.start);
            tf.dispose(s);
            batch.dispose();
            onProgress?.({ task: 'score', done: batch.start + s.shape[0], total: dataset.size });
          }
          return perToken(out, dataset);
        },
      };
    }
    case 'mahalanobis': {
      const ae = requireAutoencoder(model, 'the mahalanobis score');
      if (!options.fit)
        throw new ConfigError('mahalanobis needs normal training data to fit the codes to', {
          path: 'score',
        });
      const gaussian = fitGaussian(await encodeDataset(ae, options.fit, batchSize));
      return {
        score,
        gaussian,
        scores: codeScores(ae, batchSize, (codes) => mahalanobisDistances(gaussian, codes)),
      };
    }
    case 'knn': {
      const ae = requireAutoencoder(model, 'the knn score');
      if (!options.fit)
        throw new ConfigError('knn needs normal training data whose codes are the neighbours', {
          path: 'score',
        });
      const k = options.neighbours ?? DEFAULT_NEIGHBOURS;
      if (k > options.fit.size)
        throw new ConfigError(
          `asks for ${k} neighbours, but the normal training data has ${options.fit.size} samples`,
          {
            path: 'neighbours',
          },
        );
      // In whitened codes, so a direction counts by its spread among normal codes (as for mahalanobis): on the
      // one-class validation splits this beat raw codes by 2.7 points on average (docs/results.md).
      const trainCodes = await encodeDataset(ae, options.fit, batchSize);
      const gaussian = fitGaussian(trainCodes);
      const reference = whitenCodes(gaussian, trainCodes);
      return {
        score,
        gaussian,
        scores: codeScores(ae, batchSize, (codes) =>
          knnDistances(reference, whitenCodes(gaussian, codes), k),
        ),
        async fitScores() {
          return knnDistances(reference, reference, k, { leaveOneOut: true });
        },
      };
    }
  }
}

/** A code score's `scores`: a data set's codes (encoding reported as scoring), then `distances` of them. */
function codeScores(
  ae: Autoencoder,
  batchSize: number,
  distances: (codes: Matrix) => Float32Array,
): AnomalyScorer['scores'] {
  return async (dataset, onProgress) =>
    distances(await encodeDataset(ae, dataset, batchSize, onProgress && renamed('score', onProgress)));
}

// ---- Truth from labels ----

export interface AnomalyTruth {
  /** 1 anomaly, 0 normal, per sample. */
  truth: Uint8Array;
  /** How the truth was read from the labels, e.g. "normal: class 3 (Dress); anomalous: the others". */
  rule: string;
}

function className(dataset: Dataset, c: number): string {
  const name = dataset.classNames?.[c];
  return name !== undefined && name !== String(c) ? `${c} (${name})` : String(c);
}

function checkNormalClasses(dataset: Dataset, normalClasses: readonly number[]): void {
  const count = dataset.classNames?.length;
  for (const c of normalClasses) {
    if (count !== undefined && c >= count)
      throw new ConfigError(`class ${c} does not exist: ${dataset.name} has classes 0 to ${count - 1}`, {
        path: 'normalClasses',
      });
  }
}

/** Anomaly truth from labels: `normalClasses` normal, the rest anomalous; or 0/1 labels as they are. */
export function anomalyTruth(dataset: Dataset, normalClasses?: readonly number[]): AnomalyTruth | undefined {
  const labels = dataset.labels;
  if (normalClasses) {
    if (!labels)
      throw new DataError('--normal-class needs labelled data, and this data has no labels', {
        path: dataset.name,
      });
    checkNormalClasses(dataset, normalClasses);
    const normal = new Set(normalClasses);
    const names = normalClasses.map((c) => className(dataset, c)).join(', ');
    return {
      truth: Uint8Array.from(labels, (l) => (normal.has(l) ? 0 : 1)),
      rule: `normal: class${normalClasses.length > 1 ? 'es' : ''} ${names}; anomalous: the others`,
    };
  }
  if (!labels || (dataset.classNames && dataset.classNames.length > 2)) return undefined;
  if (!labels.every((l) => l === 0 || l === 1)) return undefined;
  return {
    truth: Uint8Array.from(labels),
    rule: `label ${className(dataset, 0)} normal, ${className(dataset, 1)} anomalous`,
  };
}

/** The samples of `normalClasses` only (all when none are given, or the data has no labels). */
export function normalOnly(dataset: Dataset, normalClasses?: readonly number[]): Dataset {
  if (!normalClasses || !dataset.labels) return dataset;
  checkNormalClasses(dataset, normalClasses);
  const normal = new Set(normalClasses);
  const keep: number[] = [];
  dataset.labels.forEach((l, i) => {
    if (normal.has(l)) keep.push(i);
  });
  if (keep.length === 0)
    throw new DataError(
      `no samples of the normal class${normalClasses.length > 1 ? 'es' : ''} ${normalClasses.join(', ')}`,
      {
        path: dataset.name,
      },
    );
  return subset(dataset, keep, `${dataset.name} (class ${normalClasses.join(',')})`);
}

// ---- Detection ----

/** Judged scores: AUROC, average precision (AUPRC), and how the flags agree with the truth. */
export interface ScoreEvaluation {
  rule: string;
  anomalies: number;
  auroc: number;
  auprc: number;
  /** AUPRC of a random ranking: the share of anomalies. */
  auprcChance: number;
  atThreshold: FlagRates;
}

/** The text baseline, scored on the same rows and calibrated on the same normal rows as the model. */
export interface BaselineDetection {
  /** e.g. "TF-IDF bag of words (5004 words) → PCA-16, squared reconstruction error". */
  method: string;
  components: number;
  /** The normal training rows its idf and PCA are fitted on. */
  fittedOn: string;
  fitSamples: number;
  scores: Float32Array;
  threshold: Threshold;
  flagged: number;
  evaluation?: ScoreEvaluation;
}

export interface Detection {
  score: AnomalyScore;
  /** Text scores (elbo, nll): per token or per sentence. */
  per?: TextScoreUnit;
  data: string;
  samples: number;
  /** Per sample of `data`, in order. */
  scores: Float32Array;
  /** 1 where the score is above the threshold. */
  flags: Uint8Array;
  threshold: Threshold & { calibration: string };
  flagged: number;
  labels?: Int32Array;
  /** Per sample, the id scores.csv gives it: a CSV row number or file name for data other than the run's own. */
  ids?: readonly string[];
  /** With known truth: AUROC, average precision (AUPRC), and how the flags agree with the truth. */
  evaluation?: ScoreEvaluation;
  /** Text with normal training data (`fit`): the TF-IDF → PCA baseline on the same rows. */
  baseline?: BaselineDetection;
  /** Sample ids (indices in `data`) by score, highest first, `top` of them. */
  top: number[];
}

export function evaluateScores(
  scores: Float32Array,
  flags: Uint8Array,
  truth: AnomalyTruth | undefined,
): ScoreEvaluation | undefined {
  if (!truth) return undefined;
  const anomalies = truth.truth.reduce((a, t) => a + t, 0);
  if (anomalies === 0 || anomalies === truth.truth.length) return undefined;
  return {
    rule: truth.rule,
    anomalies,
    auroc: auroc(scores, truth.truth),
    auprc: auprc(scores, truth.truth),
    auprcChance: anomalies / truth.truth.length,
    atThreshold: flagRates(flags, truth.truth),
  };
}

/**
 * The baseline of a text detection: TF-IDF of the normal training rows → PCA with the model's latent size (16 for
 * a model without codes), each row scored by its squared reconstruction error; calibrated as the model is.
 */
function textBaseline(
  model: TrainableModel,
  sets: { data: Dataset; calibration: Dataset; fit: Dataset },
  threshold: (calibration: Float32Array) => Threshold,
  truth: AnomalyTruth | undefined,
  seed: number,
): BaselineDetection {
  const latent = isAutoencoder(model) ? model.latentSize : 16;
  const fitted = fitTextPcaBaseline(sets.fit, latent, { seed });
  const scores = fitted.errors(sets.data);
  const t = threshold(fitted.errors(sets.calibration));
  const flags = Uint8Array.from(scores, (s) => (s > t.value ? 1 : 0));
  return {
    method: `${fitted.name}, squared reconstruction error`,
    components: fitted.components,
    fittedOn: sets.fit.name,
    fitSamples: sets.fit.size,
    scores,
    threshold: t,
    flagged: flags.reduce((a, f) => a + f, 0),
    evaluation: evaluateScores(scores, flags, truth),
  };
}

/**
 * Score `data`, calibrate the threshold on `calibration` (normal data the model did not train on), and judge the
 * scores when the truth is known. `fit` is normal training data for the Mahalanobis Gaussian.
 */
export async function detectAnomalies(
  model: TrainableModel,
  sets: { data: Dataset; calibration: Dataset; fit?: Dataset },
  raw: DetectOptionsInput = {},
  hooks: { onProgress?: OnProgress } = {},
): Promise<Detection> {
  const options = parseDetectOptions(raw);
  const score = options.score ?? defaultScore(model);
  const truth = anomalyTruth(sets.data, options.normalClasses);
  const calibration = normalOnly(sets.calibration, options.normalClasses);
  const fit = sets.fit ? normalOnly(sets.fit, options.normalClasses) : undefined;
  const scorer = await anomalyScorer(model, score, { ...options, fit });
  const { onProgress } = hooks;
  const scores = await scorer.scores(sets.data, onProgress);
  const calibrationScores = await scorer.scores(calibration, onProgress && renamed('calibrate', onProgress));
  const calibrate = (values: Float32Array) =>
    calibrateThreshold(
      values,
      options.contamination !== undefined
        ? { contamination: options.contamination }
        : { quantile: options.quantile ?? DEFAULT_QUANTILE },
    );
  const threshold = calibrate(calibrationScores);
  const flags = Uint8Array.from(scores, (s) => (s > threshold.value ? 1 : 0));
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  const text = readsText(model);
  const detection: Detection = {
    score,
    ...(text && (score === 'elbo' || score === 'nll') ? { per: options.per ?? 'token' } : {}),
    data: sets.data.name,
    samples: sets.data.size,
    scores,
    flags,
    threshold: { ...threshold, calibration: calibration.name },
    flagged: flags.reduce((a, f) => a + f, 0),
    labels: sets.data.labels,
    ids: sets.data.ids,
    top: order.slice(0, options.top),
  };
  detection.evaluation = evaluateScores(scores, flags, truth);
  if (text && fit) {
    onProgress?.({ task: 'baseline', done: 0, total: 1 });
    detection.baseline = textBaseline(
      model,
      { data: sets.data, calibration, fit },
      calibrate,
      truth,
      options.seed,
    );
    onProgress?.({ task: 'baseline', done: 1, total: 1 });
  }
  return detection;
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break (file names may). */
const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

/**
 * scores.csv: id, score, flag, the text baseline's score when there is one, and label when the data has labels. The id is the sample's own (a CSV row number
 * counted from 1 without the header, an image's file name) when the data has one, else its index in the split.
 */
export function scoresCsv(detection: Detection): string {
  const baseline = detection.baseline;
  const header = [
    'id',
    'score',
    'flag',
    ...(baseline ? ['baseline'] : []),
    ...(detection.labels ? ['label'] : []),
  ];
  const lines = [header.join(',')];
  for (let i = 0; i < detection.samples; i++) {
    const id = detection.ids ? cell(detection.ids[i]) : i;
    const row = [id, detection.scores[i], detection.flags[i]];
    if (baseline) row.push(baseline.scores[i]);
    if (detection.labels) row.push(detection.labels[i]);
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface Heatmaps {
  /** One row per sample: original | reconstruction | error map (inferno). */
  png: Buffer;
  /** One PNG per sample, same layout. */
  rows: Buffer[];
  /** The per-pixel error shown brightest (one scale for all rows). */
  maxError: number;
  /** What the error maps show. */
  error: 'squared error' | 'binary cross-entropy';
}

/**
 * Heat maps of the per-pixel reconstruction error of `ids` (image data): squared error, or the binary
 * cross-entropy for `--score bce`, averaged over channels and drawn on one shared scale.
 */
export async function anomalyHeatmaps(
  model: Autoencoder,
  dataset: Dataset,
  ids: readonly number[],
  score: AnomalyScore,
): Promise<Heatmaps> {
  const shape = dataset.sampleShape;
  if (shape.length !== 3)
    throw new ConfigError(`heat maps need image samples [h, w, c], got [${shape}]`, { path: dataset.name });
  const [h, w, c] = shape;
  const picked = subset(dataset, ids);
  const x = tf.tensor(picked.x, [picked.size, h, w, c]);
  const labels = picked.labels ? tf.tensor1d(picked.labels, 'int32') : undefined;
  const [recon, errors] = tf.tidy(() => {
    const r = tf.clipByValue(model.reconstruct(x, labels), 0, 1);
    return [r, tf.mean(valueErrors(x, r, score === 'bce' ? 'bce' : 'mse'), 3)];
  });
  const original = (await x.data()) as Float32Array;
  const reconstruction = (await recon.data()) as Float32Array;
  const error = (await errors.data()) as Float32Array;
  tf.dispose([x, recon, errors, ...(labels ? [labels] : [])]);
  const maxError = error.reduce((a, v) => Math.max(a, v), 0);
  const pixels = h * w;
  const tiles = new Float32Array(picked.size * 3 * pixels * 3);
  const rgb = (values: Float32Array, sample: number) => {
    const out = new Float32Array(pixels * 3);
    for (let p = 0; p < pixels; p++)
      for (let k = 0; k < 3; k++) out[p * 3 + k] = values[(sample * pixels + p) * c + (c === 3 ? k : 0)];
    return out;
  };
  for (let i = 0; i < picked.size; i++) {
    const base = i * 3 * pixels * 3;
    tiles.set(rgb(original, i), base);
    tiles.set(rgb(reconstruction, i), base + pixels * 3);
    tiles.set(heatMapRgb(error.subarray(i * pixels, (i + 1) * pixels), maxError), base + 2 * pixels * 3);
  }
  const tile = [h, w, 3];
  const per = 3 * pixels * 3;
  return {
    png: encodeImageGrid(tiles, tile, { rows: picked.size, cols: 3, scale: 3 }),
    rows: Array.from({ length: picked.size }, (_, i) =>
      encodeImageGrid(tiles.subarray(i * per, (i + 1) * per), tile, { rows: 1, cols: 3, scale: 4 }),
    ),
    maxError,
    error: score === 'bce' ? 'binary cross-entropy' : 'squared error',
  };
}

// ---- Runs ----

/** A run directory or the model directory inside one → the model directory. */
export const DetectRunOptions = z.object({
  /** Run directory, or its model directory. */
  run: z.string().min(1),
  /** Data to score (default: the model's own); other data is scored whole, in file order. */
  data: DataSpec.optional(),
  /** Split of the model's own data to score (default test); refused with other data, which has no splits. */
  split: DataSplit.optional(),
  /** Split of the model's own data that calibrates the threshold. */
  calibration: DataSplit.default('validation'),
  /** Score the first n samples only (0: all). */
  limit: z.number().int().min(0).default(0),
  /** Output directory (replaced whole); default RUN/detect. */
  out: z.string().min(1).optional(),
  options: DetectOptions.optional(),
  /** The command line, written into summary.json. */
  command: z.string().optional(),
});
export type DetectRunOptionsInput = z.input<typeof DetectRunOptions>;

export interface DetectRunResult {
  detection: Detection;
  files: { dir: string; scores: string; summary: string; heatmaps?: string; heatmapDir?: string };
  heatmapError?: Heatmaps['error'];
  heatmapMax?: number;
}

const DETECT_FILES = new Set(['scores.csv', 'summary.json', 'top-anomalies.png', 'heatmaps']);

/** The output directory is replaced whole: refuse one that holds anything but an earlier detect's files. */
async function checkOutDir(out: string): Promise<void> {
  if (!existsSync(out)) return;
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch (error) {
    throw new IoError('exists and is not a directory: pick another --out', { path: out, cause: error });
  }
  const foreign = entries.find((e) => !DETECT_FILES.has(e));
  if (foreign !== undefined)
    throw new IoError(
      `holds "${foreign}", which detect did not write, and detect replaces its output directory whole: pick another --out`,
      { path: out },
    );
}

/** The summary without the per-sample arrays (those are in scores.csv). */
export function detectionSummary(detection: Detection, extra: Record<string, unknown> = {}) {
  const { scores: _s, flags: _f, labels: _l, ids: _i, baseline, ...rest } = detection;
  const { scores: _b, ...baselineRest } = baseline ?? { scores: undefined };
  return { ...extra, ...rest, ...(baseline ? { baseline: baselineRest } : {}) };
}

/**
 * Load the run's model, score a split, calibrate on the model's own held-out normal data, and write
 * DIR/scores.csv, DIR/summary.json and (images) DIR/top-anomalies.png with DIR/heatmaps/NN-idID.png.
 */
export async function detectRun(
  raw: DetectRunOptionsInput,
  hooks: { onProgress?: OnProgress; onDataNote?: (note: string) => void } = {},
): Promise<DetectRunResult> {
  const run = parseOrThrow(DetectRunOptions, raw);
  const options = run.options ?? parseDetectOptions({});
  const dir = resolveModelDir(run.run);
  const loaded = await loadModel(dir);
  try {
    // Streamed data (the run's own, trained streaming, or --data with stream) is scored as it streams.
    const ownSpec = DataSpec.safeParse(loaded.manifest.data);
    const given = run.data ? DataSpec.parse(run.data) : undefined;
    if (ownSpec.success && isStreamedSpec(ownSpec.data) && (!given || isStreamedSpec(given))) {
      const whole = given !== undefined && !isOwnData(loaded, given);
      if (whole && run.split !== undefined)
        throw new ConfigError(
          `picks a split of the run's own data; other data (${formatDataSpec(given)}) is scored whole, in file order`,
          { path: 'split' },
        );
      const result = await detectStreamRun(
        loaded,
        (given as StreamableSpec | undefined) ?? ownSpec.data,
        ownSpec.data,
        options,
        {
          split: whole ? 'all' : (run.split ?? 'test'),
          limit: run.limit,
          out: run.out ?? join(dir === run.run ? dir : run.run, 'detect'),
          run: run.run,
          ...(run.command ? { command: run.command } : {}),
        },
        hooks,
      );
      return result;
    }
    const own = await modelData(loaded);
    const whole = !isOwnData(loaded, run.data);
    let data: Dataset;
    if (!whole) {
      data = own[run.split ?? 'test'];
    } else {
      // New data is scored whole and in file order, so scores join back to its rows; only the run's own data
      // has splits (and the model saw its training split).
      if (run.split !== undefined)
        throw new ConfigError(
          `picks a split of the run's own data; other data (${formatDataSpec(run.data as DataSpec)}) is scored whole, in file order`,
          { path: 'split' },
        );
      data = await wholeData(loaded, run.data as DataSpec);
      for (const note of data.notes ?? []) hooks.onDataNote?.(note);
    }
    if (run.limit > 0)
      data = subset(
        data,
        Array.from({ length: Math.min(run.limit, data.size) }, (_, i) => i),
      );
    const detection = await detectAnomalies(
      loaded.model,
      {
        data,
        calibration: own[run.calibration],
        // The Mahalanobis Gaussian, the knn neighbours and the text baseline come from the normal training rows.
        fit:
          options.score === 'mahalanobis' || options.score === 'knn' || own.train.text
            ? own.train
            : undefined,
      },
      options,
      hooks,
    );
    const out = run.out ?? join(dir === run.run ? dir : run.run, 'detect');
    await checkOutDir(out);
    const files: DetectRunResult['files'] = {
      dir: out,
      scores: join(out, 'scores.csv'),
      summary: join(out, 'summary.json'),
    };
    let heatmaps: Heatmaps | undefined;
    if (data.sampleShape.length === 3 && detection.top.length > 0 && isAutoencoder(loaded.model)) {
      heatmaps = await anomalyHeatmaps(loaded.model, data, detection.top, detection.score);
      files.heatmaps = join(out, 'top-anomalies.png');
      files.heatmapDir = join(out, 'heatmaps');
    }
    const width = String(detection.top.length).length;
    await writeDirAtomic(out, async (temp) => {
      await writeFile(join(temp, 'scores.csv'), scoresCsv(detection));
      const summary = detectionSummary(detection, {
        run: run.run,
        ...(run.command ? { command: run.command } : {}),
        scored: whole ? 'all rows, in file order' : `the ${run.split ?? 'test'} split of the run's own data`,
        ids:
          whole && data.ids
            ? "the rows' own: CSV row numbers from 1 (header not counted), image file names, text file:line"
            : 'index in the split',
        ...(heatmaps ? { heatmaps: { error: heatmaps.error, maxError: heatmaps.maxError } } : {}),
      });
      await writeFile(join(temp, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
      if (heatmaps) {
        await writeFile(join(temp, 'top-anomalies.png'), heatmaps.png);
        await mkdir(join(temp, 'heatmaps'));
        for (const [rank, png] of heatmaps.rows.entries()) {
          const name = `${String(rank + 1).padStart(width, '0')}-id${detection.top[rank]}.png`;
          await writeFile(join(temp, 'heatmaps', name), png);
        }
      }
    });
    return { detection, files, heatmapError: heatmaps?.error, heatmapMax: heatmaps?.maxError };
  } finally {
    loaded.model.dispose();
  }
}

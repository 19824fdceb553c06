// Test figures for models of text (token ids; see src/data/text): per-token NLL and perplexity (for a VAE from
// the IWAE bound, as Bowman et al. and Sentence-VAE report), KL per sentence, active units (Burda et al. 2016:
// dimensions whose posterior mean varies across the data by more than 0.01) and the share of tokens an
// autoencoder reconstructs exactly. Pixel errors mean nothing on token ids, so text runs are judged by these.
import type { Dataset } from '../data/dataset.js';
import { PAD_ID, tokenAccuracy } from '../data/text/vocabulary.js';
import { tf } from '../engine/tf.js';
import { type Autoencoder, hasLikelihood, isAutoencoder, type TrainableModel } from '../models/family.js';
import { batchesOf, encodeDataset } from './codes.js';
import { evaluateLikelihood } from './likelihood.js';
import type { OnProgress } from './progress.js';

/** A latent dimension is active when its posterior mean's variance over the data exceeds this (Burda et al.). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;
/** Sentences per batch of the evaluation and reconstruction passes. */
const BATCH = 256;

export interface TextReport {
  sentences: number;
  /** Tokens scored: every position that is not <pad>, <eos> included. */
  tokens: number;
  /** NLL per token in nats: the IWAE bound for a VAE, the exact NLL for a language model. */
  nllPerToken?: number;
  /** exp(nllPerToken). */
  perplexity?: number;
  /** Mean single-sample negative ELBO and IWAE bound per sentence (VAE), nats, and the IWAE's k. */
  negElbo?: number;
  iwae?: number;
  k?: number;
  /** Mean KL(q(z|x) || p(z)) per sentence (VAE), nats. */
  kl?: number;
  /** Latent dimensions whose posterior mean varies across the data by more than ACTIVE_UNIT_THRESHOLD. */
  activeUnits?: number;
  latent?: number;
  /** Share of tokens (<eos> included) an autoencoder's greedy reconstruction gets exactly. */
  tokenAccuracy?: number;
}

/** Tokens in a text dataset's rows: the positions that are not <pad>. */
export function countTokens(x: ArrayLike<number>): number {
  let tokens = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== PAD_ID) tokens++;
  return tokens;
}

/** Per-dimension variance of codes [rows, cols] above `threshold`: the active units. */
export function activeUnits(
  codes: { rows: number; cols: number; data: Float32Array },
  threshold = ACTIVE_UNIT_THRESHOLD,
) {
  let active = 0;
  for (let j = 0; j < codes.cols; j++) {
    let mean = 0;
    for (let i = 0; i < codes.rows; i++) mean += codes.data[i * codes.cols + j];
    mean /= codes.rows;
    let variance = 0;
    for (let i = 0; i < codes.rows; i++) variance += (codes.data[i * codes.cols + j] - mean) ** 2;
    if (variance / codes.rows > threshold) active++;
  }
  return active;
}

/** Means over the dataset of the named parts of the model's evaluate() (sentence-level means per batch). */
async function evaluatedMeans(model: TrainableModel, dataset: Dataset, keys: string[]) {
  const sums = Object.fromEntries(keys.map((key) => [key, 0]));
  let step = 0;
  for (const { x, labels, dispose } of batchesOf(dataset, BATCH)) {
    const record = model.evaluate({ x, labels, step: step++ });
    for (const key of keys) if (record[key]) sums[key] += (await record[key].data())[0] * x.shape[0];
    tf.dispose(Object.values(record));
    dispose();
  }
  return Object.fromEntries(keys.map((key) => [key, sums[key] / dataset.size]));
}

/**
 * An autoencoder's reconstructions of every row of a text dataset, as token ids in its layout: in batches, since
 * greedy decoding runs the decoder once per position; labels go along for a conditional model.
 */
export async function reconstructTokens(
  model: Autoencoder,
  dataset: Dataset,
  onProgress?: OnProgress,
): Promise<Float32Array> {
  const output = new Float32Array(dataset.x.length);
  const per = dataset.sampleShape[0];
  for (const { start, x, labels, dispose } of batchesOf(dataset, BATCH)) {
    const ids = model.reconstruct(x, labels);
    output.set((await ids.data()) as Float32Array, start * per);
    ids.dispose();
    dispose();
    onProgress?.({ task: 'reconstruct', done: Math.min(start + BATCH, dataset.size), total: dataset.size });
  }
  return output;
}

export async function evaluateText(
  model: TrainableModel,
  dataset: Dataset,
  options: { k?: number; seed?: number; onProgress?: OnProgress } = {},
): Promise<TextReport> {
  const tokens = countTokens(dataset.x);
  const report: TextReport = { sentences: dataset.size, tokens };
  if (hasLikelihood(model)) {
    const bound = await evaluateLikelihood(model, dataset, { ...options, reconstruction: false });
    Object.assign(report, { negElbo: bound.negElbo, iwae: bound.iwae, k: bound.k });
    report.nllPerToken = (bound.iwae * dataset.size) / tokens;
    report.kl = (await evaluatedMeans(model, dataset, ['kl'])).kl;
  } else if (!isAutoencoder(model)) {
    // A language model: its NLL per sentence is exact, no bound needed.
    report.nllPerToken = ((await evaluatedMeans(model, dataset, ['nll'])).nll * dataset.size) / tokens;
  }
  if (report.nllPerToken !== undefined) report.perplexity = Math.exp(report.nllPerToken);
  if (isAutoencoder(model)) {
    const codes = await encodeDataset(model, dataset, BATCH, options.onProgress);
    report.activeUnits = activeUnits(codes);
    report.latent = codes.cols;
    report.tokenAccuracy = tokenAccuracy(
      dataset.x,
      await reconstructTokens(model, dataset, options.onProgress),
    );
  }
  return report;
}

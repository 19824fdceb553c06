// Test-set figures for latent-variable models: reconstruction error, negative ELBO and the importance-weighted
// bound on -log p(x) (IWAE, Burda et al. 2016), in nats per sample.
import { type Dataset, sampleSize } from '../data/dataset.js';
import { tf } from '../engine/tf.js';
import { isAutoencoder, type LikelihoodModel } from '../models/family.js';
import { batchesOf } from './codes.js';
import type { OnProgress } from './progress.js';

export interface LikelihoodReport {
  samples: number;
  /** Mean squared error per value of the reconstruction (encoder mean, decoded). */
  mse?: number;
  /** Mean negative ELBO per sample, nats (single-sample estimate per item). */
  negElbo: number;
  /** Mean IWAE bound on -log p(x), nats; lower than negElbo. */
  iwae: number;
  k: number;
}

/** Values (samples · k · values per sample) one batch of the likelihood pass may hold. */
export const LIKELIHOOD_BATCH_VALUES = 20_000_000;

/**
 * Samples per batch of the likelihood pass, which holds k decoded copies of each: at most 20,000 / k, and at most
 * LIKELIHOOD_BATCH_VALUES values in all. The second bound is for large samples: without it a 64x64 split went
 * through a convolutional body in one batch at k = 1 (10,000 images, 1.3 GB for the first layer's activations),
 * past the wasm heap. It leaves 28x28 images at 20,000 / k for every k.
 */
export function likelihoodBatchSize(k: number, valuesPerSample: number): number {
  return Math.max(1, Math.floor(Math.min(20_000 / k, LIKELIHOOD_BATCH_VALUES / (k * valuesPerSample))));
}

export async function evaluateLikelihood(
  model: LikelihoodModel,
  dataset: Dataset,
  options: {
    k?: number;
    batchSize?: number;
    seed?: number;
    onProgress?: OnProgress;
    /** false: no reconstruction error (text, whose token ids have no distance; greedy decoding costs steps). */
    reconstruction?: boolean;
  } = {},
): Promise<LikelihoodReport> {
  const withMse = options.reconstruction !== false && isAutoencoder(model);
  const k = options.k ?? 100;
  const batchSize = options.batchSize ?? likelihoodBatchSize(k, sampleSize(dataset));
  const seed = options.seed ?? 0;
  let mseSum = 0;
  let elboSum = 0;
  let iwaeSum = 0;
  let b = 0;
  for (const { start, x, labels, dispose } of batchesOf(dataset, batchSize)) {
    const count = x.shape[0];
    b++;
    const [elbo, iwae, mse] = tf.tidy(() => {
      const e = tf.sum(model.negativeElbo(x, labels, seed + b));
      const w = tf.sum(model.importanceWeightedBound(x, labels, k, seed + 7919 + b));
      const m =
        withMse && isAutoencoder(model)
          ? tf.sum(tf.mean(tf.reshape(tf.squaredDifference(x, model.reconstruct(x, labels)), [count, -1]), 1))
          : tf.scalar(0);
      return [e, w, m];
    });
    elboSum += (await elbo.data())[0];
    iwaeSum += (await iwae.data())[0];
    mseSum += (await mse.data())[0];
    tf.dispose([elbo, iwae, mse]);
    dispose();
    options.onProgress?.({ task: 'iwae', done: start + count, total: dataset.size });
  }
  return {
    samples: dataset.size,
    ...(withMse ? { mse: mseSum / dataset.size } : {}),
    negElbo: elboSum / dataset.size,
    iwae: iwaeSum / dataset.size,
    k,
  };
}

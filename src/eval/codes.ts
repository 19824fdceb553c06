// Using a trained autoencoder on a whole dataset, in batches: codes, reconstructions, errors.
import { type Dataset, gatherSamples, sampleSize } from '../data/dataset.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import { type Autoencoder, isAutoencoder, type TrainableModel } from '../models/family.js';
import { fillsGaps } from './impute/model.js';
import type { OnProgress } from './progress.js';

export function requireAutoencoder(model: TrainableModel, what: string): Autoencoder {
  if (!isAutoencoder(model))
    throw new ConfigError(`${what} needs a model with an encoder; "${model.kind}" has none`);
  return model;
}

/**
 * Batches of a dataset in order; labels come along when the data has them (conditional models need them), and
 * a table's mask of observed cells when it has gaps.
 */
export function* batchesOf(
  dataset: Dataset,
  batchSize: number,
): Generator<{ start: number; x: Tensor; labels?: Tensor; mask?: Tensor; dispose(): void }> {
  for (let start = 0; start < dataset.size; start += batchSize) {
    const count = Math.min(batchSize, dataset.size - start);
    const indices = Array.from({ length: count }, (_, i) => start + i);
    const x = tf.tensor(gatherSamples(dataset, indices), [count, ...dataset.sampleShape]);
    const labels = dataset.labels
      ? tf.tensor1d(dataset.labels.slice(start, start + count), 'int32')
      : undefined;
    const mask = dataset.mask
      ? tf.tensor(gatherSamples({ ...dataset, x: dataset.mask }, indices), [count, ...dataset.sampleShape])
      : undefined;
    const tensors = [x, labels, mask].filter((t): t is Tensor => t !== undefined);
    yield { start, x, labels, mask, dispose: () => tf.dispose(tensors) };
  }
}

/**
 * A batch's reconstruction. With gaps (mask 0), a model that fills them (table-ae, table-vae, gain) sees the
 * mask, as in training; any other model sees the stored 0s.
 */
export function reconstructBatch(
  model: Autoencoder,
  batch: { x: Tensor; labels?: Tensor; mask?: Tensor },
): Tensor {
  return batch.mask && fillsGaps(model)
    ? model.reconstructMasked(batch.x, batch.mask)
    : model.reconstruct(batch.x, batch.labels);
}

/**
 * Per-sample mean of `errors` [n, ...] over the observed values (mask 1) only, so a missing cell, whose stored 0
 * is no data, adds no error; over all values without a mask. A row with nothing observed scores 0.
 */
export function meanObserved(errors: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => {
    const n = errors.shape[0];
    const flat = tf.reshape(errors, [n, -1]);
    if (!mask) return tf.mean(flat, 1);
    const m = tf.reshape(mask, [n, -1]);
    return tf.div(tf.sum(tf.mul(flat, m), 1), tf.maximum(tf.sum(m, 1), 1));
  });
}

/** An encoder that reads a mask of observed cells (table-ae, table-vae). */
function encodesGaps(
  model: Autoencoder,
): model is Autoencoder & { encodeMasked(x: Tensor, mask: Tensor): Tensor } {
  return typeof (model as { encodeMasked?: unknown }).encodeMasked === 'function';
}

/** Codes of every sample: [size, latent]; rows with gaps are encoded with their mask where the model reads one. */
export async function encodeDataset(
  model: Autoencoder,
  dataset: Dataset,
  batchSize = 500,
  onProgress?: OnProgress,
): Promise<Matrix> {
  const data = new Float32Array(dataset.size * model.latentSize);
  for (const batch of batchesOf(dataset, batchSize)) {
    const count = batch.x.shape[0];
    const z =
      batch.mask && encodesGaps(model)
        ? model.encodeMasked(batch.x, batch.mask)
        : model.encode(batch.x, batch.labels);
    data.set((await z.data()) as Float32Array, batch.start * model.latentSize);
    z.dispose();
    batch.dispose();
    onProgress?.({ task: 'encode', done: batch.start + count, total: dataset.size });
  }
  return { rows: dataset.size, cols: model.latentSize, data };
}

/** Decode codes [rows, latent] into samples, flat; `labels` [rows] for conditional models. */
export async function decodeCodes(
  model: Autoencoder,
  codes: Matrix,
  batchSize = 500,
  labels?: ArrayLike<number>,
): Promise<Float32Array> {
  if (model.conditional && !labels) {
    throw new ConfigError(
      `"${model.kind}" is conditional: give a class for the codes (--class, or a label column)`,
    );
  }
  if (codes.cols !== model.latentSize) {
    throw new ConfigError(
      `codes have ${codes.cols} columns, but the model's latent size is ${model.latentSize}`,
    );
  }
  const per = sampleSize(model.context);
  const out = new Float32Array(codes.rows * per);
  for (let start = 0; start < codes.rows; start += batchSize) {
    const count = Math.min(batchSize, codes.rows - start);
    const z = tf.tensor2d(codes.data.subarray(start * codes.cols, (start + count) * codes.cols), [
      count,
      codes.cols,
    ]);
    const y = labels
      ? tf.tensor1d(
          Int32Array.from({ length: count }, (_, i) => labels[start + i]),
          'int32',
        )
      : undefined;
    const x = model.decode(z, y);
    out.set((await x.data()) as Float32Array, start * per);
    tf.dispose([x, z, y]);
  }
  return out;
}

/**
 * Reconstructions of every sample, flat [size × sample size], in batches (labels go with them, for conditional
 * models); clipped to `range` when given, for features that live in a fixed range (spectrogram images).
 */
export async function reconstructDataset(
  model: Autoencoder,
  dataset: Dataset,
  { batchSize = 500, range }: { batchSize?: number; range?: readonly [number, number] } = {},
): Promise<Float32Array> {
  const per = sampleSize(dataset);
  const out = new Float32Array(dataset.size * per);
  for (const batch of batchesOf(dataset, batchSize)) {
    const y = tf.tidy(() => {
      const recon = reconstructBatch(model, batch);
      return range ? tf.clipByValue(recon, range[0], range[1]) : recon;
    });
    out.set((await y.data()) as Float32Array, batch.start * per);
    y.dispose();
    batch.dispose();
  }
  return out;
}

/** Per-sample mean squared error of the reconstruction (over observed values), and its mean over the dataset. */
export async function reconstructionErrors(
  model: Autoencoder,
  dataset: Dataset,
  batchSize = 500,
): Promise<{ perSample: Float32Array; mean: number }> {
  const perSample = new Float32Array(dataset.size);
  for (const batch of batchesOf(dataset, batchSize)) {
    const errors = tf.tidy(() => {
      const recon = reconstructBatch(model, batch);
      return meanObserved(tf.squaredDifference(batch.x, recon), batch.mask);
    });
    perSample.set((await errors.data()) as Float32Array, batch.start);
    errors.dispose();
    batch.dispose();
  }
  const mean = perSample.reduce((a, b) => a + b, 0) / Math.max(1, dataset.size);
  return { perSample, mean };
}

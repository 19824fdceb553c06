// Two-stage VAE (Dai & Wipf 2019): a second, small dense VAE learns the distribution of the first model's
// (standardised) codes, with a Gaussian likelihood and a learned scale; samples are its prior draws decoded to
// codes. The second stage is the `vae` family itself, trained here by its own trainStep on the codes.

import { computeValues } from '../../engine/memory.js';
import { type Tensor, tf } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import type { Matrix } from '../../io/arrays.js';
import type { GenerativeModel, TrainableModel } from '../../models/family.js';
import { getFamily } from '../../models/registry.js';
import { shuffled } from './maf.js';

export interface TwoStageOptions {
  hidden: number[];
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

/** The second-stage VAE's config: latent as wide as the codes (as Dai & Wipf), Gaussian, learned scale. */
export function secondStageConfig(dims: number, hidden: number[]) {
  return {
    kind: 'vae',
    hidden,
    latent: dims,
    likelihood: 'gaussian',
    sigma: 'learned',
    outputActivation: 'linear',
  };
}

export interface TwoStageFit {
  model: GenerativeModel;
  shift: number[];
  scale: number[];
}

/** Train the second-stage VAE on the rows of `codes` [n, d]. */
export function fitTwoStage(codes: Matrix, options: TwoStageOptions): TwoStageFit {
  const { rows: n, cols: d } = codes;
  if (n < 2) throw new ConfigError(`a two-stage VAE needs at least 2 codes, got ${n}`, { path: 'codes' });
  const family = getFamily('vae');
  const config = family.configSchema.parse(secondStageConfig(d, options.hidden));
  const model = family.build(config, { sampleShape: [d], seed: options.seed }) as TrainableModel &
    GenerativeModel;
  const shift = new Array(d).fill(0);
  const scale = new Array(d).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) shift[j] += codes.data[i * d + j] / n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) scale[j] += (codes.data[i * d + j] - shift[j]) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = scale[j] > 1e-12 ? Math.sqrt(scale[j]) : 1;
  const x = tf.tidy(() => tf.div(tf.sub(tf.tensor2d(codes.data, [n, d]), shift), scale));
  const optimizers = Object.fromEntries(
    model.optimizerNames.map((name) => [name, tf.train.adam(options.learningRate)]),
  );
  try {
    let step = 0;
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const perm = shuffled(n, options.seed + epoch);
      let total = 0;
      for (let start = 0; start < n; start += options.batchSize) {
        const idx = perm.subarray(start, Math.min(start + options.batchSize, n));
        const batch = tf.tidy(() => tf.gather(x, tf.tensor1d(idx, 'int32')));
        const record = model.trainStep({ x: batch, step: step++, epoch, datasetSize: n }, optimizers);
        total += record.loss.dataSync()[0] * idx.length;
        tf.dispose([batch, ...Object.values(record)]);
      }
      options.onEpoch?.(epoch, total / n);
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    x.dispose();
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
  }
  return { model, shift, scale };
}

/** n draws [n, d]: the second stage's prior through its decoder (its mean), un-standardised. */
export function sampleTwoStage(fit: TwoStageFit, n: number, seed: number): Matrix {
  const data = computeValues(() => {
    const z = fit.model.samplePrior(n, seed);
    const codes = fit.model.generate(z) as Tensor;
    return tf.add(tf.mul(codes, fit.scale), fit.shift);
  });
  return { rows: n, cols: fit.scale.length, data: Float32Array.from(data) };
}

// Sampling from a plain autoencoder: the usual "AE + Gaussian fit to its codes" baseline. A full-covariance
// Gaussian is fitted to the training codes and its draws are decoded, so an autoencoder without a prior can be
// judged on samples beside VAEs and GANs. Draws are seeded and backend-independent (JS Box-Muller).
import { createRng } from '../data/random.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError, NumericError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import type { Autoencoder, GenerativeModel } from '../models/family.js';
import { classLabels } from './generate.js';
import { meanAndCovariance } from './metrics.js';

export interface GaussianFit {
  dims: number;
  mean: Float64Array;
  /** Unbiased covariance [dims, dims], row-major. */
  covariance: Float64Array;
  /** Lower-triangular L with L Lᵀ = covariance + jitter·I, row-major. */
  cholesky: Float64Array;
  /** Added to the diagonal to make a singular covariance factorable (0 when none was needed). */
  jitter: number;
}

/** Cholesky factor of a symmetric matrix [d, d], or undefined when it is not positive definite. */
export function cholesky(a: Float64Array, d: number): Float64Array | undefined {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j];
      }
    }
  }
  return l;
}

/** Fit N(mean, covariance) to the rows of `codes` [n, d]. */
export function fitGaussian(codes: Matrix): GaussianFit {
  if (codes.rows < 2) throw new ConfigError(`a Gaussian fit needs at least 2 codes, got ${codes.rows}`);
  const d = codes.cols;
  const { mean, covariance } = meanAndCovariance(codes);
  let trace = 0;
  for (let j = 0; j < d; j++) trace += covariance[j * d + j];
  // Dead code dimensions make the covariance singular: add the smallest jitter that factors it.
  let jitter = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    const a = covariance.slice();
    for (let j = 0; j < d; j++) a[j * d + j] += jitter;
    const l = cholesky(a, d);
    if (l) return { dims: d, mean, covariance, cholesky: l, jitter };
    jitter = jitter === 0 ? Math.max(1e-12, (1e-10 * trace) / d) : jitter * 10;
  }
  throw new NumericError('the covariance of the codes cannot be factored (are they finite?)', {
    path: 'codes',
  });
}

/** Standard normal values from a seeded generator (Box-Muller). */
export function standardNormals(count: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(Math.max(rng(), Number.MIN_VALUE)));
    const theta = 2 * Math.PI * rng();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** n draws mean + L ε from the fitted Gaussian: [n, dims]. */
export function sampleGaussian(fit: GaussianFit, n: number, seed: number): Matrix {
  const d = fit.dims;
  const eps = standardNormals(n * d, seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < d; r++) {
      let v = fit.mean[r];
      for (let c = 0; c <= r; c++) v += fit.cholesky[r * d + c] * eps[i * d + c];
      data[i * d + r] = v;
    }
  }
  return { rows: n, cols: d, data };
}

/** What drawing samples needs: a prior and a map from its space to data. Every GenerativeModel is one. */
export type Sampler = Pick<
  GenerativeModel,
  'latentSize' | 'conditional' | 'context' | 'samplePrior' | 'generate'
>;

/** An autoencoder with a Gaussian fitted to its (training) codes as its prior; decodes the draws. */
export function gaussianCodeSampler(model: Autoencoder, codes: Matrix): Sampler & { fit: GaussianFit } {
  if (codes.cols !== model.latentSize) {
    throw new ConfigError(
      `codes have ${codes.cols} columns, but the model's latent size is ${model.latentSize}`,
      {
        path: 'codes',
      },
    );
  }
  const fit = fitGaussian(codes);
  return {
    fit,
    latentSize: model.latentSize,
    conditional: model.conditional,
    context: model.context,
    samplePrior(n: number, seed: number): Tensor {
      return tf.tensor2d(sampleGaussian(fit, n, seed).data, [n, fit.dims]);
    },
    generate(z: Tensor, labels?: Tensor): Tensor {
      return model.decode(z, labels);
    },
  };
}

/**
 * `n` samples drawn in batches, flat [n * prod(sampleShape)]. Conditional samplers get the classes in equal
 * consecutive blocks per batch (as `latentlab sample` draws them). Batch b uses seed + b·batchSize.
 */
export async function drawSamples(
  sampler: Sampler,
  n: number,
  seed: number,
  batchSize = 500,
): Promise<Float32Array> {
  const per = sampler.context.sampleShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * per);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const x = tf.tidy(() => {
      const labels = sampler.conditional ? classLabels(count, sampler.context.numClasses ?? 0) : undefined;
      return sampler.generate(sampler.samplePrior(count, seed + start), labels);
    });
    out.set((await x.data()) as Float32Array, start * per);
    x.dispose();
  }
  return out;
}

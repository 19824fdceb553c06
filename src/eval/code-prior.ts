// Sampling from a plain autoencoder: the usual "AE + Gaussian fit to its codes" baseline. A full-covariance
// Gaussian is fitted to the training codes and its draws are decoded, so an autoencoder without a prior can be
// judged on samples beside VAEs and GANs. Draws are seeded and backend-independent (JS Box-Muller).
// `codePrior` is the one way `latentlab sample`, `compare` and the studio get that Gaussian; fitted to a run's
// training codes, it is cached as RUN/code-prior.json (valid for one saved model), so repeated draws are cheap.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { sampleSize } from '../data/dataset.js';
import { createRng } from '../data/random.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError, IoError, NumericError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Autoencoder, GenerativeModel } from '../models/family.js';
import { classLabels } from './generate.js';
import { meanAndCovariance } from './metrics.js';
import type { OnProgress } from './progress.js';

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
  const { mean, covariance } = meanAndCovariance(codes);
  return factorGaussian(mean, covariance);
}

/** The fit of N(mean, covariance) [d], [d, d]: its Cholesky factor, with the least jitter that makes one. */
export function factorGaussian(mean: Float64Array, covariance: Float64Array): GaussianFit {
  const d = mean.length;
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
  'latentSize' | 'conditional' | 'classControlled' | 'context' | 'samplePrior' | 'generate'
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
  return fittedSampler(model, fitGaussian(codes));
}

function fittedSampler(model: Autoencoder, fit: GaussianFit): Sampler & { fit: GaussianFit } {
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

export const CODE_PRIOR_FILE = 'code-prior.json';

const CodePriorFile = z.object({
  format: z.literal('latentlab-code-prior'),
  formatVersion: z.literal(1),
  /** The saved model the codes came from (its manifest's savedAt): a model saved again makes the file stale. */
  modelSavedAt: z.string(),
  /** How many training codes were fitted. */
  codes: z.number().int().min(2),
  mean: z.array(z.number()),
  /** Unbiased covariance, row-major. */
  covariance: z.array(z.number()),
});
type CodePriorFile = z.infer<typeof CodePriorFile>;

/** Where the code prior of the model in `modelDir` is cached: RUN/code-prior.json, or nowhere outside a run. */
export function codePriorFile(modelDir: string): string | undefined {
  const run = dirname(modelDir);
  return basename(modelDir) === 'model' && existsSync(join(run, 'config.json'))
    ? join(run, CODE_PRIOR_FILE)
    : undefined;
}

export interface CodePriorOptions {
  /** The training codes, or how to compute them (called only when no valid cached fit exists). */
  codes: Matrix | (() => Promise<Matrix>);
  /** The cache file and the saved model (manifest savedAt) it belongs to; without it the fit is not kept. */
  cache?: { file: string; modelSavedAt: string };
  /** Fit again even when a valid cached fit exists (and replace it). */
  refit?: boolean;
}

async function readCodePrior(
  file: string,
  modelSavedAt: string,
  dims: number,
): Promise<GaussianFit | undefined> {
  if (!existsSync(file)) return undefined;
  let parsed: CodePriorFile;
  try {
    parsed = CodePriorFile.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined; // a cache: a damaged one is fitted again and replaced
  }
  if (
    parsed.modelSavedAt !== modelSavedAt ||
    parsed.mean.length !== dims ||
    parsed.covariance.length !== dims * dims
  )
    return undefined;
  return factorGaussian(Float64Array.from(parsed.mean), Float64Array.from(parsed.covariance));
}

/**
 * A plain autoencoder's prior: the full-covariance Gaussian fitted to its training codes, read from the cache
 * when it belongs to this saved model, else fitted and cached (atomically). Cached or fitted, the fit is the
 * same numbers (JSON keeps every float64), so the draws for a seed are too.
 */
export async function codePrior(
  model: Autoencoder,
  options: CodePriorOptions,
): Promise<Sampler & { fit: GaussianFit }> {
  const { cache } = options;
  const known =
    cache && !options.refit && (await readCodePrior(cache.file, cache.modelSavedAt, model.latentSize));
  if (known) return fittedSampler(model, known);
  const codes = typeof options.codes === 'function' ? await options.codes() : options.codes;
  const sampler = gaussianCodeSampler(model, codes);
  if (cache) {
    const file: CodePriorFile = {
      format: 'latentlab-code-prior',
      formatVersion: 1,
      modelSavedAt: cache.modelSavedAt,
      codes: codes.rows,
      mean: Array.from(sampler.fit.mean),
      covariance: Array.from(sampler.fit.covariance),
    };
    try {
      await writeFileAtomic(cache.file, `${JSON.stringify(file)}\n`);
    } catch (error) {
      // A read-only run still samples: the fit is recomputed (the same numbers) next time.
      if (!(error instanceof IoError)) throw error;
    }
  }
  return sampler;
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
  onProgress?: OnProgress,
): Promise<Float32Array> {
  const per = sampleSize(sampler.context);
  const out = new Float32Array(n * per);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const x = tf.tidy(() => {
      const labels = sampler.conditional ? classLabels(count, sampler.context.numClasses ?? 0) : undefined;
      return sampler.generate(sampler.samplePrior(count, seed + start), labels);
    });
    out.set((await x.data()) as Float32Array, start * per);
    x.dispose();
    onProgress?.({ task: 'sample', done: start + count, total: n });
  }
  return out;
}

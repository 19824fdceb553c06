// A one-dimensional Gaussian mixture fitted by expectation-maximisation: the modes of a numeric column for
// CTGAN's mode-specific normalisation (Xu et al. 2019). Written here because no maintained JavaScript package
// fits Gaussian mixtures (ml.js has k-means, not GMMs), and in one dimension EM is a few dozen lines. It follows
// scikit-learn's GaussianMixture (max_iter 100, tol 1e-3 on the mean log-likelihood, reg_covar 1e-6 added to each
// variance) on the standardised values; CTGAN/RDT fit sklearn's BayesianGaussianMixture with 10 components and
// keep those of weight above 0.005, which is what `maxModes` and `minWeight` do after a plain EM fit.
import { permutation } from '../random.js';

export interface Mixture {
  /** Per mode, in increasing order of mean. */
  means: number[];
  stds: number[];
  /** Summing to 1. */
  weights: number[];
}

export interface MixtureOptions {
  /** Components fitted (fewer when the column has fewer distinct values). Default 10. */
  maxModes?: number;
  /** Modes lighter than this are dropped after fitting and the rest renormalised. Default 0.005. */
  minWeight?: number;
  /** EM iterations at most. Default 100. */
  maxIterations?: number;
  /** Stop when the mean log-likelihood gains less than this. Default 1e-3. */
  tolerance?: number;
  /** Values fitted at most: more are subsampled (seeded), since 20,000 values place 10 modes well. */
  maxSamples?: number;
  seed?: number;
}

const REG = 1e-6;
const LOG_2PI = Math.log(2 * Math.PI);

/** Fit a mixture to `values` (finite numbers, at least one). */
export function fitMixture(values: ArrayLike<number>, options: MixtureOptions = {}): Mixture {
  const maxModes = options.maxModes ?? 10;
  const maxSamples = options.maxSamples ?? 20_000;
  let sample = Float64Array.from(values);
  if (sample.length > maxSamples) {
    const order = permutation(sample.length, options.seed ?? 0);
    const all = sample;
    sample = Float64Array.from(order.subarray(0, maxSamples), (i) => all[i]);
  }
  const n = sample.length;
  let mean = 0;
  for (const v of sample) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of sample) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / n);
  // A constant column is one mode; its width only has to be positive (alpha is 0 for its one value).
  if (!(sd > 0)) return { means: [mean], stds: [Math.max(Math.abs(mean) * 1e-6, 1e-6)], weights: [1] };
  const z = sample.map((v) => (v - mean) / sd);
  const sorted = Float64Array.from(z).sort();
  let distinct = 1;
  for (let i = 1; i < n && distinct < maxModes; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const k = Math.min(maxModes, distinct);

  // Deterministic start: means at evenly spaced quantiles, equal weights, variances of a k-th of the spread.
  const mu = Float64Array.from(
    { length: k },
    (_, j) => sorted[Math.min(n - 1, Math.floor(((j + 0.5) / k) * n))],
  );
  const vars = new Float64Array(k).fill(1 / (k * k) + REG);
  const logW = new Float64Array(k).fill(-Math.log(k));
  const resp = new Float64Array(n * k);
  const logP = new Float64Array(k);
  let previous = Number.NEGATIVE_INFINITY;
  for (let iteration = 0; iteration < (options.maxIterations ?? 100); iteration++) {
    // E-step, in logs: resp[i, j] = w_j N(z_i; mu_j, var_j) / sum over j.
    let total = 0;
    const logNorm = Float64Array.from(vars, (v, j) => logW[j] - 0.5 * (LOG_2PI + Math.log(v)));
    for (let i = 0; i < n; i++) {
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const d = z[i] - mu[j];
        logP[j] = logNorm[j] - (d * d) / (2 * vars[j]);
        if (logP[j] > top) top = logP[j];
      }
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(logP[j] - top);
      const logSum = top + Math.log(sum);
      total += logSum;
      for (let j = 0; j < k; j++) resp[i * k + j] = Math.exp(logP[j] - logSum);
    }
    const meanLogLikelihood = total / n;
    // M-step: weights, means, variances from the responsibilities (10 eps as sklearn, so no count is 0).
    for (let j = 0; j < k; j++) {
      let count = 10 * Number.EPSILON;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        count += resp[i * k + j];
        sum += resp[i * k + j] * z[i];
      }
      mu[j] = sum / count;
      let squares = 0;
      for (let i = 0; i < n; i++) squares += resp[i * k + j] * (z[i] - mu[j]) ** 2;
      vars[j] = squares / count + REG;
      logW[j] = Math.log(count / n);
    }
    if (Math.abs(meanLogLikelihood - previous) < (options.tolerance ?? 1e-3)) break;
    previous = meanLogLikelihood;
  }
  const minWeight = options.minWeight ?? 0.005;
  const kept = Array.from({ length: k }, (_, j) => j)
    .filter((j) => Math.exp(logW[j]) >= minWeight)
    .sort((a, b) => mu[a] - mu[b]);
  const weightSum = kept.reduce((s, j) => s + Math.exp(logW[j]), 0);
  return {
    means: kept.map((j) => mean + sd * mu[j]),
    stds: kept.map((j) => sd * Math.sqrt(vars[j])),
    weights: kept.map((j) => Math.exp(logW[j]) / weightSum),
  };
}

/** Log of w_k N(v; mean_k, std_k) for each mode: which mode a value belongs to. */
export function modeLogDensities(mixture: Mixture, value: number, out: Float64Array): Float64Array {
  for (let j = 0; j < mixture.means.length; j++) {
    const s = mixture.stds[j];
    const d = (value - mixture.means[j]) / s;
    out[j] = Math.log(mixture.weights[j]) - Math.log(s) - 0.5 * (LOG_2PI + d * d);
  }
  return out;
}

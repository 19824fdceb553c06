// A one-dimensional Gaussian mixture: the modes of a numeric column for CTGAN's mode-specific normalisation (Xu et
// al. 2019). Written here because no maintained JavaScript package fits Gaussian mixtures (ml.js has k-means, not
// GMMs), and in one dimension it is a page. Two fits, both following scikit-learn line by line on the values
// (reg_covar 1e-6, max_iter 100, tol 1e-3, started from k-means): `em`, GaussianMixture's maximum likelihood;
// and `dirichlet-process` (the default), BayesianGaussianMixture's variational fit with a stick-breaking prior of
// concentration 0.001, which empties the components the data does not need: what CTGAN and RDT's
// ClusterBasedNormalizer fit, with 10 components, keeping those of weight above 0.005.
import { createRng, permutation } from '../random.js';

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
  /** `dirichlet-process` (default): variational with a stick-breaking prior, as CTGAN; `em`: maximum likelihood. */
  prior?: 'dirichlet-process' | 'em';
}

const REG = 1e-6;
const LOG_2PI = Math.log(2 * Math.PI);

/**
 * Component j's responsibility-weighted count, mean and variance (plus REG), as scikit-learn's
 * _estimate_gaussian_parameters: the M-step of plain EM and the statistics of the variational one. 10 eps keeps
 * a count from being 0.
 */
function componentMoments(
  resp: Float64Array,
  z: Float64Array,
  k: number,
  j: number,
): { count: number; mean: number; variance: number } {
  const n = z.length;
  let count = 10 * Number.EPSILON;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    count += resp[i * k + j];
    sum += resp[i * k + j] * z[i];
  }
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += resp[i * k + j] * (z[i] - mean) ** 2;
  return { count, mean, variance: squares / count + REG };
}

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

  // Start as sklearn does (init_params 'kmeans'): k-means on the values, seeded with k-means++ (so no two
  // starting means coincide, even on a column that is mostly one value), then an M-step on the hard clusters.
  const mu = kMeans(z, k, createRng(options.seed ?? 0));
  const vars = new Float64Array(k);
  const logW = new Float64Array(k);
  {
    const count = new Float64Array(k);
    const squares = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const j = nearest(mu, z[i]);
      count[j]++;
      squares[j] += (z[i] - mu[j]) ** 2;
    }
    for (let j = 0; j < k; j++) {
      const c = count[j] + 10 * Number.EPSILON;
      vars[j] = squares[j] / c + REG;
      logW[j] = Math.log(c / n);
    }
  }
  if ((options.prior ?? 'dirichlet-process') === 'dirichlet-process')
    return keepModes(dirichletProcess(z, mu, options), mean, sd, options.minWeight ?? 0.005);
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
      const { count, mean, variance } = componentMoments(resp, z, k, j);
      mu[j] = mean;
      vars[j] = variance;
      logW[j] = Math.log(count / n);
    }
    if (Math.abs(meanLogLikelihood - previous) < (options.tolerance ?? 1e-3)) break;
    previous = meanLogLikelihood;
  }
  return keepModes(
    { means: Array.from(mu), variances: Array.from(vars), weights: Array.from(logW, Math.exp) },
    mean,
    sd,
    options.minWeight ?? 0.005,
  );
}

interface Fitted {
  means: number[];
  variances: number[];
  weights: number[];
}

/** Components of weight >= minWeight, in increasing order of mean, back in the column's units, renormalised. */
function keepModes(fitted: Fitted, mean: number, sd: number, minWeight: number): Mixture {
  const kept = fitted.weights
    .map((_, j) => j)
    .filter((j) => fitted.weights[j] >= minWeight)
    .sort((a, b) => fitted.means[a] - fitted.means[b]);
  const weightSum = kept.reduce((sum, j) => sum + fitted.weights[j], 0);
  return {
    means: kept.map((j) => mean + sd * fitted.means[j]),
    stds: kept.map((j) => sd * Math.sqrt(fitted.variances[j])),
    weights: kept.map((j) => fitted.weights[j] / weightSum),
  };
}

/** ln Gamma(x), x > 0 (Lanczos, g = 7, 9 terms: 15 digits). */
function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let a = c[0];
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The digamma function, x > 0: recurrence up to 6, then the asymptotic series. */
function digamma(x: number): number {
  let result = 0;
  while (x < 6) {
    result -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return (
    result + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))
  );
}

/**
 * scikit-learn's BayesianGaussianMixture (covariance full, one feature, weight_concentration_prior_type
 * dirichlet_process) on standardised values `z`, started from the k-means centres: the priors are its defaults
 * (mean prior the data mean, mean precision 1, degrees of freedom 1, covariance prior the data variance with
 * ddof 1) and the weight concentration prior RDT's 0.001.
 */
function dirichletProcess(z: Float64Array, centres: Float64Array, options: MixtureOptions): Fitted {
  const n = z.length;
  const k = centres.length;
  const gamma0 = 0.001;
  const beta0 = 1;
  const nu0 = 1;
  let m0 = 0;
  for (const v of z) m0 += v;
  m0 /= n;
  let psi0 = 0;
  for (const v of z) psi0 += (v - m0) ** 2;
  psi0 /= Math.max(1, n - 1);
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + nearest(centres, z[i])] = 1;
  const nk = new Float64Array(k);
  const a = new Float64Array(k);
  const b = new Float64Array(k);
  const beta = new Float64Array(k);
  const m = new Float64Array(k);
  const nu = new Float64Array(k);
  const cov = new Float64Array(k);
  const mStep = () => {
    for (let j = 0; j < k; j++) {
      const { count, mean: xk, variance: sk } = componentMoments(resp, z, k, j);
      nk[j] = count;
      beta[j] = beta0 + count;
      m[j] = (beta0 * m0 + count * xk) / beta[j];
      nu[j] = nu0 + count;
      cov[j] = (psi0 + count * sk + ((count * beta0) / beta[j]) * (xk - m0) ** 2) / nu[j];
    }
    // Stick-breaking: a_k = 1 + N_k, b_k = prior + the counts of the components after k.
    let after = 0;
    for (let j = k - 1; j >= 0; j--) {
      a[j] = 1 + nk[j];
      b[j] = gamma0 + after;
      after += nk[j];
    }
  };
  mStep();
  const logWeight = new Float64Array(k);
  const logTerm = new Float64Array(k);
  let previous = Number.NEGATIVE_INFINITY;
  for (let iteration = 0; iteration < (options.maxIterations ?? 100); iteration++) {
    // E-step: expected log weights under the stick-breaking posterior, expected log densities under the
    // Normal-Wishart one.
    let sticks = 0;
    for (let j = 0; j < k; j++) {
      const dSum = digamma(a[j] + b[j]);
      logWeight[j] = digamma(a[j]) - dSum + sticks;
      sticks += digamma(b[j]) - dSum;
      logTerm[j] =
        -0.5 * Math.log(cov[j]) -
        0.5 * LOG_2PI -
        0.5 * Math.log(nu[j]) +
        0.5 * (Math.LN2 + digamma(nu[j] / 2) - 1 / beta[j]);
    }
    let entropy = 0;
    for (let i = 0; i < n; i++) {
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const v = logWeight[j] + logTerm[j] - (0.5 * (z[i] - m[j]) ** 2) / cov[j];
        resp[i * k + j] = v;
        if (v > top) top = v;
      }
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp(resp[i * k + j] - top);
      const norm = top + Math.log(sum);
      for (let j = 0; j < k; j++) {
        const logR = resp[i * k + j] - norm;
        resp[i * k + j] = Math.exp(logR);
        entropy -= resp[i * k + j] * logR;
      }
    }
    mStep();
    // sklearn's lower bound (up to a constant), whose change decides convergence.
    let bound = entropy;
    for (let j = 0; j < k; j++) {
      const logDetChol = -0.5 * Math.log(cov[j]) - 0.5 * Math.log(nu[j]);
      const logWishartNorm = -(nu[j] * logDetChol + 0.5 * nu[j] * Math.LN2 + lnGamma(nu[j] / 2));
      const betaLn = lnGamma(a[j]) + lnGamma(b[j]) - lnGamma(a[j] + b[j]);
      bound += -logWishartNorm + betaLn - 0.5 * Math.log(beta[j]);
    }
    if (Math.abs(bound - previous) < (options.tolerance ?? 1e-3)) break;
    previous = bound;
  }
  // Expected weights of the sticks, normalised.
  const weights: number[] = [];
  let rest = 1;
  for (let j = 0; j < k; j++) {
    weights.push((rest * a[j]) / (a[j] + b[j]));
    rest *= b[j] / (a[j] + b[j]);
  }
  const total = weights.reduce((x, y) => x + y, 0);
  return { means: Array.from(m), variances: Array.from(cov), weights: weights.map((w) => w / total) };
}

function nearest(centres: Float64Array, v: number): number {
  let best = 0;
  for (let j = 1; j < centres.length; j++)
    if (Math.abs(v - centres[j]) < Math.abs(v - centres[best])) best = j;
  return best;
}

/** Lloyd's k-means in one dimension from a k-means++ start: `k` centres, all distinct values of `z`. */
function kMeans(z: Float64Array, k: number, rng: () => number): Float64Array {
  const n = z.length;
  const centres = new Float64Array(k);
  const d2 = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  centres[0] = z[Math.floor(rng() * n)];
  for (let j = 1; j < k; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      d2[i] = Math.min(d2[i], (z[i] - centres[j - 1]) ** 2);
      total += d2[i];
    }
    // Drawn in proportion to the squared distance: a value already a centre (distance 0) is never drawn again.
    let u = rng() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      u -= d2[i];
      if (u < 0 && d2[i] > 0) {
        pick = i;
        break;
      }
    }
    centres[j] = z[pick];
  }
  const sum = new Float64Array(k);
  const count = new Float64Array(k);
  for (let iteration = 0; iteration < 20; iteration++) {
    sum.fill(0);
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const j = nearest(centres, z[i]);
      sum[j] += z[i];
      count[j]++;
    }
    let moved = 0;
    for (let j = 0; j < k; j++) {
      if (count[j] === 0) continue;
      const next = sum[j] / count[j];
      moved = Math.max(moved, Math.abs(next - centres[j]));
      centres[j] = next;
    }
    if (moved < 1e-9) break;
  }
  return centres;
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

// A Gaussian mixture with full covariances fitted by EM, as scikit-learn's GaussianMixture (k-means start,
// reg_covar 1e-6 on the diagonal, stop when the mean log-likelihood moves less than 1e-3, at most 100 rounds).
// Hand-written in float64: ml-matrix and vega-statistics have no mixture, and a 16-D fit of 10 components on
// 60,000 codes is a few seconds of plain loops.
import { createRng } from '../../data/random.js';
import { ConfigError, NumericError } from '../../errors.js';
import type { Matrix } from '../../io/arrays.js';
import { cholesky, standardNormals } from '../code-prior.js';

export interface GmmOptions {
  components: number;
  seed: number;
  maxIterations?: number;
  tolerance?: number;
  regularization?: number;
  onIteration?: (iteration: number, meanLogLikelihood: number) => void;
}

export interface GmmFit {
  dims: number;
  weights: Float64Array;
  /** [k, d] row-major. */
  means: Float64Array;
  /** [k, d, d] row-major, regularisation included. */
  covariances: Float64Array;
  /** Mean log-likelihood of the fitted codes (nats per code). */
  meanLogLikelihood: number;
  iterations: number;
  converged: boolean;
}

const LOG_2PI = Math.log(2 * Math.PI);

function row(m: Matrix, i: number): Float32Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols) as Float32Array;
}

/**
 * Greedy k-means++ seeding (as scikit-learn's: 2 + ⌊ln k⌋ candidates drawn by D² per centre, the one that lowers
 * the potential most kept) and Lloyd rounds: hard labels to start EM from (scikit-learn's default init).
 */
function kMeansLabels(codes: Matrix, k: number, seed: number, rounds = 50): Int32Array {
  const { rows: n, cols: d } = codes;
  const rng = createRng(seed);
  const centers = new Float64Array(k * d);
  const squared = (i: number, center: ArrayLike<number>, offset: number) => {
    const x = row(codes, i);
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[j] - center[offset + j]) ** 2;
    return s;
  };
  const first = Math.floor(rng() * n);
  centers.set(row(codes, first), 0);
  let dist: Float64Array = Float64Array.from({ length: n }, (_, i) => squared(i, centers, 0));
  const trials = 2 + Math.floor(Math.log(k));
  for (let c = 1; c < k; c++) {
    const total = dist.reduce((a, b) => a + b, 0);
    let best: { dist: Float64Array; potential: number; pick: number } | undefined;
    for (let t = 0; t < trials; t++) {
      let target = rng() * total;
      let pick = n - 1;
      for (let i = 0; i < n; i++) {
        target -= dist[i];
        if (target <= 0) {
          pick = i;
          break;
        }
      }
      const candidate = row(codes, pick);
      const next = Float64Array.from({ length: n }, (_, i) => Math.min(dist[i], squared(i, candidate, 0)));
      const potential = next.reduce((a, b) => a + b, 0);
      if (!best || potential < best.potential) best = { dist: next, potential, pick };
    }
    centers.set(row(codes, best!.pick), c * d);
    dist = best!.dist;
  }
  const labels = new Int32Array(n);
  for (let round = 0; round < rounds; round++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const x = row(codes, i);
      let best = 0;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (x[j] - centers[c * d + j]) ** 2;
        if (s < bestDist) {
          bestDist = s;
          best = c;
        }
      }
      if (labels[i] !== best || round === 0) moved++;
      labels[i] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const x = row(codes, i);
      counts[labels[i]]++;
      for (let j = 0; j < d; j++) sums[labels[i] * d + j] += x[j];
    }
    for (let c = 0; c < k; c++)
      if (counts[c] > 0) for (let j = 0; j < d; j++) centers[c * d + j] = sums[c * d + j] / counts[c];
    if (moved === 0) break;
  }
  return labels;
}

/** M-step from responsibilities [n, k]: weights, means and regularised covariances. */
function maximise(codes: Matrix, resp: Float64Array, k: number, reg: number) {
  const { rows: n, cols: d } = codes;
  const nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const x = row(codes, i);
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      nk[c] += r;
      for (let j = 0; j < d; j++) means[c * d + j] += r * x[j];
    }
  }
  // scikit-learn adds 10·eps to each component's mass, so an empty one divides by no zero.
  for (let c = 0; c < k; c++) nk[c] += 10 * Number.EPSILON;
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] /= nk[c];
  const covariances = new Float64Array(k * d * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const x = row(codes, i);
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      for (let j = 0; j < d; j++) diff[j] = x[j] - means[c * d + j];
      const base = c * d * d;
      for (let a = 0; a < d; a++) {
        const ra = r * diff[a];
        for (let b = 0; b <= a; b++) covariances[base + a * d + b] += ra * diff[b];
      }
    }
  }
  for (let c = 0; c < k; c++) {
    const base = c * d * d;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = covariances[base + a * d + b] / nk[c] + (a === b ? reg : 0);
        covariances[base + a * d + b] = v;
        covariances[base + b * d + a] = v;
      }
    }
  }
  const weights = nk.map((v) => v / n);
  return { weights, means, covariances };
}

/** Per component: Cholesky factor and log-normaliser (-½ d log 2π - ½ log det Σ). */
function factors(fit: Pick<GmmFit, 'dims' | 'covariances' | 'weights'>) {
  const d = fit.dims;
  const k = fit.weights.length;
  return Array.from({ length: k }, (_, c) => {
    const l = cholesky(fit.covariances.subarray(c * d * d, (c + 1) * d * d), d);
    if (!l)
      throw new NumericError(`GMM component ${c} has a covariance that is not positive definite`, {
        path: 'codes',
      });
    let logDet = 0;
    for (let j = 0; j < d; j++) logDet += 2 * Math.log(l[j * d + j]);
    return { l, logNorm: -0.5 * (d * LOG_2PI + logDet) };
  });
}

/** log w_c + log N(x | μ_c, Σ_c) for every code and component: [n, k]. */
function weightedLogDensities(
  fit: Pick<GmmFit, 'dims' | 'covariances' | 'weights' | 'means'>,
  codes: Matrix,
) {
  const d = fit.dims;
  const k = fit.weights.length;
  const f = factors(fit);
  const out = new Float64Array(codes.rows * k);
  const y = new Float64Array(d);
  for (let i = 0; i < codes.rows; i++) {
    const x = row(codes, i);
    for (let c = 0; c < k; c++) {
      const { l, logNorm } = f[c];
      // Solve L y = x - μ: the Mahalanobis distance is |y|².
      let m = 0;
      for (let a = 0; a < d; a++) {
        let s = x[a] - fit.means[c * d + a];
        for (let b = 0; b < a; b++) s -= l[a * d + b] * y[b];
        y[a] = s / l[a * d + a];
        m += y[a] * y[a];
      }
      out[i * k + c] = Math.log(fit.weights[c]) + logNorm - 0.5 * m;
    }
  }
  return out;
}

/** Responsibilities in place of the weighted log densities; returns the log-likelihood per code. */
function normalise(logs: Float64Array, n: number, k: number): Float64Array {
  const ll = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, logs[i * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(logs[i * k + c] - max);
    const lse = max + Math.log(s);
    ll[i] = lse;
    for (let c = 0; c < k; c++) logs[i * k + c] = Math.exp(logs[i * k + c] - lse);
  }
  return ll;
}

const mean = (values: Float64Array) => values.reduce((a, b) => a + b, 0) / values.length;

/** Fit a K-component full-covariance mixture to the rows of `codes` [n, d] by EM. */
export function fitGmm(codes: Matrix, options: GmmOptions): GmmFit {
  const { components: k, seed } = options;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-3;
  const reg = options.regularization ?? 1e-6;
  if (!Number.isInteger(k) || k < 1)
    throw new ConfigError(`a GMM needs a positive whole number of components, got ${k}`, {
      path: 'components',
    });
  if (codes.rows < 2 * k)
    throw new ConfigError(`a GMM of ${k} components needs at least ${2 * k} codes, got ${codes.rows}`, {
      path: 'codes',
    });
  const n = codes.rows;
  const labels = kMeansLabels(codes, k, seed);
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + labels[i]] = 1;
  let params = maximise(codes, resp, k, reg);
  let previous = Number.NEGATIVE_INFINITY;
  let current = previous;
  let iterations = 0;
  let converged = false;
  for (let it = 1; it <= maxIterations; it++) {
    const logs = weightedLogDensities({ dims: codes.cols, ...params }, codes);
    current = mean(normalise(logs, n, k));
    iterations = it;
    options.onIteration?.(it, current);
    if (Math.abs(current - previous) < tolerance) {
      converged = true;
      break;
    }
    previous = current;
    params = maximise(codes, logs, k, reg);
  }
  // The reported likelihood is of the final parameters (scikit-learn's score after fit does the same E-step).
  const fit = { dims: codes.cols, ...params, meanLogLikelihood: current, iterations, converged };
  fit.meanLogLikelihood = mean(gmmLogDensity(fit, codes));
  return fit;
}

/** log p(x) of every row of `codes` under the mixture (nats). */
export function gmmLogDensity(
  fit: Pick<GmmFit, 'dims' | 'covariances' | 'weights' | 'means'>,
  codes: Matrix,
) {
  return normalise(weightedLogDensities(fit, codes), codes.rows, fit.weights.length);
}

/** n seeded draws [n, d]: a component by its weight, then μ + L ε. */
export function sampleGmm(
  fit: Pick<GmmFit, 'dims' | 'covariances' | 'weights' | 'means'>,
  n: number,
  seed: number,
): Matrix {
  const d = fit.dims;
  const f = factors(fit);
  const rng = createRng(seed);
  const eps = standardNormals(n * d, seed + 1);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let u = rng();
    let c = 0;
    while (c < fit.weights.length - 1 && u >= fit.weights[c]) u -= fit.weights[c++];
    const { l } = f[c];
    for (let a = 0; a < d; a++) {
      let v = fit.means[c * d + a];
      for (let b = 0; b <= a; b++) v += l[a * d + b] * eps[i * d + b];
      data[i * d + a] = v;
    }
  }
  return { rows: n, cols: d, data };
}

// One-class SVM (Schölkopf et al. 2001) with scikit-learn's and PyOD's defaults: RBF kernel, nu = 0.5,
// gamma = 'scale' = 1 / (features * variance of all training values). The dual, min ½ αᵀKα with 0 <= α_i <= 1
// and Σα = ν·n, is solved as libsvm does (SMO with second-order working-set selection, Fan, Chen and Lin 2005;
// stopping at a gap of 1e-3), without shrinking. Hand-written: it is about a hundred lines, and the wasm libsvm
// on npm (libsvm-js) is not installed here. The anomaly score is -Σ α_i K(x_i, x), scikit-learn's score_samples
// negated.
import type { Matrix } from '../../io/arrays.js';
import { checkColumns, type Detector, fitted } from './detector.js';

const TAU = 1e-12;
/** libsvm's default stopping tolerance. */
const EPSILON = 1e-3;
/** Kernel rows kept at most (bytes): enough for the whole matrix of ~5,000 rows, a cache beyond. */
const CACHE_BYTES = 100e6;

export interface OneClassSvmOptions {
  nu?: number;
  /** RBF width; default 'scale'. */
  gamma?: number;
}

function squaredDistance(a: Float32Array, ai: number, b: Float32Array, bi: number, d: number): number {
  let s = 0;
  for (let f = 0; f < d; f++) {
    const diff = a[ai + f] - b[bi + f];
    s += diff * diff;
  }
  return s;
}

/** gamma = 'scale': 1 / (features × variance of every value), as scikit-learn. */
export function scaleGamma(x: Matrix): number {
  let mean = 0;
  for (const v of x.data) mean += v;
  mean /= x.data.length;
  let variance = 0;
  for (const v of x.data) variance += (v - mean) ** 2;
  variance /= x.data.length;
  return variance > 0 ? 1 / (x.cols * variance) : 1;
}

export class OneClassSvm implements Detector {
  readonly name = 'ocsvm';
  private state?: { support: Matrix; alpha: Float64Array; gamma: number; rho: number };
  constructor(readonly options: OneClassSvmOptions = {}) {}

  async fit(x: Matrix): Promise<void> {
    const n = x.rows;
    const d = x.cols;
    const nu = this.options.nu ?? 0.5;
    const gamma = this.options.gamma ?? scaleGamma(x);
    const cache = new Map<number, Float32Array>();
    const capacity = Math.max(2, Math.floor(CACHE_BYTES / (4 * n)));
    const kernelRow = (i: number): Float32Array => {
      let values = cache.get(i);
      if (values) {
        cache.delete(i);
        cache.set(i, values);
        return values;
      }
      values = new Float32Array(n);
      for (let j = 0; j < n; j++)
        values[j] = Math.exp(-gamma * squaredDistance(x.data, i * d, x.data, j * d, d));
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as number);
      cache.set(i, values);
      return values;
    };
    // libsvm's start: the first floor(ν n) alphas at the bound 1, the next one takes the remainder.
    const alpha = new Float64Array(n);
    const full = Math.floor(nu * n);
    for (let i = 0; i < full && i < n; i++) alpha[i] = 1;
    if (full < n) alpha[full] = nu * n - full;
    const gradient = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (alpha[i] === 0) continue;
      const row = kernelRow(i);
      for (let j = 0; j < n; j++) gradient[j] += alpha[i] * row[j];
    }
    const maxIterations = Math.max(10_000_000, 100 * n);
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      // i: the most violating alpha that can grow; j: the second-order best partner among those that can shrink.
      let gMax = Number.NEGATIVE_INFINITY;
      let i = -1;
      for (let t = 0; t < n; t++) {
        if (alpha[t] < 1 && -gradient[t] >= gMax) {
          gMax = -gradient[t];
          i = t;
        }
      }
      if (i < 0) break;
      const rowI = kernelRow(i);
      let gMax2 = Number.NEGATIVE_INFINITY;
      let j = -1;
      let best = Number.POSITIVE_INFINITY;
      for (let t = 0; t < n; t++) {
        if (alpha[t] <= 0) continue;
        if (gradient[t] >= gMax2) gMax2 = gradient[t];
        const diff = gMax + gradient[t];
        if (diff > 0) {
          const quad = 2 - 2 * rowI[t];
          const objective = -(diff * diff) / (quad > 0 ? quad : TAU);
          if (objective <= best) {
            best = objective;
            j = t;
          }
        }
      }
      if (gMax + gMax2 < EPSILON || j < 0) break;
      const rowJ = kernelRow(j);
      const quad = Math.max(2 - 2 * rowI[j], TAU);
      const oldI = alpha[i];
      const oldJ = alpha[j];
      const delta = (gradient[i] - gradient[j]) / quad;
      const sum = oldI + oldJ;
      let ai = oldI - delta;
      let aj = oldJ + delta;
      // Clip to the box [0, 1] along the line ai + aj = sum (libsvm's same-label case).
      if (sum > 1) {
        if (ai > 1) {
          ai = 1;
          aj = sum - 1;
        }
      } else if (aj < 0) {
        aj = 0;
        ai = sum;
      }
      if (sum > 1) {
        if (aj > 1) {
          aj = 1;
          ai = sum - 1;
        }
      } else if (ai < 0) {
        ai = 0;
        aj = sum;
      }
      alpha[i] = ai;
      alpha[j] = aj;
      const di = ai - oldI;
      const dj = aj - oldJ;
      for (let t = 0; t < n; t++) gradient[t] += rowI[t] * di + rowJ[t] * dj;
    }
    // ρ: the mean gradient over free alphas (libsvm's calculate_rho), else the middle of the bounds.
    let free = 0;
    let freeSum = 0;
    let upper = Number.POSITIVE_INFINITY;
    let lower = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < n; t++) {
      if (alpha[t] > 0 && alpha[t] < 1) {
        free++;
        freeSum += gradient[t];
      } else if (alpha[t] >= 1) lower = Math.max(lower, gradient[t]);
      else upper = Math.min(upper, gradient[t]);
    }
    const rho = free > 0 ? freeSum / free : (upper + lower) / 2;
    const kept = Array.from(alpha.keys()).filter((t) => alpha[t] > 0);
    const support = new Float32Array(kept.length * d);
    kept.forEach((t, k) => {
      support.set(x.data.subarray(t * d, (t + 1) * d), k * d);
    });
    this.state = {
      support: { rows: kept.length, cols: d, data: support },
      alpha: Float64Array.from(kept, (t) => alpha[t]),
      gamma,
      rho,
    };
  }

  /** Σ α_i K(x_i, x) − ρ per row: scikit-learn's decision_function (positive inside the learned region). */
  decision(x: Matrix): Float64Array {
    const { support, alpha, gamma, rho } = fitted(this.state, this.name);
    checkColumns(x, support.cols, this.name);
    const d = x.cols;
    return Float64Array.from({ length: x.rows }, (_, r) => {
      let s = 0;
      for (let k = 0; k < support.rows; k++)
        s += alpha[k] * Math.exp(-gamma * squaredDistance(support.data, k * d, x.data, r * d, d));
      return s - rho;
    });
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { rho } = fitted(this.state, this.name);
    return this.decision(x).map((v) => -(v + rho));
  }
}

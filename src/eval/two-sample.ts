// Two-sample test between point sets (e.g. a model's codes against draws from its prior): the unbiased MMD²
// with a Gaussian kernel whose bandwidth is the median pairwise distance, and a seeded permutation p-value.
import { permutation } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';

export interface TwoSampleOptions {
  /** Random relabellings for the p-value (default 200). */
  permutations?: number;
  seed?: number;
  /** Each set is cut to a seeded random subset of this many points first (default 1000): the kernel is N². */
  maxPoints?: number;
  /** Kernel bandwidth σ in k(x, y) = exp(-|x - y|² / (2σ²)); default the median heuristic. */
  bandwidth?: number;
}

export interface TwoSampleTest {
  /** Unbiased MMD² estimate: 0 in expectation when both sets come from one distribution (may be < 0). */
  mmd2: number;
  /** (1 + relabellings with MMD² ≥ the observed one) / (1 + permutations). */
  pValue: number;
  bandwidth: number;
  permutations: number;
  /** Points used from each set (after maxPoints). */
  sizes: [number, number];
}

function checkSets(x: Matrix, y: Matrix): void {
  if (x.cols !== y.cols)
    throw new ConfigError(`point sets differ in width: ${x.cols} vs ${y.cols}`, { path: 'points' });
  if (x.rows < 2 || y.rows < 2) {
    throw new ConfigError(`expected at least 2 points per set, got ${x.rows} and ${y.rows}`, {
      path: 'points',
    });
  }
}

/** The rows of x and y stacked, in float64: [x.rows + y.rows, cols]. */
function pooled(x: Matrix, y: Matrix): Float64Array {
  const out = new Float64Array((x.rows + y.rows) * x.cols);
  out.set(x.data.subarray(0, x.rows * x.cols));
  out.set(y.data.subarray(0, y.rows * y.cols), x.rows * x.cols);
  return out;
}

/** Squared distances between all rows of z [n, d]: [n, n]. */
function squaredDistances(z: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = z[i * d + k] - z[j * d + k];
        s += diff * diff;
      }
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/** Median of the pairwise distances (i < j) of the pooled points; the midpoint of the two middle ones for even counts. */
function medianDistance(d2: Float64Array, n: number): number {
  const values = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) values[k++] = Math.sqrt(d2[i * n + j]);
  values.sort();
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/** The median heuristic: σ = median pairwise distance over both sets pooled. */
export function medianBandwidth(x: Matrix, y: Matrix): number {
  checkSets(x, y);
  const n = x.rows + y.rows;
  return medianDistance(squaredDistances(pooled(x, y), n, x.cols), n);
}

/** Unbiased MMD² of the split `inX` (true: first set) from the kernel matrix k [n, n]. */
function mmd2FromKernel(k: Float64Array, n: number, inX: Uint8Array): number {
  let sxx = 0;
  let syy = 0;
  let total = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (inX[i]) m++;
    const row = i * n;
    for (let j = i + 1; j < n; j++) {
      const v = k[row + j];
      total += v;
      if (inX[i] && inX[j]) sxx += v;
      else if (!inX[i] && !inX[j]) syy += v;
    }
  }
  const r = n - m;
  const sxy = total - sxx - syy;
  // Sums above run over i < j: the off-diagonal means are 2·s / (m(m - 1)), the cross mean sxy / (m·r).
  return (2 * sxx) / (m * (m - 1)) + (2 * syy) / (r * (r - 1)) - (2 * sxy) / (m * r);
}

function gaussianKernel(d2: Float64Array, bandwidth: number): Float64Array {
  const scale = -1 / (2 * bandwidth * bandwidth);
  return d2.map((v) => Math.exp(v * scale));
}

/** Unbiased MMD² with k(x, y) = exp(-|x - y|² / (2σ²)); σ defaults to the median heuristic. */
export function gaussianMmd2(x: Matrix, y: Matrix, bandwidth?: number): number {
  checkSets(x, y);
  const n = x.rows + y.rows;
  const d2 = squaredDistances(pooled(x, y), n, x.cols);
  const sigma = bandwidth ?? medianDistance(d2, n);
  const inX = new Uint8Array(n).fill(1, 0, x.rows);
  return mmd2FromKernel(gaussianKernel(d2, sigma > 0 ? sigma : 1), n, inX);
}

function seededSubset(m: Matrix, max: number, seed: number): Matrix {
  if (m.rows <= max) return m;
  const order = permutation(m.rows, seed).subarray(0, max);
  const data = new Float32Array(max * m.cols);
  for (let i = 0; i < max; i++)
    data.set(m.data.subarray(order[i] * m.cols, (order[i] + 1) * m.cols), i * m.cols);
  return { rows: max, cols: m.cols, data };
}

/**
 * MMD two-sample test (Gretton et al. 2012): the unbiased MMD² between x and y, and the share of random
 * relabellings of the pooled points whose MMD² reaches it. Deterministic given the seed.
 */
export function mmdTest(x: Matrix, y: Matrix, options: TwoSampleOptions = {}): TwoSampleTest {
  checkSets(x, y);
  const permutations = options.permutations ?? 200;
  const seed = options.seed ?? 0;
  const maxPoints = options.maxPoints ?? 1000;
  if (!Number.isInteger(permutations) || permutations < 1)
    throw new ConfigError(`expected a positive number of permutations, got ${permutations}`, {
      path: 'permutations',
    });
  const a = seededSubset(x, maxPoints, seed * 7919 + 1);
  const b = seededSubset(y, maxPoints, seed * 7919 + 2);
  const n = a.rows + b.rows;
  const d2 = squaredDistances(pooled(a, b), n, a.cols);
  const median = medianDistance(d2, n);
  const bandwidth = options.bandwidth ?? (median > 0 ? median : 1);
  const k = gaussianKernel(d2, bandwidth);
  const inX = new Uint8Array(n).fill(1, 0, a.rows);
  const observed = mmd2FromKernel(k, n, inX);
  let reached = 0;
  for (let p = 0; p < permutations; p++) {
    const order = permutation(n, seed * 7919 + 3 + p);
    inX.fill(0);
    for (let i = 0; i < a.rows; i++) inX[order[i]] = 1;
    if (mmd2FromKernel(k, n, inX) >= observed) reached++;
  }
  return {
    mmd2: observed,
    pValue: (1 + reached) / (1 + permutations),
    bandwidth,
    permutations,
    sizes: [a.rows, b.rows],
  };
}

// Sample-quality metrics in a classifier's feature space: Frechet distance, kernel distance (KID),
// precision/recall of generative models and class coverage. Statistics in float64 JS; big products in tf.
import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import { permutation } from '../data/random.js';
import { computeValues } from '../engine/memory.js';
import { type Tensor, tf } from '../engine/tf.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';

function checkFeatures(a: Matrix, b: Matrix, minRows: number): void {
  if (a.cols !== b.cols)
    throw new ConfigError(`feature sets differ in width: ${a.cols} vs ${b.cols}`, { path: 'features' });
  if (a.rows < minRows || b.rows < minRows) {
    throw new ConfigError(
      `expected at least ${minRows} samples per feature set, got ${a.rows} and ${b.rows}`,
      {
        path: 'features',
      },
    );
  }
}

/** Mean [d] and unbiased covariance [d, d] (row-major), in float64. */
export function meanAndCovariance(x: Matrix): { mean: Float64Array; covariance: Float64Array } {
  const { rows: n, cols: d, data } = x;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const covariance = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const offset = a * d;
      for (let b = a; b < d; b++) covariance[offset + b] += ra * row[b];
    }
  }
  const scale = 1 / Math.max(1, n - 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = covariance[a * d + b] * scale;
      covariance[a * d + b] = v;
      covariance[b * d + a] = v;
    }
  }
  return { mean, covariance };
}

function toMl(values: Float64Array, d: number): MlMatrix {
  return new MlMatrix(Array.from({ length: d }, (_, i) => Array.from(values.subarray(i * d, (i + 1) * d))));
}

/** Symmetric eigendecomposition with round-off negatives clamped to 0 (the input is PSD). */
function psdEigen(m: MlMatrix): { values: number[]; vectors: MlMatrix } {
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: evd.realEigenvalues.map((v) => Math.max(0, v)), vectors: evd.eigenvectorMatrix };
}

/** Frechet distance between Gaussians (m1, C1) and (m2, C2): |m1-m2|^2 + tr(C1 + C2 - 2 (C1 C2)^1/2). */
export function frechetDistanceFromStats(
  mean1: Float64Array,
  cov1: Float64Array,
  mean2: Float64Array,
  cov2: Float64Array,
): number {
  const d = mean1.length;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (mean1[j] - mean2[j]) ** 2;
  let trace = 0;
  for (let j = 0; j < d; j++) trace += cov1[j * d + j] + cov2[j * d + j];
  // tr((C1 C2)^1/2) = tr((S C2 S)^1/2) with S = C1^1/2: S C2 S is symmetric PSD, so its square root's
  // trace is the sum of the square roots of its eigenvalues; no non-symmetric matrix square root needed.
  const { values, vectors } = psdEigen(toMl(cov1, d));
  const sqrt1 = vectors.mmul(MlMatrix.diag(values.map(Math.sqrt))).mmul(vectors.transpose());
  const middle = sqrt1.mmul(toMl(cov2, d)).mmul(sqrt1);
  const symmetric = middle.add(middle.transpose()).mul(0.5);
  const rootTrace = psdEigen(symmetric).values.reduce((a, v) => a + Math.sqrt(v), 0);
  return Math.max(0, meanTerm + trace - 2 * rootTrace);
}

/** Frechet distance between the Gaussians fitted to two feature sets [n, d]. */
export function frechetDistance(real: Matrix, fake: Matrix): number {
  checkFeatures(real, fake, 2);
  const a = meanAndCovariance(real);
  const b = meanAndCovariance(fake);
  return frechetDistanceFromStats(a.mean, a.covariance, b.mean, b.covariance);
}

function rowsTensor(x: Matrix, indices: ArrayLike<number>): Tensor {
  const d = x.cols;
  const out = new Float32Array(indices.length * d);
  for (let i = 0; i < indices.length; i++)
    out.set(x.data.subarray(indices[i] * d, (indices[i] + 1) * d), i * d);
  return tf.tensor2d(out, [indices.length, d]);
}

/** Gram matrix a bᵀ read back to JS (the cubic kernel and the sums then run in float64). */
function gram(a: Tensor, b: Tensor): Float32Array {
  const g = tf.matMul(a, b, false, true);
  const values = g.dataSync() as Float32Array;
  g.dispose();
  return values;
}

/** Unbiased MMD^2 with the kernel k(x, y) = (x·y / d + 1)^3 between [m, d] and [n, d]. */
function mmdPolynomial(x: Tensor, y: Tensor, d: number): number {
  const m = x.shape[0];
  const n = y.shape[0];
  const k = (dot: number) => (dot / d + 1) ** 3;
  const offDiagonalMean = (g: Float32Array, size: number) => {
    let sum = 0;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) if (i !== j) sum += k(g[i * size + j]);
    return sum / (size * (size - 1));
  };
  const xy = gram(x, y);
  let cross = 0;
  for (let i = 0; i < xy.length; i++) cross += k(xy[i]);
  return offDiagonalMean(gram(x, x), m) + offDiagonalMean(gram(y, y), n) - (2 * cross) / (m * n);
}

export interface KernelDistanceOptions {
  /** Random subsets averaged over (default 10). */
  subsets?: number;
  /** Samples per subset from each set, capped by the smaller set (default 1000). */
  subsetSize?: number;
  seed?: number;
}

export interface KernelDistance {
  mean: number;
  std: number;
  subsets: number;
  subsetSize: number;
}

/**
 * Kernel distance (KID, Binkowski et al. 2018): unbiased MMD^2 with the cubic polynomial kernel,
 * averaged over random subsets drawn without replacement; std is over the subsets.
 */
export function kernelDistance(
  real: Matrix,
  fake: Matrix,
  options: KernelDistanceOptions = {},
): KernelDistance {
  checkFeatures(real, fake, 2);
  const subsets = options.subsets ?? 10;
  const subsetSize = Math.min(options.subsetSize ?? 1000, real.rows, fake.rows);
  const seed = options.seed ?? 0;
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const realIdx = permutation(real.rows, seed * 7919 + 2 * s).subarray(0, subsetSize);
    const fakeIdx = permutation(fake.rows, seed * 7919 + 2 * s + 1).subarray(0, subsetSize);
    const x = rowsTensor(real, realIdx);
    const y = rowsTensor(fake, fakeIdx);
    values.push(mmdPolynomial(x, y, real.cols));
    tf.dispose([x, y]);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, std, subsets, subsetSize };
}

/** Rows per distance chunk: chunk × reference entries stay near 4M floats (16 MB). */
function chunkRows(reference: number): number {
  return Math.max(1, Math.floor(4_000_000 / Math.max(1, reference)));
}

/** Squared distances [c, n] between the rows of a [c, d] and b [n, d]; bNorms is |b_j|^2 as [1, n]. */
function squaredDistances(a: Tensor, b: Tensor, bNorms: Tensor): Tensor {
  return tf.tidy(() => {
    const aNorms = tf.sum(tf.square(a), 1, true);
    return tf.relu(tf.sub(tf.add(aNorms, bNorms), tf.mul(2, tf.matMul(a, b, false, true))));
  });
}

/** Squared distance from each row to its k-th nearest other row of the same set. */
export function knnRadiiSquared(x: Matrix, k: number): Float32Array {
  if (x.rows <= k)
    throw new ConfigError(`k-NN radii with k = ${k} need more than ${k} samples, got ${x.rows}`, {
      path: 'k',
    });
  const all = tf.tensor2d(x.data, [x.rows, x.cols]);
  const norms = tf.tidy(() => tf.reshape(tf.sum(tf.square(all), 1), [1, x.rows]));
  const radii = new Float32Array(x.rows);
  const step = chunkRows(x.rows);
  for (let start = 0; start < x.rows; start += step) {
    const count = Math.min(step, x.rows - start);
    const kth = computeValues(() => {
      const d2 = squaredDistances(tf.slice(all, [start, 0], [count, x.cols]), all, norms);
      // k + 1 smallest: the row itself (distance 0) comes first.
      const { values } = tf.topk(tf.neg(d2), k + 1, true);
      return tf.neg(tf.slice(values, [0, k], [count, 1]));
    });
    radii.set(kth, start);
  }
  tf.dispose([all, norms]);
  return radii;
}

/** Share of `query` rows inside at least one ball (reference row j, squared radius radii2[j]). */
function shareInside(query: Matrix, reference: Matrix, radii2: Float32Array): number {
  const ref = tf.tensor2d(reference.data, [reference.rows, reference.cols]);
  const norms = tf.tidy(() => tf.reshape(tf.sum(tf.square(ref), 1), [1, reference.rows]));
  const radii = tf.tensor2d(radii2, [1, reference.rows]);
  const step = chunkRows(reference.rows);
  let inside = 0;
  for (let start = 0; start < query.rows; start += step) {
    const count = Math.min(step, query.rows - start);
    inside += computeValues(() => {
      const q = tf.tensor2d(query.data.subarray(start * query.cols, (start + count) * query.cols), [
        count,
        query.cols,
      ]);
      return tf.sum(tf.cast(tf.any(tf.lessEqual(squaredDistances(q, ref, norms), radii), 1), 'int32'));
    })[0];
  }
  tf.dispose([ref, norms, radii]);
  return inside / query.rows;
}

export interface PrecisionRecall {
  /** Share of generated samples inside the real manifold. */
  precision: number;
  /** Share of real samples inside the generated manifold. */
  recall: number;
  k: number;
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls
 * around its samples with radius the distance to the k-th nearest neighbour within the set.
 */
export function precisionRecall(
  real: Matrix,
  fake: Matrix,
  k = 3,
  /** knnRadiiSquared(real, k), computed once when many fake sets are scored against one real set. */
  realRadiiSquared?: Float32Array,
): PrecisionRecall {
  checkFeatures(real, fake, k + 1);
  if (realRadiiSquared && realRadiiSquared.length !== real.rows) {
    throw new ConfigError(
      `expected ${real.rows} real radii (one per real row), got ${realRadiiSquared.length}`,
      {
        path: 'realRadiiSquared',
      },
    );
  }
  const realRadii = realRadiiSquared ?? knnRadiiSquared(real, k);
  const fakeRadii = knnRadiiSquared(fake, k);
  return { precision: shareInside(fake, real, realRadii), recall: shareInside(real, fake, fakeRadii), k };
}

export interface ClassCoverage {
  /** Samples per predicted class. */
  counts: number[];
  /** KL(histogram ‖ uniform) in nats: 0 when balanced, log(numClasses) when all in one class. */
  klFromUniform: number;
  /** Classes predicted for at least one sample. */
  covered: number;
  numClasses: number;
}

/** How evenly a classifier's predicted labels spread over the classes. */
export function classCoverage(labels: ArrayLike<number>, numClasses: number): ClassCoverage {
  if (labels.length === 0)
    throw new ConfigError('class coverage needs at least one label', { path: 'labels' });
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses)
      throw new ConfigError(`label ${c} outside [0, ${numClasses})`, { path: 'labels' });
    counts[c]++;
  }
  let kl = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / labels.length;
    kl += p * Math.log(p * numClasses);
  }
  return { counts, klFromUniform: kl, covered: counts.filter((c) => c > 0).length, numClasses };
}

/**
 * KL(p ‖ q) in nats between two class histograms (counts or shares; each is normalised here). q is mixed
 * with `floor` of the uniform histogram, so a class the reference lacks costs a large, finite amount.
 */
export function klBetweenHistograms(p: ArrayLike<number>, q: ArrayLike<number>, floor = 1e-4): number {
  const classes = p.length;
  if (classes === 0 || q.length !== classes)
    throw new ConfigError(`histograms of ${classes} and ${q.length} classes do not compare`, {
      path: 'classes',
    });
  let pTotal = 0;
  let qTotal = 0;
  for (let c = 0; c < classes; c++) {
    pTotal += p[c];
    qTotal += q[c];
  }
  if (pTotal <= 0 || qTotal <= 0) throw new ConfigError('a class histogram is empty', { path: 'classes' });
  let kl = 0;
  for (let c = 0; c < classes; c++) {
    if (p[c] <= 0) continue;
    const pc = p[c] / pTotal;
    const qc = (1 - floor) * (q[c] / qTotal) + floor / classes;
    kl += pc * Math.log(pc / qc);
  }
  return kl;
}

export interface SampleQualityOptions {
  /** Names the feature space in the report, e.g. 'latentlab fashion-mnist classifier'. */
  featureSpace?: string;
  kid?: KernelDistanceOptions;
  /** Neighbours for the precision/recall radii (default 3). */
  k?: number;
  /** The real features' squared k-NN radii (knnRadiiSquared(real, k)), to reuse across calls. */
  realRadiiSquared?: Float32Array;
}

export interface SampleQuality {
  featureSpace: string;
  /** e.g. "FD (latentlab fashion-mnist classifier)": not FID, the features are not Inception's. */
  fdName: string;
  frechetDistance: number;
  kernelDistance: KernelDistance;
  precision: number;
  recall: number;
  k: number;
  coverage: ClassCoverage;
  realSamples: number;
  fakeSamples: number;
}

/** All sample-quality metrics for generated samples against real ones, in one classifier's feature space. */
export function sampleQuality(
  realFeatures: Matrix,
  fakeFeatures: Matrix,
  fakeLabels: ArrayLike<number>,
  numClasses: number,
  options: SampleQualityOptions = {},
): SampleQuality {
  const featureSpace = options.featureSpace ?? 'classifier features';
  const pr = precisionRecall(realFeatures, fakeFeatures, options.k ?? 3, options.realRadiiSquared);
  return {
    featureSpace,
    fdName: `FD (${featureSpace})`,
    frechetDistance: frechetDistance(realFeatures, fakeFeatures),
    kernelDistance: kernelDistance(realFeatures, fakeFeatures, options.kid),
    precision: pr.precision,
    recall: pr.recall,
    k: pr.k,
    coverage: classCoverage(fakeLabels, numClasses),
    realSamples: realFeatures.rows,
    fakeSamples: fakeFeatures.rows,
  };
}

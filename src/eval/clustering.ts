// Clustering as a measure of representation quality: k-means (k-means++ seeding, seeded) on codes, and the
// normalised mutual information between its clusters and the class labels.
import { createRng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';

export interface KMeansOptions {
  /** Seeds the k-means++ draws; the same seed gives the same clusters. */
  seed?: number;
  /** Independent seedings; the one with the lowest inertia is kept (default 4). */
  restarts?: number;
  /** Lloyd iterations per seeding at most (default 300). */
  maxIterations?: number;
}

export interface KMeans {
  /** Cluster of each row: [rows]. */
  assignments: Int32Array;
  /** [k, cols], row-major. */
  centroids: Float64Array;
  /** Sum of squared distances from each row to its centroid. */
  inertia: number;
  /** Lloyd iterations of the kept seeding. */
  iterations: number;
  k: number;
}

function squaredDistance(x: Float32Array, i: number, centroids: Float64Array, c: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const diff = x[i * d + j] - centroids[c * d + j];
    sum += diff * diff;
  }
  return sum;
}

/** k-means++: the first centre uniform, each next one drawn with probability ∝ squared distance to the nearest. */
function seedCentroids(x: Matrix, k: number, rng: () => number): Float64Array {
  const { rows: n, cols: d, data } = x;
  const centroids = new Float64Array(k * d);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let pick = Math.min(n - 1, Math.floor(rng() * n));
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) centroids[c * d + j] = data[pick * d + j];
    let total = 0;
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i], squaredDistance(data, i, centroids, c, d));
      total += nearest[i];
    }
    if (c === k - 1) break;
    if (total === 0) {
      // Fewer distinct points than clusters: repeat one (its cluster stays empty or shared).
      pick = Math.min(n - 1, Math.floor(rng() * n));
      continue;
    }
    let target = rng() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return centroids;
}

function lloyd(x: Matrix, centroids: Float64Array, k: number, maxIterations: number): KMeans {
  const { rows: n, cols: d, data } = x;
  const assignments = new Int32Array(n).fill(-1);
  const distances = new Float64Array(n);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const dist = squaredDistance(data, i, centroids, c, d);
        if (dist < bestDistance) {
          bestDistance = dist;
          best = c;
        }
      }
      distances[i] = bestDistance;
      if (assignments[i] !== best) {
        assignments[i] = best;
        changed++;
      }
    }
    if (changed === 0) break;
    const counts = new Float64Array(k);
    centroids.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignments[i];
      counts[c]++;
      for (let j = 0; j < d; j++) centroids[c * d + j] += data[i * d + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) {
        for (let j = 0; j < d; j++) centroids[c * d + j] /= counts[c];
        continue;
      }
      // An empty cluster restarts at the point farthest from its centroid.
      let far = 0;
      for (let i = 1; i < n; i++) if (distances[i] > distances[far]) far = i;
      for (let j = 0; j < d; j++) centroids[c * d + j] = data[far * d + j];
      distances[far] = 0;
    }
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(data, i, centroids, assignments[i], d);
  return { assignments, centroids, inertia, iterations, k };
}

/** k-means on the rows of `x` [n, d] with `k` clusters. */
export function kMeans(x: Matrix, k: number, options: KMeansOptions = {}): KMeans {
  if (!Number.isInteger(k) || k < 1 || k > x.rows)
    throw new ConfigError(`expected between 1 and ${x.rows} clusters (one per row at most), got ${k}`, {
      path: 'k',
    });
  const restarts = options.restarts ?? 4;
  const maxIterations = options.maxIterations ?? 300;
  const rng = createRng(options.seed ?? 0);
  let best: KMeans | undefined;
  for (let r = 0; r < restarts; r++) {
    const result = lloyd(x, seedCentroids(x, k, rng), k, maxIterations);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best as KMeans;
}

function entropy(counts: Iterable<number>, n: number): number {
  let h = 0;
  for (const count of counts) if (count > 0) h -= (count / n) * Math.log(count / n);
  return h;
}

/**
 * Normalised mutual information between two labellings of the same items: I(a; b) / ((H(a) + H(b)) / 2), in
 * [0, 1] (scikit-learn's default, arithmetic normalisation). Two labellings with one class each give 1.
 */
export function normalizedMutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new ConfigError(`the labellings differ in length: ${a.length} vs ${b.length}`, { path: 'labels' });
  const n = a.length;
  if (n === 0) throw new ConfigError('NMI needs at least one item', { path: 'labels' });
  const countA = new Map<number, number>();
  const countB = new Map<number, number>();
  const joint = new Map<string, { a: number; b: number; count: number }>();
  for (let i = 0; i < n; i++) {
    countA.set(a[i], (countA.get(a[i]) ?? 0) + 1);
    countB.set(b[i], (countB.get(b[i]) ?? 0) + 1);
    const key = `${a[i]},${b[i]}`;
    const cell = joint.get(key);
    if (cell) cell.count++;
    else joint.set(key, { a: a[i], b: b[i], count: 1 });
  }
  const hA = entropy(countA.values(), n);
  const hB = entropy(countB.values(), n);
  if (hA === 0 && hB === 0) return 1;
  let mutual = 0;
  for (const { a: ca, b: cb, count } of joint.values()) {
    const pa = (countA.get(ca) ?? 0) / n;
    const pb = (countB.get(cb) ?? 0) / n;
    mutual += (count / n) * Math.log(count / n / (pa * pb));
  }
  return Math.max(0, Math.min(1, mutual / ((hA + hB) / 2)));
}

/** k-means with one cluster per class, scored by NMI against the labels. */
export function clusteringNmi(
  codes: Matrix,
  labels: ArrayLike<number>,
  options: KMeansOptions & { k?: number } = {},
): { nmi: number; k: number; inertia: number } {
  if (labels.length !== codes.rows)
    throw new ConfigError(`expected ${codes.rows} labels (one per code), got ${labels.length}`, {
      path: 'labels',
    });
  const k = options.k ?? new Set(Array.from(labels)).size;
  const result = kMeans(codes, k, options);
  return { nmi: normalizedMutualInformation(labels, result.assignments), k, inertia: result.inertia };
}

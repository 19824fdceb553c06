// k-NN (Ramaswamy et al. 2000) as PyOD's KNN with method 'largest': a row's score is its distance to the k-th
// nearest training row. LOF (Breunig et al. 2000) as scikit-learn's LocalOutlierFactor(novelty=True).
import type { Matrix } from '../../io/arrays.js';
import { checkColumns, type Detector, fitted } from './detector.js';
import { nearestNeighbours } from './neighbours.js';

/** PyOD's default k. */
export const KNN_K = 5;
/** scikit-learn's and PyOD's default n_neighbors for LOF. */
export const LOF_K = 20;

export class KnnDetector implements Detector {
  readonly name = 'knn';
  private train?: Matrix;
  constructor(readonly k = KNN_K) {}

  async fit(x: Matrix): Promise<void> {
    this.train = x;
  }

  async score(x: Matrix): Promise<Float64Array> {
    const train = fitted(this.train, this.name);
    checkColumns(x, train.cols, this.name);
    const k = Math.min(this.k, train.rows);
    const { distances } = nearestNeighbours(x, train, k);
    return Float64Array.from({ length: x.rows }, (_, i) => distances[i * k + k - 1]);
  }
}

interface LofState {
  train: Matrix;
  k: number;
  /** k-distance of each training row (its distance to its k-th neighbour) */
  kDistance: Float64Array;
  /** local reachability density of each training row */
  lrd: Float64Array;
}

/** 1 / mean reachability distance to the neighbours; scikit-learn adds 1e-10 so duplicates stay finite. */
function reachDensity(
  distances: Float64Array,
  indices: Int32Array,
  kDistance: Float64Array,
  i: number,
  k: number,
): number {
  let sum = 0;
  for (let p = 0; p < k; p++) sum += Math.max(distances[i * k + p], kDistance[indices[i * k + p]]);
  return 1 / (sum / k + 1e-10);
}

export class LofDetector implements Detector {
  readonly name = 'lof';
  private state?: LofState;
  constructor(readonly k = LOF_K) {}

  async fit(x: Matrix): Promise<void> {
    const k = Math.min(this.k, x.rows - 1);
    const { distances, indices } = nearestNeighbours(x, x, k, true);
    const kDistance = Float64Array.from({ length: x.rows }, (_, i) => distances[i * k + k - 1]);
    const lrd = Float64Array.from({ length: x.rows }, (_, i) =>
      reachDensity(distances, indices, kDistance, i, k),
    );
    this.state = { train: x, k, kDistance, lrd };
  }

  async score(x: Matrix): Promise<Float64Array> {
    const { train, k, kDistance, lrd } = fitted(this.state, this.name);
    checkColumns(x, train.cols, this.name);
    const { distances, indices } = nearestNeighbours(x, train, k);
    return Float64Array.from({ length: x.rows }, (_, i) => {
      let neighbourDensity = 0;
      for (let p = 0; p < k; p++) neighbourDensity += lrd[indices[i * k + p]];
      return neighbourDensity / k / reachDensity(distances, indices, kDistance, i, k);
    });
  }
}

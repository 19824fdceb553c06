// Exact k nearest neighbours by brute force (Euclidean): tables of a few thousand rows need nothing cleverer,
// and exactness keeps k-NN and LOF equal to scikit-learn's on the same data.
import type { Matrix } from '../../io/arrays.js';

export interface Neighbours {
  k: number;
  /** [rows, k] distances, ascending per row */
  distances: Float64Array;
  /** [rows, k] indices into the reference rows */
  indices: Int32Array;
}

/**
 * The k nearest reference rows of each query row; `excludeSelf` (query = reference) leaves each row out of its
 * own neighbours, as scikit-learn's kneighbors() without X.
 */
export function nearestNeighbours(
  query: Matrix,
  reference: Matrix,
  k: number,
  excludeSelf = false,
): Neighbours {
  const d = query.cols;
  const q = query.data;
  const r = reference.data;
  const distances = new Float64Array(query.rows * k).fill(Number.POSITIVE_INFINITY);
  const indices = new Int32Array(query.rows * k).fill(-1);
  for (let i = 0; i < query.rows; i++) {
    const base = i * k;
    // Squared distances kept in a sorted list of k; the square root at the end.
    for (let j = 0; j < reference.rows; j++) {
      if (excludeSelf && i === j) continue;
      let s = 0;
      for (let f = 0; f < d; f++) {
        const diff = q[i * d + f] - r[j * d + f];
        s += diff * diff;
      }
      if (s >= distances[base + k - 1]) continue;
      let p = k - 1;
      while (p > 0 && distances[base + p - 1] > s) {
        distances[base + p] = distances[base + p - 1];
        indices[base + p] = indices[base + p - 1];
        p--;
      }
      distances[base + p] = s;
      indices[base + p] = j;
    }
    for (let p = 0; p < k; p++) distances[base + p] = Math.sqrt(distances[base + p]);
  }
  return { k, distances, indices };
}

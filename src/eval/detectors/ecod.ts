// ECOD (Li et al. 2022) as PyOD computes it: per feature, the negative log of the empirical left and right tail
// probabilities; the tail the feature's skewness points to (both when symmetric), or the mean of the two if
// larger; summed over features. As in PyOD, the ECDF of scored rows is taken over the training rows and the
// scored rows together.
import type { Matrix } from '../../io/arrays.js';
import { checkColumns, type Detector, fitted } from './detector.js';

/** Fraction of `sorted` values <= v (a right-continuous ECDF), by binary search. */
function ecdfAt(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo / sorted.length;
}

/** Sign of the sample skewness (scipy.stats.skew, biased) of each column. */
function skewSigns(x: Matrix): Int8Array {
  const signs = new Int8Array(x.cols);
  for (let f = 0; f < x.cols; f++) {
    let mean = 0;
    for (let i = 0; i < x.rows; i++) mean += x.data[i * x.cols + f];
    mean /= x.rows;
    let m2 = 0;
    let m3 = 0;
    for (let i = 0; i < x.rows; i++) {
      const c = x.data[i * x.cols + f] - mean;
      m2 += c * c;
      m3 += c * c * c;
    }
    // scipy gives 0 skewness for a constant column (m2 = 0).
    signs[f] = m2 === 0 ? 0 : Math.sign(m3 / x.rows / (m2 / x.rows) ** 1.5);
  }
  return signs;
}

export class EcodDetector implements Detector {
  readonly name = 'ecod';
  private train?: Matrix;

  async fit(x: Matrix): Promise<void> {
    this.train = x;
  }

  async score(x: Matrix): Promise<Float64Array> {
    const train = fitted(this.train, this.name);
    checkColumns(x, train.cols, this.name);
    const d = train.cols;
    const all: Matrix = {
      rows: train.rows + x.rows,
      cols: d,
      data: new Float32Array((train.rows + x.rows) * d),
    };
    all.data.set(train.data);
    all.data.set(x.data, train.data.length);
    const signs = skewSigns(all);
    const scores = new Float64Array(x.rows);
    const column = new Float64Array(all.rows);
    const negated = new Float64Array(all.rows);
    for (let f = 0; f < d; f++) {
      for (let i = 0; i < all.rows; i++) {
        column[i] = all.data[i * d + f];
        negated[i] = -column[i];
      }
      column.sort();
      negated.sort();
      const s = signs[f];
      for (let i = 0; i < x.rows; i++) {
        const v = x.data[i * d + f];
        const left = -Math.log(ecdfAt(column, v));
        const right = -Math.log(ecdfAt(negated, -v));
        // PyOD: U_l * -sign(s - 1) + U_r * sign(s + 1): the left tail for negative skew, the right for
        // positive, both for none.
        const skewed = left * -Math.sign(s - 1) + right * Math.sign(s + 1);
        scores[i] += Math.max(skewed, (left + right) / 2);
      }
    }
    return scores;
  }
}

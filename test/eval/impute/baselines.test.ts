// The baseline imputers against hand computations on tiny tables, and kNN and MICE against scikit-learn 1.2.1 on a
// small fixed array (the numbers below come from the Python command in each test).
import { describe, expect, it } from 'vitest';
import { completeRows, layoutOf, missingPerColumn } from '../../../src/eval/impute/imputer.js';
import { knnImputer } from '../../../src/eval/impute/knn.js';
import { meanModeImputer } from '../../../src/eval/impute/mean-mode.js';
import { logisticProbabilities, miceImputer, ridge } from '../../../src/eval/impute/mice.js';
import { category, encodingOf, identityNumber, numericRows, rowsOf } from './fixtures.js';

const N = Number.NaN;
/** 8 rows x 3 numbers, 6 cells missing; no two distances tie. */
const ARRAY = [
  [1.0, 2.0, N],
  [2.5, N, 1.0],
  [3.1, 4.2, 2.2],
  [N, 5.9, 3.3],
  [5.2, 7.1, N],
  [6.4, 8.3, 5.6],
  [7.0, N, 6.1],
  [8.3, 10.4, 7.7],
];

function expectRows(actual: number[][], expected: number[][], digits = 4) {
  actual.forEach((row, r) => {
    row.forEach((v, c) => {
      expect(v, `row ${r}, column ${c}`).toBeCloseTo(expected[r][c], digits);
    });
  });
}

/** A mixed table: a number and a two-level category (one-hot, positions 1-2); row 3 misses both. */
function mixed() {
  const encoding = encodingOf([identityNumber('n'), category('c', ['a', 'b'])], 4);
  // n: 1, 2, 6, ?  c: a, b, b, ?
  const x = Float32Array.from([1, 1, 0, 2, 0, 1, 6, 0, 1, 0, 0, 0]);
  const mask = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
  return { x, mask, encoding };
}

describe('mean/mode', () => {
  it('fills numbers with the observed mean and categories with the most frequent level', async () => {
    const filled = await meanModeImputer.impute(mixed());
    expect(rowsOf(filled, 3)[3]).toEqual([3, 0, 1]); // (1 + 2 + 6) / 3; b twice, a once
    expect(Array.from(filled.subarray(0, 9))).toEqual([1, 1, 0, 2, 0, 1, 6, 0, 1]);
  });

  it('on the fixed array, each gap is its column mean', async () => {
    const filled = rowsOf(await meanModeImputer.impute(numericRows(ARRAY)), 3);
    expect(filled[3][0]).toBeCloseTo((1 + 2.5 + 3.1 + 5.2 + 6.4 + 7 + 8.3) / 7, 5);
    expect(filled[1][1]).toBeCloseTo((2 + 4.2 + 5.9 + 7.1 + 8.3 + 10.4) / 6, 5);
  });

  it('counts the cells it has to fill per column', () => {
    expect(missingPerColumn(mixed())).toEqual([1, 1]);
  });
});

describe('kNN', () => {
  it('takes the mean of the k nearest donors by nan-euclidean distance (by hand)', async () => {
    // Row 3 observes nothing: no donor at a finite distance, so the mean/mode. Row 0 misses c only:
    // distances over n (scaled by 3/1): to row 1 sqrt(3)·1, to row 2 sqrt(3)·5: k = 1 takes row 1's b.
    const table = mixed();
    table.mask.set([1, 0, 0], 0);
    const filled = rowsOf(await knnImputer(1).impute(table), 3);
    expect(filled[0]).toEqual([1, 0, 1]);
    expect(filled[3]).toEqual([3, 0, 1]);
  });

  it('matches sklearn KNNImputer (k = 2 and 5) on the fixed array', async () => {
    // python -c "import numpy as np; from sklearn.impute import KNNImputer; N=np.nan;
    //   X=np.array([[1,2,N],[2.5,N,1],[3.1,4.2,2.2],[N,5.9,3.3],[5.2,7.1,N],[6.4,8.3,5.6],[7,N,6.1],[8.3,10.4,7.7]]);
    //   print(KNNImputer(n_neighbors=2).fit_transform(X)); print(KNNImputer(n_neighbors=5).fit_transform(X))"
    const k2 = rowsOf(await knnImputer(2).impute(numericRows(ARRAY)), 3);
    const k5 = rowsOf(await knnImputer(5).impute(numericRows(ARRAY)), 3);
    const fill = (cells: [number, number, number][]) => {
      const out = ARRAY.map((row) => [...row]);
      for (const [r, c, v] of cells) out[r][c] = v;
      return out;
    };
    expectRows(
      k2,
      fill([
        [0, 2, 1.6],
        [1, 1, 3.1],
        [3, 0, 4.15],
        [4, 2, 4.45],
        [6, 1, 9.35],
      ]),
    );
    expectRows(
      k5,
      fill([
        [0, 2, 3.64],
        [1, 1, 5.5],
        [3, 0, 4.84],
        [4, 2, 3.64],
        [6, 1, 7.18],
      ]),
    );
  });
});

describe('MICE', () => {
  it('ridge regression solves the centred normal equations (by hand)', () => {
    // y = 2x + 1 exactly on x = 0, 1, 2: centred, sum x² = 2, sum xy = 4; beta = 4 / (2 + alpha).
    const { beta, intercept } = ridge(Float64Array.from([0, 1, 2]), Float64Array.from([1, 3, 5]), 3, 1, 2);
    expect(beta[0]).toBeCloseTo(1, 10);
    expect(intercept).toBeCloseTo(3 - 1 * 1, 10);
  });

  it('logistic regression separates two classes and gives probabilities that sum to 1', () => {
    const X = Float64Array.from([-2, -1, -0.5, 0.5, 1, 2]);
    const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
    const { probabilities } = logisticProbabilities(X, labels, 6, 1, 2, Float64Array.from([-3, 3]), 500);
    expect(probabilities[0] + probabilities[1]).toBeCloseTo(1, 10);
    expect(probabilities[0]).toBeGreaterThan(0.8);
    expect(probabilities[3]).toBeGreaterThan(0.8);
  });

  it('matches sklearn IterativeImputer(Ridge(alpha=1)) on the fixed array', async () => {
    // python -c "import numpy as np; from sklearn.experimental import enable_iterative_imputer;
    //   from sklearn.impute import IterativeImputer; from sklearn.linear_model import Ridge; N=np.nan;
    //   X=np.array([[1,2,N],[2.5,N,1],[3.1,4.2,2.2],[N,5.9,3.3],[5.2,7.1,N],[6.4,8.3,5.6],[7,N,6.1],[8.3,10.4,7.7]]);
    //   print(IterativeImputer(estimator=Ridge(alpha=1.0), max_iter=10, tol=1e-3, random_state=0).fit_transform(X))"
    const filled = rowsOf(await miceImputer().impute(numericRows(ARRAY)), 3);
    const expected = ARRAY.map((row) => [...row]);
    expected[0][2] = -0.2218411544;
    expected[1][1] = 3.5102780272;
    expected[3][0] = 4.3692740112;
    expected[4][2] = 4.408622065;
    expected[6][1] = 8.8341390753;
    expectRows(filled, expected, 4);
  });

  it('imputes a category from the column that predicts it', async () => {
    // c is a where n < 0 and b where n > 0; two rows miss c.
    const n = [-3, -2, -1.5, -1, 1, 1.5, 2, 3, -2.5, 2.5];
    const level = [0, 0, 0, 0, 1, 1, 1, 1, -1, -1];
    const x = new Float32Array(n.length * 3);
    const mask = new Float32Array(n.length * 3).fill(1);
    n.forEach((v, r) => {
      x[r * 3] = v;
      if (level[r] >= 0) x[r * 3 + 1 + level[r]] = 1;
      else mask.fill(0, r * 3 + 1, r * 3 + 3);
    });
    const table = { x, mask, encoding: encodingOf([identityNumber('n'), category('c', ['a', 'b'])], 10) };
    const filled = rowsOf(await miceImputer().impute(table), 3);
    expect(filled[8]).toEqual([-2.5, 1, 0]);
    expect(filled[9]).toEqual([2.5, 0, 1]);
  });
});

describe('completeRows', () => {
  it('keeps observed cells and turns a categorical fill into the one-hot of its largest entry', () => {
    const table = mixed();
    const layout = layoutOf(table);
    const fill = new Float32Array(12).fill(9);
    fill.set([7, 0.3, 0.7], 9);
    const out = completeRows(table, layout, fill);
    expect(Array.from(out)).toEqual([1, 1, 0, 2, 0, 1, 6, 0, 1, 7, 0, 1]);
  });
});

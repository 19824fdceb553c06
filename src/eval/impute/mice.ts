// Iterative (MICE-style) imputation as scikit-learn's IterativeImputer with its defaults (ascending order, 10
// rounds, tol 1e-3) but a ridge regression (alpha 1, with intercept: sklearn's Ridge) for numbers in place of
// BayesianRidge, and a multinomial logistic regression (L2, C = 1, as sklearn's LogisticRegression) for
// categories. Start from mean/mode; then round by round, each span with gaps in ascending order of its gaps is
// regressed on every other position of the current filled rows, over the rows that observe it, and its gaps are
// predicted (a category as its most likely level's one-hot); later spans see the new fills at once. Rounds stop
// when the largest row-wise sum of changes falls below tol times the largest observed |value|, as sklearn's.
// Written here: ml-matrix solves the ridge system; no npm package fits a multinomial logistic regression.
import { Matrix, solve } from 'ml-matrix';
import {
  argmax,
  completeRows,
  type EncodedRows,
  type Imputer,
  type Layout,
  layoutOf,
  observed,
} from './imputer.js';
import { meanModeFill } from './mean-mode.js';

export interface MiceOptions {
  /** Rounds at most (sklearn's max_iter). */
  rounds?: number;
  tolerance?: number;
  /** Ridge penalty of the number models. */
  alpha?: number;
  /** Gradient steps of each category model per round (warm-started from the previous round's). */
  logisticSteps?: number;
}

/** Ridge regression with an unpenalised intercept: y ≈ X β + b, minimising |y - Xβ - b|² + alpha |β|². */
export function ridge(X: Float64Array, y: Float64Array, n: number, d: number, alpha: number) {
  const xm = new Float64Array(d);
  let ym = 0;
  for (let i = 0; i < n; i++) {
    ym += y[i] / n;
    for (let j = 0; j < d; j++) xm[j] += X[i * d + j] / n;
  }
  const a = Matrix.zeros(d, d);
  const rhs = Matrix.zeros(d, 1);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = X[i * d + j] - xm[j];
    const yc = y[i] - ym;
    for (let j = 0; j < d; j++) {
      rhs.set(j, 0, rhs.get(j, 0) + row[j] * yc);
      for (let l = j; l < d; l++) a.set(j, l, a.get(j, l) + row[j] * row[l]);
    }
  }
  for (let j = 0; j < d; j++) {
    a.set(j, j, a.get(j, j) + alpha);
    for (let l = 0; l < j; l++) a.set(j, l, a.get(l, j));
  }
  const beta = Float64Array.from(solve(a, rhs).getColumn(0));
  let intercept = ym;
  for (let j = 0; j < d; j++) intercept -= xm[j] * beta[j];
  return { beta, intercept };
}

/**
 * Multinomial logistic regression with an unpenalised intercept minimising Σ cross-entropy + 0.5 |W|² (sklearn's
 * objective at C = 1), by full-batch gradient descent with the step 1/L (L bounds the gradient's Lipschitz
 * constant: half the largest eigenvalue of the data's second moments, by power iteration, plus the penalty).
 * Returns class probabilities for `Xnew` and the weights [(d + 1) x classes, intercept last], which `start`
 * may pass back to warm-start the next fit (MICE refits each column every round on slightly changed fills).
 */
export function logisticProbabilities(
  X: Float64Array,
  labels: Int32Array,
  n: number,
  d: number,
  classes: number,
  Xnew: Float64Array,
  steps: number,
  start?: Float64Array,
): { probabilities: Float64Array; weights: Float64Array } {
  const cols = d + 1; // the intercept as a constant feature
  const feature = (src: Float64Array, i: number, j: number) => (j === d ? 1 : src[i * d + j]);
  let v = new Float64Array(cols).fill(1 / Math.sqrt(cols));
  let eigen = 1;
  for (let it = 0; it < 30; it++) {
    const next = new Float64Array(cols);
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += feature(X, i, j) * v[j];
      for (let j = 0; j < cols; j++) next[j] += (feature(X, i, j) * dot) / n;
    }
    eigen = Math.hypot(...next) || 1;
    v = next.map((value) => value / eigen);
  }
  // The mean loss's gradient plus the penalty |W|² / (2n).
  const rate = 1 / (0.5 * eigen + 1 / n);
  const W = start ? Float64Array.from(start) : new Float64Array(cols * classes);
  const scores = new Float64Array(classes);
  const grad = new Float64Array(cols * classes);
  const softmaxRow = (src: Float64Array, i: number) => {
    let top = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += feature(src, i, j) * W[j * classes + c];
      scores[c] = s;
      top = Math.max(top, s);
    }
    let total = 0;
    for (let c = 0; c < classes; c++) {
      scores[c] = Math.exp(scores[c] - top);
      total += scores[c];
    }
    for (let c = 0; c < classes; c++) scores[c] /= total;
  };
  for (let step = 0; step < steps; step++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      softmaxRow(X, i);
      scores[labels[i]] -= 1;
      for (let j = 0; j < cols; j++) {
        const f = feature(X, i, j) / n;
        if (f !== 0) for (let c = 0; c < classes; c++) grad[j * classes + c] += f * scores[c];
      }
    }
    for (let j = 0; j < cols; j++)
      for (let c = 0; c < classes; c++) {
        const penalty = j === d ? 0 : W[j * classes + c] / n;
        W[j * classes + c] -= rate * (grad[j * classes + c] + penalty);
      }
  }
  const m = Xnew.length / d;
  const out = new Float64Array(m * classes);
  for (let i = 0; i < m; i++) {
    softmaxRow(Xnew, i);
    out.set(scores, i * classes);
  }
  return { probabilities: out, weights: W };
}

export function miceImputer(options: MiceOptions = {}): Imputer {
  const { rounds = 10, tolerance = 1e-3, alpha = 1, logisticSteps = 100 } = options;
  return {
    name: 'MICE',
    async impute(table) {
      const layout = layoutOf(table);
      return miceFill(table, layout, rounds, tolerance, alpha, logisticSteps);
    },
  };
}

function miceFill(
  table: EncodedRows,
  layout: Layout,
  rounds: number,
  tolerance: number,
  alpha: number,
  logisticSteps: number,
): Float32Array {
  const { rows, width, spans } = layout;
  const filled = Float64Array.from(meanModeFill(table, layout));
  const gaps = spans.map((span) => {
    const missing: number[] = [];
    const seen: number[] = [];
    for (let r = 0; r < rows; r++) (observed(table, layout, r, span) ? seen : missing).push(r);
    return { span, missing, seen };
  });
  // sklearn's "ascending": fewest gaps first, ties in column order; spans without gaps or without observed
  // cells (nothing to learn from) are left as they are.
  const order = gaps
    .filter((g) => g.missing.length > 0 && g.seen.length > 0)
    .sort((p, q) => p.missing.length - q.missing.length);
  let largest = 0;
  for (let i = 0; i < table.x.length; i++)
    if (table.mask[i] > 0) largest = Math.max(largest, Math.abs(table.x[i]));
  let previous = Float64Array.from(filled);
  const weights = new Map<number, Float64Array>();
  for (let round = 0; round < rounds; round++) {
    for (const { span, missing, seen } of order) {
      const predictors: number[] = [];
      for (let p = 0; p < width; p++) if (p < span.start || p >= span.start + span.width) predictors.push(p);
      const d = predictors.length;
      const gather = (rowsOf: number[]) => {
        const out = new Float64Array(rowsOf.length * d);
        rowsOf.forEach((r, i) => {
          for (let j = 0; j < d; j++) out[i * d + j] = filled[r * width + predictors[j]];
        });
        return out;
      };
      const train = gather(seen);
      const test = gather(missing);
      if (span.kind === 'value') {
        const y = Float64Array.from(seen, (r) => filled[r * width + span.start]);
        const { beta, intercept } = ridge(train, y, seen.length, d, alpha);
        missing.forEach((r, i) => {
          let v = intercept;
          for (let j = 0; j < d; j++) v += beta[j] * test[i * d + j];
          filled[r * width + span.start] = v;
        });
      } else {
        const labels = Int32Array.from(seen, (r) => argmax(filled, r * width + span.start, span.width));
        const fit = logisticProbabilities(
          train,
          labels,
          seen.length,
          d,
          span.width,
          test,
          logisticSteps,
          weights.get(span.start),
        );
        weights.set(span.start, fit.weights);
        const { probabilities } = fit;
        missing.forEach((r, i) => {
          const level = argmax(probabilities, i * span.width, span.width);
          for (let w = 0; w < span.width; w++) filled[r * width + span.start + w] = w === level ? 1 : 0;
        });
      }
    }
    let change = 0;
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let p = 0; p < width; p++) sum += Math.abs(filled[r * width + p] - previous[r * width + p]);
      change = Math.max(change, sum);
    }
    if (change < tolerance * largest) break;
    previous = Float64Array.from(filled);
  }
  return completeRows(table, layout, filled);
}

// Judging anomaly scores against known labels (AUROC, average precision) and turning scores into flags with a
// threshold calibrated on normal data. Convention: a higher score is more anomalous; truth 1 marks an anomaly.
import { ConfigError } from '../errors.js';

function checkScored(scores: ArrayLike<number>, truth: ArrayLike<number>): { positives: number } {
  if (scores.length !== truth.length)
    throw new ConfigError(`expected one truth value per score (${scores.length}), got ${truth.length}`, {
      path: 'truth',
    });
  let positives = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] !== 0 && truth[i] !== 1)
      throw new ConfigError(`truth values are 0 (normal) or 1 (anomaly), got ${truth[i]} at ${i}`, {
        path: 'truth',
      });
    if (!Number.isFinite(scores[i]))
      throw new ConfigError(`score ${scores[i]} at ${i} is not finite`, { path: 'scores' });
    positives += truth[i];
  }
  if (positives === 0 || positives === truth.length)
    throw new ConfigError(
      `needs both normal and anomalous samples, got ${positives} anomalies among ${truth.length}`,
      { path: 'truth' },
    );
  return { positives };
}

/** Indices sorted by score, descending (stable). */
function byScoreDescending(scores: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/**
 * Area under the ROC curve: the chance that a random anomaly scores above a random normal sample, ties
 * counting one half (the Mann-Whitney U statistic over positives × negatives).
 */
export function auroc(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  const { positives } = checkScored(scores, truth);
  const negatives = truth.length - positives;
  const order = byScoreDescending(scores);
  // Walk groups of equal score from the top: each anomaly beats the normals below its group, ties with its own.
  let normalsBelow = negatives;
  let wins = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      if (truth[order[end]] === 1) groupPositives++;
      else groupNegatives++;
      end++;
    }
    normalsBelow -= groupNegatives;
    wins += groupPositives * (normalsBelow + groupNegatives / 2);
    start = end;
  }
  return wins / (positives * negatives);
}

/**
 * Average precision, the step-wise area under the precision-recall curve: Σ (Rₖ − Rₖ₋₁) Pₖ over the thresholds
 * at each distinct score, tied scores entering together (as scikit-learn's average_precision_score).
 */
export function auprc(scores: ArrayLike<number>, truth: ArrayLike<number>): number {
  const { positives } = checkScored(scores, truth);
  const order = byScoreDescending(scores);
  let truePositives = 0;
  let taken = 0;
  let previousRecall = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      truePositives += truth[order[end]];
      end++;
    }
    taken = end;
    const recall = truePositives / positives;
    area += (recall - previousRecall) * (truePositives / taken);
    previousRecall = recall;
    start = end;
  }
  return area;
}

/** The q-quantile of `values`, interpolating linearly between order statistics (numpy's default). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new ConfigError('a quantile needs at least one value', { path: 'values' });
  if (!(q >= 0 && q <= 1))
    throw new ConfigError(`expected a quantile in [0, 1], got ${q}`, { path: 'quantile' });
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(sorted.length - 1, lower + 1);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

export interface Threshold {
  value: number;
  /** The quantile of the calibration scores it sits at. */
  quantile: number;
  calibrationSamples: number;
}

/**
 * A threshold on normal (calibration) scores: at the `quantile`, or at 1 − `contamination` (the share of the
 * calibration data taken to be anomalous, scikit-learn's meaning). Scores above it are flagged.
 */
export function calibrateThreshold(
  calibrationScores: ArrayLike<number>,
  rule: { quantile: number } | { contamination: number },
): Threshold {
  const q = 'quantile' in rule ? rule.quantile : 1 - rule.contamination;
  if (!(q > 0 && q < 1))
    throw new ConfigError(
      'quantile' in rule
        ? `expected a quantile between 0 and 1, got ${rule.quantile}`
        : `expected a contamination rate between 0 and 1, got ${rule.contamination}`,
      { path: 'quantile' in rule ? 'quantile' : 'contamination' },
    );
  return { value: quantile(calibrationScores, q), quantile: q, calibrationSamples: calibrationScores.length };
}

export interface FlagRates {
  /** Share of anomalies flagged (recall). */
  truePositiveRate: number;
  /** Share of normal samples flagged. */
  falsePositiveRate: number;
  /** Share of flagged samples that are anomalies (0 when none is flagged). */
  precision: number;
}

/** How flags (1 = flagged) agree with the truth (1 = anomaly). */
export function flagRates(flags: ArrayLike<number>, truth: ArrayLike<number>): FlagRates {
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < truth.length; i++) {
    positives += truth[i];
    if (flags[i] === 1) {
      if (truth[i] === 1) tp++;
      else fp++;
    }
  }
  const negatives = truth.length - positives;
  return {
    truePositiveRate: positives > 0 ? tp / positives : 0,
    falsePositiveRate: negatives > 0 ? fp / negatives : 0,
    precision: tp + fp > 0 ? tp / (tp + fp) : 0,
  };
}

/**
 * The k-nearest-neighbour score of each query row: the mean Euclidean distance to its `k` nearest rows of
 * `reference` (normal training codes), PyOD's KNN with method "mean". Brute force in float64: the reference sets
 * here are a few thousand codes of a few dozen dimensions, where a tree buys nothing.
 */
export function knnDistances(
  reference: { rows: number; cols: number; data: ArrayLike<number> },
  queries: { rows: number; cols: number; data: ArrayLike<number> },
  k: number,
  options: { leaveOneOut?: boolean } = {},
): Float32Array {
  // Leave-one-out (queries are the reference rows themselves): each row's own distance 0 is not a neighbour, so
  // the k + 1 nearest are found and the nearest dropped (with duplicates, one copy of a 0 is dropped: still exact).
  const skip = options.leaveOneOut ? 1 : 0;
  if (skip && queries.rows !== reference.rows)
    throw new ConfigError('leave-one-out distances need the reference rows as the queries', {
      path: 'codes',
    });
  const d = reference.cols;
  if (queries.cols !== d)
    throw new ConfigError(`queries have ${queries.cols} columns, the reference rows ${d}`, { path: 'codes' });
  if (!(Number.isInteger(k) && k >= 1))
    throw new ConfigError(`expected a positive whole number of neighbours, got ${k}`, { path: 'neighbours' });
  if (k + skip > reference.rows)
    throw new ConfigError(
      `asks for ${k} neighbours among ${reference.rows - skip} reference rows${skip ? ' (leaving each row out)' : ''}`,
      { path: 'neighbours' },
    );
  const out = new Float32Array(queries.rows);
  // The k (+ 1) smallest squared distances so far, ascending; insertion keeps it sorted (k is small).
  const kept = k + skip;
  const nearest = new Float64Array(kept);
  for (let i = 0; i < queries.rows; i++) {
    nearest.fill(Number.POSITIVE_INFINITY);
    const q = i * d;
    for (let j = 0; j < reference.rows; j++) {
      const r = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) {
        const v = queries.data[q + c] - reference.data[r + c];
        s += v * v;
      }
      if (s >= nearest[kept - 1]) continue;
      let at = kept - 1;
      while (at > 0 && nearest[at - 1] > s) {
        nearest[at] = nearest[at - 1];
        at--;
      }
      nearest[at] = s;
    }
    let sum = 0;
    for (let m = skip; m < kept; m++) sum += Math.sqrt(nearest[m]);
    out[i] = sum / k;
  }
  return out;
}

// How good a synthetic table is, as SDMetrics' quality report and the CTGAN paper measure it: column shapes
// (1 - KS for numbers, 1 - total variation for categories), pair trends (correlation and contingency
// similarity), machine-learning efficacy (train on synthetic rows, test on real held-out rows) and privacy
// (distance from each synthetic row to its closest real training row, beside real held-out rows').
import {
  type CategoryColumnData,
  isNumberColumn,
  type Table,
  type TableColumn,
} from '../data/table/table.js';
import { computeValues } from '../engine/memory.js';
import { type Tensor, tf } from '../engine/tf.js';
import { DataError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import { quantile } from './anomaly.js';

// --- Column shapes ---

/** Observed values of a number column, sorted (missing cells left out). */
function observedSorted(values: Float64Array): Float64Array {
  return values.filter((v) => !Number.isNaN(v)).sort();
}

/**
 * 1 - the two-sample Kolmogorov-Smirnov statistic (SDMetrics' KSComplement): 1 - sup_v |F_real(v) - F_synth(v)|
 * over the observed values (missing cells left out). 1 when either side has no observed value to compare.
 */
export function ksComplement(real: Float64Array, synthetic: Float64Array): number {
  const a = observedSorted(real);
  const b = observedSorted(synthetic);
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 1 : 0;
  let i = 0;
  let j = 0;
  let d = 0;
  // Walk the merged values; ties advance both sides before the gap is read, as scipy's ks_2samp does.
  while (i < a.length && j < b.length) {
    const v = Math.min(a[i], b[j]);
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return 1 - d;
}

/** Frequencies of codes 0 .. k - 1 over the observed cells (codes < 0 are missing). */
function frequencies(codes: ArrayLike<number>, k: number): Float64Array {
  const counts = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] < 0) continue;
    counts[codes[i]]++;
    total++;
  }
  if (total > 0) for (let c = 0; c < k; c++) counts[c] /= total;
  return counts;
}

/** 1 - ½ Σ_c |p_real(c) - p_synth(c)| (SDMetrics' TVComplement), codes in one shared level list of size k. */
export function tvComplement(real: ArrayLike<number>, synthetic: ArrayLike<number>, k: number): number {
  const p = frequencies(real, k);
  const q = frequencies(synthetic, k);
  let tv = 0;
  for (let c = 0; c < k; c++) tv += Math.abs(p[c] - q[c]);
  return 1 - tv / 2;
}

// --- Pair trends ---

/** Pearson correlation over the rows where both cells are observed; 0 when either side is constant. */
export function pearson(x: Float64Array, y: Float64Array): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
    n++;
    sx += x[i];
    sy += y[i];
  }
  if (n < 2) return 0;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** 1 - |corr_real - corr_synth| / 2 (SDMetrics' CorrelationSimilarity, Pearson). */
export function correlationSimilarity(
  real: [Float64Array, Float64Array],
  synthetic: [Float64Array, Float64Array],
): number {
  return 1 - Math.abs(pearson(...real) - pearson(...synthetic)) / 2;
}

/**
 * 1 - ½ Σ_(a,b) |p_real(a, b) - p_synth(a, b)| over the joint frequencies of two code columns (SDMetrics'
 * ContingencySimilarity); rows with a missing cell in either column are left out.
 */
export function contingencySimilarity(
  real: [ArrayLike<number>, ArrayLike<number>],
  synthetic: [ArrayLike<number>, ArrayLike<number>],
  levels: [number, number],
): number {
  const joint = ([a, b]: [ArrayLike<number>, ArrayLike<number>]) =>
    frequencies(
      Int32Array.from({ length: a.length }, (_, i) => (a[i] < 0 || b[i] < 0 ? -1 : a[i] * levels[1] + b[i])),
      levels[0] * levels[1],
    );
  const p = joint(real);
  const q = joint(synthetic);
  let tv = 0;
  for (let c = 0; c < p.length; c++) tv += Math.abs(p[c] - q[c]);
  return 1 - tv / 2;
}

/**
 * Bins of a number column for a mixed pair, as SDMetrics' quality report makes them: `bins` equal-width bins
 * over the real column's observed range (numpy's histogram_bin_edges), the outer edges opened to ±infinity so
 * synthetic values beyond the real range fall in the end bins. Missing cells get -1.
 */
export function binNumbers(real: Float64Array, bins = 10): (values: Float64Array) => Int32Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of real) {
    if (Number.isNaN(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // numpy widens an empty range to [v - 0.5, v + 0.5].
  if (!(max > min)) [min, max] = Number.isFinite(min) ? [min - 0.5, max + 0.5] : [0, 1];
  const width = (max - min) / bins;
  return (values) =>
    Int32Array.from(values, (v) =>
      Number.isNaN(v) ? -1 : Math.min(bins - 1, Math.max(0, Math.floor((v - min) / width))),
    );
}

// --- Aligning the synthetic table with the real one ---

/** A category column's codes re-read in `levels` (by text); a level `levels` lacks is appended to `extra`. */
function recode(column: CategoryColumnData, levels: string[]): Int32Array {
  const index = new Map(levels.map((level, i) => [level, i]));
  const map = column.levels.map((level) => {
    let at = index.get(level);
    if (at === undefined) {
      at = levels.length;
      levels.push(level);
      index.set(level, at);
    }
    return at;
  });
  return Int32Array.from(column.codes, (code) => (code < 0 ? -1 : map[code]));
}

type Aligned =
  | { name: string; kind: 'number'; real: Float64Array; synthetic: Float64Array }
  | { name: string; kind: 'category'; real: Int32Array; synthetic: Int32Array; levels: string[] };

/** The columns of `real` and `synthetic` side by side, categories in one level list; columns must match. */
function alignColumns(real: Table, synthetic: Table): Aligned[] {
  const byName = new Map(synthetic.columns.map((column) => [column.name, column]));
  const missing = real.columns.filter((column) => !byName.has(column.name)).map((column) => column.name);
  if (missing.length > 0)
    throw new DataError(`the synthetic table lacks the column(s) ${missing.join(', ')} of the real table`, {
      path: synthetic.name,
    });
  return real.columns.map((column): Aligned => {
    const other = byName.get(column.name)!;
    if (isNumberColumn(column) !== isNumberColumn(other))
      throw new DataError(
        `column "${column.name}" is ${column.type} in the real table but ${other.type} in the synthetic one`,
        { path: synthetic.name },
      );
    if (isNumberColumn(column) && isNumberColumn(other))
      return { name: column.name, kind: 'number', real: column.values, synthetic: other.values };
    const levels = [...(column as CategoryColumnData).levels];
    return {
      name: column.name,
      kind: 'category',
      real: recode(column as CategoryColumnData, levels),
      synthetic: recode(other as CategoryColumnData, levels),
      levels,
    };
  });
}

export interface ColumnScore {
  column: string;
  metric: 'KSComplement' | 'TVComplement';
  score: number;
}

export interface PairScore {
  columns: [string, string];
  metric: 'CorrelationSimilarity' | 'ContingencySimilarity';
  score: number;
}

/** Per column, how close the synthetic column's distribution is to the real one's. */
export function columnShapes(real: Table, synthetic: Table): ColumnScore[] {
  return alignColumns(real, synthetic).map((column) =>
    column.kind === 'number'
      ? { column: column.name, metric: 'KSComplement', score: ksComplement(column.real, column.synthetic) }
      : {
          column: column.name,
          metric: 'TVComplement',
          score: tvComplement(column.real, column.synthetic, column.levels.length),
        },
  );
}

/** Per pair of columns, how close the synthetic pair's trend is to the real one's. */
export function pairTrends(real: Table, synthetic: Table, bins = 10): PairScore[] {
  const columns = alignColumns(real, synthetic);
  // Numbers as bins, for the pairs that mix a number with a category.
  const binned = columns.map((column) => {
    if (column.kind === 'category') return column;
    const bin = binNumbers(column.real, bins);
    return { real: bin(column.real), synthetic: bin(column.synthetic), levels: { length: bins } };
  });
  const pairs: PairScore[] = [];
  for (let i = 0; i < columns.length; i++) {
    for (let j = i + 1; j < columns.length; j++) {
      const [a, b] = [columns[i], columns[j]];
      const names: [string, string] = [a.name, b.name];
      if (a.kind === 'number' && b.kind === 'number') {
        pairs.push({
          columns: names,
          metric: 'CorrelationSimilarity',
          score: correlationSimilarity([a.real, b.real], [a.synthetic, b.synthetic]),
        });
        continue;
      }
      const [p, q] = [binned[i], binned[j]];
      pairs.push({
        columns: names,
        metric: 'ContingencySimilarity',
        score: contingencySimilarity(
          [p.real, q.real],
          [p.synthetic, q.synthetic],
          [p.levels.length, q.levels.length],
        ),
      });
    }
  }
  return pairs;
}

// --- Rows as features (classifiers and distances) ---

/**
 * Rows as numeric features, fitted on the real training table: numbers standardised (a missing cell at the mean,
 * 0), categories one-hot over the training levels (a missing or unseen level all zeros). `exclude` leaves a
 * column out (the classifier's target).
 */
export function tableFeatures(train: Table, exclude?: string): (table: Table) => Matrix {
  const used = train.columns.filter((column) => column.name !== exclude);
  const parts = used.map((column) => {
    if (isNumberColumn(column)) {
      let n = 0;
      let sum = 0;
      let sq = 0;
      for (const v of column.values) {
        if (Number.isNaN(v)) continue;
        n++;
        sum += v;
        sq += v * v;
      }
      const mean = n > 0 ? sum / n : 0;
      const std = n > 1 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0;
      return { name: column.name, width: 1, mean, std: std > 0 ? std : 1 };
    }
    return { name: column.name, width: column.levels.length, levels: column.levels };
  });
  const cols = parts.reduce((sum, part) => sum + part.width, 0);
  return (table) => {
    const byName = new Map(table.columns.map((column) => [column.name, column]));
    const data = new Float32Array(table.rows * cols);
    let offset = 0;
    for (const part of parts) {
      const column = byName.get(part.name);
      if (!column) throw new DataError(`the table has no column "${part.name}"`, { path: table.name });
      if ('levels' in part) {
        const index = new Map(part.levels!.map((level, i) => [level, i]));
        const codes = categoryCodes(column, part.name, table.name);
        const map = (column as CategoryColumnData).levels.map((level) => index.get(level) ?? -1);
        for (let r = 0; r < table.rows; r++) {
          const at = codes[r] < 0 ? -1 : map[codes[r]];
          if (at >= 0) data[r * cols + offset + at] = 1;
        }
      } else {
        if (!isNumberColumn(column))
          throw new DataError(`column "${part.name}" should hold numbers, but holds ${column.type}`, {
            path: table.name,
          });
        for (let r = 0; r < table.rows; r++) {
          const v = column.values[r];
          data[r * cols + offset] = Number.isNaN(v) ? 0 : (v - part.mean!) / part.std!;
        }
      }
      offset += part.width;
    }
    return { rows: table.rows, cols, data };
  };
}

function categoryCodes(column: TableColumn, name: string, where: string): Int32Array {
  if (isNumberColumn(column))
    throw new DataError(`column "${name}" should hold categories, but holds ${column.type}`, { path: where });
  return column.codes;
}

// --- Machine-learning efficacy ---

export type ClassifierName = 'logistic-regression' | 'mlp';

export interface ClassifierScores {
  accuracy: number;
  /** Binary F1 of the positive class for a binary target; macro F1 otherwise. */
  f1: number;
}

export interface EfficacyRow {
  classifier: ClassifierName;
  /** Trained on real training rows, tested on real held-out rows. */
  real: ClassifierScores;
  /** Trained on synthetic rows, tested on the same real held-out rows. */
  synthetic: ClassifierScores;
}

export interface Efficacy {
  target: string;
  /** 'binary' (the positive class named) or 'macro'. */
  f1: 'binary' | 'macro';
  positive?: string;
  classifiers: EfficacyRow[];
}

/** Accuracy and F1 (binary of `positive`, or macro over the classes seen in truth or prediction). */
export function classificationScores(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: number,
  positive?: number,
): ClassifierScores {
  const tp = new Float64Array(classes);
  const fp = new Float64Array(classes);
  const fn = new Float64Array(classes);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] === predicted[i]) {
      hits++;
      tp[truth[i]]++;
    } else {
      fn[truth[i]]++;
      fp[predicted[i]]++;
    }
  }
  const f1Of = (c: number) => (tp[c] === 0 ? 0 : (2 * tp[c]) / (2 * tp[c] + fp[c] + fn[c]));
  let f1: number;
  if (positive !== undefined) f1 = f1Of(positive);
  else {
    // sklearn's macro F1 averages over the labels present in truth or prediction.
    const present = Array.from({ length: classes }, (_, c) => c).filter((c) => tp[c] + fp[c] + fn[c] > 0);
    f1 = present.reduce((sum, c) => sum + f1Of(c), 0) / Math.max(1, present.length);
  }
  return { accuracy: truth.length > 0 ? hits / truth.length : 0, f1 };
}

interface ClassifierOptions {
  seed: number;
  /** MLP epochs over the training rows (mini-batches of 200, as sklearn's MLPClassifier). */
  epochs?: number;
}

/**
 * Fits a classifier on (x, y) and predicts for `test`. logistic-regression: multinomial, L2 as sklearn's default
 * (C = 1: the mean cross-entropy plus ||W||² / (2n)), full-batch Adam; mlp: one hidden layer of 100 ReLU units
 * (sklearn's MLPClassifier default), Adam 1e-3, L2 1e-4. Written here on tfjs because no well-kept npm package
 * fits either on float32 matrices with seeds.
 */
export function fitPredict(
  kind: ClassifierName,
  x: Matrix,
  y: Int32Array,
  classes: number,
  test: Matrix,
  { seed, epochs = 30 }: ClassifierOptions,
): Int32Array {
  const n = x.rows;
  const d = x.cols;
  const hidden = kind === 'mlp' ? 100 : 0;
  const glorot = (rows: number, cols: number, s: number) => {
    const limit = Math.sqrt(6 / (rows + cols));
    return tf.variable(tf.randomUniform([rows, cols], -limit, limit, 'float32', s));
  };
  // Made in a tidy: a variable keeps its own reference, so the initial values can go.
  const [bias, ...weights] = tf.tidy(() => [
    tf.variable(tf.zeros([classes])),
    ...(kind === 'mlp'
      ? [glorot(d, hidden, seed), tf.variable(tf.zeros([hidden])), glorot(hidden, classes, seed + 1)]
      : [tf.variable(tf.zeros([d, classes]))]),
  ]);
  const logits = (input: Tensor) =>
    kind === 'mlp'
      ? tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(input, weights[0]), weights[1])), weights[2]), bias)
      : tf.add(tf.matMul(input, weights[0]), bias);
  const kernels = kind === 'mlp' ? [weights[0], weights[2]] : [weights[0]];
  const optimizer = tf.train.adam(kind === 'mlp' ? 1e-3 : 0.05);
  const xAll = tf.tensor2d(x.data, [n, d]);
  const yAll = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), classes), 'float32'));
  const step = (input: Tensor, target: Tensor, rows: number) =>
    optimizer.minimize(() => {
      const ce = tf.losses.softmaxCrossEntropy(target, logits(input));
      const penalty = tf.addN(kernels.map((k) => tf.sum(tf.square(k))));
      // sklearn's MLP adds alpha ||W||² / (2 · batch) to a batch's mean loss (alpha 1e-4); its logistic
      // regression minimises ||W||² / 2 + C Σ loss (C = 1), that is ||W||² / (2n) beside the mean loss.
      return tf.add(ce, tf.mul(kind === 'mlp' ? 1e-4 / (2 * rows) : 1 / (2 * rows), penalty)) as tf.Scalar;
    });
  try {
    if (kind === 'logistic-regression') {
      for (let i = 0; i < 300; i++) tf.tidy(() => void step(xAll, yAll, n));
    } else {
      const batch = 200;
      const order = Int32Array.from({ length: n }, (_, i) => i);
      let state = seed >>> 0 || 1;
      for (let epoch = 0; epoch < epochs; epoch++) {
        for (let i = n - 1; i > 0; i--) {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          const j = state % (i + 1);
          [order[i], order[j]] = [order[j], order[i]];
        }
        for (let start = 0; start < n; start += batch) {
          const rows = order.subarray(start, Math.min(n, start + batch));
          tf.tidy(() => {
            const at = tf.tensor1d(rows, 'int32');
            step(tf.gather(xAll, at), tf.gather(yAll, at), rows.length);
          });
        }
      }
    }
    return Int32Array.from(computeValues(() => tf.argMax(logits(tf.tensor2d(test.data, [test.rows, d])), 1)));
  } finally {
    tf.dispose([xAll, yAll, bias, ...weights]);
    optimizer.dispose();
  }
}

/** A category target's codes re-read in the real training table's levels; unseen levels are refused. */
function targetCodes(table: Table, target: string, levels: readonly string[]): Int32Array {
  const column = table.columns.find((c) => c.name === target);
  if (!column) throw new DataError(`the table has no target column "${target}"`, { path: table.name });
  const codes = categoryCodes(column, target, table.name);
  const index = new Map(levels.map((level, i) => [level, i]));
  const map = (column as CategoryColumnData).levels.map((level) => index.get(level) ?? -1);
  return Int32Array.from(codes, (code) => (code < 0 ? -1 : map[code]));
}

/** Rows whose target is observed (and a level of the training table). */
function labelled(table: Table, codes: Int32Array): { rows: Int32Array; labels: Int32Array } {
  const rows = Int32Array.from({ length: table.rows }, (_, i) => i).filter((i) => codes[i] >= 0);
  return { rows, labels: Int32Array.from(rows, (i) => codes[i]) };
}

function pickRows(m: Matrix, rows: Int32Array): Matrix {
  const data = new Float32Array(rows.length * m.cols);
  rows.forEach((r, i) => {
    data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  });
  return { rows: rows.length, cols: m.cols, data };
}

/**
 * Machine-learning efficacy (Xu et al. 2019, SDMetrics' ML efficacy): each classifier trained on the real training
 * rows and, apart, on the synthetic rows, both tested on the real held-out rows. `target` must be a category
 * column; a binary target scores the F1 of its less frequent training level (Adult's ">50K"), others macro F1.
 */
export function machineLearningEfficacy(
  train: Table,
  holdout: Table,
  synthetic: Table,
  target: string,
  { seed = 0, classifiers = ['logistic-regression', 'mlp'] as ClassifierName[], epochs = 30 } = {},
): Efficacy {
  const column = train.columns.find((c) => c.name === target);
  if (!column)
    throw new DataError(
      `no column "${target}" to predict: the table's columns are ${train.columns.map((c) => c.name).join(', ')}`,
      { path: train.name },
    );
  if (isNumberColumn(column))
    throw new DataError(
      `machine-learning efficacy predicts a category, but "${target}" holds ${column.type} values`,
      { path: train.name },
    );
  const levels = column.levels;
  const features = tableFeatures(train, target);
  const side = (table: Table) => {
    const codes = targetCodes(table, target, levels);
    const { rows, labels } = labelled(table, codes);
    return { x: pickRows(features(table), rows), y: labels };
  };
  const real = side(train);
  const test = side(holdout);
  const fake = side(synthetic);
  const counts = frequencies(real.y, levels.length);
  const binary = levels.length === 2;
  const positive = binary ? (counts[1] <= counts[0] ? 1 : 0) : undefined;
  const score = (kind: ClassifierName, from: { x: Matrix; y: Int32Array }, offset: number) => {
    if (from.x.rows === 0) return { accuracy: 0, f1: 0 };
    const predicted = fitPredict(kind, from.x, from.y, levels.length, test.x, {
      seed: seed + offset,
      epochs,
    });
    return classificationScores(test.y, predicted, levels.length, positive);
  };
  return {
    target,
    f1: binary ? 'binary' : 'macro',
    ...(positive !== undefined ? { positive: levels[positive] } : {}),
    classifiers: classifiers.map((kind, k) => ({
      classifier: kind,
      real: score(kind, real, 10 * k),
      synthetic: score(kind, fake, 10 * k),
    })),
  };
}

// --- Privacy ---

/** Euclidean distance from each row of `from` to its closest row of `to`: [from.rows]. */
export function closestDistances(from: Matrix, to: Matrix, block = 256): Float64Array {
  if (from.cols !== to.cols)
    throw new DataError(`rows differ in width: ${from.cols} vs ${to.cols}`, { path: 'features' });
  const out = new Float64Array(from.rows);
  const target = tf.tensor2d(to.data, [to.rows, to.cols]);
  const targetNorms = tf.tidy(() => tf.sum(tf.square(target), 1));
  try {
    for (let start = 0; start < from.rows; start += block) {
      const rows = Math.min(block, from.rows - start);
      const min = tf.tidy(() => {
        const x = tf.tensor2d(from.data.subarray(start * from.cols, (start + rows) * from.cols), [
          rows,
          from.cols,
        ]);
        // ||x - t||² = ||x||² + ||t||² - 2 x·t, clamped at 0 against rounding.
        const squared = tf.add(
          tf.sub(
            tf.reshape(tf.sum(tf.square(x), 1), [rows, 1]),
            tf.mul(2, tf.matMul(x, target, false, true)),
          ),
          targetNorms,
        );
        return tf.sqrt(tf.relu(tf.min(squared, 1)));
      });
      out.set(min.dataSync(), start);
      min.dispose();
    }
  } finally {
    tf.dispose([target, targetNorms]);
  }
  return out;
}

/** One text per row (numbers as written, categories as their level, missing as empty): exact-copy keys. */
function rowKeys(table: Table, names: readonly string[]): string[] {
  const columns = names.map((name) => table.columns.find((c) => c.name === name)!);
  return Array.from({ length: table.rows }, (_, r) =>
    columns
      .map((column) => {
        if (isNumberColumn(column)) return Number.isNaN(column.values[r]) ? '' : String(column.values[r]);
        return column.codes[r] < 0 ? '' : column.levels[column.codes[r]];
      })
      .join('\u0000'),
  );
}

export interface DistanceSummary {
  rows: number;
  median: number;
  p5: number;
  /** Share of rows equal, cell for cell, to some real training row. */
  exactCopies: number;
}

export interface Privacy {
  /** Distances on tableFeatures (numbers standardised, categories one-hot) to the closest real training row. */
  synthetic: DistanceSummary;
  holdout: DistanceSummary;
}

/** A seeded sample of at most `n` row indices of a table, in order. */
function sampleRows(rows: number, n: number, seed: number): Int32Array {
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  if (rows <= n) return all;
  let state = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = i + (state % (rows - i));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.subarray(0, n).sort();
}

/**
 * Distance to closest record (DCR): per synthetic row, the distance to the closest real training row, beside the
 * same for real held-out rows (what "as close as unseen real data" looks like), on at most `rows` rows of each
 * (seeded sample); and the share of rows that copy a training row exactly (over all rows).
 */
export function privacy(
  train: Table,
  holdout: Table,
  synthetic: Table,
  { rows = 2000, seed = 0 } = {},
): Privacy {
  const features = tableFeatures(train);
  const trainX = features(train);
  const names = train.columns.map((c) => c.name);
  const trainKeys = new Set(rowKeys(train, names));
  const summary = (table: Table, salt: number): DistanceSummary => {
    const picked = sampleRows(table.rows, rows, seed + salt);
    const distances = closestDistances(pickRows(features(table), picked), trainX);
    const keys = rowKeys(table, names);
    const copies = keys.filter((key) => trainKeys.has(key)).length;
    // An empty side (no held-out rows) has no distances: NaN, as numpy's quantile of nothing.
    const at = (q: number) => (distances.length > 0 ? quantile(distances, q) : Number.NaN);
    return {
      rows: picked.length,
      median: at(0.5),
      p5: at(0.05),
      exactCopies: table.rows > 0 ? copies / table.rows : 0,
    };
  };
  return { synthetic: summary(synthetic, 1), holdout: summary(holdout, 2) };
}

// --- The report ---

export interface TableQualityOptions {
  /** A category column to predict for machine-learning efficacy; absent: no efficacy. */
  target?: string;
  seed?: number;
  /** Rows of each side the privacy distances are computed on (default 2000). */
  privacyRows?: number;
  /** MLP epochs (default 30). */
  epochs?: number;
}

export interface TableQualityReport {
  rows: { train: number; holdout: number; synthetic: number };
  /** Mean of columnShapes' scores, of pairTrends', and of the two (SDMetrics' overall score). */
  scores: { columnShapes: number; pairTrends: number; overall: number };
  columnShapes: ColumnScore[];
  pairTrends: PairScore[];
  efficacy?: Efficacy;
  privacy: Privacy;
}

const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 1);

/** Every table metric of a synthetic table against the real training table and real held-out rows. */
export function tableQuality(
  train: Table,
  holdout: Table,
  synthetic: Table,
  options: TableQualityOptions = {},
): TableQualityReport {
  const seed = options.seed ?? 0;
  const shapes = columnShapes(train, synthetic);
  const pairs = pairTrends(train, synthetic);
  const shapeScore = mean(shapes.map((s) => s.score));
  // A one-column table has no pairs: the overall score is then the column shapes' alone.
  const pairScore = pairs.length > 0 ? mean(pairs.map((p) => p.score)) : undefined;
  return {
    rows: { train: train.rows, holdout: holdout.rows, synthetic: synthetic.rows },
    scores: {
      columnShapes: shapeScore,
      pairTrends: pairScore ?? Number.NaN,
      overall: pairScore === undefined ? shapeScore : (shapeScore + pairScore) / 2,
    },
    columnShapes: shapes,
    pairTrends: pairs,
    ...(options.target
      ? {
          efficacy: machineLearningEfficacy(train, holdout, synthetic, options.target, {
            seed,
            epochs: options.epochs,
          }),
        }
      : {}),
    privacy: privacy(train, holdout, synthetic, { rows: options.privacyRows, seed }),
  };
}

const fixed = (v: number, digits = 3) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

/** The report as Markdown: the scores, efficacy and privacy tables, then the worst columns and pairs. */
export function formatTableQuality(report: TableQualityReport): string {
  const lines = [
    `rows: ${report.rows.train} training, ${report.rows.holdout} held out, ${report.rows.synthetic} synthetic`,
    '',
    '| column shapes | pair trends | overall |',
    '| --- | --- | --- |',
    `| ${fixed(report.scores.columnShapes)} | ${fixed(report.scores.pairTrends)} | ${fixed(report.scores.overall)} |`,
  ];
  if (report.efficacy) {
    const e = report.efficacy;
    const f1 = e.f1 === 'binary' ? `F1 (${e.positive})` : 'macro F1';
    lines.push(
      '',
      `machine-learning efficacy, target ${e.target}, tested on the held-out rows:`,
      '',
      `| classifier | real: accuracy | real: ${f1} | synthetic: accuracy | synthetic: ${f1} |`,
      '| --- | --- | --- | --- | --- |',
      ...e.classifiers.map(
        (c) =>
          `| ${c.classifier} | ${fixed(c.real.accuracy)} | ${fixed(c.real.f1)} | ${fixed(c.synthetic.accuracy)} | ${fixed(c.synthetic.f1)} |`,
      ),
    );
  }
  const p = report.privacy;
  lines.push(
    '',
    'privacy: distance to the closest real training row (standardised numbers, one-hot categories):',
    '',
    '| rows | median | 5th percentile | exact copies |',
    '| --- | --- | --- | --- |',
    `| synthetic | ${fixed(p.synthetic.median)} | ${fixed(p.synthetic.p5)} | ${fixed(100 * p.synthetic.exactCopies, 2)}% |`,
    `| real held-out | ${fixed(p.holdout.median)} | ${fixed(p.holdout.p5)} | ${fixed(100 * p.holdout.exactCopies, 2)}% |`,
  );
  const worst = [...report.columnShapes].sort((a, b) => a.score - b.score).slice(0, 5);
  lines.push('', `lowest column shapes: ${worst.map((s) => `${s.column} ${fixed(s.score)}`).join(', ')}`);
  const worstPairs = [...report.pairTrends].sort((a, b) => a.score - b.score).slice(0, 5);
  if (worstPairs.length > 0)
    lines.push(
      `lowest pair trends: ${worstPairs.map((s) => `${s.columns.join('/')} ${fixed(s.score)}`).join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}

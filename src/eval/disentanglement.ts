// Disentanglement metrics of codes of data drawn from known factors (dsprites), computed as disentanglement_lib
// (Locatello et al. 2019) does, with smaller default sample counts and the classifiers named at each metric.
import { type DataFactors, type Dataset, makeDataset } from '../data/dataset.js';
import { createRng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import type { Autoencoder } from '../models/family.js';
import { encodeDataset } from './codes.js';
import { linearProbe } from './probe.js';

/** Codes of rows of factor values (laid out as DataFactors.values): render, then encode. */
export type Represent = (values: Int32Array) => Promise<Matrix>;
/** The factors' names and sizes (their values are drawn uniformly and independently, as over a full grid). */
export type FactorSpace = Pick<DataFactors, 'names' | 'sizes'>;

function checkRows(codes: Matrix, factors: DataFactors, what: string): void {
  if (factors.values.length !== codes.rows * factors.names.length)
    throw new ConfigError(
      `expected ${codes.rows} rows of ${factors.names.length} factors (one per code), got ${factors.values.length} values`,
      { path: what },
    );
  if (codes.rows < 2)
    throw new ConfigError(`the metrics need at least 2 codes, got ${codes.rows}`, { path: what });
}

const column = (factors: DataFactors, k: number): Int32Array => {
  const K = factors.names.length;
  return Int32Array.from({ length: factors.values.length / K }, (_, i) => factors.values[i * K + k]);
};

/** The 20 (`bins`) lower edges of code `j`'s equal-width bins over its range, as np.histogram's edges but the last. */
function binEdges(codes: Matrix, j: number, bins: number): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < codes.rows; i++) {
    const v = codes.data[i * codes.cols + j];
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // numpy widens a constant range to [v - 0.5, v + 0.5].
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  const step = (max - min) / bins;
  return Float64Array.from({ length: bins }, (_, b) => b * step + min);
}

/** np.digitize: how many edges are at or below v (1 to bins within the range, 0 below it). */
function binOf(v: number, edges: Float64Array): number {
  let b = 0;
  while (b < edges.length && edges[b] <= v) b++;
  return b;
}

/**
 * Each code dimension cut into `bins` equal-width bins over its range, as disentanglement_lib's
 * histogram_discretize (np.digitize on np.histogram's edges but the last): bin b of [1, bins] holds the values at or
 * above the b-th edge. A constant dimension is all bin 1.
 */
export function discretise(codes: Matrix, bins = 20): Int32Array[] {
  return Array.from({ length: codes.cols }, (_, j) => {
    const edges = binEdges(codes, j, bins);
    return Int32Array.from({ length: codes.rows }, (_, i) => binOf(codes.data[i * codes.cols + j], edges));
  });
}

/** Empirical mutual information of two discrete variables, in nats (scikit-learn's mutual_info_score). */
export function mutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const joint = new Map<string, number>();
  const pa = new Map<number, number>();
  const pb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    pa.set(a[i], (pa.get(a[i]) ?? 0) + 1);
    pb.set(b[i], (pb.get(b[i]) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, count] of joint) {
    const [x, y] = key.split(',').map(Number);
    mi += (count / n) * Math.log((count * n) / ((pa.get(x) as number) * (pb.get(y) as number)));
  }
  return Math.max(0, mi);
}

export interface MigResult {
  /** Mean over factors of the gap between the two codes most informative of it, over its entropy. */
  score: number;
  perFactor: number[];
  /** mutualInformation[code][factor], nats. */
  mutualInformation: number[][];
  /** Per factor, nats. */
  entropy: number[];
}

/** Mutual Information Gap (Chen et al. 2018), the codes cut into `bins` bins (20, as disentanglement_lib). */
export function mig(codes: Matrix, factors: DataFactors, bins = 20): MigResult {
  checkRows(codes, factors, 'mig');
  const discrete = discretise(codes, bins);
  const ys = factors.names.map((_, k) => column(factors, k));
  const mi = discrete.map((c) => ys.map((y) => mutualInformation(c, y)));
  const entropy = ys.map((y) => mutualInformation(y, y));
  const perFactor = ys.map((_, k) => {
    if (entropy[k] === 0) return 0;
    const sorted = mi.map((row) => row[k]).sort((x, y) => y - x);
    return (sorted[0] - (sorted[1] ?? 0)) / entropy[k];
  });
  return { score: mean(perFactor), perFactor, mutualInformation: mi, entropy };
}

const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** A factor with one value everywhere cannot be predicted from anything: its classifier is skipped, scoring 1. */
const constant = (y: Int32Array) => y.every((v) => v === y[0]);

export interface SapResult {
  /** Mean over factors of the gap between the two single codes that predict it best. */
  score: number;
  perFactor: number[];
  /** accuracy[code][factor] on the test codes of a classifier on that one code. */
  accuracy: number[][];
}

/**
 * Separated Attribute Predictability (Kumar et al. 2018) for discrete factors: per code and factor, a classifier on
 * that code alone, its test accuracy. disentanglement_lib uses a linear SVM (C = 0.01, balanced classes), which can
 * only cut one code into ordered intervals; here each of the code's 20 bins (as MIG's, over the training range)
 * predicts the factor value most frequent in it: cheap and deterministic, and it also credits a code that holds a factor
 * non-monotonically, so scores run higher than disentanglement_lib's.
 */
export function sap(
  train: Matrix,
  trainFactors: DataFactors,
  test: Matrix,
  testFactors: DataFactors,
  bins = 20,
): SapResult {
  checkRows(train, trainFactors, 'sap (train)');
  checkRows(test, testFactors, 'sap (test)');
  const K = trainFactors.names.length;
  // Test codes are binned on the training edges (below the range: bin 0, which the training codes never fill).
  const trainOnly = discretise(train, bins);
  const accuracy = Array.from({ length: train.cols }, (_, j) => {
    const edges = binEdges(train, j, bins);
    const testBins = Int32Array.from({ length: test.rows }, (_, i) =>
      binOf(test.data[i * test.cols + j], edges),
    );
    return Array.from({ length: K }, (_, k) => {
      const y = column(trainFactors, k);
      const yTest = column(testFactors, k);
      const counts = Array.from({ length: bins + 1 }, () => new Int32Array(trainFactors.sizes[k]));
      for (let i = 0; i < y.length; i++) counts[trainOnly[j][i]][y[i]]++;
      // An empty bin predicts the most frequent value overall.
      const overall = new Int32Array(trainFactors.sizes[k]);
      for (const v of y) overall[v]++;
      const vote = counts.map((c) => argmax(c.some((n) => n > 0) ? c : overall));
      let hits = 0;
      for (let i = 0; i < yTest.length; i++) if (vote[testBins[i]] === yTest[i]) hits++;
      return hits / yTest.length;
    });
  });
  const perFactor = trainFactors.names.map((_, k) => {
    const sorted = accuracy.map((row) => row[k]).sort((a, b) => b - a);
    return sorted[0] - (sorted[1] ?? 0);
  });
  return { score: mean(perFactor), perFactor, accuracy };
}

const argmax = (xs: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
};

/** Standardised copy of x's columns (mean 0, std 1; a constant column stays 0) with the train statistics. */
function standardised(x: Matrix): Float64Array {
  const { rows, cols, data } = x;
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let i = 0; i < rows; i++) s += data[i * cols + j];
    const mu = s / rows;
    let ss = 0;
    for (let i = 0; i < rows; i++) ss += (data[i * cols + j] - mu) ** 2;
    const sd = Math.sqrt(ss / rows);
    for (let i = 0; i < rows; i++) out[i * cols + j] = sd > 1e-12 ? (data[i * cols + j] - mu) / sd : 0;
  }
  return out;
}

/**
 * Lasso coefficients of y on standardised x: argmin ||y - x w||² / (2n) + alpha ||w||₁ by cyclic coordinate descent
 * on the Gram matrix (the few code dimensions make it d x d). Hand-written: twenty lines, where the npm lasso
 * packages come with a whole matrix library of their own.
 */
export function lasso(
  x: Float64Array,
  y: Float64Array,
  cols: number,
  alpha: number,
  sweeps = 500,
): Float64Array {
  const n = y.length;
  const gram = new Float64Array(cols * cols);
  const xy = new Float64Array(cols);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < cols; a++) {
      const xa = x[i * cols + a];
      xy[a] += (xa * y[i]) / n;
      for (let b = 0; b < cols; b++) gram[a * cols + b] += (xa * x[i * cols + b]) / n;
    }
  const w = new Float64Array(cols);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    let change = 0;
    for (let j = 0; j < cols; j++) {
      if (gram[j * cols + j] === 0) continue;
      let rho = xy[j];
      for (let k = 0; k < cols; k++) if (k !== j) rho -= gram[j * cols + k] * w[k];
      const next = (Math.sign(rho) * Math.max(0, Math.abs(rho) - alpha)) / gram[j * cols + j];
      change = Math.max(change, Math.abs(next - w[j]));
      w[j] = next;
    }
    if (change < 1e-10) break;
  }
  return w;
}

export interface DciResult {
  /** Per code, one minus the entropy (base: number of factors) of its importances, weighted by its share. */
  disentanglement: number;
  /** Per factor, one minus the entropy (base: number of codes) of the importances for it, averaged. */
  completeness: number;
  /** Mean over factors of a linear classifier's test accuracy from all codes. */
  informativeness: number;
  /** importance[code][factor]. */
  importance: number[][];
}

/** Entropy of p (normalised here) in base `base`, as scipy.stats.entropy; 0 for a zero vector. */
function entropyOf(p: readonly number[], base: number): number {
  const total = p.reduce((a, b) => a + b, 0);
  if (total <= 0 || base <= 1) return 0;
  let h = 0;
  for (const v of p) if (v > 0) h -= (v / total) * Math.log(v / total);
  return h / Math.log(base);
}

/** The DCI importances' disentanglement and completeness (Eastwood & Williams 2018), as disentanglement_lib. */
export function dciScores(importance: number[][]): { disentanglement: number; completeness: number } {
  const codes = importance.length;
  const K = importance[0]?.length ?? 0;
  const total = importance.flat().reduce((a, b) => a + b, 0);
  if (total <= 0) return { disentanglement: 0, completeness: 0 };
  let disentanglement = 0;
  for (const row of importance) {
    const share = row.reduce((a, b) => a + b, 0) / total;
    disentanglement += share * (1 - entropyOf(row, K));
  }
  const completeness = mean(
    Array.from(
      { length: K },
      (_, k) =>
        1 -
        entropyOf(
          importance.map((row) => row[k]),
          codes,
        ),
    ),
  );
  return { disentanglement, completeness };
}

/**
 * DCI (Eastwood & Williams 2018). Importances are the absolute lasso coefficients (alpha 0.01) of each factor's
 * standardised value on the standardised codes, Eastwood & Williams' first regressor; disentanglement_lib uses
 * gradient-boosted trees' importances, which also see a code that holds a factor non-monotonically (lasso sees only
 * the linear part, so orientation, a circular factor, counts for less). Informativeness is the test accuracy of the
 * linear probe on all codes (disentanglement_lib: the trees' accuracy).
 */
export function dci(
  train: Matrix,
  trainFactors: DataFactors,
  test: Matrix,
  testFactors: DataFactors,
  alpha = 0.01,
): DciResult {
  checkRows(train, trainFactors, 'dci (train)');
  checkRows(test, testFactors, 'dci (test)');
  const x = standardised(train);
  const K = trainFactors.names.length;
  const weights = trainFactors.names.map((_, k) => {
    const y = column(trainFactors, k);
    if (constant(y)) return new Float64Array(train.cols);
    const target = standardised({ rows: y.length, cols: 1, data: Float32Array.from(y) });
    return lasso(x, target, train.cols, alpha);
  });
  const importance = Array.from({ length: train.cols }, (_, j) =>
    Array.from({ length: K }, (_, k) => Math.abs(weights[k][j])),
  );
  const informativeness = mean(
    trainFactors.names.map((_, k) => {
      const y = column(trainFactors, k);
      if (constant(y)) return 1;
      return linearProbe(train, y, test, column(testFactors, k), { numClasses: trainFactors.sizes[k] })
        .accuracy;
    }),
  );
  return { ...dciScores(importance), informativeness, importance };
}

/** `count` rows of factor values drawn uniformly and independently. */
function drawFactors(space: FactorSpace, count: number, rng: () => number): Int32Array {
  const K = space.names.length;
  const values = new Int32Array(count * K);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < K; k++)
      values[i * K + k] = Math.min(space.sizes[k] - 1, Math.floor(rng() * space.sizes[k]));
  return values;
}

/** Variance of each column (ddof as given). */
function variances(m: Matrix, ddof: number): Float64Array {
  const out = new Float64Array(m.cols);
  for (let j = 0; j < m.cols; j++) {
    let s = 0;
    for (let i = 0; i < m.rows; i++) s += m.data[i * m.cols + j];
    const mu = s / m.rows;
    let ss = 0;
    for (let i = 0; i < m.rows; i++) ss += (m.data[i * m.cols + j] - mu) ** 2;
    out[j] = ss / (m.rows - ddof);
  }
  return out;
}

export interface SampledScoreOptions {
  seed?: number;
  /** Images per vote or per training point (64, as disentanglement_lib). */
  batchSize?: number;
  /** Votes or training points to fit on (disentanglement_lib: 10,000). */
  trainPoints?: number;
  /** Votes or points to score on (disentanglement_lib: 5,000). */
  evalPoints?: number;
  /** FactorVAE: images for the global variances (disentanglement_lib: 10,000). */
  varianceSamples?: number;
}

export interface FactorVaeScore {
  /** Share of held-out votes the majority-vote classifier gets right. */
  score: number;
  trainAccuracy: number;
  /** Codes whose variance over the data is at least 0.05 (the others are never voted for). */
  activeDims: number;
}

/**
 * FactorVAE score (Kim & Mnih 2018): fix one factor over a batch of fresh images, find the active code of least
 * variance normalised by its variance over the data, vote (code, factor); a majority-vote classifier from code to
 * factor is fitted on some votes and scored on others. As disentanglement_lib: variance threshold 0.05, batch 64.
 */
export async function factorVaeScore(
  represent: Represent,
  space: FactorSpace,
  options: SampledScoreOptions = {},
): Promise<FactorVaeScore> {
  const { batchSize = 64, trainPoints = 300, evalPoints = 200, varianceSamples = 5000 } = options;
  const rng = createRng(options.seed ?? 0);
  const K = space.names.length;
  const global = variances(await represent(drawFactors(space, varianceSamples, rng)), 0);
  const active = Array.from(global, (v, j) => (v >= 0.05 ? j : -1)).filter((j) => j >= 0);
  if (active.length === 0) return { score: 0, trainAccuracy: 0, activeDims: 0 };
  const votesOf = async (points: number) => {
    const votes = Array.from({ length: global.length }, () => new Array<number>(K).fill(0));
    for (let p = 0; p < points; p++) {
      const k = Math.min(K - 1, Math.floor(rng() * K));
      const values = drawFactors(space, batchSize, rng);
      for (let i = 1; i < batchSize; i++) values[i * K + k] = values[k];
      const local = variances(await represent(values), 1);
      let best = active[0];
      for (const j of active) if (local[j] / global[j] < local[best] / global[best]) best = j;
      votes[best][k]++;
    }
    return votes;
  };
  const trainVotes = await votesOf(trainPoints);
  const classifier = trainVotes.map((row) => row.indexOf(Math.max(...row)));
  const trainAccuracy = trainVotes.reduce((n, row) => n + Math.max(...row), 0) / trainPoints;
  const evalVotes = await votesOf(evalPoints);
  const score = evalVotes.reduce((n, row, j) => n + row[classifier[j]], 0) / evalPoints;
  return { score, trainAccuracy, activeDims: active.length };
}

export interface BetaVaeScore {
  /** Test accuracy of the linear classifier naming the fixed factor. */
  score: number;
  trainAccuracy: number;
}

/**
 * beta-VAE score (Higgins et al. 2017): pairs of fresh images share one factor; the mean absolute difference of
 * their codes over a batch is a point labelled with that factor; a linear classifier (the linear probe, multinomial
 * logistic regression, as disentanglement_lib's scikit-learn LogisticRegression) is fitted and scored on new points.
 */
export async function betaVaeScore(
  represent: Represent,
  space: FactorSpace,
  options: SampledScoreOptions = {},
): Promise<BetaVaeScore> {
  const { batchSize = 64, trainPoints = 300, evalPoints = 200 } = options;
  const rng = createRng(options.seed ?? 0);
  const K = space.names.length;
  const pointsOf = async (count: number) => {
    const labels = new Int32Array(count);
    let features: Float32Array | undefined;
    for (let p = 0; p < count; p++) {
      const k = Math.min(K - 1, Math.floor(rng() * K));
      const first = drawFactors(space, batchSize, rng);
      const second = drawFactors(space, batchSize, rng);
      for (let i = 0; i < batchSize; i++) second[i * K + k] = first[i * K + k];
      const both = new Int32Array(2 * batchSize * K);
      both.set(first);
      both.set(second, batchSize * K);
      const codes = await represent(both);
      const d = codes.cols;
      features ??= new Float32Array(count * d);
      for (let i = 0; i < batchSize; i++)
        for (let j = 0; j < d; j++)
          features[p * d + j] +=
            Math.abs(codes.data[i * d + j] - codes.data[(batchSize + i) * d + j]) / batchSize;
      labels[p] = k;
    }
    const data = features ?? new Float32Array(0);
    return { x: { rows: count, cols: data.length / Math.max(1, count), data }, labels };
  };
  const train = await pointsOf(trainPoints);
  const test = await pointsOf(evalPoints);
  const probe = linearProbe(train.x, train.labels, test.x, test.labels, { numClasses: K });
  return { score: probe.accuracy, trainAccuracy: probe.trainAccuracy };
}

export interface DisentanglementOptions extends SampledScoreOptions {
  /** Codes of the data for MIG, SAP and DCI: this many for fitting, the next `testCodes` for scoring. */
  trainCodes?: number;
  testCodes?: number;
}

export interface DisentanglementReport {
  mig: number;
  sap: number;
  dci: { disentanglement: number; completeness: number; informativeness: number };
  factorVae: number;
  betaVae: number;
  factors: string[];
  /** Codes MIG, SAP and DCI were fitted and scored on. */
  codes: { train: number; test: number };
  migPerFactor: number[];
  sapPerFactor: number[];
  /**
   * mutualInformation[code][factor] in nats, on MIG's codes, and each factor's entropy: what each latent dimension
   * encodes (a factor spread over several codes, each with a small share of its entropy, scores a low MIG).
   */
  mutualInformation: number[][];
  factorEntropy: number[];
}

/**
 * The five metrics for `codes` of data with `factors` (row for row) and a way to represent fresh images. MIG uses
 * the first `trainCodes` codes (10,000 as disentanglement_lib); SAP and DCI fit on them and score on the rest.
 */
export async function disentanglement(
  codes: Matrix,
  factors: DataFactors,
  represent: Represent,
  options: DisentanglementOptions = {},
): Promise<DisentanglementReport> {
  checkRows(codes, factors, 'codes');
  const nTest = Math.min(options.testCodes ?? 2000, Math.floor(codes.rows / 2));
  const nTrain = Math.min(options.trainCodes ?? 10_000, codes.rows - nTest);
  const K = factors.names.length;
  const rows = (from: number, count: number) => ({
    codes: {
      rows: count,
      cols: codes.cols,
      data: codes.data.subarray(from * codes.cols, (from + count) * codes.cols),
    },
    factors: { ...factors, values: factors.values.subarray(from * K, (from + count) * K) },
  });
  const train = rows(0, nTrain);
  const test = rows(nTrain, nTest);
  const migResult = mig(train.codes, train.factors);
  const sapResult = sap(train.codes, train.factors, test.codes, test.factors);
  const dciResult = dci(train.codes, train.factors, test.codes, test.factors);
  const factorVae = await factorVaeScore(represent, factors, options);
  const betaVae = await betaVaeScore(represent, factors, options);
  return {
    mig: migResult.score,
    sap: sapResult.score,
    dci: {
      disentanglement: dciResult.disentanglement,
      completeness: dciResult.completeness,
      informativeness: dciResult.informativeness,
    },
    factorVae: factorVae.score,
    betaVae: betaVae.score,
    factors: [...factors.names],
    codes: { train: nTrain, test: nTest },
    migPerFactor: migResult.perFactor,
    sapPerFactor: sapResult.perFactor,
    mutualInformation: migResult.mutualInformation,
    factorEntropy: migResult.entropy,
  };
}

/**
 * The five metrics of an autoencoder's codes (its encode(): the posterior mean of a VAE) on data with factors: the
 * dataset's own codes for MIG, SAP and DCI, fresh images drawn by the data's renderer for the two sampled scores.
 */
export async function modelDisentanglement(
  model: Autoencoder,
  dataset: Dataset,
  options: DisentanglementOptions = {},
): Promise<DisentanglementReport> {
  const factors = dataset.factors;
  if (!factors)
    throw new ConfigError('the disentanglement metrics need data generated from known factors (dsprites)', {
      path: dataset.name,
    });
  const represent: Represent = (values) =>
    encodeDataset(model, makeDataset(`${dataset.name} (drawn)`, dataset.sampleShape, factors.render(values)));
  return disentanglement(await encodeDataset(model, dataset), factors, represent, options);
}

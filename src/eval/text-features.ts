// Bag-of-words and TF-IDF vectors of token-id rows (data/text), sparse, and PCA of them by randomized SVD: the
// baselines a text model's anomaly scores and codes are set beside. Fitted on a training split only.
import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import type { Dataset } from '../data/dataset.js';
import { createRng } from '../data/random.js';
import { BOS_ID, EOS_ID, PAD_ID } from '../data/text/vocabulary.js';
import { ConfigError, DataError } from '../errors.js';
import type { Matrix } from '../io/arrays.js';
import type { PcaModel } from './pca.js';

/** Rows in compressed sparse row form: row i's columns are indices[indptr[i] .. indptr[i + 1]), ascending. */
export interface SparseRows {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** Ids that are layout, not words: <pad>, <bos>, <eos>. <unk> stays (rare words are a signal too). */
const LAYOUT = new Set([PAD_ID, BOS_ID, EOS_ID]);

/** The vocabulary size of a text dataset, or an error naming it. */
export function vocabularySizeOf(dataset: Dataset): number {
  if (!dataset.text)
    throw new DataError('bag-of-words features need text data (token ids with a vocabulary)', {
      path: dataset.name,
    });
  return dataset.text.tokens.length;
}

/** Word counts per row of token ids x [rows, length] (ids < vocabularySize), layout ids left out. */
export function bagOfWords(x: ArrayLike<number>, rows: number, vocabularySize: number): SparseRows {
  const length = rows > 0 ? x.length / rows : 0;
  if (!Number.isInteger(length))
    throw new ConfigError(`${x.length} ids do not make ${rows} rows of equal length`, { path: 'x' });
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  const counts = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    counts.clear();
    for (let t = 0; t < length; t++) {
      const id = x[i * length + t];
      if (LAYOUT.has(id)) continue;
      if (!Number.isInteger(id) || id < 0 || id >= vocabularySize)
        throw new DataError(`token id ${id} in row ${i} is outside the vocabulary [0, ${vocabularySize})`, {
          path: 'x',
        });
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const id of [...counts.keys()].sort((a, b) => a - b)) {
      indices.push(id);
      values.push(counts.get(id) as number);
    }
    indptr[i + 1] = indices.length;
  }
  return {
    rows,
    cols: vocabularySize,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
}

/**
 * Inverse document frequencies of count rows, smoothed as scikit-learn's TfidfVectorizer does:
 * idf_j = ln((1 + n) / (1 + df_j)) + 1, as if one extra document held every word (no division by zero).
 */
export function fitIdf(counts: SparseRows): Float32Array {
  const df = new Float64Array(counts.cols);
  for (let k = 0; k < counts.indices.length; k++) if (counts.values[k] !== 0) df[counts.indices[k]]++;
  return Float32Array.from(df, (d) => Math.log((1 + counts.rows) / (1 + d)) + 1);
}

/** TF-IDF rows: count · idf, each row scaled to unit length (an empty row stays zero), so length does not count. */
export function tfIdf(counts: SparseRows, idf: Float32Array): SparseRows {
  if (idf.length !== counts.cols)
    throw new ConfigError(`the idf has ${idf.length} words, the rows ${counts.cols}`, { path: 'idf' });
  const values = new Float32Array(counts.values.length);
  for (let i = 0; i < counts.rows; i++) {
    let norm = 0;
    for (let k = counts.indptr[i]; k < counts.indptr[i + 1]; k++) {
      values[k] = counts.values[k] * idf[counts.indices[k]];
      norm += values[k] * values[k];
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = counts.indptr[i]; k < counts.indptr[i + 1]; k++) values[k] /= norm;
  }
  return { ...counts, values };
}

/** TF-IDF features with the idf of a training split: `transform` any rows of the same vocabulary. */
export interface TfIdfFeatures {
  idf: Float32Array;
  transform(dataset: Dataset): SparseRows;
}

export function fitTfIdf(train: Dataset): TfIdfFeatures {
  const size = vocabularySizeOf(train);
  const idf = fitIdf(bagOfWords(train.x, train.size, size));
  return {
    idf,
    transform(dataset) {
      const other = vocabularySizeOf(dataset);
      if (other !== size)
        throw new DataError(`the features have ${size} words, this data's vocabulary ${other}`, {
          path: dataset.name,
        });
      return tfIdf(bagOfWords(dataset.x, dataset.size, size), idf);
    },
  };
}

// ---- PCA of sparse rows ----

/** Column means of sparse rows. */
function columnMeans(m: SparseRows): Float64Array {
  const mean = new Float64Array(m.cols);
  for (let k = 0; k < m.indices.length; k++) mean[m.indices[k]] += m.values[k];
  for (let j = 0; j < m.cols; j++) mean[j] /= m.rows;
  return mean;
}

/** (X − 1 μᵀ) B for dense B [cols, l] (column-major by l): [rows, l], row-major. */
function centredTimes(m: SparseRows, mean: Float64Array, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array(m.rows * l);
  const shift = new Float64Array(l);
  for (let j = 0; j < m.cols; j++)
    if (mean[j] !== 0) for (let c = 0; c < l; c++) shift[c] += mean[j] * b[j * l + c];
  for (let i = 0; i < m.rows; i++) {
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
      const v = m.values[k];
      const row = m.indices[k] * l;
      for (let c = 0; c < l; c++) out[i * l + c] += v * b[row + c];
    }
    for (let c = 0; c < l; c++) out[i * l + c] -= shift[c];
  }
  return out;
}

/** (X − 1 μᵀ)ᵀ Q for dense Q [rows, l]: [cols, l], row-major. */
function centredTransposeTimes(m: SparseRows, mean: Float64Array, q: Float64Array, l: number): Float64Array {
  const out = new Float64Array(m.cols * l);
  const sums = new Float64Array(l);
  for (let i = 0; i < m.rows; i++) {
    for (let c = 0; c < l; c++) sums[c] += q[i * l + c];
    for (let k = m.indptr[i]; k < m.indptr[i + 1]; k++) {
      const v = m.values[k];
      const row = m.indices[k] * l;
      for (let c = 0; c < l; c++) out[row + c] += v * q[i * l + c];
    }
  }
  for (let j = 0; j < m.cols; j++)
    if (mean[j] !== 0) for (let c = 0; c < l; c++) out[j * l + c] -= mean[j] * sums[c];
  return out;
}

/** Orthonormal columns of a [rows, l] row-major matrix, in place (modified Gram-Schmidt, twice for accuracy). */
function orthonormalise(a: Float64Array, rows: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += a[i * l + c] * a[i * l + p];
        for (let i = 0; i < rows; i++) a[i * l + c] -= dot * a[i * l + p];
      }
      let norm = 0;
      for (let i = 0; i < rows; i++) norm += a[i * l + c] ** 2;
      norm = Math.sqrt(norm);
      // A column in the span of the others (rank-deficient data) becomes zero, not noise.
      for (let i = 0; i < rows; i++) a[i * l + c] = norm > 1e-10 ? a[i * l + c] / norm : 0;
    }
  }
}

export interface SparsePcaOptions {
  /** Seeds the random test matrix: the same seed gives the same components. */
  seed?: number;
  /** Subspace (power) iterations; 4 makes the leading components agree with exact PCA to a few digits. */
  powerIterations?: number;
  /** Extra random directions beyond the components (Halko et al. 2011 suggest 5 to 10). */
  oversample?: number;
}

/**
 * PCA of sparse rows without forming the [cols, cols] covariance (a vocabulary of thousands of words): the
 * randomized range finder of Halko, Martinsson and Tropp (2011) on the centred rows, with power iterations, then
 * the exact eigenvectors of the small projected problem. Returns the same model as fitPca, so pcaTransform and
 * pcaInverse apply to dense rows.
 */
export function fitSparsePca(m: SparseRows, numComponents: number, options: SparsePcaOptions = {}): PcaModel {
  const maxComponents = Math.min(m.cols, m.rows - 1);
  if (!Number.isInteger(numComponents) || numComponents < 1 || numComponents > maxComponents)
    throw new ConfigError(
      `expected between 1 and ${maxComponents} components (${m.rows} rows of ${m.cols} features), got ${numComponents}`,
      { path: 'components' },
    );
  const mean = columnMeans(m);
  const l = Math.min(numComponents + (options.oversample ?? 10), m.cols, m.rows);
  const rng = createRng(options.seed ?? 0);
  // Standard normal draws (Box-Muller) for the test matrix Ω [cols, l].
  const omega = new Float64Array(m.cols * l);
  for (let i = 0; i < omega.length; i++)
    omega[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  let q = centredTimes(m, mean, omega, l);
  orthonormalise(q, m.rows, l);
  for (let it = 0; it < (options.powerIterations ?? 4); it++) {
    const z = centredTransposeTimes(m, mean, q, l);
    orthonormalise(z, m.cols, l);
    q = centredTimes(m, mean, z, l);
    orthonormalise(q, m.rows, l);
  }
  // Bᵀ = Xcᵀ Q [cols, l]; B Bᵀ = U S² Uᵀ (small), and the right singular vectors are Bᵀ u / s.
  const bt = centredTransposeTimes(m, mean, q, l);
  const gram = Array.from({ length: l }, () => new Array<number>(l).fill(0));
  for (let j = 0; j < m.cols; j++)
    for (let a = 0; a < l; a++) {
      const v = bt[j * l + a];
      if (v !== 0) for (let b = 0; b < l; b++) gram[a][b] += v * bt[j * l + b];
    }
  const evd = new EigenvalueDecomposition(new MlMatrix(gram), { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]);
  const u = evd.eigenvectorMatrix;
  let total = 0;
  for (let k = 0; k < m.indices.length; k++) total += m.values[k] ** 2;
  for (let j = 0; j < m.cols; j++) total -= m.rows * mean[j] ** 2;
  const components = new Float32Array(numComponents * m.cols);
  const explainedVariance = new Float32Array(numComponents);
  const explainedVarianceRatio = new Float32Array(numComponents);
  for (let k = 0; k < numComponents; k++) {
    const [value, column] = order[k];
    const s = Math.sqrt(Math.max(value, 0));
    explainedVariance[k] = (s * s) / (m.rows - 1);
    explainedVarianceRatio[k] = total > 0 ? (s * s) / total : 0;
    if (s < 1e-12) continue;
    for (let j = 0; j < m.cols; j++) {
      let v = 0;
      for (let a = 0; a < l; a++) v += bt[j * l + a] * u.get(a, column);
      components[k * m.cols + j] = v / s;
    }
  }
  return {
    mean: Float32Array.from(mean),
    components,
    numComponents,
    numFeatures: m.cols,
    explainedVariance,
    explainedVarianceRatio,
  };
}

/** Codes [rows, components] of sparse rows: (x − μ) Wᵀ, computed as x Wᵀ − μ Wᵀ so x stays sparse. */
export function sparsePcaTransform(pca: PcaModel, m: SparseRows): Matrix {
  if (m.cols !== pca.numFeatures)
    throw new ConfigError(`the PCA has ${pca.numFeatures} features, the rows ${m.cols}`, {
      path: 'features',
    });
  const k = pca.numComponents;
  const d = pca.numFeatures;
  const shift = new Float64Array(k);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) shift[c] += pca.mean[j] * pca.components[c * d + j];
  const data = new Float32Array(m.rows * k);
  for (let i = 0; i < m.rows; i++)
    for (let c = 0; c < k; c++) {
      let v = -shift[c];
      for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++)
        v += m.values[p] * pca.components[c * d + m.indices[p]];
      data[i * k + c] = v;
    }
  return { rows: m.rows, cols: k, data };
}

/**
 * Squared reconstruction error of each row, |x − μ|² − |(x − μ) Wᵀ|² (W's rows are orthonormal), without
 * densifying x: the anomaly score of the PCA baseline.
 */
export function sparsePcaErrors(pca: PcaModel, m: SparseRows): Float32Array {
  const codes = sparsePcaTransform(pca, m);
  let meanNorm = 0;
  for (let j = 0; j < pca.numFeatures; j++) meanNorm += pca.mean[j] ** 2;
  const out = new Float32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let sq = meanNorm;
    for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) {
      const v = m.values[p];
      sq += v * v - 2 * v * pca.mean[m.indices[p]];
    }
    for (let c = 0; c < codes.cols; c++) sq -= codes.data[i * codes.cols + c] ** 2;
    out[i] = Math.max(0, sq);
  }
  return out;
}

/** Dense [rows, cols] of sparse rows (tests and small data). */
export function densify(m: SparseRows): Float32Array {
  const out = new Float32Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++)
    for (let p = m.indptr[i]; p < m.indptr[i + 1]; p++) out[i * m.cols + m.indices[p]] = m.values[p];
  return out;
}

/** TF-IDF of a text training split, reduced by PCA to `components`: the baseline a text model is judged beside. */
export interface TextPcaBaseline {
  /** What the baseline is, for reports: e.g. "TF-IDF bag of words (5004 words) → PCA-16". */
  name: string;
  components: number;
  features: number;
  pca: PcaModel;
  tfidf: TfIdfFeatures;
  codes(dataset: Dataset): Matrix;
  errors(dataset: Dataset): Float32Array;
}

export function fitTextPcaBaseline(
  train: Dataset,
  components: number,
  options: SparsePcaOptions = {},
): TextPcaBaseline {
  const tfidf = fitTfIdf(train);
  const rows = tfidf.transform(train);
  const k = Math.min(components, rows.cols, rows.rows - 1);
  const pca = fitSparsePca(rows, k, options);
  return {
    name: `TF-IDF bag of words (${rows.cols} words) → PCA-${k}`,
    components: k,
    features: rows.cols,
    pca,
    tfidf,
    codes: (dataset) => sparsePcaTransform(pca, tfidf.transform(dataset)),
    errors: (dataset) => sparsePcaErrors(pca, tfidf.transform(dataset)),
  };
}

// Bag-of-words and TF-IDF of token-id rows against hand computations, and the randomized sparse PCA against the
// exact dense PCA (src/eval/pca.ts) on the same rows.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/random.js';
import { fitPca, pcaInverse, pcaTransform } from '../../src/eval/pca.js';
import {
  bagOfWords,
  densify,
  fitIdf,
  fitSparsePca,
  fitTextPcaBaseline,
  fitTfIdf,
  type SparseRows,
  sparsePcaErrors,
  sparsePcaTransform,
  tfIdf,
} from '../../src/eval/text-features.js';
import { useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// Ids 0-3 are <pad> <unk> <bos> <eos>; 4 = a, 5 = b, 6 = c. Three documents of max length 4:
//   "a a b" · "b c" · "a"
const TOY = [4, 4, 5, 3, 5, 6, 3, 0, 4, 3, 0, 0];
const VOCABULARY = {
  tokenizer: 'word' as const,
  lowercase: true,
  tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c'],
  maxLength: 4,
  truncated: 0,
};
const toyDataset = () => ({ ...makeDataset('toy', [4], Float32Array.from(TOY)), text: VOCABULARY });

describe('bag of words', () => {
  it('counts each word per row, leaving out <pad> <bos> <eos> and keeping <unk>', () => {
    const counts = bagOfWords(TOY, 3, 7);
    expect(Array.from(densify(counts))).toEqual([
      0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0,
    ]);
    expect(Array.from(counts.indptr)).toEqual([0, 2, 4, 5]);
    const unk = bagOfWords([1, 4, 1, 3], 1, 7);
    expect(Array.from(densify(unk))).toEqual([0, 2, 0, 0, 1, 0, 0]);
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => bagOfWords([4, 9, 3, 0], 1, 7)).toThrow(
      'token id 9 in row 0 is outside the vocabulary [0, 7)',
    );
  });
});

describe('TF-IDF on three documents, by hand', () => {
  // n = 3; df(a) = 2, df(b) = 2, df(c) = 1, df(<unk>) = 0. Smoothed idf = ln((1 + n) / (1 + df)) + 1.
  const idfA = Math.log(4 / 3) + 1; // 1.287682
  const idfC = Math.log(4 / 2) + 1; // 1.693147
  it('gives the smoothed idf', () => {
    const idf = fitIdf(bagOfWords(TOY, 3, 7));
    expect(idf[4]).toBeCloseTo(idfA, 6);
    expect(idf[5]).toBeCloseTo(idfA, 6);
    expect(idf[6]).toBeCloseTo(idfC, 6);
    expect(idf[1]).toBeCloseTo(Math.log(4) + 1, 6);
  });

  it('scales count · idf rows to unit length', () => {
    const rows = densify(tfIdf(bagOfWords(TOY, 3, 7), fitIdf(bagOfWords(TOY, 3, 7))));
    // "a a b": (2 idfA, idfA) / (idfA √5) = (2/√5, 1/√5), idf cancels since a and b share it.
    expect(rows[4]).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(rows[5]).toBeCloseTo(1 / Math.sqrt(5), 6);
    // "b c": (idfA, idfC) / √(idfA² + idfC²) = (0.605349, 0.795961).
    expect(rows[7 + 5]).toBeCloseTo(0.605349, 5);
    expect(rows[7 + 6]).toBeCloseTo(0.795961, 5);
    // "a": a unit vector.
    expect(rows[14 + 4]).toBeCloseTo(1, 6);
  });

  it('keeps the training idf for other rows: a word unseen in training gets the largest weight', () => {
    const features = fitTfIdf(toyDataset());
    const other = { ...makeDataset('other', [4], Float32Array.from([6, 1, 3, 0])), text: VOCABULARY };
    const row = densify(features.transform(other));
    // c: idfC, <unk>: ln 4 + 1, then normalised.
    const norm = Math.hypot(idfC, Math.log(4) + 1);
    expect(row[6]).toBeCloseTo(idfC / norm, 6);
    expect(row[1]).toBeCloseTo((Math.log(4) + 1) / norm, 6);
  });

  it('refuses data without a vocabulary', () => {
    expect(() => fitTfIdf(makeDataset('pixels', [4], Float32Array.from(TOY)))).toThrow(
      'bag-of-words features need text data',
    );
  });
});

/** Random sparse count rows: each row a few words of `cols`. */
function randomRows(rows: number, cols: number, seed: number): SparseRows {
  const rng = createRng(seed);
  const x = new Float32Array(rows * 6);
  // Two kinds of rows (low words, high words), so the leading components carry most of the variance.
  for (let i = 0; i < rows; i++)
    for (let t = 0; t < 6; t++) {
      const half = i % 2 === 0 ? 0 : Math.floor((cols - 4) / 2);
      x[i * 6 + t] = 4 + half + Math.floor(rng() * ((cols - 4) / 2));
    }
  return bagOfWords(x, rows, cols);
}

describe('randomized PCA of sparse rows', () => {
  const m = randomRows(60, 24, 3);
  const dense = makeDataset('dense', [m.cols], densify(m));
  const approx = fitSparsePca(m, 3, { seed: 1 });

  it('finds the exact principal components and variances', () => {
    const exact = fitPca(dense, 3);
    for (let k = 0; k < 3; k++) {
      expect(approx.explainedVariance[k]).toBeCloseTo(exact.explainedVariance[k], 3);
      expect(approx.explainedVarianceRatio[k]).toBeCloseTo(exact.explainedVarianceRatio[k], 3);
      let dot = 0;
      for (let j = 0; j < m.cols; j++)
        dot += approx.components[k * m.cols + j] * exact.components[k * m.cols + j];
      expect(Math.abs(dot)).toBeCloseTo(1, 3); // the same direction, up to sign
    }
    for (let j = 0; j < m.cols; j++) expect(approx.mean[j]).toBeCloseTo(exact.mean[j], 5);
  });

  it('transforms and scores sparse rows as the dense ones', () => {
    const codes = sparsePcaTransform(approx, m);
    const denseCodes = pcaTransform(approx, dense);
    for (let i = 0; i < codes.data.length; i++) expect(codes.data[i]).toBeCloseTo(denseCodes.data[i], 4);
    const errors = sparsePcaErrors(approx, m);
    const recon = pcaInverse(approx, denseCodes);
    for (let i = 0; i < m.rows; i++) {
      let sq = 0;
      for (let j = 0; j < m.cols; j++) sq += (recon[i * m.cols + j] - dense.x[i * m.cols + j]) ** 2;
      expect(errors[i]).toBeCloseTo(sq, 3);
    }
  });

  it('is deterministic for a seed and refuses too many components', () => {
    expect(fitSparsePca(m, 3, { seed: 1 }).components).toEqual(approx.components);
    expect(() => fitSparsePca(m, 25)).toThrow(
      'expected between 1 and 24 components (60 rows of 24 features), got 25',
    );
  });

  it('caps the baseline at the rows and words there are', () => {
    const baseline = fitTextPcaBaseline(toyDataset(), 16);
    expect(baseline.components).toBe(2); // 3 rows: at most 2 components
    expect(baseline.name).toBe('TF-IDF bag of words (7 words) → PCA-2');
    expect(baseline.errors(toyDataset())).toHaveLength(3);
  });
});

// Anomaly metrics against hand computations: AUROC as the share of (anomaly, normal) pairs ranked right with ties
// as halves, average precision over tied thresholds, numpy-style quantiles and calibrated thresholds.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import {
  auprc,
  auroc,
  calibrateThreshold,
  flagRates,
  knnDistances,
  quantile,
} from '../../src/eval/anomaly.js';

describe('AUROC and AUPRC', () => {
  it('match the hand computation on four samples (scikit-learn documents 0.75 and 0.8333 here)', () => {
    const truth = [0, 0, 1, 1];
    const scores = [0.1, 0.4, 0.35, 0.8];
    // Pairs (anomaly, normal): 0.35 > 0.1, 0.35 < 0.4, 0.8 > both: 3 of 4.
    expect(auroc(scores, truth)).toBeCloseTo(0.75, 12);
    // Thresholds from the top: 0.8 (P 1, R 0.5), 0.4 (P 0.5, R 0.5), 0.35 (P 2/3, R 1): 0.5·1 + 0.5·2/3.
    expect(auprc(scores, truth)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('count ties as halves, and enter tied scores together', () => {
    const truth = [1, 0, 1, 0, 0];
    const scores = [0.9, 0.9, 0.5, 0.5, 0.1];
    // Anomaly 0.9: tie with 0.9 (1/2), beats 0.5 and 0.1 (2); anomaly 0.5: loses to 0.9, ties 0.5 (1/2), beats
    // 0.1 (1). (2.5 + 1.5) / (2 · 3).
    expect(auroc(scores, truth)).toBeCloseTo(4 / 6, 12);
    // Threshold 0.9: P 1/2, R 1/2; threshold 0.5: P 2/4, R 1; threshold 0.1 adds no recall.
    expect(auprc(scores, truth)).toBeCloseTo(0.5 * 0.5 + 0.5 * 0.5, 12);
    // All scores tied: chance on both.
    expect(auroc([3, 3, 3, 3], [1, 0, 0, 1])).toBe(0.5);
    expect(auprc([3, 3, 3, 3], [1, 0, 0, 1])).toBe(0.5);
  });

  it('are 1 for a perfect ranking and 0 / the anomaly share for a reversed one', () => {
    expect(auroc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auprc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auroc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
    // Reversed: precision 1/3 at recall 1/2, 2/4 at recall 1.
    expect(auprc([4, 3, 2, 1], [0, 0, 1, 1])).toBeCloseTo(0.5 / 3 + 0.5 * 0.5, 12);
  });

  it('refuse truth without both classes, other values, or mismatched lengths', () => {
    expect(() => auroc([1, 2], [1, 1])).toThrow(/both normal and anomalous samples, got 2 anomalies among 2/);
    expect(() => auprc([1, 2], [0, 2])).toThrow(/truth values are 0 \(normal\) or 1 \(anomaly\), got 2 at 1/);
    expect(() => auroc([1, 2, 3], [0, 1])).toThrow(/one truth value per score \(3\), got 2/);
    expect(() => auroc([1, Number.NaN], [0, 1])).toThrow(/score NaN at 1 is not finite/);
  });
});

describe('thresholds', () => {
  it('interpolate quantiles linearly between order statistics (numpy)', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5, 12);
    // position 0.9 · 3 = 2.7: between 3 and 4.
    expect(quantile([4, 1, 3, 2], 0.9)).toBeCloseTo(3.7, 12);
    expect(quantile([4, 1, 3, 2], 0)).toBe(1);
    expect(quantile([4, 1, 3, 2], 1)).toBe(4);
    expect(quantile([7], 0.3)).toBe(7);
  });

  it('calibrate at a quantile or at 1 - contamination of the normal scores', () => {
    const normal = [5, 1, 4, 2, 3];
    expect(calibrateThreshold(normal, { quantile: 0.5 })).toEqual({
      value: 3,
      quantile: 0.5,
      calibrationSamples: 5,
    });
    // contamination 0.25 → quantile 0.75 → position 3 of 0..4 → 4.
    expect(calibrateThreshold(normal, { contamination: 0.25 }).value).toBeCloseTo(4, 12);
    expect(() => calibrateThreshold(normal, { quantile: 1 })).toThrow(
      /quantile: expected a quantile between 0 and 1, got 1/,
    );
    expect(() => calibrateThreshold(normal, { contamination: 0 })).toThrow(
      /contamination: expected a contamination rate/,
    );
  });

  it('count flagged anomalies and normals', () => {
    // truth 1 1 0 0 0, flags 1 0 1 0 0: one of two anomalies, one of three normals, precision 1/2.
    expect(flagRates([1, 0, 1, 0, 0], [1, 1, 0, 0, 0])).toEqual({
      truePositiveRate: 0.5,
      falsePositiveRate: 1 / 3,
      precision: 0.5,
    });
  });
});

describe('knnDistances', () => {
  const reference = { rows: 4, cols: 2, data: Float32Array.from([0, 0, 3, 0, 0, 4, 10, 10]) };

  it('is the mean distance to the k nearest reference rows (hand computation)', () => {
    // Query (0, 0): distances 0, 3, 4, √200. Query (3, 4): 5, 4, 3, √85.
    const queries = { rows: 2, cols: 2, data: Float32Array.from([0, 0, 3, 4]) };
    const expected = (k: number) =>
      [
        [0, 3, 4, Math.sqrt(200)],
        [3, 4, 5, Math.sqrt(85)],
      ].map((d) => d.slice(0, k).reduce((a, b) => a + b, 0) / k);
    for (const k of [1, 2, 3, 4]) {
      const got = knnDistances(reference, queries, k);
      for (const [i, v] of expected(k).entries()) expect(got[i], `k=${k}`).toBeCloseTo(v, 5);
    }
  });

  it('agrees with a sort of all distances on random rows; tied rows both count', () => {
    // Duplicated reference rows: both copies count as neighbours.
    const twice = { rows: 2, cols: 1, data: Float32Array.from([1, 1]) };
    expect(Array.from(knnDistances(twice, { rows: 1, cols: 1, data: Float32Array.from([3]) }, 2))).toEqual([
      2,
    ]);
    const next = createRng(7);
    const ref = { rows: 50, cols: 3, data: Float32Array.from({ length: 150 }, next) };
    const q = { rows: 10, cols: 3, data: Float32Array.from({ length: 30 }, next) };
    const got = knnDistances(ref, q, 7);
    for (let i = 0; i < q.rows; i++) {
      const d = Array.from({ length: ref.rows }, (_, j) =>
        Math.hypot(...[0, 1, 2].map((c) => q.data[i * 3 + c] - ref.data[j * 3 + c])),
      ).sort((a, b) => a - b);
      expect(got[i]).toBeCloseTo(d.slice(0, 7).reduce((a, b) => a + b, 0) / 7, 5);
    }
  });

  it('leaves each row out of its own neighbours when scoring the reference rows (leave-one-out)', () => {
    // Row (0, 0): others at 3, 4, √200; (3, 0): 3, 5, √149; (0, 4): 4, 5, √136; (10, 10): √200, √149, √136.
    const got = knnDistances(reference, reference, 2, { leaveOneOut: true });
    const expected = [(3 + 4) / 2, (3 + 5) / 2, (4 + 5) / 2, (Math.sqrt(136) + Math.sqrt(149)) / 2];
    for (const [i, v] of expected.entries()) expect(got[i]).toBeCloseTo(v, 5);
    // A duplicated row still has its copy at distance 0: only itself is left out.
    const twice = { rows: 2, cols: 1, data: Float32Array.from([1, 1]) };
    expect(Array.from(knnDistances(twice, twice, 1, { leaveOneOut: true }))).toEqual([0, 0]);
    expect(() => knnDistances(reference, reference, 4, { leaveOneOut: true })).toThrow(
      /asks for 4 neighbours among 3 reference rows \(leaving each row out\)/,
    );
  });

  it('refuses mismatched columns and impossible k', () => {
    const q = { rows: 1, cols: 3, data: new Float32Array(3) };
    expect(() => knnDistances(reference, q, 1)).toThrow(/queries have 3 columns, the reference rows 2/);
    const q2 = { rows: 1, cols: 2, data: new Float32Array(2) };
    expect(() => knnDistances(reference, q2, 5)).toThrow(/asks for 5 neighbours among 4 reference rows/);
    expect(() => knnDistances(reference, q2, 0)).toThrow(
      /expected a positive whole number of neighbours, got 0/,
    );
  });
});

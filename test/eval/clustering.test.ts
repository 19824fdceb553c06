// k-means (k-means++ seeding) and NMI against hand computations.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { clusteringNmi, kMeans, normalizedMutualInformation } from '../../src/eval/clustering.js';
import type { Matrix } from '../../src/io/arrays.js';

describe('normalised mutual information', () => {
  it('is 1 for the same partition under any names and 0 for independent ones', () => {
    expect(normalizedMutualInformation([0, 0, 1, 1], [0, 0, 1, 1])).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation([0, 0, 1, 1], [7, 7, 3, 3])).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 12);
    expect(normalizedMutualInformation([2, 2, 2], [5, 5, 5])).toBe(1);
    expect(normalizedMutualInformation([0, 1, 2], [0, 0, 0])).toBe(0);
  });

  it('matches the hand computation for two against three classes', () => {
    // a = 0 0 0 1 1 1, b = 0 0 1 1 2 2: cells (0,0) 2, (0,1) 1, (1,1) 1, (1,2) 2.
    // I = 2/6 ln((2/6)/(1/2·1/3)) · 2 + 0 + 0 = (2/3) ln 2; H(a) = ln 2, H(b) = ln 3.
    const expected = ((2 / 3) * Math.LN2) / ((Math.LN2 + Math.log(3)) / 2);
    expect(normalizedMutualInformation([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(expected, 12);
    expect(expected).toBeCloseTo(0.5158, 4);
  });

  it('refuses labellings of different lengths', () => {
    expect(() => normalizedMutualInformation([0, 1], [0])).toThrow(
      /labels: the labellings differ in length: 2 vs 1/,
    );
  });
});

describe('k-means', () => {
  it('finds two groups on a line with their means and inertia', () => {
    const x: Matrix = { rows: 6, cols: 1, data: Float32Array.from([0, 0.1, 0.2, 10, 10.1, 10.2]) };
    const result = kMeans(x, 2, { seed: 3 });
    const [a, b] = [result.assignments[0], result.assignments[3]];
    expect(a).not.toBe(b);
    expect(Array.from(result.assignments)).toEqual([a, a, a, b, b, b]);
    expect(result.centroids[a]).toBeCloseTo(0.1, 6);
    expect(result.centroids[b]).toBeCloseTo(10.1, 6);
    // Each group: (0.1² + 0 + 0.1²) = 0.02.
    expect(result.inertia).toBeCloseTo(0.04, 5);
  });

  it('recovers separated blobs (NMI 1) and gives the same clusters for the same seed', () => {
    const rng = createRng(1);
    const centres = [
      [0, 0],
      [8, 0],
      [0, 8],
      [8, 8],
    ];
    const labels: number[] = [];
    const data: number[] = [];
    centres.forEach(([cx, cy], c) => {
      for (let i = 0; i < 50; i++) {
        labels.push(c);
        data.push(cx + rng() - 0.5, cy + rng() - 0.5);
      }
    });
    const x: Matrix = { rows: labels.length, cols: 2, data: Float32Array.from(data) };
    const { nmi, k } = clusteringNmi(x, labels, { seed: 5 });
    expect(k).toBe(4);
    expect(nmi).toBeCloseTo(1, 12);
    expect(kMeans(x, 4, { seed: 9 }).assignments).toEqual(kMeans(x, 4, { seed: 9 }).assignments);
  });

  it('copes with fewer distinct points than clusters, and refuses more clusters than rows', () => {
    const x: Matrix = { rows: 4, cols: 1, data: Float32Array.from([1, 1, 1, 2]) };
    const result = kMeans(x, 3, { seed: 0 });
    expect(result.inertia).toBeCloseTo(0, 12);
    expect(() => kMeans(x, 5)).toThrow(/k: expected between 1 and 4 clusters/);
  });
});

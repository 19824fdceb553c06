// PCA against hand computations: known covariance, orthonormal components, exact reconstruction at full rank.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { fitPca, pcaInverse, pcaReconstructionError, pcaTransform } from '../../src/eval/pca.js';
import { expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('PCA', () => {
  it('finds the eigenvalues and eigenvectors of a known covariance', () => {
    const points = [2, 2, -2, -2, 1, -1, -1, 1];
    // mean 0; sum of outer products = [[10, 6], [6, 10]]; / (n - 1) = [[10/3, 2], [2, 10/3]]
    // eigenvalues 10/3 ± 2 with eigenvectors (1, 1)/√2 and (1, -1)/√2.
    const pca = fitPca(makeDataset('points', [2], Float32Array.from(points)), 2);
    expectClose(pca.explainedVariance, [10 / 3 + 2, 10 / 3 - 2], 1e-5);
    const first = Array.from(pca.components.subarray(0, 2)).map(Math.abs);
    expectClose(first, [Math.SQRT1_2, Math.SQRT1_2], 1e-5);
    expectClose(pca.explainedVarianceRatio, [(10 / 3 + 2) / (20 / 3), (10 / 3 - 2) / (20 / 3)], 1e-5);
  });

  it('has orthonormal components and reconstructs exactly at full rank', () => {
    const n = 50;
    const d = 6;
    const x = Float32Array.from(
      { length: n * d },
      (_, i) => Math.sin(i * 1.7) + (i % d) * 0.3 + Math.cos(i * 0.37),
    );
    const data = makeDataset('random', [d], x);
    const pca = fitPca(data, d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += pca.components[a * d + j] * pca.components[b * d + j];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 4);
      }
    }
    expect(pcaReconstructionError(pca, data)).toBeLessThan(1e-9);
    const two = fitPca(data, 2);
    const recon = pcaInverse(two, pcaTransform(two, data));
    let err = 0;
    for (let i = 0; i < recon.length; i++) err += (recon[i] - x[i]) ** 2;
    // The error left is the variance of the dropped components, summed over samples (times n - 1).
    const dropped = pca.explainedVariance.slice(2).reduce((a, b) => a + b, 0) * (n - 1);
    expect(err).toBeCloseTo(dropped, 2);
  });

  it('rejects an impossible number of components', () => {
    expect(() => fitPca(makeDataset('p', [3], new Float32Array(9)), 4)).toThrow(
      'expected between 1 and 3 components, got 4',
    );
  });
});

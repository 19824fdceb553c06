// The mixture behind mode-specific normalisation, against scikit-learn on a two-mode sample.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitMixture } from '../../../src/data/table/gmm.js';

// test/fixtures/tables/bimodal.csv: 400 draws of N(-3, 0.5) and 200 of N(5, 1.5), numpy default_rng(7), shuffled.
const values = readFileSync(new URL('../../fixtures/tables/bimodal.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map(Number);

describe('fitMixture', () => {
  it('finds the two modes as sklearn GaussianMixture does', () => {
    // /usr/bin/python3 -c "import numpy as np; from sklearn.mixture import GaussianMixture as G;
    //   x = np.loadtxt('test/fixtures/tables/bimodal.csv', skiprows=1).reshape(-1, 1);
    //   g = G(2, random_state=0).fit(x); print(g.means_.ravel(), np.sqrt(g.covariances_.ravel()), g.weights_)"
    // (sorted by mean): means -3.0528674924, 4.7154100082; stds 0.4614677754, 1.3725426425; weights 0.6666662883, 0.3333337117.
    const mixture = fitMixture(values, { maxModes: 2 });
    expect(mixture.means[0]).toBeCloseTo(-3.0528674924, 4);
    expect(mixture.means[1]).toBeCloseTo(4.7154100082, 4);
    expect(mixture.stds[0]).toBeCloseTo(0.4614677754, 4);
    expect(mixture.stds[1]).toBeCloseTo(1.3725426425, 4);
    expect(mixture.weights[0]).toBeCloseTo(0.6666662883, 4);
    expect(mixture.weights[1]).toBeCloseTo(0.3333337117, 4);
  });

  it('with ten components, keeps modes of weight >= 0.005 whose weights sum to 1, covering both modes', () => {
    const mixture = fitMixture(values);
    expect(mixture.means.length).toBeGreaterThanOrEqual(2);
    expect(mixture.means.length).toBeLessThanOrEqual(10);
    expect(mixture.weights.every((w) => w >= 0.005)).toBe(true);
    expect(mixture.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const near = (m: number) => mixture.means.some((mean) => Math.abs(mean - m) < 1);
    expect(near(-3) && near(5)).toBe(true);
    // Sorted by mean; the same seed gives the same fit.
    expect([...mixture.means].sort((a, b) => a - b)).toEqual(mixture.means);
    expect(fitMixture(values)).toEqual(mixture);
  });

  it('a constant column is one mode; fewer distinct values than components give fewer modes', () => {
    expect(fitMixture([4, 4, 4])).toEqual({ means: [4], stds: [4e-6], weights: [1] });
    const two = fitMixture([0, 0, 0, 10, 10, 10]);
    expect(two.means.length).toBe(2);
    expect(two.means[0]).toBeCloseTo(0, 6);
    expect(two.means[1]).toBeCloseTo(10, 6);
  });
});

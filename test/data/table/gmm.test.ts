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
    const mixture = fitMixture(values, { maxModes: 2, prior: 'em' });
    expect(mixture.means[0]).toBeCloseTo(-3.0528674924, 4);
    expect(mixture.means[1]).toBeCloseTo(4.7154100082, 4);
    expect(mixture.stds[0]).toBeCloseTo(0.4614677754, 4);
    expect(mixture.stds[1]).toBeCloseTo(1.3725426425, 4);
    expect(mixture.weights[0]).toBeCloseTo(0.6666662883, 4);
    expect(mixture.weights[1]).toBeCloseTo(0.3333337117, 4);
  });

  it('by default fits the Dirichlet-process mixture CTGAN fits (sklearn BayesianGaussianMixture): two modes of ten', () => {
    // /usr/bin/python3 -c "import numpy as np; from sklearn.mixture import BayesianGaussianMixture as B;
    //   x = np.loadtxt('test/fixtures/tables/bimodal.csv', skiprows=1).reshape(-1, 1);
    //   g = B(n_components=10, weight_concentration_prior_type='dirichlet_process',
    //         weight_concentration_prior=0.001, n_init=1, random_state=2).fit(x); k = g.weights_ > 0.005;
    //   print(g.means_.ravel()[k], np.sqrt(g.covariances_.ravel()[k]), g.weights_[k])"
    // gives means -3.04639889, 4.69042098; stds 0.51426444, 1.44075039; weights 0.66712566, 0.3309436 (random
    // states 0 and 2 agree to 3 decimals; the weights move by 0.005 with the k-means start).
    const mixture = fitMixture(values);
    expect(mixture.means.length).toBe(2);
    expect(mixture.means[0]).toBeCloseTo(-3.0464, 3);
    expect(mixture.means[1]).toBeCloseTo(4.6904, 2);
    expect(mixture.stds[0]).toBeCloseTo(0.5143, 3);
    expect(mixture.stds[1]).toBeCloseTo(1.4408, 2);
    expect(mixture.weights[0]).toBeCloseTo(0.665, 2);
    // Plain EM with ten components splits the same sample into ten modes.
    expect(fitMixture(values, { prior: 'em' }).means.length).toBe(10);
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

  it('a column mostly of one value (capital-gain: 0) has one mode there, not several stacked on it', () => {
    const spike = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1000 + ((i * 37) % 4000) : 0));
    const mixture = fitMixture(spike);
    // The prior pulls a mode's mean towards the column mean by 1 / (1 + its count): 0.33 here, in units of 3000.
    expect(Math.abs(mixture.means[0])).toBeLessThan(0.5);
    expect(mixture.weights[0]).toBeCloseTo(0.9, 2);
    expect(mixture.means.filter((m) => Math.abs(m) < 10).length).toBe(1);
    const em = fitMixture(spike, { prior: 'em' });
    expect(em.means[0]).toBeCloseTo(0, 6);
    expect(em.means.filter((m) => Math.abs(m) < 10).length).toBe(1);
  });

  it('a constant column is one mode; fewer distinct values than components give fewer modes', () => {
    expect(fitMixture([4, 4, 4])).toEqual({ means: [4], stds: [4e-6], weights: [1] });
    const two = fitMixture([0, 0, 0, 10, 10, 10], { prior: 'em' });
    expect(two.means.length).toBe(2);
    expect(two.means[0]).toBeCloseTo(0, 6);
    expect(two.means[1]).toBeCloseTo(10, 6);
  });
});

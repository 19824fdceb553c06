// Disentanglement metrics on hand-built codes whose answer is known: the factors themselves (a perfectly factorised
// code), the same codes rotated (entangled), and noise; MIG against a numpy/scikit-learn computation.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disentanglementByFactor } from '../../src/cli/commands/generate.js';
import type { DataFactors } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/random.js';
import {
  betaVaeScore,
  dci,
  dciScores,
  discretise,
  disentanglement,
  factorVaeScore,
  lasso,
  mig,
  mutualInformation,
  type Represent,
  sap,
} from '../../src/eval/disentanglement.js';
import type { Matrix } from '../../src/io/arrays.js';
import { expectNoLeakedTensors, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// No size where a grid value falls on one of the 20 bin edges (20 / (size - 1) not a whole number but for 2, whose
// one value above 0 is the maximum): the tiny noise cannot move a value across an edge.
const SIZES = [2, 4, 8, 10];
const NAMES = ['a', 'b', 'c', 'd'];
const K = SIZES.length;
const GRID = SIZES.reduce((x, y) => x * y, 1);

/** The full grid `copies` times: every combination once per copy, so the factors are exactly independent. */
function grid(copies: number): DataFactors {
  const values = new Int32Array(copies * GRID * K);
  for (let i = 0; i < copies * GRID; i++) {
    let rest = i % GRID;
    for (let k = K - 1; k >= 0; k--) {
      values[i * K + k] = rest % SIZES[k];
      rest = Math.floor(rest / SIZES[k]);
    }
  }
  return { names: NAMES, sizes: SIZES, values, render: () => new Float32Array(0) };
}

const normal = (rng: () => number) => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

/** A random orthogonal K x K matrix: Gram-Schmidt on Gaussian columns (seeded). */
function orthogonal(seed: number): number[][] {
  const rng = createRng(seed);
  const q: number[][] = [];
  for (let c = 0; c < K; c++) {
    const v = Array.from({ length: K }, () => normal(rng));
    for (const u of q) {
      const dot = u.reduce((s, x, i) => s + x * v[i], 0);
      for (let i = 0; i < K; i++) v[i] -= dot * u[i];
    }
    const norm = Math.hypot(...v);
    q.push(v.map((x) => x / norm));
  }
  return q;
}
const ROTATION = orthogonal(7);

type Kind = 'factors' | 'rotated' | 'noise';

/** Codes of factor rows: the factors scaled to [0, 2] plus noise of std 1e-4, rotated, or pure noise. */
function codesOf(values: ArrayLike<number>, kind: Kind, rng: () => number): Matrix {
  const n = values.length / K;
  const data = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const z = SIZES.map((size, k) =>
      kind === 'noise' ? normal(rng) : (2 * values[i * K + k]) / (size - 1) + 1e-4 * normal(rng),
    );
    for (let j = 0; j < K; j++)
      data[i * K + j] = kind === 'rotated' ? ROTATION[j].reduce((s, r, k) => s + r * z[k], 0) : z[j];
  }
  return { rows: n, cols: K, data };
}

const representer = (kind: Kind, seed: number): Represent => {
  const rng = createRng(seed);
  return async (values) => codesOf(values, kind, rng);
};

describe('mutual information and discretisation', () => {
  it('computes the mutual information of a hand-counted table, and a variable with itself is its entropy', () => {
    // Joint counts (0,0) 2, (0,1) 1, (1,1) 1 of 4: I = 0.5 ln(0.5 / (0.75 · 0.5)) + 0.25 ln(0.25 / (0.75 · 0.5))
    // + 0.25 ln(0.25 / (0.25 · 0.5)).
    const expected = 0.5 * Math.log(0.5 / 0.375) + 0.25 * Math.log(0.25 / 0.375) + 0.25 * Math.log(2);
    expect(mutualInformation([0, 0, 0, 1], [0, 0, 1, 1])).toBeCloseTo(expected, 12);
    expect(mutualInformation([0, 1, 2, 3], [0, 1, 2, 3])).toBeCloseTo(Math.log(4), 12);
    expect(mutualInformation([0, 0, 1, 1], [0, 1, 0, 1])).toBe(0);
  });

  it('cuts each code into equal-width bins over its range, numbered 1 to 20 as np.digitize', () => {
    const [bins, flat] = discretise({
      rows: 4,
      cols: 2,
      data: Float32Array.from([0, 5, 1, 5, 1.95, 5, 2, 5]),
    });
    expect(Array.from(bins)).toEqual([1, 11, 20, 20]);
    expect(Array.from(flat)).toEqual([11, 11, 11, 11]);
  });
});

describe('MIG', () => {
  it('is 1 for the factors themselves (exact: independent factors share no information) and less rotated', () => {
    const factors = grid(2);
    const rng = createRng(1);
    const own = mig(codesOf(factors.values, 'factors', rng), factors);
    expect(own.score).toBeCloseTo(1, 10);
    expect(own.entropy[3]).toBeCloseTo(Math.log(10), 12);
    expect(mig(codesOf(factors.values, 'rotated', rng), factors).score).toBeLessThan(0.5);
    expect(mig(codesOf(factors.values, 'noise', rng), factors).score).toBeLessThan(0.05);
  });

  it('agrees with numpy and scikit-learn (bench/peers/mig_sklearn.py) on a fixed set', () => {
    const fixture = JSON.parse(readFileSync('test/fixtures/disentanglement/mig.json', 'utf8')) as {
      sizes: number[];
      codes: number[][];
      factors: number[][];
      mig: number;
      mutualInformation: number[][];
    };
    const rows = fixture.codes.length;
    const codes = { rows, cols: fixture.codes[0].length, data: Float32Array.from(fixture.codes.flat()) };
    const factors: DataFactors = {
      names: fixture.sizes.map((_, k) => `f${k}`),
      sizes: fixture.sizes,
      values: Int32Array.from(fixture.factors.flat()),
      render: () => new Float32Array(0),
    };
    const result = mig(codes, factors);
    expect(result.score).toBeCloseTo(fixture.mig, 10);
    for (const [j, row] of result.mutualInformation.entries())
      for (const [k, mi] of row.entries()) expect(mi).toBeCloseTo(fixture.mutualInformation[j][k], 10);
  });
});

describe('SAP and DCI', () => {
  const train = grid(1);
  const test = grid(1);

  it('score the factors themselves high, rotated codes lower, noise near 0', () => {
    const scores = (kind: Kind) => {
      const rng = createRng(2);
      const a = codesOf(train.values, kind, rng);
      const b = codesOf(test.values, kind, rng);
      return { sap: sap(a, train, b, test), dci: dci(a, train, b, test) };
    };
    const own = scores('factors');
    const rotated = scores('rotated');
    const noise = scores('noise');
    expect(own.sap.score).toBeGreaterThan(0.6);
    expect(own.dci.disentanglement).toBeGreaterThan(0.99);
    expect(own.dci.completeness).toBeGreaterThan(0.99);
    expect(own.dci.informativeness).toBeGreaterThan(0.95);
    expect(rotated.sap.score).toBeLessThan(own.sap.score - 0.3);
    expect(rotated.dci.disentanglement).toBeLessThan(0.6);
    expect(rotated.dci.completeness).toBeLessThan(0.6);
    // A rotation loses no information: the codes still predict every factor.
    expect(rotated.dci.informativeness).toBeGreaterThan(0.95);
    expect(noise.sap.score).toBeLessThan(0.1);
    // Noise predicts nothing: chance is 1/2, 1/4, 1/8, 1/10 (mean 0.24).
    expect(noise.dci.informativeness).toBeLessThan(0.4);
  });

  it('computes disentanglement and completeness from importances as disentanglement_lib', () => {
    // A diagonal matrix: each code for one factor. One code for everything: completeness 0 (as spread as it gets is 1).
    expect(
      dciScores([
        [2, 0],
        [0, 1],
      ]),
    ).toEqual({ disentanglement: 1, completeness: 1 });
    const shared = dciScores([
      [1, 1],
      [0, 0],
    ]);
    expect(shared.disentanglement).toBeCloseTo(0, 12);
    expect(shared.completeness).toBeCloseTo(1, 12);
    // Code 0: entropy of (0.5, 0.5) base 2 = 1; code 1: 0; weights 2/3 and 1/3.
    expect(
      dciScores([
        [1, 1],
        [0, 1],
      ]).disentanglement,
    ).toBeCloseTo(1 / 3, 12);
    expect(
      dciScores([
        [0, 0],
        [0, 0],
      ]),
    ).toEqual({ disentanglement: 0, completeness: 0 });
  });

  it('solves the lasso: an orthonormal design soft-thresholds the least-squares coefficients', () => {
    // x columns ±1, orthogonal: x'x/n = I, so w = sign(c)·max(|c| - alpha, 0) with c = x'y/n.
    const x = Float64Array.from([1, 1, 1, -1, -1, 1, -1, -1]);
    const y = Float64Array.from([3, 1, -1, -3]);
    // c = (2, 1); alpha 0.5 → (1.5, 0.5).
    expect(Array.from(lasso(x, y, 2, 0.5))).toEqual([1.5, 0.5]);
    expect(Array.from(lasso(x, y, 2, 1.5))).toEqual([0.5, 0]);
  });
});

describe('FactorVAE and beta-VAE scores', () => {
  const options = { trainPoints: 60, evalPoints: 40, batchSize: 32, varianceSamples: 1000, seed: 3 };

  it('are 1 for the factors themselves and at chance for noise', async () => {
    expect(
      (await factorVaeScore(representer('factors', 4), { names: NAMES, sizes: SIZES }, options)).score,
    ).toBe(1);
    expect(
      (await betaVaeScore(representer('factors', 4), { names: NAMES, sizes: SIZES }, options)).score,
    ).toBe(1);
    const noiseVotes = await factorVaeScore(representer('noise', 4), { names: NAMES, sizes: SIZES }, options);
    expect(noiseVotes.score).toBeLessThan(0.5);
    expect(noiseVotes.activeDims).toBe(4);
    expect(
      (await betaVaeScore(representer('noise', 4), { names: NAMES, sizes: SIZES }, options)).score,
    ).toBeLessThan(0.5);
  });

  it('give the FactorVAE score 0 when no code varies (no active dimension)', async () => {
    const still: Represent = async (values) => ({
      rows: values.length / K,
      cols: 2,
      data: new Float32Array((2 * values.length) / K),
    });
    expect(await factorVaeScore(still, { names: NAMES, sizes: SIZES }, options)).toEqual({
      score: 0,
      trainAccuracy: 0,
      activeDims: 0,
    });
  });

  it('report all five, leaving no tensor behind', async () => {
    const factors = grid(2);
    const codes = codesOf(factors.values, 'factors', createRng(5));
    const run = () =>
      disentanglement(codes, factors, representer('factors', 6), {
        ...options,
        trainCodes: 640,
        testCodes: 640,
      });
    let report = undefined as unknown as Awaited<ReturnType<typeof run>>;
    await expectNoLeakedTensors(async () => {
      report = await run();
    });
    expect(report.codes).toEqual({ train: 640, test: 640 });
    expect(report.mig).toBeGreaterThan(0.99);
    expect(report.factorVae).toBe(1);
    expect(report.betaVae).toBe(1);
    expect(report.dci.disentanglement).toBeGreaterThan(0.99);
    // The full grid: factor k has entropy ln(size), code k holds all of it and every other code none.
    expect(report.factorEntropy.map((h) => Math.exp(h))).toEqual(SIZES.map((n) => expect.closeTo(n, 9)));
    expect(report.mutualInformation).toHaveLength(K);
    const expected = SIZES.map((_, j) => SIZES.map((n, k) => expect.closeTo(j === k ? Math.log(n) : 0, 9)));
    expect(report.mutualInformation).toEqual(expected);
    expect(disentanglementByFactor(report)[2]).toBe(
      `  c: MIG 1.000; most informative codes z2 ${Math.log(8).toFixed(2)}, z0 0.00 (nats, of its entropy 2.08)`,
    );
  });
});

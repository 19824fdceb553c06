// The MMD two-sample test against numbers computed by hand with numpy (the script is in the comments),
// and its p-value on same-distribution and shifted sets.
import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import { gaussianMmd2, medianBandwidth, mmdTest } from '../../src/eval/two-sample.js';
import type { Matrix } from '../../src/io/arrays.js';

const matrix = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: rows[0].length,
  data: Float32Array.from(rows.flat()),
});

function normal(rows: number, cols: number, shift: number, seed: number): Matrix {
  const rng = createRng(seed);
  const data = Float32Array.from(
    { length: rows * cols },
    () => shift + Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng()),
  );
  return { rows, cols, data };
}

// numpy:
//   Z = vstack([X, Y]); D = sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1)); s = median(D[triu_indices(len(Z), 1)])
//   k = lambda A, B: exp(-((A[:, None] - B[None]) ** 2).sum(-1) / (2 * s * s))
//   mmd2 = (k(X,X).sum() - m) / (m (m-1)) + (k(Y,Y).sum() - n) / (n (n-1)) - 2 k(X,Y).mean()
const X = matrix([
  [0, 0],
  [1, 0],
  [0, 2],
]);
const Y = matrix([
  [1, 1],
  [2, 1],
  [3, 0],
  [2, 2],
]);

describe('MMD two-sample test', () => {
  it('matches a numpy computation on tiny sets (odd and even numbers of pairs)', () => {
    expect(medianBandwidth(X, Y)).toBeCloseTo(2, 12);
    expect(gaussianMmd2(X, Y)).toBeCloseTo(0.2524179615778974, 12);
    expect(gaussianMmd2(X, Y, 1)).toBeCloseTo(0.2504782436617339, 12);
    // 2 + 2 points: 6 pairs, the median is the mean of the middle two.
    const a = matrix([
      [0.5, -1, 2],
      [1.5, 0.25, -0.5],
    ]);
    const b = matrix([
      [-1, 0, 1],
      [2, 2, 2],
    ]);
    expect(medianBandwidth(a, b)).toBeCloseTo(3.030457370486362, 6);
    expect(gaussianMmd2(a, b)).toBeCloseTo(-0.1929434362720126, 6);
  });

  it('approaches the exact permutation p-value (2 of the 35 splits of 3 + 4 points reach the observed MMD²)', () => {
    const test = mmdTest(X, Y, { permutations: 4000, seed: 3 });
    expect(test.mmd2).toBeCloseTo(0.2524179615778974, 12);
    expect(test.bandwidth).toBeCloseTo(2, 12);
    expect(test.sizes).toEqual([3, 4]);
    expect(Math.abs(test.pValue - 2 / 35)).toBeLessThan(0.015);
    expect(mmdTest(X, Y, { permutations: 4000, seed: 3 })).toEqual(test);
  });

  it('gives a large p for two draws of one distribution and a tiny p for a shifted one', () => {
    const x = normal(200, 4, 0, 1);
    const same = mmdTest(x, normal(200, 4, 0, 2), { permutations: 200, seed: 1 });
    expect(same.pValue).toBeGreaterThan(0.05);
    expect(Math.abs(same.mmd2)).toBeLessThan(0.02);
    const shifted = mmdTest(x, normal(200, 4, 0.5, 3), { permutations: 200, seed: 1 });
    expect(shifted.pValue).toBeCloseTo(1 / 201, 10);
    expect(shifted.mmd2).toBeGreaterThan(0.05);
  });

  it('subsamples large sets to maxPoints and rejects mismatched widths', () => {
    const test = mmdTest(normal(300, 2, 0, 4), normal(50, 2, 0, 5), { maxPoints: 100, permutations: 10 });
    expect(test.sizes).toEqual([100, 50]);
    expect(() => mmdTest(X, matrix([[1], [2]]))).toThrow('point sets differ in width: 2 vs 1');
    expect(() => mmdTest(X, Y, { permutations: 0 })).toThrow('permutations');
  });
});

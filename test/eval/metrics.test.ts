// Sample-quality metrics against hand computations: FD on diagonal Gaussians, KID against a brute-force
// loop, precision/recall on hand-made point clouds, class coverage's KL from uniform.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/random.js';
import {
  classCoverage,
  frechetDistance,
  frechetDistanceFromStats,
  kernelDistance,
  klBetweenHistograms,
  knnRadiiSquared,
  meanAndCovariance,
  precisionRecall,
  sampleQuality,
} from '../../src/eval/metrics.js';
import type { Matrix } from '../../src/io/arrays.js';
import { expectNoLeakedTensors, useBackend } from '../helpers.js';

function gaussian(rows: number, means: number[], sds: number[], seed: number): Matrix {
  const rng = createRng(seed);
  const cols = means.length;
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const u = Math.max(rng(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
      data[i * cols + j] = means[j] + sds[j] * z;
    }
  }
  return { rows, cols, data };
}

function rowsOf(x: Matrix, indices: number[]): Matrix {
  const data = new Float32Array(indices.length * x.cols);
  indices.forEach((r, i) => {
    data.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols);
  });
  return { rows: indices.length, cols: x.cols, data };
}

beforeAll(async () => {
  await useBackend('wasm');
});

describe('Frechet distance', () => {
  it('matches |m1-m2|^2 + sum(s1 + s2 - 2 sqrt(s1 s2)) for diagonal covariances', () => {
    const d = 3;
    const m1 = Float64Array.from([0, 1, 2]);
    const m2 = Float64Array.from([1, 1, -1]);
    const s1 = [1, 4, 0.25];
    const s2 = [2, 1, 0.25];
    const diag = (s: number[]) => {
      const c = new Float64Array(d * d);
      s.forEach((v, i) => {
        c[i * d + i] = v;
      });
      return c;
    };
    const hand = 1 + 0 + 9 + s1.reduce((a, v, i) => a + v + s2[i] - 2 * Math.sqrt(v * s2[i]), 0);
    expect(frechetDistanceFromStats(m1, diag(s1), m2, diag(s2))).toBeCloseTo(hand, 10);
  });

  it('handles non-commuting full covariances (1-D check of the formula through a rotation)', () => {
    // C1 = diag(1, 0), C2 = rotated diag(1, 0) by 90°: C1 C2 = 0, so FD = tr C1 + tr C2 = 2.
    const c1 = Float64Array.from([1, 0, 0, 0]);
    const c2 = Float64Array.from([0, 0, 0, 1]);
    const zero = new Float64Array(2);
    expect(frechetDistanceFromStats(zero, c1, zero, c2)).toBeCloseTo(2, 10);
  });

  it('is ~0 for a set against itself and grows with a shift', () => {
    const x = gaussian(500, [0, 0, 0, 0], [1, 2, 0.5, 1], 1);
    expect(frechetDistance(x, x)).toBeLessThan(1e-6);
    const shifted = { ...x, data: x.data.map((v, i) => (i % 4 === 0 ? v + 2 : v)) };
    expect(frechetDistance(x, shifted)).toBeCloseTo(4, 4);
  });

  it('covariance is the unbiased sample covariance', () => {
    const x: Matrix = { rows: 3, cols: 2, data: Float32Array.from([1, 2, 3, 4, 5, 9]) };
    const { mean, covariance } = meanAndCovariance(x);
    expect([...mean]).toEqual([3, 5]);
    // Centred rows: (-2,-3), (0,-1), (2,4): sums 8, 14, 26 over n - 1 = 2.
    expect([...covariance]).toEqual([4, 7, 7, 13]);
  });
});

describe('kernel distance (KID)', () => {
  /** Unbiased MMD^2 with (x·y/d + 1)^3, by brute force. */
  function bruteMmd(x: Matrix, y: Matrix): number {
    const d = x.cols;
    const k = (a: Matrix, i: number, b: Matrix, j: number) => {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += a.data[i * d + c] * b.data[j * d + c];
      return (dot / d + 1) ** 3;
    };
    const m = x.rows;
    const n = y.rows;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) xx += k(x, i, x, j);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) yy += k(y, i, y, j);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xy += k(x, i, y, j);
    return xx / (m * (m - 1)) + yy / (n * (n - 1)) - (2 * xy) / (m * n);
  }

  it('equals the brute-force unbiased MMD^2 when one subset covers both sets', () => {
    const x = gaussian(20, [0, 1, 0], [1, 1, 1], 2);
    const y = gaussian(20, [0.5, 0, 0], [1, 2, 1], 3);
    const kid = kernelDistance(x, y, { subsets: 1, subsetSize: 20 });
    // Subsets are permutations of the whole sets; MMD^2 is order-free.
    expect(kid.mean).toBeCloseTo(bruteMmd(x, y), 4);
    expect(kid.std).toBe(0);
  });

  it('is ~0 for two samples of one distribution and clearly positive for shifted sets', () => {
    const a = gaussian(400, [0, 0, 0, 0], [1, 1, 1, 1], 4);
    const b = gaussian(400, [0, 0, 0, 0], [1, 1, 1, 1], 5);
    const c = gaussian(400, [1, 1, 0, 0], [1, 1, 1, 1], 6);
    const same = kernelDistance(a, b, { subsets: 5, subsetSize: 200 });
    const shifted = kernelDistance(a, c, { subsets: 5, subsetSize: 200 });
    expect(Math.abs(same.mean)).toBeLessThan(0.05);
    expect(shifted.mean).toBeGreaterThan(0.3);
    expect(shifted.mean).toBeGreaterThan(10 * Math.abs(same.mean));
    expect(shifted.subsets).toBe(5);
  });
});

describe('precision and recall', () => {
  const real = gaussian(300, [0, 0], [1, 1], 7);

  it('identical sets give precision 1 and recall 1', () => {
    expect(precisionRecall(real, real)).toEqual({ precision: 1, recall: 1, k: 3 });
  });

  it('disjoint sets give 0 and 0', () => {
    const far = { ...real, data: real.data.map((v) => v + 100) };
    const pr = precisionRecall(real, far);
    expect(pr.precision).toBe(0);
    expect(pr.recall).toBe(0);
  });

  it('generated samples inside a part of the real set: precision 1, recall < 1', () => {
    const left: number[] = [];
    for (let i = 0; i < real.rows; i++) if (real.data[i * 2] < -0.5) left.push(i);
    const fake = rowsOf(real, left);
    const pr = precisionRecall(real, fake);
    expect(pr.precision).toBe(1);
    expect(pr.recall).toBeLessThan(0.6);
    expect(pr.recall).toBeGreaterThan(0.1);
  });

  it('matches a brute-force computation on a small cloud, and leaks no tensors', () => {
    const a = gaussian(40, [0, 0, 0], [1, 1, 1], 8);
    const b = gaussian(30, [0.7, 0, 0], [1, 0.5, 1], 9);
    const dist2 = (x: Matrix, i: number, y: Matrix, j: number) => {
      let s = 0;
      for (let c = 0; c < x.cols; c++) s += (x.data[i * x.cols + c] - y.data[j * y.cols + c]) ** 2;
      return s;
    };
    const radii = (x: Matrix) =>
      Array.from({ length: x.rows }, (_, i) => {
        const ds = Array.from({ length: x.rows }, (_, j) => dist2(x, i, x, j)).sort((p, q) => p - q);
        return ds[3];
      });
    const share = (q: Matrix, ref: Matrix) => {
      const r = radii(ref);
      let inside = 0;
      for (let i = 0; i < q.rows; i++) {
        if (r.some((rad, j) => dist2(q, i, ref, j) <= rad)) inside++;
      }
      return inside / q.rows;
    };
    let pr!: ReturnType<typeof precisionRecall>;
    expectNoLeakedTensors(() => {
      pr = precisionRecall(a, b);
    });
    expect(pr.precision).toBeCloseTo(share(b, a), 10);
    expect(pr.recall).toBeCloseTo(share(a, b), 10);
    // Precomputed real radii give the same answer; radii of the wrong length are refused.
    expect(precisionRecall(a, b, 3, knnRadiiSquared(a, 3))).toEqual(pr);
    expect(() => precisionRecall(a, b, 3, new Float32Array(5))).toThrow('expected 40 real radii');
  });
});

describe('class coverage', () => {
  it('KL from uniform is 0 for a balanced histogram and log(10) for a single class', () => {
    const balanced = Int32Array.from({ length: 100 }, (_, i) => i % 10);
    const uniform = classCoverage(balanced, 10);
    expect(uniform.klFromUniform).toBeCloseTo(0, 12);
    expect(uniform.covered).toBe(10);
    expect(uniform.counts).toEqual(new Array(10).fill(10));
    const single = classCoverage(new Int32Array(50).fill(3), 10);
    expect(single.klFromUniform).toBeCloseTo(Math.log(10), 12);
    expect(single.covered).toBe(1);
  });

  it('rejects labels outside the classes', () => {
    expect(() => classCoverage([0, 10], 10)).toThrow(/outside/);
  });
});

describe('KL between class histograms', () => {
  it('matches a hand computation, normalises counts, and stays finite where the reference has no mass', () => {
    // p = (1/2, 1/2, 0), q = (1/4, 1/4, 1/2): KL = 2 · 1/2 · ln 2 = ln 2 (floor 0).
    expect(klBetweenHistograms([5, 5, 0], [1, 1, 2], 0)).toBeCloseTo(Math.log(2), 12);
    expect(klBetweenHistograms([1, 2, 3], [2, 4, 6], 0)).toBeCloseTo(0, 12);
    // All samples in a class the data lacks: ln(1 / (floor/3)) with floor 1e-4.
    expect(klBetweenHistograms([4, 0, 0], [0, 1, 1], 1e-4)).toBeCloseTo(Math.log(3e4), 9);
    expect(() => klBetweenHistograms([1, 2], [1, 2, 3])).toThrow(
      'histograms of 2 and 3 classes do not compare',
    );
    expect(() => klBetweenHistograms([0, 0], [1, 1])).toThrow('a class histogram is empty');
  });
});

describe('sampleQuality', () => {
  it('reports every metric and names FD after the feature space', () => {
    const real = gaussian(200, [0, 0, 0], [1, 1, 1], 10);
    const fake = gaussian(150, [0.3, 0, 0], [1, 1, 1], 11);
    const labels = Int32Array.from({ length: 150 }, (_, i) => i % 5);
    let q!: ReturnType<typeof sampleQuality>;
    expectNoLeakedTensors(() => {
      q = sampleQuality(real, fake, labels, 10, {
        featureSpace: 'latentlab mnist classifier',
        kid: { subsets: 3, subsetSize: 100 },
      });
    });
    expect(q.fdName).toBe('FD (latentlab mnist classifier)');
    expect(q.frechetDistance).toBeGreaterThan(0);
    expect(q.kernelDistance.subsetSize).toBe(100);
    expect(q.precision).toBeGreaterThan(0.5);
    expect(q.recall).toBeGreaterThan(0.5);
    expect(q.coverage.covered).toBe(5);
    expect(q.coverage.klFromUniform).toBeCloseTo(Math.log(2), 10);
    expect(q.realSamples).toBe(200);
    expect(q.fakeSamples).toBe(150);
  });
});

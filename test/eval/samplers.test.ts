// The post-hoc samplers: the GMM's EM against scikit-learn's GaussianMixture on a fixed set
// (bench/peers/gmm-sklearn.py prints the numbers), the MAF's inverse and log-determinant against its forward map
// and a finite-difference Jacobian, its likelihood rising with training, and every fit's round trip through its
// saved files (the same draws for the same seed).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { fitGmm, gmmLogDensity, sampleGmm } from '../../src/eval/samplers/gmm.js';
import { fitDistribution, loadDistribution, saveDistribution } from '../../src/eval/samplers/index.js';
import { fitMaf, madeMasks, mafLogDensity, mafTransforms } from '../../src/eval/samplers/maf.js';
import type { Matrix } from '../../src/io/arrays.js';
import { expectClose, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const CENTRES = [
  [0, 0],
  [4, 1],
  [-2, 5],
];
/** The fixed set of bench/peers/gmm-sklearn.py: 3 clusters of 30 points made by formula. */
const clusters: Matrix = {
  rows: 90,
  cols: 2,
  data: Float32Array.from(
    Array.from({ length: 90 }, (_, i) => [
      CENTRES[i % 3][0] + 0.6 * Math.sin(1.7 * i) + 0.3 * Math.cos(0.37 * i * i),
      CENTRES[i % 3][1] + 0.5 * Math.cos(2.3 * i) + 0.2 * Math.sin(0.11 * i * i),
    ]).flat(),
  ),
};

/** Correlated 3-D codes by formula: a curved, skewed cloud a flow can learn. */
const curved: Matrix = {
  rows: 256,
  cols: 3,
  data: Float32Array.from(
    Array.from({ length: 256 }, (_, i) => {
      const a = Math.sin(0.91 * i) * 1.5;
      const b = Math.cos(1.37 * i + 0.2);
      return [a, a * a * 0.5 + 0.2 * b, Math.exp(0.3 * b) + 0.1 * Math.sin(3.1 * i)];
    }).flat(),
  ),
};

describe('gmm', () => {
  it("matches scikit-learn's GaussianMixture (full covariance, k-means start) on a fixed set", () => {
    const fit = fitGmm(clusters, { components: 3, seed: 0, tolerance: 1e-10, maxIterations: 1000 });
    // scikit-learn 1.2.1: GaussianMixture(3, covariance_type='full', tol=1e-10, max_iter=1000).fit(X).score(X)
    expect(fit.meanLogLikelihood).toBeCloseTo(-2.246347654538276, 6);
    const order = [0, 1, 2].sort((a, b) => fit.means[a * 2] - fit.means[b * 2]);
    expectClose(
      order.map((c) => fit.weights[c]),
      [1 / 3, 1 / 3, 1 / 3],
      1e-6,
    );
    expectClose(
      order.flatMap((c) => [fit.means[c * 2], fit.means[c * 2 + 1]]),
      [
        -1.9607197324434913, 5.002257601420084, -0.020206569255746324, -0.03849377923988356,
        4.066318273538661, 1.0000249822932588,
      ],
      1e-5,
    );
    expectClose(
      order.flatMap((c) => Array.from(fit.covariances.subarray(c * 4, c * 4 + 4))),
      [
        0.19769796239800644, 0.04423826777007725, 0.04423826777007725, 0.1722305424710521,
        0.26022595707754637, -0.01824433674049202, -0.01824433674049202, 0.146201807980722,
        0.19265596473915803, 0.004564126165935108, 0.004564126165935108, 0.16923973400939227,
      ],
      1e-5,
    );
    const ll = gmmLogDensity(fit, clusters);
    expect(ll.reduce((a, b) => a + b, 0) / ll.length).toBeCloseTo(-2.246347654538276, 6);
  });

  it('draws reproducibly, from the components by their weights', () => {
    const fit = fitGmm(clusters, { components: 3, seed: 0 });
    const a = sampleGmm(fit, 3000, 5);
    expect(Array.from(sampleGmm(fit, 3000, 5).data)).toEqual(Array.from(a.data));
    // Every draw lies near one of the centres (clusters 5 apart, spreads under 0.6).
    let near = 0;
    for (let i = 0; i < a.rows; i++) {
      const [x, y] = [a.data[2 * i], a.data[2 * i + 1]];
      if (CENTRES.some(([cx, cy]) => Math.hypot(x - cx, y - cy) < 2.5)) near++;
    }
    expect(near / a.rows).toBeGreaterThan(0.999);
  });

  it('refuses too few codes for its components', () => {
    expect(() => fitGmm({ rows: 3, cols: 2, data: new Float32Array(6) }, { components: 2, seed: 0 })).toThrow(
      /a GMM of 2 components needs at least 4 codes, got 3/,
    );
  });
});

describe('maf', () => {
  it('MADE masks make output i depend on inputs before i only', () => {
    const d = 4;
    const h = 7;
    const { hidden, output } = madeMasks(d, h);
    // Connectivity input j → output i through any hidden unit.
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let path = false;
        for (let k = 0; k < h; k++) if (hidden[j * h + k] && output[k * 2 * d + i]) path = true;
        expect(path, `input ${j} → output ${i}`).toBe(j < i);
      }
  });

  it('inverts its forward map, and its log-determinant is the Jacobian’s (finite differences)', () => {
    const fit = fitMaf(curved, {
      layers: 3,
      hidden: 16,
      epochs: 3,
      batchSize: 64,
      learningRate: 1e-2,
      seed: 1,
    });
    const flow = mafTransforms(fit);
    const x = tf.tensor2d([
      [0.3, -0.5, 1.2],
      [-1, 0.7, 0.1],
    ]);
    const { u, logDet } = flow.forward(x);
    const back = flow.inverse(u);
    expectClose(back.dataSync(), x.dataSync(), 1e-4);
    // Jacobian of row 0 by central differences, in float64 from float32 evaluations.
    const h = 1e-2;
    const row = [0.3, -0.5, 1.2];
    const jac: number[][] = [];
    for (let j = 0; j < 3; j++) {
      const plus = row.slice();
      const minus = row.slice();
      plus[j] += h;
      minus[j] -= h;
      const up = flow.forward(tf.tensor2d([plus]));
      const down = flow.forward(tf.tensor2d([minus]));
      const a = up.u.dataSync();
      const b = down.u.dataSync();
      jac.push([0, 1, 2].map((i) => (a[i] - b[i]) / (2 * h)));
      tf.dispose([up.u, up.logDet, down.u, down.logDet]);
    }
    const det =
      jac[0][0] * (jac[1][1] * jac[2][2] - jac[1][2] * jac[2][1]) -
      jac[0][1] * (jac[1][0] * jac[2][2] - jac[1][2] * jac[2][0]) +
      jac[0][2] * (jac[1][0] * jac[2][1] - jac[1][1] * jac[2][0]);
    expect(logDet.dataSync()[0]).toBeCloseTo(Math.log(Math.abs(det)), 2);
    tf.dispose([x, u, logDet, back]);
    flow.dispose();
  });

  it('gains likelihood with training (seeded)', () => {
    const options = { layers: 3, hidden: 32, batchSize: 64, learningRate: 5e-3, seed: 2 };
    const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
    const short = mean(mafLogDensity(fitMaf(curved, { ...options, epochs: 1 }), curved));
    const long = mean(mafLogDensity(fitMaf(curved, { ...options, epochs: 40 }), curved));
    expect(long).toBeGreaterThan(short + 0.5);
  });
});

describe('saved fits', () => {
  for (const kind of ['gmm', 'maf', 'two-stage'] as const) {
    it(`${kind}: a fit saved and loaded draws the same codes for the same seed`, async () => {
      await withTempDir(async (temp) => {
        const dir = join(temp, `sampler-${kind}`);
        const fitted = fitDistribution(kind, curved, 3);
        const header = { kind, modelSavedAt: 'then', codes: curved.rows, dims: 3 };
        await saveDistribution(dir, header, fitted);
        const loaded = await loadDistribution(dir, 'then', 3);
        expect(loaded?.kind).toBe(kind);
        const a = fitted.distribution.sample(16, 9);
        const b = loaded!.sample(16, 9);
        expect(a.rows).toBe(16);
        expect(a.cols).toBe(3);
        expectClose(b.data, a.data, 1e-6);
        // Another saved model, or another code size: no fit.
        expect(await loadDistribution(dir, 'now', 3)).toBeUndefined();
        expect(await loadDistribution(dir, 'then', 4)).toBeUndefined();
        fitted.distribution.dispose();
        loaded!.dispose();
      });
    }, 60_000);
  }
});

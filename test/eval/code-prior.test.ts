// The "AE + Gaussian fit to its codes" sampler: Cholesky by hand, draws that reproduce the fitted moments,
// jitter for dead code dimensions, seeded determinism, and decoded samples of a tiny autoencoder.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import {
  cholesky,
  drawSamples,
  fitGaussian,
  gaussianCodeSampler,
  sampleGaussian,
} from '../../src/eval/code-prior.js';
import { meanAndCovariance } from '../../src/eval/metrics.js';
import type { Autoencoder } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('Gaussian code prior', () => {
  it('factors a covariance by hand: [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, √2]]', () => {
    expectClose(cholesky(Float64Array.from([4, 2, 2, 3]), 2) ?? [], [2, 0, 1, Math.SQRT2], 1e-12);
    expect(cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toBeUndefined();
  });

  it('draws reproduce the fitted mean and covariance, the same for the same seed', () => {
    // Codes from a known correlated Gaussian: z = (1 + 2a, -1 + a + 0.5b).
    const source = sampleGaussian(
      {
        dims: 2,
        mean: Float64Array.from([1, -1]),
        covariance: new Float64Array(4),
        cholesky: Float64Array.from([2, 0, 1, 0.5]),
        jitter: 0,
      },
      4000,
      7,
    );
    const fit = fitGaussian(source);
    expect(fit.jitter).toBe(0);
    // covariance L Lᵀ = [[4, 2], [2, 1.25]]
    expectClose(fit.mean, [1, -1], 0.1);
    expectClose(fit.covariance, [4, 2, 2, 1.25], 0.1);
    const draws = sampleGaussian(fit, 4000, 8);
    const { mean, covariance } = meanAndCovariance(draws);
    expectClose(mean, fit.mean, 0.1);
    expectClose(covariance, fit.covariance, 0.15);
    expect(sampleGaussian(fit, 10, 8).data).toEqual(draws.data.subarray(0, 20));
    expect(sampleGaussian(fit, 10, 9).data).not.toEqual(draws.data.subarray(0, 20));
  });

  it('adds jitter when a code dimension is dead (singular covariance)', () => {
    const codes = { rows: 5, cols: 2, data: Float32Array.from([1, 0, 2, 0, 3, 0, 4, 0, 5, 0]) };
    const fit = fitGaussian(codes);
    expect(fit.jitter).toBeGreaterThan(0);
    expect(fit.jitter).toBeLessThan(1e-6);
    const draws = sampleGaussian(fit, 100, 1);
    for (let i = 0; i < 100; i++) expect(Math.abs(draws.data[i * 2 + 1])).toBeLessThan(1e-3);
  });

  it("decodes draws from a tiny autoencoder's fitted code distribution", async () => {
    const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [8], latent: 3 });
    const model = family.build(config, { sampleShape: [4, 4, 1], seed: 1 }) as Autoencoder;
    const x = tf.randomUniform([50, 4, 4, 1], 0, 1, 'float32', 2);
    const z = model.encode(x);
    const codes = { rows: 50, cols: 3, data: z.dataSync() as Float32Array };
    const sampler = gaussianCodeSampler(model, codes);
    const before = tf.memory().numTensors;
    const samples = await drawSamples(sampler, 12, 5, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect(samples.length).toBe(12 * 16);
    expect(await drawSamples(sampler, 12, 5, 5)).toEqual(samples);
    expect(() => gaussianCodeSampler(model, { rows: 2, cols: 2, data: new Float32Array(4) })).toThrow(
      "codes have 2 columns, but the model's latent size is 3",
    );
    tf.dispose([x, z]);
    model.dispose();
  });
});

// The VAE zoo's priors, objectives and posteriors (issue 21): beta-TCVAE's decomposition, FactorVAE's
// discriminator, DIP-VAE's covariance penalties, the VampPrior, planar and IAF flows, each against a hand
// computation on a fixed tiny batch; then learning on MNIST and the IWAE bound. Build, leaks and save/load are
// the contract suite's (contract.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { tf } from '../../src/engine/tf.js';
import { tcDecomposition } from '../../src/models/beta-tcvae/model.js';
import { codeCovariance, dipPenalty } from '../../src/models/dip-vae/model.js';
import { type FactorVaeModel, permuteDimensions } from '../../src/models/factor-vae/model.js';
import type { BuildContext, TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { logPosterior, logStandardNormal } from '../../src/models/shared/log-density.js';
import { gaussianKl, type VaeModel } from '../../src/models/vae/model.js';
import { mixtureLogDensity, type VampPriorModel } from '../../src/models/vamp-prior/model.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, randomValues, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const LOG_2PI = Math.log(2 * Math.PI);

function build<M = TrainableModel>(raw: Record<string, unknown>, context: BuildContext): M {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context) as M;
}

function read(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

/** log N(z; m, e^lv) of one entry. */
function logN(z: number, m: number, lv: number): number {
  return -0.5 * (LOG_2PI + lv + (z - m) ** 2 / Math.exp(lv));
}

function logSumExp(values: number[]): number {
  const top = Math.max(...values);
  return top + Math.log(values.reduce((s, v) => s + Math.exp(v - top), 0));
}

/** A fixed batch of m codes with their posteriors, as plain arrays [m][latent]. */
function fixedCodes(m: number, latent: number, seed: number) {
  const rows = (values: Float32Array) =>
    Array.from({ length: m }, (_, i) => Array.from(values.subarray(i * latent, (i + 1) * latent)));
  return {
    z: rows(randomValues(m * latent, seed)),
    mean: rows(randomValues(m * latent, seed + 1).map((v) => 0.5 * v)),
    logVar: rows(randomValues(m * latent, seed + 2).map((v) => v - 0.5)),
  };
}

describe('beta-tcvae', () => {
  it('splits the KL by minibatch-weighted sampling as the paper writes it, parts summing to log q(z|x) - log p(z)', () => {
    const m = 5;
    const latent = 3;
    const N = 100;
    const { z, mean, logVar } = fixedCodes(m, latent, 11);
    // The hand computation: log q(z_i) ≈ logsumexp_j log q(z_i|x_j) - log(N m), per dimension likewise.
    let mi = 0;
    let tc = 0;
    let dim = 0;
    let kl = 0;
    for (let i = 0; i < m; i++) {
      const logQzx = z[i].reduce((s, v, d) => s + logN(v, mean[i][d], logVar[i][d]), 0);
      const logPz = z[i].reduce((s, v) => s + logN(v, 0, 0), 0);
      const logQz =
        logSumExp(mean.map((_, j) => z[i].reduce((s, v, d) => s + logN(v, mean[j][d], logVar[j][d]), 0))) -
        Math.log(N * m);
      const logProduct = z[i].reduce(
        (s, v, d) => s + logSumExp(mean.map((_, j) => logN(v, mean[j][d], logVar[j][d]))) - Math.log(N * m),
        0,
      );
      mi += (logQzx - logQz) / m;
      tc += (logQz - logProduct) / m;
      dim += (logProduct - logPz) / m;
      kl += (logQzx - logPz) / m;
    }
    const parts = tf.tidy(() => {
      const got = tcDecomposition(tf.tensor2d(z), tf.tensor2d(mean), tf.tensor2d(logVar), N);
      return [got.mutualInformation, got.totalCorrelation, got.dimensionWiseKl];
    });
    const [gotMi, gotTc, gotDim] = parts.map((p) => read(p)[0]);
    expectClose([gotMi, gotTc, gotDim], [mi, tc, dim], 1e-4);
    expect(gotMi + gotTc + gotDim).toBeCloseTo(kl, 4);
  });
});

const image: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };

describe('factor-vae', () => {
  it('permutes each dimension across the batch by its own seeded permutation', () => {
    const n = 16;
    const latent = 3;
    const values = Array.from({ length: n * latent }, (_, i) => i); // column d holds d, d + 3, d + 6, ...
    const z = tf.tensor2d(values, [n, latent]);
    const a = read(permuteDimensions(z, 7));
    const b = read(permuteDimensions(z, 7));
    const c = read(permuteDimensions(z, 8));
    z.dispose();
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const column = (v: number[], d: number) => v.filter((_, i) => i % latent === d);
    for (let d = 0; d < latent; d++) {
      expect([...column(a, d)].sort((x, y) => x - y)).toEqual(column(values, d));
      expect(column(a, d)).not.toEqual(column(values, d));
    }
    // Rows are broken up: the dimensions move independently.
    expect(
      column(a, 1)
        .map((v, i) => v - column(a, 0)[i])
        .every((delta) => delta === 1),
    ).toBe(false);
  });

  it("estimates TC by the discriminator's mean logit and trains it with its own optimiser (1e-4, 0.5, 0.9)", () => {
    const model = build<FactorVaeModel>(
      { kind: 'factor-vae', hidden: [16], latent: 3, discriminatorHidden: [8], gamma: 2 },
      image,
    );
    const x = tf.tidy(() =>
      tf.clipByValue(tf.add(0.5, tf.mul(0.3, tf.randomNormal([8, 8, 8, 1], 0, 1, 'float32', 1))), 0, 1),
    );
    // The objective against its parts: loss = reconstruction + KL + gamma · TC, TC the discriminator's mean logit.
    const record = model.evaluate({ x, step: 0 });
    const r = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, read(v)[0]]));
    expect(r.loss).toBeCloseTo(r.reconstruction + r.kl + 2 * r.totalCorrelation, 4);
    expect(r.discriminator).toBeGreaterThan(0);
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    expect(Object.keys(optimizers).sort()).toEqual(['discriminator', 'vae']);
    const before = model.networks.discriminator.getWeights().map((w) => w.dataSync().slice());
    tf.dispose(Object.values(model.trainStep({ x, step: 0, epoch: 1 }, optimizers)));
    const after = model.networks.discriminator.getWeights().map((w) => w.dataSync());
    // Adam's first step moves every weight with a gradient by about the learning rate: 1e-4, not the run's 1e-3.
    const moved = Math.max(...after[0].map((v, i) => Math.abs(v - before[0][i])));
    expect(moved).toBeGreaterThan(5e-5);
    expect(moved).toBeLessThan(2e-4);
    x.dispose();
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
    model.dispose();
  });
});

describe('dip-vae', () => {
  // numpy: C = np.cov(mean.T, bias=True) (+ np.diag(np.exp(logVar).mean(0)) for type ii), then
  // off = (C**2).sum() - (np.diag(C)**2).sum(), diag = ((np.diag(C) - 1)**2).sum().
  const mean = [
    [0.3, -1.2, 0.5],
    [1.1, 0.4, -0.7],
    [-0.6, 0.9, 0.2],
    [0.2, -0.1, 1.4],
  ];
  const logVar = [
    [-1.0, 0.2, -0.5],
    [0.3, -0.8, 0.1],
    [-0.2, -0.4, 0.6],
    [0.5, 0.0, -1.5],
  ];
  it.each([
    ['i', 0.1990125, 0.7538375],
    ['ii', 0.1990125, 0.6126875638332854],
  ] as const)('type %s: the covariance penalties match numpy', (type, offDiagonal, diagonal) => {
    const [off, diag, weighted] = tf.tidy(() => {
      const c = codeCovariance(tf.tensor2d(mean), tf.tensor2d(logVar), type);
      return [dipPenalty(c, 1, 0), dipPenalty(c, 0, 1), dipPenalty(c, 10, 100)];
    });
    expectClose(
      [read(off)[0], read(diag)[0], read(weighted)[0]],
      [offDiagonal, diagonal, 10 * offDiagonal + 100 * diagonal],
      1e-4,
    );
  });
});

describe('vamp-prior', () => {
  it("with one pseudo-input whose posterior is N(0, I), its prior and KL are the VAE's", () => {
    const { z, mean, logVar } = fixedCodes(6, 3, 21);
    const [prior, standard, kl, closed] = tf.tidy(() => {
      const zt = tf.tensor2d(z);
      const m = tf.tensor2d(mean);
      const lv = tf.tensor2d(logVar);
      const vamp = mixtureLogDensity(zt, tf.zeros([1, 3]), tf.zeros([1, 3]));
      // The one-draw KL, averaged over many draws, is the closed form: checked on 4,000 draws per row.
      const draws = tf.randomNormal([4000, 6, 3], 0, 1, 'float32', 5);
      const zs = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, lv)), draws));
      const oneDraw = tf.mean(
        tf.sub(logPosterior(draws, lv), mixtureLogDensity(zs, tf.zeros([1, 3]), tf.zeros([1, 3]))),
        0,
      );
      return [vamp, logStandardNormal(zt), oneDraw, tf.sum(gaussianKl(m, lv), -1)];
    });
    expectClose(read(prior), read(standard), 1e-5);
    expectClose(read(kl), read(closed), 0.08);
  });

  it("is the mean of its components' densities (two components, by hand)", () => {
    const means = [
      [0.5, -1],
      [-0.3, 0.2],
    ];
    const logVars = [
      [0.1, -0.4],
      [-1, 0.3],
    ];
    const z = [
      [0.2, 0.1],
      [1.5, -2],
    ];
    const expected = z.map(
      (row) =>
        logSumExp(means.map((m, k) => row.reduce((s, v, d) => s + logN(v, m[d], logVars[k][d]), 0))) -
        Math.log(2),
    );
    const got = tf.tidy(() => mixtureLogDensity(tf.tensor2d(z), tf.tensor2d(means), tf.tensor2d(logVars)));
    expectClose(read(got), expected, 1e-5);
  });

  it('draws prior samples from its mixture, and its IWAE bound at k = 1 is its -ELBO draw', () => {
    const model = build<VampPriorModel>(
      { kind: 'vamp-prior', hidden: [16], latent: 3, pseudoInputs: 5 },
      image,
    );
    const x = tf.tidy(() => tf.clipByValue(tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 2), 0, 1));
    const a = read(model.samplePrior(6, 9));
    expect(a).toEqual(read(model.samplePrior(6, 9)));
    expect(a.every(Number.isFinite)).toBe(true);
    expectClose(
      read(model.importanceWeightedBound(x, undefined, 1, 4)),
      read(model.negativeElbo(x, undefined, 4)),
      1e-3,
    );
    x.dispose();
    model.dispose();
  });

  it('refuses to be conditional', () => {
    expect(() => build({ kind: 'vamp-prior', conditional: true }, { ...image, numClasses: 3 })).toThrow(
      /vamp-prior cannot be conditional/,
    );
  });
});

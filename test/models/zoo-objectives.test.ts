// The VAE zoo's objectives (iwae, wae, info-vae, rae-l2, rae-gp, msssim-vae) against hand computations and the
// numpy/torch figures of bench/peers/zoo_objectives_reference.py, and each kind learning on MNIST digits.
import { beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { type Tensor, tf, type tfl } from '../../src/engine/tf.js';
import {
  type BuildContext,
  hasLikelihood,
  isAutoencoder,
  isGenerative,
  type LikelihoodModel,
  type LossRecord,
  type TrainableModel,
} from '../../src/models/family.js';
import type { RaeModel } from '../../src/models/rae/model.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { mmd2 } from '../../src/models/shared/mmd.js';
import { evaluationStep, stepSeed } from '../../src/models/shared/seeds.js';
import { msssim } from '../../src/models/shared/ssim.js';
import { expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const image: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };

function build(config: Record<string, unknown>, context: BuildContext = image): TrainableModel {
  const { family, config: parsed } = parseModelConfig(config);
  return family.build(parsed, context);
}

/** A fixed batch of n images [n, 8, 8, 1] in [0, 1]. */
function batch(n: number): Tensor {
  return tf.tidy(() => tf.sigmoid(tf.randomNormal([n, 8, 8, 1], 0, 2, 'float32', 11)));
}

function values(record: LossRecord): Record<string, number> {
  const out = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose(Object.values(record));
  return out;
}

/** The points of the numpy reference: x [5, 3] and y [4, 3]. */
function referencePoints(): [Tensor, Tensor] {
  const x = Array.from({ length: 5 }, (_, i) => Array.from({ length: 3 }, (_, j) => 0.1 * i - 0.2 * j));
  const y = Array.from({ length: 4 }, (_, i) => Array.from({ length: 3 }, (_, j) => Math.sin(i + 2 * j)));
  return [tf.tensor2d(x), tf.tensor2d(y)];
}

/** The images of the torch reference: a 28x28 pattern and a dimmed, dithered copy, [1, 28, 28, 1] each. */
function referenceImages(): [Tensor, Tensor] {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 28; i++)
    for (let j = 0; j < 28; j++) {
      const v = (Math.sin(0.3 * i) + Math.cos(0.2 * j) + 2) / 4;
      a.push(v);
      b.push(0.8 * v + 0.05 * ((i + j) % 3));
    }
  return [tf.tensor4d(a, [1, 28, 28, 1]), tf.tensor4d(b, [1, 28, 28, 1])];
}

const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

describe('iwae', () => {
  it('with k = 1, its bound is the one-draw -ELBO: -log p(x|z) + log q(z|x) - log p(z) at z = mean + σ·ε', () => {
    const model = build({ kind: 'iwae', hidden: [16], latent: 3, samples: 1 }) as TrainableModel &
      LikelihoodModel & { networks: { encoder: tfl.LayersModel; decoder: tfl.LayersModel } };
    const x = batch(4);
    const seed = 123;
    const bound = model.importanceWeightedBound(x, undefined, 1, seed);
    const [mean, logVar] = model.networks.encoder.predict(x) as Tensor[];
    const eps = tf.randomNormal([4, 3], 0, 1, 'float32', seed);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
    const logits = model.networks.decoder.predict(z) as Tensor;
    const [xs, ls, ms, vs, es, zs] = [x, logits, mean, logVar, eps, z].map((t) => t.dataSync());
    const expected = Array.from({ length: 4 }, (_, i) => {
      let nll = 0;
      for (let p = 0; p < 64; p++) nll += softplus(ls[i * 64 + p]) - xs[i * 64 + p] * ls[i * 64 + p];
      let logQOverP = 0; // log N(z; mean, e^logVar) - log N(z; 0, I); the 2π terms cancel
      for (let d = 0; d < 3; d++)
        logQOverP += -0.5 * es[i * 3 + d] ** 2 - 0.5 * vs[i * 3 + d] + 0.5 * zs[i * 3 + d] ** 2;
      expect(ms.length).toBe(12);
      return nll + logQOverP;
    });
    expectClose(bound.dataSync(), expected, 1e-4);
    tf.dispose([x, bound, mean, logVar, eps, z, logits]);
    model.dispose();
  });

  it('trains on the k-sample bound that importanceWeightedBound evaluates, with the same draws', () => {
    const model = build({ kind: 'iwae', hidden: [16], latent: 3, samples: 4 }) as TrainableModel &
      LikelihoodModel;
    const x = batch(6);
    const at = (seed: number) => {
      const bound = model.importanceWeightedBound(x, undefined, 4, seed);
      const m = tf.mean(bound).dataSync()[0];
      bound.dispose();
      return m;
    };
    const evaluated = values(model.evaluate({ x, step: 2 }));
    expect(evaluated.loss).toBeCloseTo(at(stepSeed(image.seed, evaluationStep(2))), 4);
    expect(evaluated.iwaeBound).toBeCloseTo(evaluated.loss, 6);
    expect(evaluated.negElbo).toBeCloseTo(evaluated.reconstruction + evaluated.kl, 4);
    const expected = at(stepSeed(image.seed, 0));
    const optimizer = tf.train.adam(1e-3);
    const trained = values(model.trainStep({ x, step: 0, epoch: 1 }, { vae: optimizer }));
    expect(trained.loss).toBeCloseTo(expected, 4);
    optimizer.dispose();
    x.dispose();
    model.dispose();
  });
});

describe('MMD (wae, info-vae)', () => {
  it('matches the unbiased MMD² that numpy computes, with the multi-scale IMQ and the RBF kernels', () => {
    const [x, y] = referencePoints();
    const scales = [0.1, 0.2, 0.5, 1, 2, 5, 10];
    const imq = mmd2(x, y, { kernel: 'imq', kernelBandwidth: 1, kernelScales: scales });
    const rbf = mmd2(x, y, { kernel: 'rbf', kernelBandwidth: 0.5, kernelScales: [1] });
    // bench/peers/zoo_objectives_reference.py
    expect(imq.dataSync()[0]).toBeCloseTo(0.7458888660251102, 4);
    expect(rbf.dataSync()[0]).toBeCloseTo(0.27792634162716423, 5);
    tf.dispose([x, y, imq, rbf]);
  });

  it('of a set against itself is 2(mean off-diagonal k - k(0)) / n, which vanishes as n grows; a shift raises it', () => {
    const options = { kernel: 'imq' as const, kernelBandwidth: 1, kernelScales: [1] };
    const z = tf.randomNormal([256, 4], 0, 1, 'float32', 5);
    const self = mmd2(z, z, options).dataSync()[0];
    expect(self).toBeLessThan(0);
    expect(Math.abs(self)).toBeLessThan(2 / 256); // k(0) = 1 for one IMQ scale
    const shifted = tf.add(z, 1);
    const apart = mmd2(z, shifted, options).dataSync()[0];
    expect(apart).toBeGreaterThan(0.05);
    tf.dispose([z, shifted]);
  });

  it('wae: loss = reconstruction + mmdWeight · MMD²(encoded codes, prior draws), with no likelihood bound', () => {
    const model = build({ kind: 'wae', hidden: [16], latent: 3, mmdWeight: 7 }) as TrainableModel & {
      encode(x: Tensor): Tensor;
      encodesToPrior?: boolean;
    };
    expect(hasLikelihood(model)).toBe(false);
    expect(model.encodesToPrior).toBe(true);
    const x = batch(8);
    const parts = values(model.evaluate({ x, step: 0 }));
    const codes = model.encode(x);
    const prior = tf.randomNormal([8, 3], 0, 1, 'float32', stepSeed(image.seed, evaluationStep(0)));
    const mmd = mmd2(codes, prior, {
      kernel: 'imq',
      kernelBandwidth: 1,
      kernelScales: [0.1, 0.2, 0.5, 1, 2, 5, 10],
    });
    expect(parts.mmd).toBeCloseTo(mmd.dataSync()[0], 5);
    expect(parts.loss).toBeCloseTo(parts.reconstruction + 7 * parts.mmd, 3);
    tf.dispose([x, codes, prior, mmd]);
    model.dispose();
  });

  it('info-vae: loss = reconstruction + (1 - α) · KL + (α + λ - 1) · MMD², and the -ELBO beside it', () => {
    const model = build({ kind: 'info-vae', hidden: [16], latent: 3, alpha: 0.25, lambda: 3 });
    expect(hasLikelihood(model)).toBe(true);
    const x = batch(8);
    const parts = values(model.evaluate({ x, step: 0 }));
    expect(parts.mmd).not.toBe(0);
    expect(parts.loss).toBeCloseTo(parts.reconstruction + 0.75 * parts.kl + 2.25 * parts.mmd, 3);
    expect(parts.negElbo).toBeCloseTo(parts.reconstruction + parts.kl, 3);
    x.dispose();
    model.dispose();
  });
});

describe('rae', () => {
  it('rae-gp: the decoder gradient penalty is |∂(Σ x̂)/∂z|², as central finite differences give', () => {
    const model = build({ kind: 'rae-gp', hidden: [16], latent: 3 }) as RaeModel & {
      decode(z: Tensor): Tensor;
    };
    // No prior: a plain autoencoder to every command, sampled from a density fitted to its codes.
    expect(hasLikelihood(model)).toBe(false);
    expect(isGenerative(model)).toBe(false);
    expect(isAutoencoder(model)).toBe(true);
    const z = tf.tensor2d([
      [0.3, -0.7, 1.1],
      [-1.2, 0.4, 0.05],
    ]);
    const penalty = tf.tidy(() => model.decoderGradientPenalty(z)).dataSync();
    const h = 1e-2;
    const sumAt = (codes: number[][]) => {
      const out = model.decode(tf.tensor2d(codes));
      const sums = tf.sum(out, [1, 2, 3]).arraySync() as number[];
      out.dispose();
      return sums;
    };
    const base = z.arraySync() as number[][];
    const squares = [0, 0];
    for (let d = 0; d < 3; d++) {
      const plus = base.map((row) => row.map((v, j) => (j === d ? v + h : v)));
      const minus = base.map((row) => row.map((v, j) => (j === d ? v - h : v)));
      const [p, m] = [sumAt(plus), sumAt(minus)];
      for (let i = 0; i < 2; i++) squares[i] += ((p[i] - m[i]) / (2 * h)) ** 2;
    }
    expectClose(penalty, squares, 1e-2);
    z.dispose();
    model.dispose();
  });

  it('rae-l2: loss = reconstruction + β · ½|z|² + λ/2 · Σ w² over the decoder', () => {
    const model = build({
      kind: 'rae-l2',
      hidden: [16],
      latent: 3,
      embeddingWeight: 0.5,
      decoderWeightDecay: 0.01,
    }) as RaeModel & { encode(x: Tensor): Tensor };
    const x = batch(5);
    const parts = values(model.evaluate({ x, step: 0 }));
    const codes = model.encode(x).arraySync() as number[][];
    const embedding =
      codes.reduce((s, row) => s + 0.5 * row.reduce((a, v) => a + v * v, 0), 0) / codes.length;
    expect(parts.embedding).toBeCloseTo(embedding, 4);
    let squares = 0;
    for (const w of model.networks.decoder.trainableWeights)
      for (const v of w.read().dataSync()) squares += v * v;
    expect(parts.decoderDecay).toBeCloseTo((0.01 / 2) * squares, 4);
    expect(parts.loss).toBeCloseTo(parts.reconstruction + 0.5 * parts.embedding + parts.decoderDecay, 3);
    x.dispose();
    model.dispose();
  });
});

describe('MS-SSIM (msssim-vae)', () => {
  it('is 1 for identical images, and matches the torch figure of a 28x28 pair (4 scales)', () => {
    const [a, b] = referenceImages();
    const same = msssim(a, a);
    const eleven = msssim(a, b);
    const three = msssim(a, b, { window: 3 });
    expect(same.dataSync()[0]).toBeCloseTo(1, 5);
    // bench/peers/zoo_objectives_reference.py
    expect(eleven.dataSync()[0]).toBeCloseTo(0.980292047226226, 4);
    expect(three.dataSync()[0]).toBeCloseTo(0.950973499067301, 4);
    tf.dispose([a, b, same, eleven, three]);
  });

  it('with a 1x1 window on a 3x3 image (one scale) is the mean of (2ab + C1) / (a² + b² + C1), mapped to (s + 1) / 2', () => {
    const a = [0.1, 0.5, 0.9, 0.2, 0.3, 0.4, 1, 0, 0.6];
    const b = [0.2, 0.5, 0.7, 0.1, 0.9, 0.4, 0.8, 0.1, 0.3];
    const c1 = 0.01 ** 2;
    const mean = a.reduce((s, v, i) => s + (2 * v * b[i] + c1) / (v * v + b[i] * b[i] + c1), 0) / 9;
    const ta = tf.tensor4d(a, [1, 3, 3, 1]);
    const tb = tf.tensor4d(b, [1, 3, 3, 1]);
    const value = msssim(ta, tb, { window: 1 });
    expect(value.dataSync()[0]).toBeCloseTo((mean + 1) / 2, 5);
    tf.dispose([ta, tb, value]);
  });

  it('msssim-vae refuses samples that are not images, saying so', () => {
    expect(() =>
      build({ kind: 'msssim-vae', hidden: [16], latent: 3 }, { sampleShape: [6], seed: 1 }),
    ).toThrow(/msssim-vae compares images \[height, width, channels\], but the samples have shape \[6\]/);
  });
});

describe('the zoo on MNIST', () => {
  let digits: Float32Array;
  beforeAll(async () => {
    digits = head((await loadData({ source: 'mnist' })).train, 256).x;
  });
  const kinds: Record<string, unknown>[] = [
    { kind: 'iwae', samples: 5 },
    { kind: 'wae' },
    { kind: 'info-vae' },
    { kind: 'rae-l2' },
    { kind: 'rae-gp' },
    { kind: 'msssim-vae' },
  ];
  for (const config of kinds) {
    it(`${config.kind}: its loss falls over 30 steps on 256 digits`, () => {
      const model = build({ ...config, hidden: [32], latent: 8 }, { sampleShape: [28, 28, 1], seed: 1 });
      const all = tf.tensor(digits, [256, 28, 28, 1]);
      const before = values(model.evaluate({ x: all, step: 0 }));
      const optimizer = tf.train.adam(3e-3);
      for (let step = 0; step < 30; step++) {
        const start = (step * 32) % 256;
        const x = tf.tensor(digits.subarray(start * 784, (start + 32) * 784), [32, 28, 28, 1]);
        tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, { vae: optimizer })));
        x.dispose();
      }
      const after = values(model.evaluate({ x: all, step: 0 }));
      expect(after.loss).toBeLessThan(before.loss * 0.9);
      expect(after.mse).toBeLessThan(before.mse);
      optimizer.dispose();
      all.dispose();
      model.dispose();
    });
  }
});

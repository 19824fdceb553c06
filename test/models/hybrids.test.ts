import { beforeAll, describe, expect, it } from 'vitest';
import { UNLABELLED } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { tf, type tfl } from '../../src/engine/tf.js';
import type { AaeModel } from '../../src/models/aae/model.js';
import type { Autoencoder, BuildContext, GenerativeModel, TrainableModel } from '../../src/models/family.js';
import type { LatentGanModel } from '../../src/models/latentgan/model.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { mixtureMeans, samplePriorCodes } from '../../src/models/shared/code-priors.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, useBackend } from '../helpers.js';
import { tinyCase } from './tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

type Hybrid = TrainableModel & Autoencoder & GenerativeModel;

const imageContext: BuildContext = { sampleShape: [8, 8, 1], numClasses: 3, seed: 3 };
const smallBody = { hidden: [16], latent: 4 };

function build(raw: unknown, context: BuildContext): Hybrid {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context) as Hybrid;
}

function snapshot(network: tfl.LayersModel): number[][] {
  return network.getWeights().map((w) => Array.from(w.dataSync()));
}

function changed(before: number[][], network: tfl.LayersModel): boolean {
  return snapshot(network).some((w, i) => w.some((v, j) => v !== before[i][j]));
}

function data(context: BuildContext, n: number, seed: number): tf.Tensor {
  return tf.randomUniform([n, ...context.sampleShape], 0, 1, 'float32', seed);
}

function labelsFor(values: number[]): tf.Tensor {
  return tf.tensor1d(Int32Array.from(values), 'int32');
}

/** Runs one step of `model` at `epoch` and says which networks it changed. */
function networksChangedBy(model: Hybrid, epoch: number, x: tf.Tensor, labels?: tf.Tensor): string[] {
  const optimizers = createOptimizers(model, TrainConfig.parse({}));
  const before = Object.fromEntries(Object.entries(model.networks).map(([k, n]) => [k, snapshot(n)]));
  tf.dispose(Object.values(model.trainStep({ x, labels, step: 0, epoch }, optimizers)));
  for (const o of Object.values(optimizers)) o.dispose();
  return Object.entries(model.networks)
    .filter(([k, n]) => changed(before[k], n))
    .map(([k]) => k)
    .sort();
}

// The contract suite's tiny hybrids, each with what its phases train and the losses it reports.
const cases = [
  {
    ...tinyCase('aae', 'aae (gaussian prior, dense, table rows)'),
    phases: [{ epoch: 1, changes: ['decoder', 'discriminator', 'encoder'] }],
    keys: ['loss', 'reconstruction', 'mse', 'discriminator', 'adversarial'],
  },
  {
    ...tinyCase('aae', 'aae (mixture prior, conv, wgan-gp)'),
    phases: [{ epoch: 1, changes: ['decoder', 'discriminator', 'encoder'] }],
    keys: ['loss', 'reconstruction', 'mse', 'discriminator', 'wasserstein', 'adversarial'],
  },
  {
    ...tinyCase('aae', 'aae (uniform prior, semi-supervised)'),
    phases: [{ epoch: 1, changes: ['categoryDiscriminator', 'decoder', 'discriminator', 'encoder'] }],
    keys: ['loss', 'reconstruction', 'mse', 'discriminator', 'adversarial', 'classification'],
  },
  {
    ...tinyCase('latentgan', 'latentgan (fine-tuning)'),
    phases: [
      { epoch: 1, changes: ['decoder', 'encoder'] },
      // The code GAN leaves the autoencoder alone: its codes are the targets.
      { epoch: 2, changes: ['discriminator', 'generator'] },
      { epoch: 3, changes: ['decoder', 'encoder', 'generator', 'imageDiscriminator'] },
    ],
    keys: ['loss', 'reconstruction', 'mse', 'imageDiscriminator', 'wasserstein', 'generator'],
  },
  {
    ...tinyCase('aegan', 'aegan (pretrained, conv discriminator)'),
    phases: [
      { epoch: 1, changes: ['decoder', 'encoder'] },
      { epoch: 2, changes: ['decoder', 'discriminator', 'mapping'] },
    ],
    keys: ['loss', 'discriminator', 'generator'],
  },
];

// Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, what each phase trains
// and reports.
describe.each(cases)('$name', ({ config, context, phases, keys }) => {
  it('samples values in [0, 1]; an image preview shows 15 tiles (data, reconstruction, sample)', () => {
    const model = build(config, context);
    const x = data(context, 5, 1);
    const z = model.samplePrior(5, 2);
    const samples = model.generate(z);
    for (const v of samples.dataSync()) expect(v >= 0 && v <= 1).toBe(true);
    const preview = model.preview?.(x);
    if (context.sampleShape.length === 3) expect(preview?.images.shape).toEqual([15, ...context.sampleShape]);
    tf.dispose([x, z, samples, preview?.images]);
    model.dispose();
  });

  it("each phase's step updates exactly its networks", () => {
    const model = build(config, context);
    const x = data(context, 6, 3);
    const labels = labelsFor([0, 1, 2, UNLABELLED, UNLABELLED, 1]);
    for (const { epoch, changes } of phases)
      expect(networksChangedBy(model, epoch, x, labels)).toEqual(changes);
    tf.dispose([x, labels]);
    model.dispose();
  });

  it("reports its last phase's losses, finite, and evaluates the reconstruction", () => {
    const model = build(config, context);
    const x = data(context, 6, 4);
    const labels = labelsFor([0, 1, 2, 0, UNLABELLED, 1]);
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const last = phases[phases.length - 1].epoch;
    tf.dispose(Object.values(model.trainStep({ x, labels, step: 0, epoch: last }, optimizers)));
    const record = model.trainStep({ x, labels, step: 1, epoch: last }, optimizers);
    // The last phase's losses.
    expect(Object.keys(record).sort()).toEqual([...keys].sort());
    for (const value of Object.values(record)) expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose(Object.values(record));
    const evaluated = model.evaluate({ x, labels, step: 0 });
    expect(Object.keys(evaluated)).toContain('reconstruction');
    tf.dispose(Object.values(evaluated));
    tf.dispose([x, labels]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });
});

describe('priors over codes', () => {
  it('places the mixture means on a circle of the given radius in the first two dimensions', () => {
    const means = mixtureMeans(
      { prior: 'mixture', mixtureComponents: 4, mixtureRadius: 2, mixtureStd: 1 },
      3,
    );
    expectClose(means, [2, 0, 0, 0, 2, 0, -2, 0, 0, 0, -2, 0], 1e-6);
  });

  it('draws each prior with the stated moments', () => {
    const spec = { mixtureComponents: 10, mixtureRadius: 4, mixtureStd: 0.5 };
    const moments = (prior: 'gaussian' | 'uniform' | 'mixture') => {
      const draws = samplePriorCodes({ ...spec, prior }, 20000, 3, 7);
      const { mean, variance } = tf.moments(draws, 0);
      const out = { mean: Array.from(mean.dataSync()), variance: Array.from(variance.dataSync()) };
      tf.dispose([draws, mean, variance]);
      return out;
    };
    const gaussian = moments('gaussian');
    expectClose(gaussian.mean, [0, 0, 0], 0.03);
    expectClose(gaussian.variance, [1, 1, 1], 0.05);
    const uniform = moments('uniform');
    expectClose(uniform.variance, [1 / 3, 1 / 3, 1 / 3], 0.02);
    // Mixture: components uniform over a circle of radius 4, so variance r²/2 + std² in each circle dimension.
    const mixture = moments('mixture');
    expectClose(mixture.variance, [8 + 0.25, 8 + 0.25, 0.25], 0.3);
  });
});

describe('semi-supervised labels', () => {
  it('scores the categorical head on labelled samples only', () => {
    const model = build(
      { kind: 'aae', ...smallBody, semiSupervised: true },
      imageContext,
    ) as unknown as AaeModel;
    const x = data(imageContext, 6, 8);
    const predicted = Array.from(tf.argMax(model.classify(x), -1).dataSync());
    const given = [predicted[0], (predicted[1] + 1) % 3, predicted[2], 0, 0, 0];
    const labels = labelsFor([given[0], given[1], given[2], UNLABELLED, UNLABELLED, UNLABELLED]);
    const record = model.evaluate({ x, labels, step: 0 });
    expectClose(record.accuracy.dataSync(), [2 / 3], 1e-6);
    tf.dispose([x, labels, ...Object.values(record)]);
    model.dispose();
  });
  it('generates asked-for classes by setting the one-hot part of the code, keeping the style', () => {
    const model = build(
      { kind: 'aae', ...smallBody, semiSupervised: true },
      imageContext,
    ) as unknown as AaeModel;
    expect(model.classControlled).toBe(true);
    expect((model as unknown as GenerativeModel).conditional).toBeFalsy();
    const code = model.samplePrior(4, 3);
    const labels = labelsFor([2, 0, 1, 2]);
    const asked = model.generate(code, labels);
    const style = tf.slice(code, [0, 3], [-1, smallBody.latent]);
    const byHand = model.decode(tf.concat([tf.cast(tf.oneHot(labels, 3), 'float32'), style], 1));
    expectClose(asked.dataSync(), byHand.dataSync(), 1e-6);
    // Without labels the code's own classes decide.
    expectClose(model.generate(code).dataSync(), model.decode(code).dataSync(), 1e-6);
    const plain = build({ kind: 'aae', ...smallBody }, imageContext) as unknown as AaeModel;
    expect(plain.classControlled).toBe(false);
    tf.dispose([code, labels, asked, style, byHand]);
    model.dispose();
    plain.dispose();
  });
});

describe('learning on MNIST', () => {
  it('aae: reconstruction falls and the codes move to the prior; latent GAN codes approach the real ones', async () => {
    const { train } = await loadData({ source: 'mnist' }, { seed: 0 });
    const n = 256;
    const x = tf.tensor4d(train.x.subarray(0, n * 784), [n, 28, 28, 1]);
    const context: BuildContext = { sampleShape: [28, 28, 1], numClasses: 10, seed: 0 };
    const aae = build({ kind: 'aae', hidden: [128], latent: 8 }, context) as unknown as AaeModel;
    const optimizers = createOptimizers(aae, TrainConfig.parse({}));
    const first = aae.evaluate({ x, step: 0 });
    for (let step = 0; step < 60; step++)
      tf.dispose(Object.values(aae.trainStep({ x, step, epoch: 1 }, optimizers)));
    const last = aae.evaluate({ x, step: 0 });
    expect(last.reconstruction.dataSync()[0]).toBeLessThan(0.6 * first.reconstruction.dataSync()[0]);
    const codes = aae.encode(x);
    const { variance } = tf.moments(codes, 0);
    const std = Math.sqrt(tf.mean(variance).dataSync()[0]);
    // An unregularised code's spread is set by the initialisation; the discriminator pulls it toward N(0, 1).
    expect(std).toBeGreaterThan(0.4);
    expect(std).toBeLessThan(2.5);
    tf.dispose([x, codes, variance, ...Object.values(first), ...Object.values(last)]);
    for (const o of Object.values(optimizers)) o.dispose();
    aae.dispose();
  }, 120_000);

  it('latentgan: the code generator moves its codes toward the encoder codes', async () => {
    const { train } = await loadData({ source: 'mnist' }, { seed: 0 });
    const n = 256;
    const x = tf.tensor4d(train.x.subarray(0, n * 784), [n, 28, 28, 1]);
    const context: BuildContext = { sampleShape: [28, 28, 1], numClasses: 10, seed: 0 };
    const model = build(
      {
        kind: 'latentgan',
        hidden: [128],
        latent: 8,
        generatorHidden: [64],
        discriminatorHidden: [64],
        autoencoderEpochs: 1,
        ganEpochs: 1,
        generatorLearningRate: 1e-3,
        discriminatorLearningRate: 1e-3,
      },
      context,
    ) as unknown as LatentGanModel;
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    for (let step = 0; step < 40; step++)
      tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, optimizers)));
    const real = model.encode(x);
    const meanGap = () =>
      tf.tidy(() => {
        const fake = model.generateCodes(model.samplePrior(n, 1));
        return tf.norm(tf.sub(tf.mean(fake, 0), tf.mean(real, 0))).dataSync()[0];
      });
    const before = meanGap();
    for (let step = 40; step < 100; step++)
      tf.dispose(Object.values(model.trainStep({ x, step, epoch: 2 }, optimizers)));
    expect(meanGap()).toBeLessThan(0.5 * before);
    tf.dispose([x, real]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  }, 120_000);
});

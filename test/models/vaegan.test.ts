// The vaegan family: one step moves all three networks, the feature-matching loss against a hand computation on a
// fixed discriminator, config errors, and learning on real MNIST. Build, leaks and save/load: contract.test.ts.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import type { BuildContext, TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { LEAK } from '../../src/models/shared/gan-networks.js';
import { featureMatchingLoss, type VaeGanModel } from '../../src/models/vaegan/model.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import {
  blobs,
  expectClose,
  expectNoLeakedTensors,
  useBackend,
  withStaticServer,
  withTempDir,
} from '../helpers.js';
import { TINY_CONFIGS } from './tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const context: BuildContext = { sampleShape: [8, 8, 1], seed: 3 };

const kinds = TINY_CONFIGS.vaegan;

function build(raw: unknown, ctx: BuildContext = context): VaeGanModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, ctx) as VaeGanModel;
}

/** The optimisers the trainer makes for `model`: its per-network learning rates, beta1 0.5. */
function optimizers(model: TrainableModel): Record<string, tf.Optimizer> {
  return createOptimizers(model, TrainConfig.parse({}));
}

function disposeAll(opt: Record<string, tf.Optimizer>): void {
  for (const o of Object.values(opt)) o.dispose();
}

function snapshot(network: tfl.LayersModel): number[][] {
  return network.getWeights().map((w) => Array.from(w.dataSync()));
}

function changed(before: number[][], network: tfl.LayersModel): boolean {
  return snapshot(network).some((w, i) => w.some((v, j) => v !== before[i][j]));
}

function read(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

function scalars(record: Record<string, tf.Tensor>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, read(v)[0]]));
}

const KEYS = ['discriminator', 'feature', 'generator', 'kl', 'loss', 'mse'];

// Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, its three networks, its
// losses, the feature model over a loaded discriminator, and what a stock tfjs user gets from the saved networks.
describe.each(kinds)('$name', ({ config }) => {
  it('has an encoder, a decoder and a discriminator, each with its optimiser; outputs pixels in [0, 1]', () => {
    const model = build(config);
    expect(Object.keys(model.networks)).toEqual(['encoder', 'decoder', 'discriminator']);
    expect(model.optimizerNames).toEqual(['encoder', 'decoder', 'discriminator']);
    const x = blobs(5, 1);
    const recon = model.reconstruct(x);
    const prior = model.samplePrior(5, 7);
    const samples = model.generate(prior);
    for (const v of [...recon.dataSync(), ...samples.dataSync()]) expect(v >= 0 && v <= 1).toBe(true);
    const preview = model.preview(x)!;
    expect(preview.images.shape).toEqual([15, 8, 8, 1]);
    expect([preview.rows, preview.cols]).toEqual([3, 5]);
    tf.dispose([x, recon, prior, samples, preview.images]);
    model.dispose();
  });

  it('one step changes the weights of all three networks and reports its losses', () => {
    const model = build(config);
    const x = blobs(6, 2);
    const opt = optimizers(model);
    const before = Object.fromEntries(Object.entries(model.networks).map(([k, n]) => [k, snapshot(n)]));
    const record = scalars(model.trainStep({ x, step: 0, epoch: 1 }, opt));
    expect(Object.keys(record).sort()).toEqual(KEYS);
    for (const v of Object.values(record)) expect(Number.isFinite(v)).toBe(true);
    for (const [name, network] of Object.entries(model.networks))
      expect(changed(before[name], network), name).toBe(true);
    tf.dispose(x);
    disposeAll(opt);
    model.dispose();
  });

  it('evaluates the same losses it trains; feature distances leak nothing', () => {
    const model = build(config);
    const x = blobs(8, 3);
    const evaluated = model.evaluate({ x, step: 0 });
    expect(Object.keys(evaluated).sort()).toEqual(KEYS);
    tf.dispose(Object.values(evaluated));
    expectNoLeakedTensors(() => model.featureDistance(x, x).dispose());
    tf.dispose(x);
    model.dispose();
  });

  it('a loaded model rebuilds its feature model over the loaded discriminator; stock tfjs reads encoder and decoder', async () => {
    await withTempDir(async (dir) => {
      const model = build(config);
      const x = blobs(4, 4);
      const opt = optimizers(model);
      for (let step = 0; step < 3; step++) tf.dispose(Object.values(model.trainStep({ x, step }, opt)));
      const z = model.samplePrior(4, 11);
      const expectedCodes = model.encode(x);
      const expectedSamples = model.generate(z);
      const recon = model.reconstruct(x);
      const expectedDistance = model.featureDistance(x, recon);
      await saveModel(model, join(dir, 'model'));
      const loaded = (await loadModel(join(dir, 'model'))).model as VaeGanModel;
      // The feature model is rebuilt over the loaded discriminator.
      expectClose(read(loaded.featureDistance(x, recon)), expectedDistance.dataSync(), 1e-5);

      // No latentlab code on this path: plain HTTP and tfl.loadLayersModel, as a browser would.
      await withStaticServer(join(dir, 'model'), async (base) => {
        const encoder = await tfl.loadLayersModel(`${base}/encoder/model.json`);
        const decoder = await tfl.loadLayersModel(`${base}/decoder/model.json`);
        const [codes, logVar] = encoder.predict(x) as tf.Tensor[];
        expectClose(codes.dataSync(), expectedCodes.dataSync(), 1e-6);
        expectClose(read(decoder.predict(z) as tf.Tensor), expectedSamples.dataSync(), 1e-6);
        tf.dispose([codes, logVar]);
        encoder.dispose();
        decoder.dispose();
      });
      tf.dispose([x, z, expectedCodes, expectedSamples, recon, expectedDistance]);
      disposeAll(opt);
      model.dispose();
      loaded.dispose();
    });
  });
});

describe('VAE-GAN numerics', () => {
  it('feature matching is ½ · mean over samples of Σ (f(a) - f(b))² on a fixed discriminator', () => {
    // Discriminator 2x2 image → dense 3 (leaky ReLU) → dense 2 (leaky ReLU) → logit, weights set by hand.
    const model = build(
      { kind: 'vaegan', latent: 2, hidden: [4], discriminatorHidden: [3, 2] },
      {
        sampleShape: [2, 2, 1],
        seed: 1,
      },
    );
    const w1 = [
      [0.5, -1, 0.2],
      [1, 0.3, -0.4],
      [-0.6, 0.8, 1],
      [0.1, -0.2, 0.7],
    ];
    const b1 = [0.1, -0.2, 0];
    const w2 = [
      [1, -0.5],
      [-0.7, 0.4],
      [0.3, 0.9],
    ];
    const b2 = [-0.1, 0.2];
    const d = model.networks.discriminator;
    const set = (name: string, kernel: number[][], bias: number[]) => {
      const values = [tf.tensor2d(kernel), tf.tensor1d(bias)];
      d.getLayer(name).setWeights(values);
      tf.dispose(values);
    };
    set('discriminator_dense_1', w1, b1);
    set('discriminator_dense_2', w2, b2);
    const a = [
      [0.2, 0.9, 0.4, 0.1],
      [1, 0, 0.5, 0.5],
      [0.3, 0.3, 0.8, 0.6],
    ];
    const b = [
      [0.7, 0.1, 0.2, 0.9],
      [0, 0.4, 0.6, 1],
      [0.5, 0.2, 0.1, 0.3],
    ];
    const leaky = (v: number) => (v > 0 ? v : LEAK * v);
    const layer = (input: number[], kernel: number[][], bias: number[]) =>
      bias.map((bj, j) => leaky(bj + input.reduce((s, xi, i) => s + xi * kernel[i][j], 0)));
    const features = (x: number[]) => layer(layer(x, w1, b1), w2, b2);
    const distance = (f: (x: number[]) => number[]) =>
      a.reduce((s, ai, i) => {
        const fa = f(ai);
        const fb = f(b[i]);
        return s + 0.5 * fa.reduce((t, v, j) => t + (v - fb[j]) ** 2, 0);
      }, 0) / a.length;
    const ta = tf.tensor4d(a.flat(), [3, 2, 2, 1]);
    const tb = tf.tensor4d(b.flat(), [3, 2, 2, 1]);
    expectClose(read(model.featureDistance(ta, tb)), [distance(features)], 1e-5);
    // The bare loss on given features.
    const fa = tf.tensor2d(a.map(features));
    const fb = tf.tensor2d(b.map(features));
    expectClose(read(featureMatchingLoss(fa, fb)), [distance(features)], 1e-5);
    tf.dispose([fa, fb]);
    model.dispose();

    // featureLayer 1 compares the first hidden layer's activations instead.
    const first = build(
      { kind: 'vaegan', latent: 2, hidden: [4], discriminatorHidden: [3, 2], featureLayer: 1 },
      { sampleShape: [2, 2, 1], seed: 1 },
    );
    const values = [tf.tensor2d(w1), tf.tensor1d(b1)];
    first.networks.discriminator.getLayer('discriminator_dense_1').setWeights(values);
    tf.dispose(values);
    expectClose(read(first.featureDistance(ta, tb)), [distance((x) => layer(x, w1, b1))], 1e-5);
    tf.dispose([ta, tb]);
    first.dispose();
  });

  it('the loss is the encoder objective beta · KL + feature + pixelWeight · ½ Σ (x - x̃)², also during warm-up', () => {
    const model = build({
      kind: 'vaegan',
      latent: 3,
      hidden: [16],
      discriminatorHidden: [8],
      beta: 2,
      klWarmupEpochs: 4,
      pixelWeight: 3,
    });
    const x = blobs(8, 5);
    const opt = optimizers(model);
    // ½ Σ over the 64 pixels of one image is 32 times its mean squared error.
    const objective = (r: Record<string, number>) => 2 * r.kl + r.feature + 3 * 32 * r.mse;
    const step = scalars(model.trainStep({ x, step: 0, epoch: 1 }, opt));
    expect(step.loss).toBeCloseTo(objective(step), 3);
    const evaluated = scalars(model.evaluate({ x, step: 0 }));
    expect(evaluated.loss).toBeCloseTo(objective(evaluated), 3);
    tf.dispose(x);
    disposeAll(opt);
    model.dispose();
  });
});

describe('VAE-GAN config', () => {
  it('has documented defaults: dense, latent 32, feature layer the last hidden one, three learning rates', () => {
    expect(parseModelConfig({ kind: 'vaegan' }).config).toEqual({
      kind: 'vaegan',
      architecture: 'dense',
      latent: 32,
      hidden: [512, 256],
      discriminatorHidden: [256],
      filters: [64, 128],
      kernelSize: 4,
      outputActivation: 'auto',
      adversarialLoss: 'non-saturating',
      beta: 1,
      klWarmupEpochs: 0,
      featureWeight: 1,
      pixelWeight: 1,
      adversarialWeight: 2,
      spectralNorm: false,
      featureLayer: 1,
      encoderLearningRate: 1e-3,
      decoderLearningRate: 1e-3,
      discriminatorLearningRate: 1e-3,
    });
    expect(parseModelConfig({ kind: 'vaegan', discriminatorHidden: [64, 32] }).config).toMatchObject({
      featureLayer: 2,
    });
    expect(
      parseModelConfig({ kind: 'vaegan', architecture: 'conv', filters: [8, 16, 32] }).config,
    ).toMatchObject({ featureLayer: 3 });
    const model = build({ kind: 'vaegan', latent: 2, hidden: [8], decoderLearningRate: 2e-3 });
    const opt = optimizers(model);
    const settings = (o: tf.Optimizer) => o as unknown as { learningRate: number; beta1: number };
    expect(settings(opt.decoder).learningRate).toBe(2e-3);
    expect(settings(opt.encoder).learningRate).toBe(1e-3);
    for (const name of model.optimizerNames) expect(settings(opt[name]).beta1).toBe(0.5);
    disposeAll(opt);
    model.dispose();
  });

  it('bad values name the field', () => {
    expect(() => parseModelConfig({ kind: 'vaegan', beta: -1 })).toThrow(/model\.beta/);
    expect(() => parseModelConfig({ kind: 'vaegan', adversarialLoss: 'wgan-gp' })).toThrow(
      /model\.adversarialLoss.*wgan-gp gradient penalty/,
    );
    expect(() => parseModelConfig({ kind: 'vaegan', discriminatorHidden: [8, 8], featureLayer: 3 })).toThrow(
      /model\.featureLayer.*2 hidden layers/,
    );
    expect(() => parseModelConfig({ kind: 'vaegan', discriminatorHidden: [] })).toThrow(
      /model\.discriminatorHidden/,
    );
    expect(() => parseModelConfig({ kind: 'vaegan', featureWeight: 'high' })).toThrow(/model\.featureWeight/);
    expect(() => parseModelConfig({ kind: 'vaegan', generatorLearningRate: 1e-3 })).toThrow(
      /no option "generatorLearningRate"/,
    );
    expect(() => build({ kind: 'vaegan', architecture: 'conv' }, { sampleShape: [5], seed: 0 })).toThrow(
      /model\.architecture/,
    );
    expect(() =>
      build(
        { kind: 'vaegan', architecture: 'conv', filters: [4, 4, 4] },
        { sampleShape: [12, 12, 1], seed: 0 },
      ),
    ).toThrow(/divisible by 8/);
  });
});

describe('VAE-GAN on MNIST', () => {
  it('learns: reconstruction error and loss fall over 60 steps on 1,024 digits', async () => {
    const { train, validation } = await loadData({ source: 'mnist' });
    const data = head(train, 1024);
    const held = head(validation, 256);
    const model = build(
      { kind: 'vaegan', latent: 8, hidden: [128], pixelWeight: 1 },
      {
        sampleShape: [...data.sampleShape],
        seed: 1,
      },
    );
    const opt = optimizers(model);
    const heldX = tf.tensor(held.x, [held.size, ...held.sampleShape]);
    const before = scalars(model.evaluate({ x: heldX, step: 0 }));
    const batchSize = 64;
    for (let step = 0; step < 60; step++) {
      const start = (step * batchSize) % data.size;
      const x = tf.tensor(data.x.subarray(start * 784, (start + batchSize) * 784), [batchSize, 28, 28, 1]);
      tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, opt)));
      x.dispose();
    }
    const after = scalars(model.evaluate({ x: heldX, step: 0 }));
    expect(after.mse).toBeLessThan(before.mse * 0.7);
    expect(after.loss).toBeLessThan(before.loss);
    heldX.dispose();
    disposeAll(opt);
    model.dispose();
  });
});

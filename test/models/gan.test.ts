import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sampleToy, TOY_MIXTURES } from '../../src/data/sources/toy2d.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { meanDistanceToModes } from '../../src/eval/toy2d.js';
import { saveModel } from '../../src/io/model-files.js';
import type { BuildContext, TrainableModel } from '../../src/models/family.js';
import {
  bceFromLogits,
  discriminatorLoss,
  emaDecayAt,
  type GanModel,
  generatorLoss,
  gradientPenalty,
  instanceNoiseAt,
  r1Penalty,
  wassersteinEstimate,
} from '../../src/models/gan/model.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, useBackend, withStaticServer, withTempDir } from '../helpers.js';
import { TINY_CONFIGS } from './tiny-configs.js';

beforeAll(async () => {
  await useBackend('wasm');
});

function read(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

const softplus = (v: number) => Math.log1p(Math.exp(v));
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const bceHand = (logits: number[], target: number) =>
  mean(
    logits.map(
      (l) =>
        -(target * Math.log(1 / (1 + Math.exp(-l))) + (1 - target) * Math.log(1 - 1 / (1 + Math.exp(-l)))),
    ),
  );

describe('GAN losses', () => {
  const realValues = [2, -0.5, 0.3];
  const fakeValues = [-1.5, 0.8, 0.1];
  const real = () => tf.tensor2d(realValues, [3, 1]);
  const fake = () => tf.tensor2d(fakeValues, [3, 1]);

  it('BCE from logits matches -t log σ(l) - (1 - t) log(1 - σ(l)), also for huge logits', () => {
    expectClose(read(bceFromLogits(real(), 0.9)), [bceHand(realValues, 0.9)], 1e-6);
    const huge = tf.tensor1d([200, -200]);
    expectClose(read(bceFromLogits(huge, 1)), [100], 1e-6);
    huge.dispose();
  });

  it('minimax and non-saturating: discriminator BCE(real, 1 - s) + BCE(fake, 0); their generator losses', () => {
    const d = bceHand(realValues, 0.9) + bceHand(fakeValues, 0);
    for (const loss of ['minimax', 'non-saturating'] as const)
      expectClose(read(discriminatorLoss(loss, real(), fake(), { labelSmoothing: 0.1 })), [d], 1e-6);
    expectClose(read(generatorLoss('minimax', fake())), [mean(fakeValues.map((f) => -softplus(f)))], 1e-6);
    expectClose(
      read(generatorLoss('non-saturating', fake())),
      [mean(fakeValues.map((f) => softplus(-f)))],
      1e-6,
    );
  });

  it('lsgan: ½ mean((real - 1)²) + ½ mean(fake²) and ½ mean((fake - 1)²)', () => {
    const d = 0.5 * mean(realValues.map((r) => (r - 1) ** 2)) + 0.5 * mean(fakeValues.map((f) => f * f));
    expectClose(read(discriminatorLoss('lsgan', real(), fake())), [d], 1e-6);
    const smoothed =
      0.5 * mean(realValues.map((r) => (r - 0.8) ** 2)) + 0.5 * mean(fakeValues.map((f) => f * f));
    expectClose(read(discriminatorLoss('lsgan', real(), fake(), { labelSmoothing: 0.2 })), [smoothed], 1e-6);
    expectClose(
      read(generatorLoss('lsgan', fake())),
      [0.5 * mean(fakeValues.map((f) => (f - 1) ** 2))],
      1e-6,
    );
  });

  it('hinge: mean(relu(1 - real)) + mean(relu(1 + fake)) and -mean(fake)', () => {
    const d =
      mean(realValues.map((r) => Math.max(0, 1 - r))) + mean(fakeValues.map((f) => Math.max(0, 1 + f)));
    expectClose(read(discriminatorLoss('hinge', real(), fake())), [d], 1e-6);
    expectClose(read(generatorLoss('hinge', fake())), [-mean(fakeValues)], 1e-6);
  });

  it('wgan critic: mean(fake) - mean(real), generator -mean(fake), Wasserstein estimate mean(real) - mean(fake)', () => {
    const w = mean(realValues) - mean(fakeValues);
    expectClose(read(discriminatorLoss('wgan-gp', real(), fake())), [-w], 1e-6);
    expectClose(read(generatorLoss('wgan-gp', fake())), [-mean(fakeValues)], 1e-6);
    expectClose(read(wassersteinEstimate(real(), fake())), [w], 1e-6);
  });

  it('R1 of a quadratic discriminator ½ Σ x² is gamma/2 · mean |x|², with gradient to its scale', () => {
    const realX = tf.tensor2d([1, 2, -1, 0.5, 3, 0], [3, 2]);
    const squaredNorms = [1 + 4, 1 + 0.25, 9];
    const d = (x: tf.Tensor) => tf.mul(0.5, tf.sum(tf.square(x), 1));
    expectClose(read(r1Penalty(d, realX, 4)), [(4 / 2) * mean(squaredNorms)], 1e-5);
    // D = c · ½ Σ x²: ∇ = c x, R1 = gamma/2 · c² · mean |x|², whose derivative in c is gamma · c · mean |x|².
    const c = tf.variable(tf.scalar(1.5));
    const { value, grads } = tf.variableGrads(() => r1Penalty((x) => tf.mul(c, d(x)), realX, 2), [c]);
    expectClose(read(value), [1.5 ** 2 * mean(squaredNorms)], 1e-5);
    expectClose(read(grads[c.name]), [2 * 1.5 * mean(squaredNorms)], 1e-4);
    tf.dispose([realX, c]);
  });

  it('refuses r1 together with wgan-gp, naming the field', () => {
    expect(() => parseModelConfig({ kind: 'gan', adversarialLoss: 'wgan-gp', r1: 1 })).toThrow(/r1/);
  });

  it('gradient penalty of a linear critic w·x is lambda (|w| - 1)² wherever it is evaluated', () => {
    const w = tf.tensor2d([0.6, -1.2, 2], [3, 1]); // |w| = sqrt(0.36 + 1.44 + 4)
    const norm = Math.sqrt(0.36 + 1.44 + 4);
    const critic = (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    const realX = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
    const fakeX = tf.randomNormal([5, 3], 0, 1, 'float32', 2);
    expectClose(read(gradientPenalty(critic, realX, fakeX, { seed: 3 })), [10 * (norm - 1) ** 2], 1e-5);
    expectClose(
      read(gradientPenalty(critic, realX, fakeX, { lambda: 2, seed: 4 })),
      [2 * (norm - 1) ** 2],
      1e-5,
    );
    // Inside variableGrads the penalty's gradient with respect to w is 2·lambda·(|w| - 1)·w/|w|.
    const v = tf.variable(tf.tensor2d([0.6, -1.2, 2], [3, 1]));
    const { value, grads } = tf.variableGrads(
      () => gradientPenalty((x) => tf.matMul(x as tf.Tensor2D, v as tf.Tensor2D), realX, fakeX, { seed: 5 }),
      [v],
    );
    const expected = [0.6, -1.2, 2].map((c) => (2 * 10 * (norm - 1) * c) / norm);
    expectClose(read(grads[v.name]), expected, 1e-4);
    tf.dispose([w, realX, fakeX, v, value]);
  });

  it('anneals instance noise linearly to 0 over instanceNoiseEpochs', () => {
    const config = { instanceNoise: 0.4, instanceNoiseEpochs: 4 };
    expect([1, 2, 3, 5, 9].map((e) => instanceNoiseAt(config, e))).toEqual([
      0.4, 0.30000000000000004, 0.2, 0, 0,
    ]);
    expect(instanceNoiseAt({ instanceNoise: 0.3, instanceNoiseEpochs: 0 }, 7)).toBe(0.3);
  });
});

const imageContext: BuildContext = { sampleShape: [8, 8, 1], seed: 3, numClasses: 3 };
const pointContext: BuildContext = { sampleShape: [2], seed: 3, numClasses: 3 };
const small = { latent: 4, generatorHidden: [16], discriminatorHidden: [16] };
const smallConv = { latent: 4, generatorFilters: [8, 4], discriminatorFilters: [4, 8] };

const kinds = TINY_CONFIGS.gan;

function build(raw: unknown, context: BuildContext): GanModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context) as GanModel;
}

function data(context: BuildContext, n: number, seed: number): tf.Tensor {
  return tf.randomUniform([n, ...context.sampleShape], 0, 1, 'float32', seed);
}

function labelsFor(n: number): tf.Tensor {
  return tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => i % 3),
    'int32',
  );
}

/** The optimisers the trainer would make for `model` (its per-network settings over the run's defaults). */
function optimizers(model?: TrainableModel) {
  if (model) return createOptimizers(model, TrainConfig.parse({}));
  return { generator: tf.train.adam(1e-3, 0.5), discriminator: tf.train.adam(1e-3, 0.5) };
}

function snapshot(network: tfl.LayersModel): number[][] {
  return network.getWeights().map((w) => Array.from(w.dataSync()));
}

/** The EMA update by hand: decay · ema + (1 - decay) · generator, weight by weight. */
function averaged(ema: number[][], generator: number[][], decay: number): number[][] {
  return ema.map((w, i) => w.map((v, j) => decay * v + (1 - decay) * generator[i][j]));
}

function changed(before: number[][], network: tfl.LayersModel): boolean {
  const after = snapshot(network);
  return after.some((w, i) => w.some((v, j) => v !== before[i][j]));
}

// Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, what the options change
// in the networks, the step and the saved generator.
describe.each(kinds)('$name', ({ config, context }) => {
  it('builds the networks its options ask for: AC-GAN heads, an EMA copy, image outputs in [0, 1]', () => {
    const model = build(config, context);
    const labels = labelsFor(5);
    const z = model.samplePrior(5, 1);
    const samples = model.generate(z, labels);
    if (context.sampleShape.length === 3) {
      for (const v of samples.dataSync()) expect(v >= 0 && v <= 1).toBe(true);
    }
    const scores = model.discriminatorScores(samples, labels);
    expect(scores.shape).toEqual([5]);
    const outputs = model.networks.discriminator.outputs.map((o) => o.shape);
    expect(outputs).toEqual(
      model.config.acgan
        ? [
            [null, 1],
            [null, 3],
          ]
        : [[null, 1]],
    );
    expect(Object.keys(model.networks)).toEqual(
      model.config.ema > 0 ? ['generator', 'discriminator', 'generatorEma'] : ['generator', 'discriminator'],
    );
    const preview = model.preview();
    if (context.sampleShape.length === 3) {
      expect(preview?.rows).toBe(model.conditional ? 3 : 4);
      expect(preview?.images.shape).toEqual([preview!.rows * 8, 8, 8, 1]);
    } else {
      expect(preview).toBeUndefined();
    }
    tf.dispose([labels, z, samples, scores, preview?.images]);
    model.dispose();
  });

  it('trains both networks and reports its losses, finite', () => {
    const model = build(config, context);
    const x = data(context, 6, 2);
    const labels = labelsFor(6);
    const opt = optimizers();
    const g0 = snapshot(model.networks.generator);
    const d0 = snapshot(model.networks.discriminator);
    tf.dispose(Object.values(model.trainStep({ x, labels, step: 0, epoch: 1 }, opt)));
    expect(changed(g0, model.networks.generator)).toBe(true);
    expect(changed(d0, model.networks.discriminator)).toBe(true);
    const record = model.trainStep({ x, labels, step: 1, epoch: 1 }, opt);
    const keys = ['loss', 'generator', 'discriminator'];
    if (model.config.adversarialLoss === 'wgan-gp') keys.push('gradientPenalty', 'wasserstein');
    if (model.config.acgan) keys.push('classification');
    expect(Object.keys(record).sort()).toEqual(keys.sort());
    for (const value of Object.values(record)) expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    tf.dispose(Object.values(record));
    const evaluated = model.evaluate({ x, labels, step: 0 });
    expect(Object.keys(evaluated).sort()).toEqual(keys.sort());
    tf.dispose(Object.values(evaluated));
    tf.dispose([x, labels]);
    for (const o of Object.values(opt)) o.dispose();
    model.dispose();
  });

  it('the saved generator (its EMA copy when there is one), read by stock tfjs, generates as the model does', async () => {
    await withTempDir(async (dir) => {
      const model = build(config, context);
      const x = data(context, 4, 4);
      const labels = labelsFor(4);
      const opt = optimizers();
      for (let step = 0; step < 3; step++)
        tf.dispose(Object.values(model.trainStep({ x, labels, step }, opt)));
      const z = model.samplePrior(4, 11);
      const expected = model.generate(z, labels);
      await saveModel(model, join(dir, 'model'));
      // No latentlab code on this path: plain HTTP and tfl.loadLayersModel, as a browser would.
      await withStaticServer(join(dir, 'model'), async (base) => {
        const name = model.config.ema > 0 ? 'generatorEma' : 'generator';
        const generator = await tfl.loadLayersModel(`${base}/${name}/model.json`);
        const oneHot = tf.cast(tf.oneHot(labels, 3), 'float32');
        const out = generator.predict(model.conditional ? [z, oneHot] : z) as tf.Tensor;
        expectClose(out.dataSync(), expected.dataSync(), 1e-6);
        tf.dispose([oneHot, out]);
        generator.dispose();
      });
      tf.dispose([x, labels, z, expected]);
      for (const o of Object.values(opt)) o.dispose();
      model.dispose();
    });
  });
});

describe('GAN training schedule', () => {
  it('runs discriminatorSteps discriminator updates per generator update (default 5 for wgan-gp)', () => {
    const model = build({ kind: 'gan', ...small, discriminatorSteps: 2 }, pointContext);
    expect(
      build({ kind: 'gan', ...small, adversarialLoss: 'wgan-gp' }, pointContext).discriminatorSteps,
    ).toBe(5);
    expect(model.discriminatorSteps).toBe(2);
    const opt = optimizers();
    const d = vi.spyOn(opt.discriminator, 'applyGradients');
    const g = vi.spyOn(opt.generator, 'applyGradients');
    const x = data(pointContext, 6, 1);
    for (let step = 0; step < 3; step++) tf.dispose(Object.values(model.trainStep({ x, step }, opt)));
    expect(d).toHaveBeenCalledTimes(6);
    expect(g).toHaveBeenCalledTimes(3);
    // Each network's own learning rate (and beta1 0.5) replaces the run's Adam settings.
    const rates = build(
      { kind: 'gan', ...small, generatorLearningRate: 1e-3, discriminatorLearningRate: 4e-3 },
      pointContext,
    );
    const own = optimizers(rates) as Record<string, tf.Optimizer>;
    const read = (o: tf.Optimizer) => o as unknown as { learningRate: number; beta1: number };
    expect([read(own.generator).learningRate, read(own.generator).beta1]).toEqual([1e-3, 0.5]);
    expect([read(own.discriminator).learningRate, read(own.discriminator).beta1]).toEqual([4e-3, 0.5]);
    for (const o of Object.values(own)) o.dispose();
    tf.dispose(x);
    for (const o of Object.values(opt)) o.dispose();
    model.dispose();
    rates.dispose();
  });

  it('gives the EMA copy of a batch-norm generator its own batch-norm statistics, not averaged ones', () => {
    const model = build({ kind: 'gan', architecture: 'conv', ...smallConv, ema: 0.9 }, imageContext);
    const ema = model.networks.generatorEma!;
    const stats = (net: tfl.LayersModel) =>
      net.weights.map((w, i) => [w.originalName, i] as const).filter(([name]) => /moving_/.test(name));
    expect(stats(ema).length).toBeGreaterThan(0);
    const opt = optimizers();
    const x = data(imageContext, 6, 1);
    tf.dispose(Object.values(model.trainStep({ x, step: 50 }, opt)));
    const before = snapshot(ema);
    tf.dispose(Object.values(model.trainStep({ x, step: 51 }, opt)));
    const generator = snapshot(model.networks.generator);
    const after = snapshot(ema);
    const expected = averaged(before, generator, emaDecayAt(0.9, 51));
    for (const [name, i] of stats(ema)) {
      const gap = Math.max(...after[i].map((v, j) => Math.abs(v - expected[i][j])));
      expect(gap, name).toBeGreaterThan(1e-6);
      expect(after[i], name).not.toEqual(before[i]);
    }
    tf.dispose(x);
    for (const o of Object.values(opt)) o.dispose();
    model.dispose();
  });

  it('a conditional discriminator scores the pairing of image and label, not the label alone', () => {
    for (const architecture of ['dense', 'conv'] as const) {
      const config = {
        kind: 'gan',
        architecture,
        conditional: true,
        generatorFilters: [8, 4],
        discriminatorFilters: [4, 8],
      };
      const model = build(config, imageContext);
      const x = data(imageContext, 2, 9);
      const score = (labels: number[]) => read(model.discriminatorScores(x, tf.tensor1d(labels, 'int32')));
      const [a0, b0] = score([0, 0]);
      const [a1, b1] = score([1, 1]);
      // With a label that only added a constant per class, both images would shift by the same amount.
      expect(Math.abs(a1 - a0 - (b1 - b0)), architecture).toBeGreaterThan(1e-4);
      x.dispose();
      model.dispose();
    }
  });

  it('moves the EMA generator by ema ← decay · ema + (1 - decay) · generator after each step', () => {
    // The decay warms up as (1 + step) / (10 + step) before reaching the configured one.
    expect([0, 1, 20, 10_000].map((step) => emaDecayAt(0.999, step))).toEqual([0.1, 2 / 11, 21 / 30, 0.999]);
    expect(emaDecayAt(0.75, 40)).toBe(0.75);
    const model = build({ kind: 'gan', ...small, ema: 0.75 }, pointContext);
    const ema = model.networks.generatorEma!;
    expect(snapshot(ema)).toEqual(snapshot(model.networks.generator));
    const opt = optimizers();
    const x = data(pointContext, 6, 1);
    tf.dispose(Object.values(model.trainStep({ x, step: 29 }, opt)));
    const before = snapshot(ema);
    tf.dispose(Object.values(model.trainStep({ x, step: 30 }, opt)));
    const generator = snapshot(model.networks.generator);
    const expected = averaged(before, generator, 0.75);
    snapshot(ema).forEach((w, i) => {
      expectClose(w, expected[i], 1e-6);
    });
    // At step 0 the decay is 0.1: the EMA copy jumps most of the way to the generator.
    const fresh = build({ kind: 'gan', ...small, ema: 0.999 }, pointContext);
    const start = snapshot(fresh.networks.generatorEma!);
    const opt2 = optimizers();
    tf.dispose(Object.values(fresh.trainStep({ x, step: 0 }, opt2)));
    const moved = snapshot(fresh.networks.generator);
    const jumped = averaged(start, moved, 0.1);
    snapshot(fresh.networks.generatorEma!).forEach((w, i) => {
      expectClose(w, jumped[i], 1e-6);
    });
    for (const o of Object.values(opt2)) o.dispose();
    fresh.dispose();
    expect(changed(before, ema)).toBe(true);
    tf.dispose(x);
    for (const o of Object.values(opt)) o.dispose();
    model.dispose();
  });

  // A full mode-coverage check needs thousands of steps; this asserts the weaker but real progress of samples
  // moving from the origin towards the modes (mean distance to the nearest mode, 1.6 → about 0.9).
  it('learns ring8: samples move from the origin towards the ring', () => {
    const ring = TOY_MIXTURES.ring8;
    const model = build(
      {
        kind: 'gan',
        latent: 8,
        generatorHidden: [64, 64],
        discriminatorHidden: [64, 64],
        generatorLearningRate: 2e-3,
        discriminatorLearningRate: 2e-3,
      },
      { sampleShape: [2], seed: 1 },
    );
    const distance = () => {
      const points = model.generate(model.samplePrior(500, 99));
      const d = meanDistanceToModes(points.dataSync(), ring);
      points.dispose();
      return d;
    };
    const initial = distance();
    const { x } = sampleToy('ring8', 64 * 400, 1);
    const opt = optimizers(model);
    const started = performance.now();
    for (let step = 0; step < 400; step++) {
      const batch = tf.tensor2d(x.subarray(step * 128, (step + 1) * 128), [64, 2]);
      tf.dispose(Object.values(model.trainStep({ x: batch, step }, opt)));
      batch.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const final = distance();
    expect(initial).toBeGreaterThan(1);
    expect(final).toBeLessThan(initial * 0.7);
    expect(seconds).toBeLessThan(60);
    for (const o of Object.values(opt)) o.dispose();
    model.dispose();
  });
});

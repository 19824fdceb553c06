import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, tfl } from '../../src/engine/tf.js';
import { saveModel } from '../../src/io/model-files.js';
import type { BuildContext } from '../../src/models/family.js';
import { getFamily, parseModelConfig } from '../../src/models/registry.js';
import {
  bernoulliNll,
  gaussianKl,
  gaussianNll,
  klObjective,
  klWeight,
  type VaeModel,
} from '../../src/models/vae/model.js';
import {
  blobs,
  expectClose,
  expectNoLeakedTensors,
  useBackend,
  withStaticServer,
  withTempDir,
} from '../helpers.js';
import { tinyImageCases } from './tiny-configs.js';

const context: BuildContext = { sampleShape: [8, 8, 1], seed: 3, numClasses: 3 };
const LOG_2PI = Math.log(2 * Math.PI);

// The contract suite's tiny VAEs on images (its table-row case has no preview to check here).
const kinds = tinyImageCases('vae', 'conv-vae', 'cvae');

function build(raw: unknown, ctx: BuildContext = context): VaeModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, ctx) as VaeModel;
}

/** Labels 0, 1, 2, 0, ... as the trainer hands them over: int32 [n]. */
function labelsFor(n: number, offset = 0): tf.Tensor {
  return tf.tensor1d(
    Int32Array.from({ length: n }, (_, i) => (i + offset) % 3),
    'int32',
  );
}

function train(model: VaeModel, x: tf.Tensor, labels: tf.Tensor, steps: number, lr = 0.01): void {
  const optimizer = tf.train.adam(lr);
  for (let step = 0; step < steps; step++)
    tf.dispose(Object.values(model.trainStep({ x, labels, step }, { vae: optimizer })));
  optimizer.dispose();
}

function read(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

function scalars(record: Record<string, tf.Tensor>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, read(v)[0]]));
}

/** Mean and log-variance straight from the encoder network. */
function encoderOutputs(model: VaeModel, x: tf.Tensor, labels: tf.Tensor): [number[][], number[][]] {
  const input = model.conditional ? [x, tf.cast(tf.oneHot(labels, 3), 'float32')] : x;
  const [mean, logVar] = model.networks.encoder.predict(input) as tf.Tensor[];
  const rows = (t: tf.Tensor) => {
    const out = t.arraySync() as number[][];
    t.dispose();
    return out;
  };
  if (Array.isArray(input)) input[1].dispose();
  return [rows(mean), rows(logVar)];
}

function klHand(mean: number[], logVar: number[]): number[] {
  return mean.map((m, d) => 0.5 * (m * m + Math.exp(logVar[d]) - 1 - logVar[d]));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  await useBackend('wasm');
});

// Build, learning, leaks and save/load are the contract suite's (contract.test.ts); here, what only a VAE has: its
// outputs' ranges, its preview's layout, and what a stock tfjs user gets from its saved networks.
describe.each(kinds)('$name', ({ config }) => {
  it('samples probabilities under a Bernoulli likelihood; previews 3 rows of 5 (data, reconstruction, sample)', () => {
    const model = build(config);
    const x = blobs(5, 1);
    const labels = labelsFor(5);
    const prior = model.samplePrior(5, 7);
    expect(prior.shape).toEqual([5, model.latentSize]);
    const samples = model.generate(prior, labels);
    if (model.config.likelihood === 'bernoulli') {
      for (const p of samples.dataSync()) expect(p >= 0 && p <= 1).toBe(true);
    }
    const preview = model.preview(x, labels)!;
    expect(preview.images.shape).toEqual([15, 8, 8, 1]);
    expect([preview.rows, preview.cols]).toEqual([3, 5]);
    tf.dispose([x, labels, prior, samples, preview.images]);
    model.dispose();
  });

  it('saved networks, read by stock tfjs: the encoder gives mean and log-variance, the decoder logits or a mean (and log sigma)', async () => {
    await withTempDir(async (dir) => {
      const model = build(config);
      const x = blobs(4, 4);
      const labels = labelsFor(4);
      // A few steps move every weight off its initial value, a learned sigma included.
      train(model, x, labels, 5);
      const expected = model.reconstruct(x, labels);
      const expectedCodes = model.encode(x, labels);
      await saveModel(model, join(dir, 'model'));
      // No latentlab code on this path: plain HTTP and tfl.loadLayersModel, as a browser would.
      await withStaticServer(join(dir, 'model'), async (base) => {
        const encoder = await tfl.loadLayersModel(`${base}/encoder/model.json`);
        const decoder = await tfl.loadLayersModel(`${base}/decoder/model.json`);
        const oneHot = tf.cast(tf.oneHot(labels, 3), 'float32');
        const [codes, logVar] = encoder.predict(model.conditional ? [x, oneHot] : x) as tf.Tensor[];
        const out = decoder.predict(model.conditional ? [codes, oneHot] : codes);
        const [mean, logSigma] = Array.isArray(out) ? out : [out];
        // Bernoulli decoders output logits; decode() applies the sigmoid.
        const data = model.config.likelihood === 'bernoulli' ? tf.sigmoid(mean) : mean.clone();
        expectClose(codes.dataSync(), expectedCodes.dataSync(), 1e-6);
        expectClose(data.dataSync(), expected.dataSync(), 1e-6);
        for (const v of logVar.dataSync()) expect(Math.abs(v)).toBeLessThanOrEqual(10);
        if (model.config.likelihood === 'gaussian' && typeof model.config.sigma === 'string') {
          const perPixel = model.config.sigma === 'learned-per-pixel';
          expect(logSigma.shape).toEqual(perPixel ? [4, 8, 8, 1] : [4, 1, 1, 1]);
        }
        tf.dispose([oneHot, codes, logVar, mean, logSigma, data]);
        encoder.dispose();
        decoder.dispose();
      });
      tf.dispose([x, labels, expected, expectedCodes]);
      model.dispose();
    });
  });
});

describe('VAE numerics against hand computations', () => {
  it('KL of N(mu, e^logvar) from N(0, 1) matches the closed form', () => {
    const mean = [
      [0, 1.5, -2],
      [0.3, 0, 4],
    ];
    const logVar = [
      [0, -3, 1],
      [2, -9.5, 0.5],
    ];
    const kl = gaussianKl(tf.tensor(mean), tf.tensor(logVar));
    expectClose(kl.dataSync(), [...klHand(mean[0], logVar[0]), ...klHand(mean[1], logVar[1])], 1e-6);
    kl.dispose();
  });

  it('Bernoulli NLL from logits matches a direct computation, also for saturated logits', () => {
    const x = [0, 1, 0.3, 1, 0, 0.5];
    const logits = [-2, 3, 0.4, -60, 60, 0];
    const nll = bernoulliNll(tf.tensor(x, [2, 3]), tf.tensor(logits, [2, 3]), 1);
    const hand = x.map((xi, i) => {
      const l = logits[i];
      // log sigmoid(l) and log(1 - sigmoid(l)), written out without cancellation.
      const logP = -Math.log1p(Math.exp(-l));
      const logQ = -Math.log1p(Math.exp(l));
      return -(xi * logP + (1 - xi) * logQ);
    });
    expectClose(nll.dataSync(), [sum(hand.slice(0, 3)), sum(hand.slice(3))], 1e-5);
    nll.dispose();
  });

  it('Gaussian NLL with a fixed sigma includes the normalising constant', () => {
    const x = [0.2, 0.9, 0.5, 0];
    const mean = [0.1, 0.5, 0.5, 0.3];
    const sigma = 0.2;
    const nll = gaussianNll(tf.tensor(x, [1, 2, 2]), tf.tensor(mean, [1, 2, 2]), Math.log(sigma), 2);
    const hand = sum(
      x.map((xi, i) => 0.5 * LOG_2PI + Math.log(sigma) + (xi - mean[i]) ** 2 / (2 * sigma ** 2)),
    );
    expect(nll.dataSync()[0]).toBeCloseTo(hand, 4);
    nll.dispose();
  });

  it.each([
    { likelihood: 'bernoulli', extra: {} },
    { likelihood: 'gaussian', extra: { sigma: 0.3, outputActivation: 'linear' } },
  ])(
    'negativeElbo of a $likelihood model equals -log p(x|z) + KL worked out from the networks',
    ({ likelihood, extra }) => {
      const model = build({ kind: 'vae', hidden: [12], latent: 3, likelihood, ...extra });
      const x = blobs(3, 5);
      const labels = labelsFor(3);
      const [mean, logVar] = encoderOutputs(model, x, labels);
      const eps = tf.randomNormal([3, 3], 0, 1, 'float32', 42).arraySync() as number[][];
      const z = mean.map((m, i) => m.map((mu, d) => mu + Math.exp(logVar[i][d] / 2) * eps[i][d]));
      const out = read(model.networks.decoder.predict(tf.tensor(z)) as tf.Tensor);
      const xs = x.dataSync();
      const hand = z.map((_, i) => {
        let nll = 0;
        for (let j = 0; j < 64; j++) {
          const target = xs[i * 64 + j];
          const o = out[i * 64 + j];
          nll +=
            likelihood === 'bernoulli'
              ? -(target * -Math.log1p(Math.exp(-o)) + (1 - target) * -Math.log1p(Math.exp(o)))
              : 0.5 * LOG_2PI + Math.log(0.3) + (target - o) ** 2 / (2 * 0.3 ** 2);
        }
        return nll + sum(klHand(mean[i], logVar[i]));
      });
      expectClose(read(model.negativeElbo(x, labels, 42)), hand, 1e-4);
      tf.dispose([x, labels]);
      model.dispose();
    },
  );

  it('free bits: KL per dimension below the floor counts at the floor', () => {
    const kl = tf.tensor([
      [0.01, 2, 0.3],
      [0.03, 1, 0.5],
    ]);
    // Batch means 0.02, 1.5, 0.4 → floored at 0.25: 0.25 + 1.5 + 0.4.
    expect(read(klObjective(kl, 0.25))[0]).toBeCloseTo(2.15, 6);
    expect(read(klObjective(kl, 0))[0]).toBeCloseTo(1.92, 6);
    kl.dispose();

    const model = build({ kind: 'vae', hidden: [12], latent: 4, freeBits: 0.5, beta: 2 });
    const x = blobs(6, 6);
    const labels = labelsFor(6);
    const [mean, logVar] = encoderOutputs(model, x, labels);
    const perDim = [0, 1, 2, 3].map((d) => sum(mean.map((m, i) => klHand(m, logVar[i])[d])) / 6);
    expect(Math.min(...perDim)).toBeLessThan(0.5); // some dimension is under the floor
    const losses = scalars(model.evaluate({ x, labels, step: 0 }));
    expect(losses.kl).toBeCloseTo(sum(perDim), 4);
    expect(losses.loss - losses.reconstruction).toBeCloseTo(2 * sum(perDim.map((v) => Math.max(0.5, v))), 3);
    expect(losses.negElbo).toBeCloseTo(losses.reconstruction + losses.kl, 4);
    tf.dispose([x, labels]);
    model.dispose();
  });

  it('KL warm-up: the weight ramps from 0 to beta over klWarmupEpochs; evaluation uses the full weight', () => {
    const config = { beta: 2, klWarmupEpochs: 4 };
    expect([1, 2, 3, 4, 5, 6].map((e) => klWeight(config, e))).toEqual([0, 0.5, 1, 1.5, 2, 2]);
    expect(klWeight(config)).toBe(2);
    expect(klWeight({ beta: 0.5, klWarmupEpochs: 0 }, 1)).toBe(0.5);

    const model = build({ kind: 'vae', hidden: [12], latent: 3, beta: 2, klWarmupEpochs: 4 });
    const x = blobs(8, 7);
    const labels = labelsFor(8);
    const optimizer = tf.train.adam(1e-3);
    for (const epoch of [1, 2, 3, 4, 5]) {
      const step = scalars(model.trainStep({ x, labels, step: epoch, epoch }, { vae: optimizer }));
      // The returned losses are the ones the step differentiated (weights before the update).
      expect(step.loss).toBeCloseTo(step.reconstruction + klWeight(config, epoch) * step.kl, 3);
    }
    const evaluation = scalars(model.evaluate({ x, labels, step: 0, epoch: 1 }));
    expect(evaluation.loss).toBeCloseTo(evaluation.reconstruction + 2 * evaluation.kl, 3);
    tf.dispose([x, labels]);
    optimizer.dispose();
    model.dispose();
  });

  it('log-variance is clamped: extreme encoder outputs give a finite loss and finite gradients', () => {
    const model = build({ kind: 'vae', hidden: [12], latent: 3 });
    const x = blobs(6, 8);
    const labels = labelsFor(6);
    const layer = model.networks.encoder.getLayer('encoder_log_variance_dense');
    for (const sign of [1, -1]) {
      const [kernel, bias] = layer.getWeights();
      const extreme = [tf.fill(kernel.shape, sign * 1e4), tf.fill(bias.shape, sign * 1e4)];
      layer.setWeights(extreme);
      tf.dispose(extreme);
      const [, logVar] = encoderOutputs(model, x, labels);
      for (const v of logVar.flat()) expect(Math.abs(v)).toBeLessThanOrEqual(10);
      const losses = scalars(model.evaluate({ x, labels, step: 0 }));
      for (const v of Object.values(losses)) expect(Number.isFinite(v)).toBe(true);
      train(model, x, labels, 2, 1e-3);
      for (const w of model.trainableVariables())
        for (const v of w.dataSync()) expect(Number.isFinite(v)).toBe(true);
      for (const v of read(model.importanceWeightedBound(x, labels, 4, 1)))
        expect(Number.isFinite(v)).toBe(true);
    }
    tf.dispose([x, labels]);
    model.dispose();
  });

  describe('importance-weighted bound', () => {
    let model: VaeModel;
    let x: tf.Tensor;
    let labels: tf.Tensor;

    beforeAll(() => {
      model = build({ kind: 'vae', hidden: [32], latent: 3 });
      x = blobs(16, 9);
      labels = labelsFor(16);
      train(model, x, labels, 300);
    });

    it('with k = 1 is the single-sample bound with the same eps (Monte Carlo KL instead of closed form)', () => {
      const seed = 17;
      const [mean, logVar] = encoderOutputs(model, x, labels);
      const eps = tf.randomNormal([16, 3], 0, 1, 'float32', seed).arraySync() as number[][];
      const nelbo = read(model.negativeElbo(x, labels, seed));
      const iwae = read(model.importanceWeightedBound(x, labels, 1, seed));
      // -log w = -log p(x|z) + log q(z|x) - log p(z); -ELBO swaps the last two for the closed-form KL.
      const hand = nelbo.map((v, i) => {
        const z = mean[i].map((mu, d) => mu + Math.exp(logVar[i][d] / 2) * eps[i][d]);
        const logQ = sum(eps[i].map((e, d) => -0.5 * (e * e + logVar[i][d] + LOG_2PI)));
        const logP = sum(z.map((zd) => -0.5 * (zd * zd + LOG_2PI)));
        return v - sum(klHand(mean[i], logVar[i])) + logQ - logP;
      });
      expectClose(iwae, hand, 1e-4);

      // And the same in expectation: averaged over many seeds the two agree.
      let nelboMean = 0;
      let iwaeMean = 0;
      const draws = 300;
      for (let s = 0; s < draws; s++) {
        nelboMean += sum(read(model.negativeElbo(x, labels, 1000 + s))) / (16 * draws);
        iwaeMean += sum(read(model.importanceWeightedBound(x, labels, 1, 5000 + s))) / (16 * draws);
      }
      expect(Math.abs(iwaeMean - nelboMean)).toBeLessThan(0.02 * Math.abs(nelboMean) + 0.2);
    });

    it('does not depend on how k is split into passes, and leaks nothing either way', () => {
      let whole: number[] = [];
      let split: number[] = [];
      expectNoLeakedTensors(() => {
        whole = read(model.importanceWeightedBound(x, labels, 10, 3));
        split = read(model.importanceWeightedBound(x, labels, 10, 3, { samplesPerPass: 3 }));
      });
      expectClose(split, whole, 1e-5);
    });

    it('with k = 50 is at most the negative ELBO averaged over samples', () => {
      let nelbo = 0;
      for (let s = 0; s < 50; s++) nelbo += sum(read(model.negativeElbo(x, labels, 200 + s))) / (16 * 50);
      const iwae = sum(read(model.importanceWeightedBound(x, labels, 50, 7))) / 16;
      expect(iwae).toBeLessThanOrEqual(nelbo);
      // A bound on -log p(x) still, not far below the ELBO for a 3-d latent.
      expect(iwae).toBeGreaterThan(nelbo - 0.2 * Math.abs(nelbo) - 5);
    });
  });

  it('conditional: the same z with different labels decodes differently', () => {
    for (const config of [
      { kind: 'cvae', hidden: [16], latent: 3 },
      { kind: 'conv-vae', filters: [4], latent: 3, conditional: true },
    ]) {
      const model = build(config);
      const x = blobs(12, 10);
      train(model, x, labelsFor(12), 20);
      const z = model.samplePrior(3, 4);
      const a = model.decode(z, labelsFor(3, 0));
      const b = model.decode(z, labelsFor(3, 1));
      const gap = read(tf.max(tf.abs(tf.sub(a, b))))[0];
      expect(gap).toBeGreaterThan(1e-3);
      tf.dispose([x, z, a, b]);
      model.dispose();
    }
  });

  it('conditional: labels are required, with a clear error', () => {
    const model = build({ kind: 'cvae', hidden: [8], latent: 2 });
    const x = blobs(4, 11);
    const optimizer = tf.train.adam(0.01);
    expectNoLeakedTensors(() => {
      expect(() => model.encode(x)).toThrow(/cvae is conditional: encode needs class labels/);
      expect(() => model.negativeElbo(x, undefined, 1)).toThrow(/needs class labels/);
      expect(() => model.trainStep({ x, step: 0 }, { vae: optimizer })).toThrow(/needs class labels/);
    });
    optimizer.dispose();
    tf.dispose(x);
    model.dispose();

    const unlabelled = { sampleShape: [8, 8, 1], seed: 0 };
    expect(() => build({ kind: 'cvae' }, unlabelled)).toThrow(/model\.kind: cvae is conditional/);
    expect(() => build({ kind: 'vae', conditional: true }, unlabelled)).toThrow(/model\.kind/);
  });

  it('configs: documented defaults, and bad values name the field', () => {
    const vae = parseModelConfig({ kind: 'vae' }).config as Record<string, unknown>;
    expect(vae).toMatchObject({
      latent: 32,
      hidden: [512, 256],
      likelihood: 'bernoulli',
      beta: 1,
      klWarmupEpochs: 0,
      freeBits: 0,
      conditional: false,
    });
    expect(parseModelConfig({ kind: 'conv-vae' }).config).toMatchObject({ filters: [32, 64], latent: 32 });
    expect(parseModelConfig({ kind: 'cvae' }).config).toMatchObject({ conditional: true });
    expect(() => parseModelConfig({ kind: 'cvae', conditional: false })).toThrow(/model\.conditional/);
    expect(() => parseModelConfig({ kind: 'vae', beta: -1 })).toThrow(/model\.beta/);
    expect(() => parseModelConfig({ kind: 'vae', sigma: 0 })).toThrow(/model\.sigma/);
    expect(() => parseModelConfig({ kind: 'vae', outputActivation: 'linear' })).toThrow(
      /model\.outputActivation/,
    );
    expect(() =>
      getFamily('conv-vae').build({ kind: 'conv-vae', filters: [4, 8, 16], latent: 2 } as never, {
        sampleShape: [10, 10, 1],
        seed: 0,
      }),
    ).toThrow(/divisible by 8/);
  });
});

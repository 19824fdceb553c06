// InfoGAN's own numerics and capabilities: the information terms and the mutual-information bound against a hand
// computation, the generator input's layout, encode's layout, the loss parts of a step, the category grid.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import {
  type CodeLayout,
  type InfoGanModel,
  informationLoss,
  mutualInformationBound,
} from '../../src/models/infogan/model.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { blobs, expectClose, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const context = { sampleShape: [8, 8, 1], seed: 3 };

function build(options: Record<string, unknown> = {}): InfoGanModel {
  const { family, config } = parseModelConfig({
    kind: 'infogan',
    noiseSize: 3,
    categorical: [3],
    continuous: 2,
    generatorHidden: [16],
    discriminatorHidden: [16],
    ...options,
  });
  return family.build(config, context) as InfoGanModel;
}

const logSoftmax = (row: number[]) => {
  const max = Math.max(...row);
  const log = Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - log);
};

describe('infogan information terms', () => {
  // Two samples; one categorical code of 3, two continuous codes.
  const codes = [
    [0, 1, 0, 0.5, -0.25],
    [1, 0, 0, -1, 0.75],
  ];
  const logits = [
    [0.2, 1.5, -0.3],
    [-1, 0.4, 2],
  ];
  const means = [
    [0.1, 0.2],
    [-0.6, 0.5],
  ];
  const logStds = [
    [0.3, -0.2],
    [0, -0.5],
  ];
  const categoricalHand = (-logSoftmax(logits[0])[1] - logSoftmax(logits[1])[0]) / 2;
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);

  it('fixed std: cross-entropy of the categories and a unit-variance Gaussian NLL of the codes', () => {
    const layout: CodeLayout = { noise: 0, categorical: [3], continuous: 2, learnedStd: false };
    const q = tf.tensor2d(logits.map((row, i) => [...row, ...means[i]]));
    const c = tf.tensor2d(codes);
    const terms = informationLoss(q, c, layout);
    const continuousHand =
      codes
        .map((row, i) => [0, 1].reduce((s, j) => s + halfLog2Pi + 0.5 * (row[3 + j] - means[i][j]) ** 2, 0))
        .reduce((a, b) => a + b, 0) / 2;
    expectClose([terms.categorical.dataSync()[0]], [categoricalHand], 1e-5);
    expectClose([terms.continuous.dataSync()[0]], [continuousHand], 1e-5);
    // The bound: H(c) = log 3 + 2 log 2 nats, minus both terms.
    const bound = mutualInformationBound(layout, terms);
    expectClose(
      [bound.dataSync()[0]],
      [Math.log(3) + 2 * Math.log(2) - categoricalHand - continuousHand],
      1e-5,
    );
    tf.dispose([q, c, terms.categorical, terms.continuous, bound]);
  });

  it('learned std: the Gaussian NLL with each code’s log-std', () => {
    const layout: CodeLayout = { noise: 0, categorical: [3], continuous: 2, learnedStd: true };
    const q = tf.tensor2d(logits.map((row, i) => [...row, ...means[i], ...logStds[i]]));
    const c = tf.tensor2d(codes);
    const terms = informationLoss(q, c, layout);
    const continuousHand =
      codes
        .map((row, i) =>
          [0, 1].reduce((s, j) => {
            const std = Math.exp(logStds[i][j]);
            return s + halfLog2Pi + logStds[i][j] + 0.5 * ((row[3 + j] - means[i][j]) / std) ** 2;
          }, 0),
        )
        .reduce((a, b) => a + b, 0) / 2;
    expectClose([terms.categorical.dataSync()[0]], [categoricalHand], 1e-5);
    expectClose([terms.continuous.dataSync()[0]], [continuousHand], 1e-5);
    tf.dispose([q, c, terms.categorical, terms.continuous]);
  });

  it('sums the cross-entropies of several categorical codes', () => {
    const layout: CodeLayout = { noise: 0, categorical: [2, 3], continuous: 0, learnedStd: false };
    const q = tf.tensor2d([[0.5, -0.5, ...logits[0]]]);
    const c = tf.tensor2d([[0, 1, 0, 0, 1]]);
    const terms = informationLoss(q, c, layout);
    const hand = -logSoftmax([0.5, -0.5])[1] - logSoftmax(logits[0])[2];
    expectClose([terms.categorical.dataSync()[0]], [hand], 1e-5);
    expect(terms.continuous.dataSync()[0]).toBe(0);
    tf.dispose([q, c, terms.categorical, terms.continuous]);
  });
});

describe('infogan', () => {
  it('refuses a model without codes', () => {
    expect(() => parseModelConfig({ kind: 'infogan', categorical: [], continuous: 0 })).toThrow(
      /needs at least one code/,
    );
  });

  it('draws generator inputs as noise, one-hot categories and uniform codes, the same for the same seed', () => {
    const model = build();
    expect(model.latentSize).toBe(3 + 3 + 2);
    expect(model.codeColumns()).toEqual({ start: 3, end: 8 });
    const z = model.samplePrior(64, 11);
    const again = model.samplePrior(64, 11);
    expect(z.shape).toEqual([64, 8]);
    expect(Array.from(again.dataSync())).toEqual(Array.from(z.dataSync()));
    const rows = z.arraySync() as number[][];
    for (const row of rows) {
      const category = row.slice(3, 6);
      expect(category.filter((v) => v === 1)).toHaveLength(1);
      expect(category.filter((v) => v === 0)).toHaveLength(2);
      for (const v of row.slice(6)) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    }
    // Each category is drawn (64 draws of 3 categories).
    expect(new Set(rows.map((row) => row.slice(3, 6).indexOf(1))).size).toBe(3);
    tf.dispose([z, again]);
    model.dispose();
  });

  it("encodes to the latent layout: zero noise, Q's category probabilities, its continuous means", () => {
    const model = build();
    const x = blobs(5, 2);
    const codes = model.encode(x);
    expect(codes.shape).toEqual([5, 8]);
    for (const row of codes.arraySync() as number[][]) {
      expect(row.slice(0, 3)).toEqual([0, 0, 0]);
      expect(row.slice(3, 6).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    const samples = model.decode(codes);
    expect(samples.shape).toEqual([5, 8, 8, 1]);
    tf.dispose([x, codes, samples]);
    model.dispose();
  });

  it('a step reports its parts; the bound is H(c) minus the information terms', () => {
    const model = build({ adversarialLoss: 'wgan-gp', discriminatorSteps: 2, continuousStd: 'learned' });
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const x = blobs(8, 1);
    const record = model.trainStep({ x, step: 0 }, optimizers);
    expect(Object.keys(record).sort()).toEqual(
      [
        'discriminator',
        'generator',
        'infoCategorical',
        'infoContinuous',
        'loss',
        'mutualInformation',
        'wasserstein',
      ].sort(),
    );
    const value = (name: string) => record[name].dataSync()[0];
    expectClose(
      [value('mutualInformation')],
      [Math.log(3) + 2 * Math.log(2) - value('infoCategorical') - value('infoContinuous')],
      1e-4,
    );
    expect(value('loss')).toBe(value('generator'));
    tf.dispose([x, ...Object.values(record)]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('lowers the information terms as Q learns to read the codes back (seeded, 30 steps)', () => {
    const model = build({ lambdaContinuous: 1 });
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const x = blobs(32, 4);
    const info = () => {
      const record = model.evaluate({ x, step: 0 });
      const v = record.infoCategorical.dataSync()[0] + record.infoContinuous.dataSync()[0];
      tf.dispose(Object.values(record));
      return v;
    };
    const before = info();
    for (let step = 0; step < 30; step++) tf.dispose(Object.values(model.trainStep({ x, step }, optimizers)));
    expect(info()).toBeLessThan(before - 0.1);
    x.dispose();
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('lays out a category grid: one row per category, the same noise and codes down each column', () => {
    const model = build({ categorical: [2, 3] });
    const { z, rows } = model.categoryGrid(1, 4, 5);
    expect(rows).toBe(3);
    const grid = z.arraySync() as number[][];
    expect(grid).toHaveLength(12);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        const row = grid[r * 4 + c];
        expect(row.slice(5, 8)).toEqual([0, 1, 2].map((k) => (k === r ? 1 : 0)));
        // Everything but the swept code matches the first row's entry of the column.
        const first = grid[c];
        expect([...row.slice(0, 5), ...row.slice(8)]).toEqual([...first.slice(0, 5), ...first.slice(8)]);
      }
    }
    expect(() => model.categoryGrid(2, 4, 5)).toThrow(/categorical code 2 does not exist/);
    z.dispose();
    model.dispose();
  });
});

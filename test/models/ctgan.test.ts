// CTGAN: builds only for tables; training-by-sampling draws levels by log frequency and rows that hold them;
// a few hundred steps on a mixed table lower the conditional loss, samples are valid one-hot rows with both
// modes, and conditioning on a level gives that level.
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/dataset.js';
import { createRng } from '../../src/data/random.js';
import { tableSpans } from '../../src/data/table/encoding.js';
import { tf } from '../../src/engine/tf.js';
import {
  ConditionalSampler,
  CtganConfig,
  type CtganModel,
  ctganFamily,
  discreteColumns,
  samplingConditions,
} from '../../src/models/ctgan/model.js';
import { getFamily } from '../../src/models/registry.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectNoLeakedTensors, useBackend } from '../helpers.js';
import { ENCODING, mixedTable, tableContext, WIDTH } from './table-fixture.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = CtganConfig.parse({
  kind: 'ctgan',
  latent: 8,
  generatorHidden: [32, 32],
  discriminatorHidden: [32, 32],
  generatorLearningRate: 2e-3,
  discriminatorLearningRate: 2e-3,
});

describe('ctgan: the conditional vector and training-by-sampling', () => {
  const columns = discreteColumns(ENCODING, tableSpans(ENCODING));

  it("conditions on categorical columns only, not on a number's modes", () => {
    expect(columns.map((c) => [c.name, c.span.start, c.span.width, c.condStart])).toEqual([['c', 3, 3, 0]]);
  });

  it('draws levels by log(count + 1) and rows that hold them; missing cells are never drawn', () => {
    // c: 90 rows 'a', 8 'b', 2 'rare', and one row with c missing.
    const rows = 101;
    const x = new Float32Array(rows * WIDTH);
    const mask = new Float32Array(rows * WIDTH).fill(1);
    for (let r = 0; r < rows; r++) {
      const level = r < 90 ? 0 : r < 98 ? 1 : 2;
      if (r === 100) mask[r * WIDTH + 3] = mask[r * WIDTH + 4] = mask[r * WIDTH + 5] = 0;
      else x[r * WIDTH + 3 + level] = 1;
    }
    const sampler = new ConditionalSampler(columns, x, mask, WIDTH, true);
    const random = createRng(5);
    const n = 30_000;
    const conditions = sampler.trainingConditions(n, random);
    const seen = [0, 0, 0];
    for (const level of conditions.levels) seen[level]++;
    // Hand: log 91, log 9, log 3 (the missing row counts for no level), normalised.
    const weights = [Math.log(91), Math.log(9), Math.log(3)];
    const total = weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < 3; k++) expect(seen[k] / n).toBeCloseTo(weights[k] / total, 2);
    // One-hot at the level, and the chosen column flagged.
    expect(conditions.cond[3 * 0 + conditions.levels[0]]).toBe(1);
    expect(conditions.chosen[0]).toBe(1);
    const drawn = sampler.rowsFor(conditions, random);
    drawn.forEach((row, i) => {
      expect(row).not.toBe(100);
      expect(x[row * WIDTH + 3 + conditions.levels[i]]).toBe(1);
    });
    // Plain frequency without log.
    const plain = new ConditionalSampler(columns, x, mask, WIDTH, false).trainingConditions(n, createRng(6));
    expect(plain.levels.filter((l) => l === 0).length / n).toBeCloseTo(0.9, 2);
  });

  it("samples conditions at the encoding's level counts", () => {
    const encoding = {
      ...ENCODING,
      columns: [ENCODING.columns[0], { ...ENCODING.columns[1], counts: [6, 3, 1] }, ENCODING.columns[2]],
    };
    const sampler = new ConditionalSampler(columns, new Float32Array(0), undefined, WIDTH, false);
    const drawn = samplingConditions(columns, encoding as typeof ENCODING, 20_000, createRng(2), sampler);
    const share = (k: number) => drawn.levels.filter((l) => l === k).length / 20_000;
    expect(share(0)).toBeCloseTo(0.6, 1);
    expect(share(2)).toBeCloseTo(0.1, 1);
  });
});

describe('ctgan', () => {
  it('is registered, has SDV defaults, and refuses data without table encodings', () => {
    expect(getFamily('ctgan').kind).toBe('ctgan');
    expect(CtganConfig.parse({ kind: 'ctgan' })).toMatchObject({
      latent: 128,
      generatorHidden: [256, 256],
      discriminatorHidden: [256, 256],
      pac: 10,
      dropout: 0.5,
      gradientPenaltyWeight: 10,
      gumbelTau: 0.2,
      generatorLearningRate: 2e-4,
      discriminatorLearningRate: 2e-4,
      weightDecay: 1e-6,
    });
    expect(() => ctganFamily.build(tiny, { sampleShape: [7], seed: 1 })).toThrow(/--data csv:FILE/);
  });

  it('builds a residual generator over noise ++ cond and a packed critic', () => {
    const model = ctganFamily.build(tiny, tableContext(mixedTable(20))) as CtganModel;
    // Residual blocks concatenate: 32 + (8 + 3), then 32 + that, into the output layer.
    expect(model.networks.generator.inputs[0].shape).toEqual([null, 8 + 3]);
    expect(model.networks.generator.getLayer('generator_output').getWeights()[0].shape).toEqual([
      32 + 32 + 11,
      WIDTH,
    ]);
    expect(model.networks.discriminator.inputs[0].shape).toEqual([null, 10 * (WIDTH + 3)]);
    const scores = model.discriminatorScores(tf.zeros([20, WIDTH]), tf.zeros([20, 3]));
    expect(scores.shape).toEqual([2]);
    expect(() => model.discriminatorScores(tf.zeros([5, WIDTH]), tf.zeros([5, 3]))).toThrow(
      'judges 10 rows at once, got 5',
    );
    scores.dispose();
    model.dispose();
  });

  it('learns the conditional vector on a mixed table: its cross-entropy falls and a condition gives its level', () => {
    const table = mixedTable(1000, 7);
    const model = ctganFamily.build(tiny, tableContext(table, 4)) as CtganModel;
    model.prepare({ ...makeDataset('mixed', [WIDTH], table.x), mask: table.mask, table: table.encoding });
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const batch = { x: tf.zeros([100, WIDTH]), step: 0 };
    const conditional: number[] = [];
    const run = (step: number) => {
      const record = model.trainStep({ ...batch, step }, optimizers);
      conditional.push(record.conditional.dataSync()[0]);
      for (const v of Object.values(record)) expect(Number.isFinite(v.dataSync()[0])).toBe(true);
      tf.dispose(Object.values(record));
    };
    run(0);
    expectNoLeakedTensors(() => {
      for (let step = 1; step < 300; step++) run(step);
    }, 'tensors after training steps');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(conditional.slice(-50))).toBeLessThan(0.5 * mean(conditional.slice(0, 10)));

    // Unconditioned samples: valid rows (alpha in [-1, 1], one-hot groups), both of x's modes.
    const rows = model.sampleRows(1000, 3);
    const data = rows.dataSync();
    let mode1 = 0;
    for (let i = 0; i < 1000; i++) {
      const r = data.subarray(i * WIDTH, (i + 1) * WIDTH);
      expect(Math.abs(r[0])).toBeLessThanOrEqual(1);
      expect(r[1] + r[2]).toBe(1);
      expect(r[3] + r[4] + r[5]).toBe(1);
      mode1 += r[2];
    }
    expect(mode1 / 1000).toBeGreaterThan(0.2);
    expect(mode1 / 1000).toBeLessThan(0.8);
    // Conditioned on c = b: the rows say b (the generator's cross-entropy taught it).
    const asked = model.sampleRows(500, 4, { column: 'c', level: 'b' });
    const askedData = asked.dataSync();
    let hits = 0;
    for (let i = 0; i < 500; i++) hits += askedData[i * WIDTH + 4];
    expect(hits / 500).toBeGreaterThan(0.8);
    expect(() => model.sampleRows(5, 1, { column: 'c', level: 'nope' })).toThrow(
      '"c" has no level "nope": its levels are a, b, rare',
    );
    expect(() => model.sampleRows(5, 1, { column: 'x', level: 'a' })).toThrow(
      'no categorical column "x" to condition on: expected one of c',
    );
    tf.dispose([batch.x, rows, asked]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  }, 120_000);

  it('trains from its batch when the split was not prepared, gaps masked', () => {
    const table = mixedTable(60, 9);
    const model = ctganFamily.build(tiny, tableContext(table)) as CtganModel;
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const x = tf.tensor2d(table.x, [60, WIDTH]);
    const mask = tf.tensor2d(table.mask, [60, WIDTH]);
    const record = model.trainStep({ x, mask, step: 0 }, optimizers);
    expect(Object.keys(record).sort()).toEqual(
      ['conditional', 'discriminator', 'generator', 'gradientPenalty', 'loss', 'wasserstein'].sort(),
    );
    const evaluated = model.evaluate({ x, mask, step: 0 });
    for (const v of Object.values(evaluated)) expect(Number.isFinite(v.dataSync()[0])).toBe(true);
    tf.dispose([x, mask, ...Object.values(record), ...Object.values(evaluated)]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });
});

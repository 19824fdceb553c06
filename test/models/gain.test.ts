// GAIN on a correlated mixed table with gaps: its spans mapped to [0, 1] as the paper expects (by hand), its
// error on observed cells falls and its fills beat mean/mode, missing cells leave both players' losses and
// gradients unchanged, and a saved model with its encoding loads back filling the same values.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { meanModeImputer } from '../../src/eval/impute/mean-mode.js';
import { fillsGaps, modelImputer } from '../../src/eval/impute/model.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import { unitScaling } from '../../src/models/gain/model.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { tableLayout } from '../../src/models/shared/table-layout.js';
import { correlatedTable, encodingOf, imputationError } from '../eval/impute/fixtures.js';
import { expectClose, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

function build(table: ReturnType<typeof correlatedTable>, hidden = [32, 32]) {
  const { family, config } = parseModelConfig({ kind: 'gain', hidden });
  const model = family.build(config, { sampleShape: [table.width], seed: 3, table: table.rows.encoding });
  if (!fillsGaps(model)) throw new Error('gain should fill gaps');
  return model;
}

function batchOf(table: ReturnType<typeof correlatedTable>, x: Float32Array, rows: number, step: number) {
  return {
    x: tf.tensor2d(x.subarray(0, rows * table.width), [rows, table.width]),
    mask: tf.tensor2d(table.rows.mask.subarray(0, rows * table.width), [rows, table.width]),
    step,
  };
}

describe('gain', () => {
  it('maps value spans to [0, 1] through the column range, alphas from [-1, 1], one-hots as they are', () => {
    const encoding = encodingOf(
      [
        { name: 's', missing: 0, type: 'numeric', method: 'standard', offset: 1, scale: 2, min: -3, max: 5 },
        {
          name: 'm',
          missing: 0,
          type: 'numeric',
          method: 'mode',
          means: [0, 1],
          stds: [1, 1],
          weights: [1, 1],
          min: 0,
          max: 1,
        },
        { name: 'k', missing: 0, type: 'categorical', method: 'onehot', levels: ['a', 'b'], counts: [1, 1] },
      ],
      4,
    );
    const context = { sampleShape: [6], seed: 1, table: encoding };
    const { a, b } = unitScaling(context, tableLayout(context, 'gain'));
    // v = 2x + 1 in [-3, 5]: u = (v + 3) / 8 = x / 4 + 1 / 2. Then the alpha, its 2 modes, the category.
    expect(Array.from(a)).toEqual([0.25, 0.5, 1, 1, 1, 1]);
    expect(Array.from(b)).toEqual([0.5, 0.5, 0, 0, 0, 0]);
  });

  it('learns from rows with gaps: its error on observed cells falls, and its fills beat mean/mode', async () => {
    const table = correlatedTable(600, 0.2, 11);
    const model = build(table, [16, 16]);
    const optimizers = { generator: tf.train.adam(2e-3), discriminator: tf.train.adam(2e-3) };
    const mseOf = () => {
      const batch = batchOf(table, table.rows.x, 600, 0);
      const record = model.evaluate(batch);
      const mse = record.mse.dataSync()[0];
      tf.dispose([...Object.values(record), batch.x, batch.mask]);
      return mse;
    };
    const before = mseOf();
    for (let step = 0; step < 400; step++) {
      const start = (step * 64) % (600 - 64);
      const slice = (a: Float32Array) =>
        tf.tensor2d(a.subarray(start * table.width, (start + 64) * table.width), [64, table.width]);
      const batch = { x: slice(table.rows.x), mask: slice(table.rows.mask), step };
      tf.dispose(Object.values(model.trainStep(batch, optimizers)));
      tf.dispose([batch.x, batch.mask]);
    }
    expect(mseOf()).toBeLessThan(before * 0.5);
    const ours = imputationError(
      await modelImputer(model).impute(table.rows),
      table.truth,
      table.rows.mask,
      5,
    );
    const mean = imputationError(await meanModeImputer.impute(table.rows), table.truth, table.rows.mask, 5);
    expect(ours.rmse).toBeLessThan(0.7 * mean.rmse);
    expect(ours.accuracy).toBeGreaterThan(mean.accuracy + 0.1);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });

  it('missing cells never influence either player: losses and gradients as they were', () => {
    const table = correlatedTable(32, 0.3, 5);
    const model = build(table, [8]);
    const { x, mask } = table.rows;
    const garbage = Float32Array.from(x, (v, i) => (mask[i] > 0 ? v : 500 * (i % 5) - 7));
    const both = (values: Float32Array) =>
      tf.tidy(() => {
        const batch = batchOf(table, values, 32, 3);
        return (['loss', 'discriminator'] as const).map((term) => {
          const { value, grads } = tf.variableGrads(() => model.evaluate(batch)[term]);
          return [value.dataSync()[0], ...Object.values(grads).flatMap((g) => Array.from(g.dataSync()))];
        });
      });
    const clean = both(x);
    const dirty = both(garbage);
    expectClose(dirty[0], clean[0], 0);
    expectClose(dirty[1], clean[1], 0);
    model.dispose();
  });

  it('sizes its default widths (as wide as the row) before building: a row of 20,000 values is refused', () => {
    const { family, config } = parseModelConfig({ kind: 'gain' });
    expect(() => family.build(config, { sampleShape: [20_000], seed: 1 })).toThrow(
      /parameters; the limit is 100,000,000/,
    );
  });

  it('saves with its table encoding and loads back filling the same values', async () => {
    await withTempDir(async (dir) => {
      const table = correlatedTable(64, 0.2, 8);
      const model = build(table, [8]);
      const before = await modelImputer(model).impute(table.rows);
      await saveModel(model, join(dir, 'model'), { table: table.rows.encoding });
      const loaded = await loadModel(join(dir, 'model'));
      if (!fillsGaps(loaded.model)) throw new Error('loaded gain should fill gaps');
      expectClose(await modelImputer(loaded.model).impute(table.rows), before, 1e-6);
      loaded.model.dispose();
      model.dispose();
    });
  });
});

// table-ae and table-vae on a correlated mixed table with gaps: the loss falls and their fills beat mean/mode;
// missing cells never reach the loss (its gradients do not move when they change); embedded categories; a saved
// model with its table encoding loads back giving the same fills.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { meanModeImputer } from '../../src/eval/impute/mean-mode.js';
import { fillsGaps, modelImputer } from '../../src/eval/impute/model.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import type { TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { hideCells, tableLayout } from '../../src/models/shared/table-layout.js';
import { correlatedTable, imputationError } from '../eval/impute/fixtures.js';
import { expectClose, expectNoLeakedTensors, useBackend, withTempDir } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

function build(raw: Record<string, unknown>, table: ReturnType<typeof correlatedTable>): TrainableModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, { sampleShape: [table.width], seed: 3, table: table.rows.encoding });
}

/** `steps` Adam steps on batches of 64 rows (with their mask) cycling through the table. */
function train(model: TrainableModel, table: ReturnType<typeof correlatedTable>, steps: number) {
  const optimizers = Object.fromEntries(model.optimizerNames.map((name) => [name, tf.train.adam(3e-3)]));
  const { x, mask } = table.rows;
  const n = x.length / table.width;
  for (let step = 0; step < steps; step++) {
    const start = (step * 64) % (n - 64);
    const slice = (a: Float32Array) =>
      tf.tensor2d(a.subarray(start * table.width, (start + 64) * table.width), [64, table.width]);
    const batch = { x: slice(x), mask: slice(mask), step, epoch: 1 };
    tf.dispose(Object.values(model.trainStep(batch, optimizers)));
    tf.dispose([batch.x, batch.mask]);
  }
  for (const optimizer of Object.values(optimizers)) optimizer.dispose();
}

function evaluateLoss(model: TrainableModel, table: ReturnType<typeof correlatedTable>): number {
  const { x, mask } = table.rows;
  const batch = { x: tf.tensor2d(x, [x.length / table.width, table.width]), step: 0 };
  const withMask = { ...batch, mask: tf.tensor2d(mask, batch.x.shape as [number, number]) };
  const record = model.evaluate(withMask);
  const loss = record.loss.dataSync()[0];
  tf.dispose([...Object.values(record), batch.x, withMask.mask]);
  return loss;
}

describe.each([
  { kind: 'table-ae', embed: false },
  { kind: 'table-vae', embed: false },
  { kind: 'table-ae', embed: true },
])('$kind (embedded category: $embed)', ({ kind, embed }) => {
  it('learns from rows with gaps: the loss falls, and its fills beat mean/mode', async () => {
    const table = correlatedTable(600, 0.2, 11, embed);
    const model = build(
      { kind, hidden: [32], latent: 4, ...(kind === 'table-vae' ? { beta: 0.1 } : {}) },
      table,
    );
    const before = evaluateLoss(model, table);
    train(model, table, 300);
    expect(evaluateLoss(model, table)).toBeLessThan(before * 0.5);
    if (!fillsGaps(model)) throw new Error(`${kind} should fill gaps`);
    const filled = await modelImputer(model).impute(table.rows);
    const baseline = await meanModeImputer.impute(table.rows);
    const ours = imputationError(filled, table.truth, table.rows.mask, table.width);
    const mean = imputationError(baseline, table.truth, table.rows.mask, table.width);
    // The factor is shared by every column, so the observed ones predict a missing one far better than its mean.
    expect(ours.rmse).toBeLessThan(0.6 * mean.rmse);
    expect(ours.accuracy).toBeGreaterThan(mean.accuracy + 0.2);
    // Observed cells come back as they were.
    for (let i = 0; i < filled.length; i++)
      if (table.rows.mask[i] > 0) expect(filled[i]).toBe(table.rows.x[i]);
    model.dispose();
  });
});

describe('table-ae masking', () => {
  it('missing cells never influence the loss: changing x where mask = 0 leaves loss and gradients as they were', () => {
    const table = correlatedTable(32, 0.3, 5, true);
    const model = build({ kind: 'table-ae', hidden: [16], latent: 3 }, table);
    const { x, mask } = table.rows;
    const garbage = Float32Array.from(x, (v, i) => (mask[i] > 0 ? v : 1000 * (i % 7) - 3));
    const gradientsFor = (values: Float32Array) =>
      tf.tidy(() => {
        const batch = {
          x: tf.tensor2d(values, [32, table.width]),
          mask: tf.tensor2d(mask, [32, table.width]),
          step: 4,
        };
        const { value, grads } = tf.variableGrads(() => model.evaluate(batch).loss);
        return {
          value: value.dataSync()[0],
          grads: Object.values(grads).map((g) => Array.from(g.dataSync())),
        };
      });
    const clean = gradientsFor(x);
    const dirty = gradientsFor(garbage);
    expect(dirty.value).toBe(clean.value);
    dirty.grads.forEach((g, i) => {
      expectClose(g, clean.grads[i], 0);
    });
    model.dispose();
  });

  it('hides about hideRate of the observed cells, whole cells at once, never a missing one', () => {
    const table = correlatedTable(2000, 0.2, 1);
    const layout = tableLayout(
      { sampleShape: [table.width], seed: 1, table: table.rows.encoding },
      'table-ae',
    );
    const hidden = tf.tidy(() =>
      hideCells(layout, tf.tensor2d(table.rows.mask, [2000, table.width]), 0.3, 9).dataSync(),
    );
    let cells = 0;
    let hiddenCells = 0;
    for (let r = 0; r < 2000; r++) {
      const at = r * table.width;
      // The category's two positions go together.
      expect(hidden[at + 3]).toBe(hidden[at + 4]);
      for (const p of [0, 1, 2, 3]) {
        if (table.rows.mask[at + p] === 0) expect(hidden[at + p]).toBe(0);
        else {
          cells++;
          hiddenCells += hidden[at + p];
        }
      }
    }
    expect(hiddenCells / cells).toBeCloseTo(0.3, 1);
  });

  it('runs its steps, evaluation and fills without leaking tensors', () => {
    const table = correlatedTable(80, 0.2, 2, true);
    const model = build({ kind: 'table-vae', hidden: [8], latent: 2 }, table);
    train(model, table, 2);
    expectNoLeakedTensors(() => {
      train(model, table, 2);
      const x = tf.tensor2d(table.rows.x, [80, table.width]);
      const mask = tf.tensor2d(table.rows.mask, [80, table.width]);
      if (fillsGaps(model)) tf.dispose(model.reconstructMasked(x, mask));
      tf.dispose([x, mask]);
    });
    model.dispose();
  });

  it('fills in several rounds and batches; saves with its table encoding and loads back filling the same values', async () => {
    await withTempDir(async (dir) => {
      const table = correlatedTable(128, 0.2, 8, true);
      const model = build({ kind: 'table-ae', hidden: [8], latent: 2, embedding: 1 }, table);
      train(model, table, 5);
      if (!fillsGaps(model)) throw new Error('table-ae should fill gaps');
      const before = await modelImputer(model).impute(table.rows);
      // Later rounds refill the gaps from the previous fill; observed cells never change, categories stay one-hot.
      const again = await modelImputer(model, { rounds: 3, batchSize: 50 }).impute(table.rows);
      for (let i = 0; i < again.length; i++) {
        if (table.rows.mask[i] > 0) expect(again[i]).toBe(table.rows.x[i]);
        expect(Number.isFinite(again[i])).toBe(true);
      }
      for (let r = 0; r < 128; r++) expect(again[r * 5 + 3] + again[r * 5 + 4]).toBe(1);
      await saveModel(model, join(dir, 'model'), { table: table.rows.encoding });
      const loaded = await loadModel(join(dir, 'model'));
      expect(loaded.manifest.table).toEqual(table.rows.encoding);
      if (!fillsGaps(loaded.model)) throw new Error('loaded table-ae should fill gaps');
      expectClose(await modelImputer(loaded.model).impute(table.rows), before, 1e-6);
      // The embedded category is a network input of its own, through a bias-free dense layer of width 1.
      const embedding = loaded.model.networks.encoder.getLayer('encoder_embedding_3');
      expect(embedding.getWeights().map((w) => w.shape)).toEqual([[2, 1]]);
      loaded.model.dispose();
      model.dispose();
    });
  });
});

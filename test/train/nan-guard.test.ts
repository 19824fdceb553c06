// A NaN in the loss: the trainer rolls back to the last good checkpoint, lowers the learning rate, logs it,
// and gives up with a clear error after three tries.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { tf } from '../../src/engine/tf.js';
import type { Batch, LossRecord, TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { TrainConfig } from '../../src/train/config.js';
import { type RollbackEvent, trainLoop } from '../../src/train/trainer.js';
import { useBackend, withTempDir } from '../helpers.js';

/** A dense autoencoder whose step poisons its weights with NaN at the given global steps. */
function poisoned(nanSteps: (step: number) => boolean): TrainableModel {
  const { family, config } = parseModelConfig({ kind: 'dense-ae', hidden: [16], latent: 4 });
  const model = family.build(config, { sampleShape: [28, 28, 1], seed: 1 });
  const trainStep = model.trainStep.bind(model);
  model.trainStep = (batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord => {
    const losses = trainStep(batch, optimizers);
    if (nanSteps(batch.step)) {
      const w = model.networks.encoder.getWeights()[0];
      const bad = tf.fill(w.shape, Number.NaN);
      model.networks.encoder.layers[1].setWeights([bad, model.networks.encoder.getWeights()[1]]);
      bad.dispose();
      tf.dispose(Object.values(losses));
      return { loss: tf.scalar(Number.NaN) };
    }
    return losses;
  };
  return model;
}

let splits: Awaited<ReturnType<typeof loadData>>;
beforeAll(async () => {
  await useBackend('wasm');
  splits = await loadData({ source: 'mnist' }, { seed: 0 });
});

const train = TrainConfig.parse({ epochs: 3, batchSize: 64, limit: 640, previewCount: 0 });

describe('NaN guard', () => {
  it('rolls back to the last good epoch, halves the learning rate and finishes', async () => {
    await withTempDir(async (dir) => {
      let fired = false;
      // 10 steps per epoch: poison step 15 (epoch 2) once.
      const model = poisoned((step) => {
        if (step === 15 && !fired) {
          fired = true;
          return true;
        }
        return false;
      });
      const events: RollbackEvent[] = [];
      const result = await trainLoop({
        model,
        splits,
        train,
        seed: 0,
        runDir: join(dir, 'run'),
        callbacks: { onRollback: (e) => events.push(e) },
      });
      expect(events).toEqual([
        { epoch: 2, step: 20, resumedFromEpoch: 1, learningRateScale: 0.5, rollbacks: 1 },
      ]);
      expect(result.state.epoch).toBe(3);
      expect(result.state.history.map((r) => r.epoch)).toEqual([1, 2, 3]);
      expect(result.state.history[1].learningRate).toBeCloseTo(0.0005, 10);
      expect(result.state.history.every((r) => Number.isFinite(r.train.loss))).toBe(true);
      const checkpoint = await readCheckpoint(join(dir, 'run', 'checkpoint.lltf'));
      expect(checkpoint.state.learningRateScale).toBe(0.5);
      const weights = model.networks.encoder.getWeights()[0].dataSync();
      expect(weights.every(Number.isFinite)).toBe(true);
      model.dispose();
    });
  });

  it('gives up with a clear error after three rollbacks', async () => {
    await withTempDir(async (dir) => {
      const model = poisoned((step) => step % 10 === 3);
      const events: RollbackEvent[] = [];
      await expect(
        trainLoop({
          model,
          splits,
          train,
          seed: 0,
          runDir: join(dir, 'run'),
          callbacks: { onRollback: (e) => events.push(e) },
        }),
      ).rejects.toThrow(
        /train\.loss: training loss became NaN or Inf at step 10 \(epoch 1\) after 3 rollbacks with the learning rate lowered to 0\.000125; giving up/,
      );
      expect(events.map((e) => e.learningRateScale)).toEqual([0.5, 0.25, 0.125]);
      expect(events.every((e) => e.resumedFromEpoch === 0)).toBe(true);
      model.dispose();
    });
  });
});

// Time to quality on latentlab, one model in a fresh process: `trainLoop` (the path of `latentlab train`: shuffled
// epochs, a validation pass, metrics and a checkpoint after each) on Fashion-MNIST until the test MSE reaches the
// target or the epoch cap; prints one JSON line. The test MSE is measured after every epoch, outside the time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/load.js';
import { describeBackend, selectBackend } from '../src/engine/backend.js';
import { tf } from '../src/engine/tf.js';
import { isAutoencoder } from '../src/models/family.js';
import { parseModelConfig } from '../src/models/registry.js';
import { TrainConfig } from '../src/train/config.js';
import { trainLoop } from '../src/train/trainer.js';
import {
  QUALITY_BATCH,
  QUALITY_LEARNING_RATE,
  QUALITY_TARGETS,
  type QualityModel,
} from './quality-targets.js';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'dense-ae' } } });
const name = values.model as QualityModel;
if (!(name in QUALITY_TARGETS)) throw new Error(`unknown model ${name}`);
const { model: modelConfig, targetMse, maxEpochs } = QUALITY_TARGETS[name];

let result: Record<string, unknown>;
const backend = describeBackend(await selectBackend({}));
const runDir = mkdtempSync(join(tmpdir(), 'latentlab-quality-'));
try {
  const splits = await loadData({ source: 'fashion-mnist' }, { seed: 0 });
  const { test } = splits;
  const { family, config } = parseModelConfig(modelConfig);
  const model = family.build(config, { sampleShape: [28, 28, 1], seed: 0 });
  if (!isAutoencoder(model)) throw new Error(`${name} does not reconstruct`);
  /** Mean squared error per pixel of the test set's reconstructions. */
  const testMse = () => {
    let sum = 0;
    const rows = 1000;
    for (let from = 0; from < test.size; from += rows) {
      const n = Math.min(rows, test.size - from);
      sum += tf.tidy(() => {
        const x = tf.tensor4d(test.x.subarray(from * 784, (from + n) * 784), [n, 28, 28, 1]);
        return tf.sum(tf.squaredDifference(model.reconstruct(x), x)).dataSync()[0];
      });
    }
    return sum / (test.size * 784);
  };
  const train = TrainConfig.parse({
    epochs: maxEpochs,
    batchSize: QUALITY_BATCH,
    optimizer: { learningRate: QUALITY_LEARNING_RATE },
  });
  const stop = new AbortController();
  const epochs: { epoch: number; trainSeconds: number; testMse: number }[] = [];
  let evaluationMs = 0;
  let reachedAt: number | undefined;
  const started = performance.now();
  await trainLoop({
    model,
    splits,
    train,
    seed: 0,
    runDir,
    callbacks: {
      onEpochEnd(record) {
        const evaluated = performance.now();
        const mse = testMse();
        evaluationMs += performance.now() - evaluated;
        epochs.push({ epoch: record.epoch, trainSeconds: record.seconds, testMse: mse });
        if (mse <= targetMse && reachedAt === undefined) {
          reachedAt = (performance.now() - started - evaluationMs) / 1000;
          stop.abort();
        }
      },
    },
    signal: stop.signal,
  });
  const trainSeconds = epochs.reduce((s, e) => s + e.trainSeconds, 0);
  result = {
    ok: true,
    reached: reachedAt !== undefined,
    epochs: epochs.length,
    // Optimiser steps only (the loop's own per-epoch timing), comparable with the peer's.
    trainSeconds,
    // The whole loop up to the epoch that reached the target: training, validation passes, metrics, checkpoints.
    loopSeconds: reachedAt ?? (performance.now() - started - evaluationMs) / 1000,
    finalTestMse: epochs.at(-1)?.testMse,
    testMse: epochs.map((e) => e.testMse),
    trainSamples: splits.train.size,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  model.dispose();
} catch (error) {
  result = { ok: false, error: (error as Error).message.split('\n')[0] };
} finally {
  rmSync(runDir, { recursive: true, force: true });
}
process.stdout.write(
  `${JSON.stringify({ model: name, engine: 'latentlab', backend, targetMse, ...result })}\n`,
);

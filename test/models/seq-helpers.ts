// Shared pieces of the sequence-family tests (seq, seq-decoding, seq-transformer): building a family from a raw
// config, a toy corpus a small model learns in a few hundred steps, plain training steps and evaluated figures.
import { tf } from '../../src/engine/tf.js';
import type { BuildContext, TrainableModel } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';

/** A model of the kind `raw` names, built through the registry (its schema fills the defaults). */
export function build(raw: Record<string, unknown>, context: BuildContext): TrainableModel {
  const { family, config } = parseModelConfig(raw);
  return family.build(config, context);
}

/**
 * 64 rows over a vocabulary of 10 (real tokens 4 .. 9): a run of 2 to 6 tokens counting up (cyclically) from a
 * start token, then <eos>, then pads to 8.
 */
export function toyCorpus(): tf.Tensor {
  const length = 8;
  const ids = new Float32Array(64 * length);
  for (let row = 0; row < 64; row++) {
    const start = row % 6;
    const tokens = 2 + (Math.floor(row / 6) % 5);
    for (let t = 0; t < tokens; t++) ids[row * length + t] = 4 + ((start + t) % 6);
    ids[row * length + tokens] = 3;
  }
  return tf.tensor2d(ids, [64, length]);
}

/** `steps` Adam steps on the one batch x. */
export function train(model: TrainableModel, x: tf.Tensor, steps: number, learningRate: number): void {
  const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate } }));
  for (let step = 0; step < steps; step++)
    tf.dispose(Object.values(model.trainStep({ x, step, epoch: 1 }, optimizers)));
  for (const o of Object.values(optimizers)) o.dispose();
}

/** The model's evaluate() of x as plain numbers. */
export function evaluated(model: TrainableModel, x: tf.Tensor): Record<string, number> {
  const record = model.evaluate({ x, step: 0 });
  const out = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, v.dataSync()[0]]));
  tf.dispose(Object.values(record));
  return out;
}

// The epoch leak guard: a tensor kept across epochs is a leak; an optimiser's new moment variables are not.
import { beforeAll, describe, expect, it } from 'vitest';
import { TensorLeakGuard } from '../../src/engine/memory.js';
import { tf } from '../../src/engine/tf.js';
import { useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('TensorLeakGuard', () => {
  it('names the epoch at which a tensor was kept', () => {
    const guard = new TensorLeakGuard();
    guard.check(1);
    const kept = tf.zeros([2]);
    expect(() => guard.check(2)).toThrow(/tensor leak: \d+ live tensors \(variables aside\) after epoch 2/);
    expect(guard.check(2, 'return')).toBe(1);
    kept.dispose();
    expect(guard.check(3)).toBe(0);
  });

  it('lets an optimiser first used after the first epoch add its state', () => {
    const guard = new TensorLeakGuard();
    const w = tf.variable(tf.ones([3]));
    const optimizer = tf.train.adam(0.1);
    guard.check(1);
    optimizer.minimize(() => tf.sum(tf.square(w)) as tf.Scalar, true)?.dispose();
    expect(guard.check(2)).toBe(0);
    optimizer.dispose();
    w.dispose();
  });
});

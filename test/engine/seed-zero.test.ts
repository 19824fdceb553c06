// tfjs draws unseeded when the seed is 0; latentlab's tf seeds those draws, so seed 0 reproduces like any other.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('seed 0', () => {
  it('draws the same normals, truncated normals, gammas and multinomials every time', () => {
    const draws = () =>
      tf.tidy(() => [
        tf.randomNormal([64], 0, 1, 'float32', 0).dataSync(),
        tf.truncatedNormal([64], 0, 1, 'float32', 0).dataSync(),
        tf.randomGamma([64], 2, 1, 'float32', 0).dataSync(),
        tf.multinomial(tf.zeros([4, 10]) as tf.Tensor2D, 16, 0).dataSync(),
      ]);
    const [a, b] = [draws(), draws()];
    for (let i = 0; i < a.length; i++) expect(Array.from(a[i])).toEqual(Array.from(b[i]));
  });

  it('draws other values than seed 1, and leaves other seeds as tfjs draws them', () => {
    const zero = tf.tidy(() => tf.randomNormal([8], 0, 1, 'float32', 0).dataSync());
    const one = tf.tidy(() => tf.randomNormal([8], 0, 1, 'float32', 1).dataSync());
    expect(Array.from(zero)).not.toEqual(Array.from(one));
  });
});

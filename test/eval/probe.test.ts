// The linear probe: hand-checkable numbers on tiny sets, ~100% on separable blobs, and far above chance on
// PCA codes of real MNIST digits.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/load.js';
import { createRng } from '../../src/data/random.js';
import { linearProbe, pcaProbe, standardiser } from '../../src/eval/probe.js';
import type { Matrix } from '../../src/io/arrays.js';
import { expectClose, expectNoLeakedTensors, useBackend } from '../helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** `perClass` points around each centre (rows of `centres`), Gaussian noise of std `sd`; labels in order. */
function blobsAround(centres: number[][], perClass: number, sd: number, seed: number) {
  const rng = createRng(seed);
  const d = centres[0].length;
  const data = new Float32Array(centres.length * perClass * d);
  const labels = new Int32Array(centres.length * perClass);
  centres.forEach((centre, c) => {
    for (let i = 0; i < perClass; i++) {
      const row = c * perClass + i;
      labels[row] = c;
      for (let j = 0; j < d; j++) {
        const z = Math.sqrt(-2 * Math.log(Math.max(rng(), 1e-12))) * Math.cos(2 * Math.PI * rng());
        data[row * d + j] = centre[j] + sd * z;
      }
    }
  });
  return { codes: { rows: labels.length, cols: d, data } as Matrix, labels };
}

describe('linear probe', () => {
  it('standardises with the training mean and population std (constant features keep std 1)', () => {
    const { mean, std } = standardiser({
      rows: 4,
      cols: 2,
      data: Float32Array.from([1, 5, 2, 5, 3, 5, 6, 5]),
    });
    // column 0: mean 3, deviations -2 -1 0 3, variance (4 + 1 + 0 + 9) / 4 = 3.5
    expectClose(mean, [3, 5]);
    expectClose(std, [Math.sqrt(3.5), 1]);
  });

  it('starts from log(K) at zero weights and classifies a 1-D threshold case by hand', () => {
    const train: Matrix = { rows: 4, cols: 1, data: Float32Array.from([-2, -1, 1, 2]) };
    const test: Matrix = { rows: 3, cols: 1, data: Float32Array.from([-0.4, 0.3, 5]) };
    const untrained = linearProbe(train, [0, 0, 1, 1], test, [0, 1, 1], { steps: 0, numClasses: 3 });
    // softmax of equal logits: cross-entropy log 3 for every sample; argmax of ties is class 0.
    expect(untrained.trainLoss).toBeCloseTo(Math.log(3), 6);
    expect(untrained.accuracy).toBeCloseTo(1 / 3, 6);
    const trained = linearProbe(train, [0, 0, 1, 1], test, [0, 1, 1]);
    // The fitted boundary sits at the training mean 0 (the data is symmetric about it).
    expect(trained.accuracy).toBe(1);
    expect(trained.trainAccuracy).toBe(1);
    expect(trained.trainLoss).toBeLessThan(0.1);
    // Majority class of the training labels (a tie: the first, 0) is right for 1 of the 3 test samples.
    expect(trained.chance).toBeCloseTo(1 / 3, 6);
    // Every label wrong: accuracy 0, not chance.
    expect(linearProbe(train, [0, 0, 1, 1], test, [1, 0, 0]).accuracy).toBe(0);
  });

  it('separates well-separated blobs (~100%), deterministically, without leaking tensors', () => {
    const centres = [
      [4, 0, 0],
      [0, 4, 0],
      [0, 0, 4],
      [-4, -4, -4],
    ];
    const train = blobsAround(centres, 50, 0.5, 1);
    const test = blobsAround(centres, 25, 0.5, 2);
    let a!: ReturnType<typeof linearProbe>;
    expectNoLeakedTensors(() => {
      a = linearProbe(train.codes, train.labels, test.codes, test.labels);
    });
    expect(a.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(a.numClasses).toBe(4);
    expect(a.features).toBe(3);
    const b = linearProbe(train.codes, train.labels, test.codes, test.labels);
    expect(b.trainLoss).toBe(a.trainLoss);
  });

  it('rejects mismatched widths and labels out of range, naming them', () => {
    const m: Matrix = { rows: 2, cols: 1, data: Float32Array.from([0, 1]) };
    const wide: Matrix = { rows: 2, cols: 2, data: new Float32Array(4) };
    expect(() => linearProbe(m, [0, 1], wide, [0, 1])).toThrow(
      'train and test codes differ in width: 1 vs 2',
    );
    expect(() => linearProbe(m, [0, 1], m, [0, 2])).toThrow('testLabels: label 2 at row 1 is outside [0, 2)');
    expect(() => linearProbe(m, [0], m, [0, 1])).toThrow('trainLabels: expected 2 labels');
  });

  it('beats chance by far on PCA codes of MNIST', async () => {
    const splits = await loadData({ source: 'mnist' }, { seed: 0, validationFraction: 0.1 });
    const probe = pcaProbe(splits.train, splits.test, 16, { limit: 3000 });
    expect(probe.components).toBe(16);
    expect(probe.trainSamples).toBe(3000);
    expect(probe.numClasses).toBe(10);
    expect(probe.chance).toBeLessThan(0.15);
    expect(probe.accuracy).toBeGreaterThan(0.75);
  });
});

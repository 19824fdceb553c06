// The classifier family (shapes, learning to full accuracy, augmentation; build, leaks and save/load are
// contract.test.ts's) and the shipped domain classifiers, which must load and reach their stated accuracy on a
// slice of their test data.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { head } from '../../src/data/dataset.js';
import { loadData } from '../../src/data/load.js';
import { tf } from '../../src/engine/tf.js';
import {
  classifierFeatures,
  classifierLabels,
  classifierOutputs,
  classifiersDir,
  loadDomainClassifier,
} from '../../src/eval/domain-classifier.js';
import type { ClassifierModel } from '../../src/models/classifier/model.js';
import { getFamily, parseModelConfig } from '../../src/models/registry.js';
import { augmentImages, drawPoses, poseTransforms } from '../../src/models/shared/augmentation.js';
import { expectClose, expectNoLeakedTensors, useBackend } from '../helpers.js';

function build(raw: Record<string, unknown>, sampleShape = [8, 8, 1]): ClassifierModel {
  const { family, config } = parseModelConfig({ kind: 'classifier', ...raw });
  return family.build(config, { sampleShape, numClasses: 3, seed: 2 }) as ClassifierModel;
}

/** Three classes of 8x8 images: a bright top, middle or bottom band, plus noise. */
function bands(n: number, seed: number): { x: tf.Tensor; labels: tf.Tensor } {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const x = tf.tidy(() => {
    const rows = tf.reshape(tf.range(0, 8), [1, 8, 1, 1]);
    const centre = tf.reshape(tf.add(tf.mul(tf.tensor1d(labels, 'float32'), 2.5), 1.25), [n, 1, 1, 1]);
    const band = tf.exp(tf.neg(tf.square(tf.sub(rows, centre))));
    return tf.add(
      tf.mul(band, tf.ones([1, 1, 8, 1])),
      tf.randomUniform([n, 8, 8, 1], 0, 0.3, 'float32', seed),
    );
  });
  return { x, labels: tf.tensor1d(labels, 'int32') };
}

beforeAll(async () => {
  await useBackend('wasm');
});

const variants = [
  { name: 'conv', config: { filters: [4, 8], features: 16, dropout: 0.2 } },
  { name: 'dense', config: { architecture: 'dense', hidden: [32], features: 16 } },
  {
    name: 'conv, augmented',
    config: { filters: [4, 8], features: 16, augment: { shift: 1, rotation: 10, scale: 0.1 } },
  },
];

describe.each(variants)('classifier ($name)', ({ config }) => {
  it('builds with the right output and feature shapes', () => {
    const model = build(config);
    const { x, labels } = bands(5, 1);
    const logits = model.predict(x);
    const features = model.features(x);
    expect(logits.shape).toEqual([5, 3]);
    expect(features.shape).toEqual([5, 16]);
    expect(model.networks.classifier.getLayer('features')).toBeDefined();
    tf.dispose([x, labels, logits, features]);
    model.dispose();
  });

  it('learns a fixed batch to full accuracy; steps, features and classify leak no tensors', () => {
    const model = build(config);
    const optimizer = tf.train.adam(0.01);
    const batch = { ...bands(30, 2), step: 0 };
    const first = model.evaluate(batch);
    const before = first.loss.dataSync()[0];
    tf.dispose(Object.values(first));
    tf.dispose(Object.values(model.trainStep({ ...batch, step: 0 }, { classifier: optimizer })));
    expectNoLeakedTensors(() => {
      for (let step = 1; step < 40; step++)
        tf.dispose(Object.values(model.trainStep({ ...batch, step }, { classifier: optimizer })));
      const last = model.evaluate(batch);
      expect(last.loss.dataSync()[0]).toBeLessThan(before * 0.3);
      expect(last.accuracy.dataSync()[0]).toBe(1);
      tf.dispose(Object.values(last));
      model.features(batch.x).dispose();
      model.classify(batch.x).dispose();
    });
    tf.dispose([batch.x, batch.labels]);
    optimizer.dispose();
    model.dispose();
  });
});

describe('classifier config', () => {
  it('needs class labels, naming model.kind', () => {
    const { config } = parseModelConfig({ kind: 'classifier' });
    expect(() => getFamily('classifier').build(config, { sampleShape: [8, 8, 1], seed: 0 })).toThrow(
      /model\.kind.*labelled/,
    );
  });

  it('rejects a conv classifier on table data and unknown options', () => {
    expect(() => build({}, [10])).toThrow(/model\.architecture/);
    expect(() => parseModelConfig({ kind: 'classifier', filter: [8] })).toThrow(/model\.filter/);
  });
});

describe('classifier augmentation', () => {
  const shiftOnly = { shift: 2, rotation: 0, scale: 0 };

  /** [n, h, w, c] with distinct values everywhere, so any misplaced pixel shows. */
  function ramp(n: number, h: number, w: number, c: number): tf.Tensor {
    return tf.tidy(() => tf.reshape(tf.add(tf.range(0, n * h * w * c), 1), [n, h, w, c]));
  }

  it('is off by default, so configs saved before it still load', () => {
    expect(parseModelConfig({ kind: 'classifier' }).config).toMatchObject({
      augment: { shift: 0, rotation: 0, scale: 0 },
    });
    // The config saved with the first shipped mnist classifier, which predates the option.
    const old = {
      kind: 'classifier',
      architecture: 'cnn',
      filters: [32, 64],
      hidden: [256],
      features: 128,
      convDropout: 0.25,
      dropout: 0.5,
    };
    // Read in today's words: its `cnn` is `conv` (src/models/legacy.ts).
    expect(parseModelConfig(old).config).toEqual({
      ...old,
      architecture: 'conv',
      augment: { shift: 0, rotation: 0, scale: 0 },
    });
    expect(parseModelConfig({ kind: 'classifier', augment: { shift: 1 } }).config).toMatchObject({
      augment: { shift: 1, rotation: 0, scale: 0 },
    });
  });

  it('rejects bad or misspelt options and non-image data, naming model.augment', () => {
    expect(() => parseModelConfig({ kind: 'classifier', augment: { shift: 1.5 } })).toThrow(
      /model\.augment\.shift/,
    );
    expect(() => parseModelConfig({ kind: 'classifier', augment: { scale: 1 } })).toThrow(
      /model\.augment\.scale/,
    );
    expect(() => parseModelConfig({ kind: 'classifier', augment: { shfit: 2 } })).toThrow(/model\.augment/);
    expect(() => build({ architecture: 'dense', augment: { shift: 1 } }, [10])).toThrow(/model\.augment/);
  });

  it('keeps shapes and moves pixels by whole-pixel shifts exactly', () => {
    const x = ramp(6, 7, 5, 2);
    const out = augmentImages(x, shiftOnly, 11);
    expect(out.shape).toEqual([6, 7, 5, 2]);
    const input = x.arraySync() as number[][][][];
    const poses = drawPoses(6, shiftOnly, 11);
    // By hand: out[i][y][x] = in[i][y - dy][x - dx], zero where that falls outside the image.
    const expected = poses.map(({ dx, dy, angle, scale }, i) => {
      expect([angle, scale]).toEqual([0, 1]);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      return Array.from({ length: 7 }, (_, r) =>
        Array.from({ length: 5 }, (_, col) =>
          Array.from({ length: 2 }, (_, ch) => input[i][r - dy]?.[col - dx]?.[ch] ?? 0),
        ),
      );
    });
    expect(new Set(poses.map((p) => `${p.dx},${p.dy}`)).size).toBeGreaterThan(1);
    expectClose(out.dataSync(), expected.flat(3), 1e-6);
    tf.dispose([x, out]);
  });

  it('rotates about the centre: 90 degrees clockwise on screen', () => {
    const x = ramp(1, 5, 5, 1);
    const out = tf.image.transform(
      x as tf.Tensor4D,
      poseTransforms([{ dx: 0, dy: 0, angle: Math.PI / 2, scale: 1 }], 5, 5),
      'bilinear',
    );
    const input = (x.arraySync() as number[][][][])[0];
    // A clockwise quarter turn takes in[y][x] to out[x][4 - y], i.e. out[y][x] = in[4 - x][y].
    const expected = Array.from({ length: 5 }, (_, r) =>
      Array.from({ length: 5 }, (_, col) => input[4 - col][r][0]),
    );
    expectClose(out.dataSync(), expected.flat(), 1e-4);
    tf.dispose([x, out]);
  });

  it('draws the same poses for the same seed, others for another, and leaks nothing', () => {
    const augment = { shift: 2, rotation: 15, scale: 0.1 };
    const x = ramp(4, 8, 8, 1);
    const before = tf.memory().numTensors;
    const a = augmentImages(x, augment, 3);
    const b = augmentImages(x, augment, 3);
    const c = augmentImages(x, augment, 4);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect([...a.dataSync()]).toEqual([...b.dataSync()]);
    expect([...a.dataSync()]).not.toEqual([...c.dataSync()]);
    expect(drawPoses(4, augment, 3)).toEqual(drawPoses(4, augment, 3));
    tf.dispose([x, a, b, c]);
  });

  it('is applied in the training step only, seeded by the step', () => {
    const plain = build({ filters: [4, 8], features: 16 });
    const first = build({ filters: [4, 8], features: 16, augment: { shift: 2 } });
    const second = build({ filters: [4, 8], features: 16, augment: { shift: 2 } });
    const batch = { ...bands(12, 4), step: 7 };
    const lossOf = (model: ClassifierModel, step: number) => {
      const optimizer = tf.train.sgd(0);
      const record = model.trainStep({ ...batch, step }, { classifier: optimizer });
      const loss = record.loss.dataSync()[0];
      tf.dispose(Object.values(record));
      optimizer.dispose();
      return loss;
    };
    const evaluated = first.evaluate(batch);
    const plainEvaluated = plain.evaluate(batch);
    // Same weights (same seed): evaluation sees the batch as it is ...
    expect(evaluated.loss.dataSync()[0]).toBe(plainEvaluated.loss.dataSync()[0]);
    // ... training sees it shifted, the same way for the same step.
    expect(lossOf(first, 7)).not.toBe(lossOf(plain, 7));
    expect(lossOf(first, 7)).toBe(lossOf(second, 7));
    expect(lossOf(first, 8)).not.toBe(lossOf(second, 7));
    tf.dispose([...Object.values(evaluated), ...Object.values(plainEvaluated), batch.x, batch.labels]);
    for (const model of [plain, first, second]) model.dispose();
  });
});

const shipped = JSON.parse(
  existsSync(join(classifiersDir(), 'classifiers.json'))
    ? readFileSync(join(classifiersDir(), 'classifiers.json'), 'utf8')
    : '{}',
) as Record<string, { testAccuracy: number; config: { seed: number } }>;
const fashionAvailable = existsSync('/usr/share/datasets/fashion-mnist');

describe('shipped domain classifiers', () => {
  it('fails clearly when a classifier is missing', async () => {
    await expect(loadDomainClassifier('mnist', '/nonexistent')).rejects.toThrow(
      /train-classifiers\.ts mnist/,
    );
  });

  it.skipIf(!shipped.mnist)('mnist reaches its stated accuracy on the 2,000 held-out digits', async () => {
    const model = await loadDomainClassifier('mnist');
    const { test } = await loadData({ source: 'mnist' }, { seed: shipped.mnist.config.seed });
    let outputs!: ReturnType<typeof classifierOutputs>;
    expectNoLeakedTensors(() => {
      outputs = classifierOutputs(model, test);
    });
    const { features, labels } = outputs;
    expect(features.rows).toBe(2000);
    expect(features.cols).toBe(128);
    let correct = 0;
    for (let i = 0; i < test.size; i++) if (labels[i] === test.labels![i]) correct++;
    expect(correct / test.size).toBeGreaterThanOrEqual(shipped.mnist.testAccuracy - 0.001);
    // The single-purpose helpers agree with the combined pass.
    const small = head(test, 50);
    expect([...classifierLabels(model, small)]).toEqual([...labels.subarray(0, 50)]);
    expectClose(classifierFeatures(model, small.x).data, features.data.subarray(0, 50 * 128), 1e-6);
    model.dispose();
  });

  it.skipIf(!shipped['fashion-mnist'] || !fashionAvailable)(
    'fashion-mnist reaches about its stated accuracy on the first 2,000 test images',
    async () => {
      const model = await loadDomainClassifier('fashion-mnist');
      const test = head((await loadData({ source: 'fashion-mnist' })).test, 2000);
      const labels = classifierLabels(model, test);
      let correct = 0;
      for (let i = 0; i < test.size; i++) if (labels[i] === test.labels![i]) correct++;
      // A 2,000-image slice: allow its sampling error (about ±1.3 points at 2 sd) around the full-set figure.
      expect(correct / test.size).toBeGreaterThanOrEqual(shipped['fashion-mnist'].testAccuracy - 0.015);
      model.dispose();
    },
    30_000,
  );
});

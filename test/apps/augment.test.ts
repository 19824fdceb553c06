// `latentlab augment`: labelled samples from a conditional model (an untrained tiny cvae is enough to check the
// plumbing), written as IDX, CSV and PNG folders that read back through latentlab's own loaders.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augment, generateLabelled, parseClasses, requireConditional } from '../../src/apps/augment.js';
import { makeDataset, mixDatasets } from '../../src/data/dataset.js';
import { loadRaw } from '../../src/data/load.js';
import { type Tensor, tf } from '../../src/engine/tf.js';
import { saveModel } from '../../src/io/model-files.js';
import type { TrainableModel } from '../../src/models/family.js';
import { getFamily } from '../../src/models/registry.js';
import { expectClose, useBackend } from '../helpers.js';
import { cliInProcess } from './cli-helper.js';

const context = { sampleShape: [28, 28, 1], numClasses: 10, seed: 0 };

function build(config: Record<string, unknown> & { kind: string }): TrainableModel {
  const family = getFamily(config.kind);
  return family.build(family.configSchema.parse(config), context);
}

let dir: string;
let cvae: TrainableModel;

beforeAll(async () => {
  await useBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'latentlab-augment-'));
  cvae = build({ kind: 'cvae', hidden: [16], latent: 2 });
  await saveModel(cvae, join(dir, 'cvae', 'model'), { data: { source: 'mnist' } });
  const vae = build({ kind: 'vae', hidden: [16], latent: 2 });
  await saveModel(vae, join(dir, 'vae', 'model'), { data: { source: 'mnist' } });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('augment', () => {
  it('generates equal numbers per class asked for, seeded, in [0, 1], from a cvae or a conditional GAN', async () => {
    const a = await generateLabelled(cvae, { n: 31, classes: [0, 3], seed: 4, batchSize: 8 });
    expect(a.size).toBe(31);
    expect(a.sampleShape).toEqual([28, 28, 1]);
    expect([...a.labels!].slice(0, 4)).toEqual([0, 3, 0, 3]);
    expect([...a.labels!].filter((l) => l === 0)).toHaveLength(16);
    expect(Math.min(...a.x)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a.x)).toBeLessThanOrEqual(1);
    const b = await generateLabelled(cvae, { n: 31, classes: [0, 3], seed: 4, batchSize: 8 });
    expect(b.x).toEqual(a.x);
    const all = await generateLabelled(cvae, { n: 20 });
    expect(new Set(all.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const gan = build({ kind: 'gan', conditional: true, generatorHidden: [16], discriminatorHidden: [16] });
    const fromGan = await generateLabelled(gan, { n: 10, classes: [4] });
    expect([...fromGan.labels!]).toEqual(new Array(10).fill(4));
    expect(fromGan.sampleShape).toEqual([28, 28, 1]);
    gan.dispose();
    const aae = build({ kind: 'aae', hidden: [16], latent: 2, semiSupervised: true });
    const fromAae = await generateLabelled(aae, { n: 6, classes: [1, 8] });
    expect([...fromAae.labels!]).toEqual([1, 8, 1, 8, 1, 8]);
    // Vetted: every kept sample is one the judge puts in the class it was generated for. This judge's class is
    // a hash of the pixels, so about one sample in ten passes.
    const hashJudge = {
      classify: (x: Tensor) =>
        tf.tidy(() => {
          const hash = tf.mod(tf.floor(tf.mul(tf.sum(tf.reshape(x, [x.shape[0], -1]), 1), 1e4)), 10);
          return tf.oneHot(tf.cast(hash, 'int32'), 10);
        }),
    };
    const vetted = await generateLabelled(aae, { n: 12, classes: [1, 8], batchSize: 64 }, hashJudge);
    expect([...vetted.labels!]).toEqual([1, 8, 1, 8, 1, 8, 1, 8, 1, 8, 1, 8]);
    const judged = tf.tidy(() =>
      tf.argMax(hashJudge.classify(tf.tensor(vetted.x, [12, 28, 28, 1])), -1).arraySync(),
    );
    expect(judged).toEqual([...vetted.labels!]);
    // A judge that only ever sees class 1 (as a classifier model answers: one class per sample) starves class 8,
    // and says so.
    const onlyOnes = { classify: (x: Tensor) => tf.fill([x.shape[0]], 1, 'int32') };
    await expect(
      generateLabelled(aae, { n: 4, classes: [1, 8], maxDrawsPerSample: 3, batchSize: 4 }, onlyOnes),
    ).rejects.toThrow('judge: after 12 draws the judge still rejects too many samples: class 8 short of 2');
    aae.dispose();
    await expect(generateLabelled(cvae, { n: 5, classes: [12] })).rejects.toThrow(
      'classes: expected classes between 0 and 9, got 12',
    );
  });

  it('refuses unconditional models, saying why', () => {
    expect(() => requireConditional(build({ kind: 'vae', hidden: [16], latent: 2 }))).toThrow(
      'augment needs a conditional model to generate labelled samples; this "vae" is unconditional',
    );
    expect(() => requireConditional(build({ kind: 'dense-ae', hidden: [16], latent: 2 }))).toThrow(
      'augment needs a generative model; "dense-ae" cannot sample',
    );
    expect(parseClasses('all')).toBeUndefined();
    expect(parseClasses('0, 3,3')).toEqual([0, 3]);
    expect(() => parseClasses('0,x')).toThrow('--classes: expected "all" or class numbers');
  });

  it('writes IDX, CSV and PNG folders that the project loaders read back with the right shapes and labels', async () => {
    const generated = await generateLabelled(cvae, { n: 24, classes: [1, 7], seed: 2 });
    const opts = { n: 24, classes: [1, 7], seed: 2 };

    const idx = await augment(cvae, { ...opts, format: 'idx', out: join(dir, 'idx') });
    expect(idx.spec).toBe(`idx:${join(dir, 'idx', 'train-images-idx3-ubyte')}`);
    expect(idx.perClass).toEqual([0, 12, 0, 0, 0, 0, 0, 12, 0, 0]);
    const fromIdx = await loadRaw({ source: 'idx', images: join(dir, 'idx', 'train-images-idx3-ubyte') });
    expect(fromIdx.sampleShape).toEqual([28, 28, 1]);
    expect(fromIdx.train.labels).toEqual(generated.labels);
    expectClose(fromIdx.train.x, generated.x, 0.5 / 255 + 1e-6);

    await augment(cvae, { ...opts, format: 'csv', out: join(dir, 'gen.csv') });
    const fromCsv = await loadRaw({
      source: 'csv',
      path: join(dir, 'gen.csv'),
      labelColumn: 'label',
      scaling: 'none',
    });
    expect(fromCsv.sampleShape).toEqual([784]);
    // The CSV loader numbers the classes it finds in sorted order: 1 → 0, 7 → 1.
    expect(fromCsv.classNames).toEqual(['1', '7']);
    expect([...fromCsv.train.labels!].map((k) => Number(fromCsv.classNames![k]))).toEqual([
      ...generated.labels!,
    ]);
    expectClose(fromCsv.train.x, generated.x, 0.5 / 255 + 1e-4);

    const png = await augment(cvae, { ...opts, format: 'png', out: join(dir, 'png') });
    expect(png.spec).toBe(`images:${join(dir, 'png')}`);
    expect((await readdir(join(dir, 'png'))).sort()).toEqual(['1', '7']);
    const fromPng = await loadRaw({
      source: 'images',
      dir: join(dir, 'png'),
      height: 28,
      width: 28,
      channels: 1,
    });
    expect(fromPng.classNames).toEqual(['1', '7']);
    // Class folders list class 1's samples first, then class 7's, each in generation order.
    const order = [...generated.labels!.keys()].sort(
      (i, j) => generated.labels![i] - generated.labels![j] || i - j,
    );
    expect([...fromPng.train.labels!].map((k) => Number(fromPng.classNames![k]))).toEqual(
      order.map((i) => generated.labels![i]),
    );
    const expected = new Float32Array(
      order.flatMap((i) => [...generated.x.subarray(i * 784, (i + 1) * 784)]),
    );
    expectClose(fromPng.train.x, expected, 0.5 / 255 + 1e-6);
  });

  it('CLI: writes an IDX directory with real labelled samples and the test split; refuses an unconditional run', async () => {
    const out = join(dir, 'cli-idx');
    const r = await cliInProcess([
      'augment',
      join(dir, 'cvae'),
      '--n',
      '50',
      '--out',
      out,
      '--classes',
      '2,5',
      '--with-labelled',
      '3',
      '--with-test',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('50 generated samples after 30 real labelled ones');
    const back = await loadRaw({ source: 'idx', images: join(out, 'train-images-idx3-ubyte') });
    expect(back.train.labels?.length).toBe(80);
    const counts = new Array(10).fill(0);
    for (const l of back.train.labels!) counts[l]++;
    expect(counts).toEqual([3, 3, 28, 3, 3, 28, 3, 3, 3, 3]);
    const testPart = await loadRaw({ source: 'idx', images: join(out, 't10k-images-idx3-ubyte') });
    expect(testPart.train.labels?.length).toBe(2000);

    const noHead = await cliInProcess([
      'augment',
      join(dir, 'cvae'),
      '--n',
      '4',
      '--out',
      join(dir, 'no'),
      '--judge',
      'self',
    ]);
    expect(noHead.code).toBe(2);
    expect(noHead.stderr).toContain('--judge: a "cvae" has no classifier head to judge its samples');
    const notClassifier = await cliInProcess([
      'augment',
      join(dir, 'cvae'),
      '--n',
      '4',
      '--out',
      join(dir, 'no'),
      '--judge',
      join(dir, 'vae'),
    ]);
    expect(notClassifier.stderr).toContain('holds a "vae", which cannot classify: give a classifier run');
    const refused = await cliInProcess(['augment', join(dir, 'vae'), '--n', '10', '--out', join(dir, 'no')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('model.conditional: augment needs a conditional model');
  });

  it('mixDatasets keeps the share of extra samples asked for, repeating real ones or subsampling extra ones', () => {
    const real = makeDataset('real', [2], new Float32Array(20).fill(1), new Int32Array(10).fill(0));
    const extra = makeDataset('extra', [2], new Float32Array(80).fill(2), new Int32Array(40).fill(1));
    const all = mixDatasets(real, extra);
    expect(all.size).toBe(50);
    // 40 / (40 + 4 * 10) = 0.5: real repeated four times.
    const half = mixDatasets(real, extra, 0.5);
    expect(half.size).toBe(80);
    expect([...half.labels!].filter((l) => l === 1)).toHaveLength(40);
    // 0.2: 40 / (40 + 16 * 10).
    expect(mixDatasets(real, extra, 0.2).size).toBe(200);
    // 0.9 of 40 extra and 10 real: the extra ones are the short side, repeated 9 * 10 / 40 = 2.25 → 2 times.
    const most = mixDatasets(real, extra, 0.9);
    expect(most.size).toBe(90);
    expect([...most.labels!].filter((l) => l === 1)).toHaveLength(80);
    expect(() => mixDatasets(real, extra, 1)).toThrow('share: expected a share between 0 and 1');
    const table = makeDataset('table', [3], new Float32Array(3), new Int32Array(1));
    expect(() => mixDatasets(real, table)).toThrow('cannot join samples of shape [3] to [2]');
  });

  it('CLI: train --extra-data mixes generated samples into training at --extra-share, testing on the real data', async () => {
    const out = join(dir, 'cli-idx');
    const run = join(dir, 'clf-extra');
    const r = await cliInProcess([
      'train',
      '--model',
      'classifier',
      '--set',
      'architecture=dense',
      '--hidden',
      '16',
      '--data',
      'mnist',
      '--labels-per-class',
      '3',
      '--extra-data',
      `idx:${join(out, 'train-images-idx3-ubyte')}`,
      '--extra-share',
      '0.5',
      '--epochs',
      '1',
      '--out',
      run,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(await readFile(join(run, 'summary.json'), 'utf8'));
    // 30 real labelled images; 80 extra (from the augment test above) at share 0.5: real repeated 3 times.
    expect(summary.trainSamples).toBe(170);
    expect(summary.testSamples).toBe(2000);
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    expect(config.train.extraData).toEqual({
      data: { source: 'idx', images: join(out, 'train-images-idx3-ubyte') },
      share: 0.5,
    });

    const wrong = await cliInProcess([
      'train',
      '--model',
      'classifier',
      '--data',
      'mnist',
      '--extra-data',
      'toy:ring8',
      '--epochs',
      '1',
      '--out',
      join(dir, 'clf-wrong'),
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('train.extraData (toy:ring8): extra samples have shape [2], the run');
  });
});

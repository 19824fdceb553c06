// The array API: fit, encode, decode, score and save a model on arrays in memory, no files or setup call needed.
// This file never selects a backend itself (the API starts one); vitest runs it in a fork of its own.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Autoencoder } from '../../src/api/autoencoder.js';
import { createRng } from '../../src/data/random.js';
import { tf } from '../../src/engine/tf.js';
import { loadModel } from '../../src/io/model-files.js';
import type { ModelConfigInput } from '../../src/models/configs.js';
import { trainRun } from '../../src/train/run.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

process.env.LATENTLAB_BACKEND = 'wasm';

/** Rows of 4 features near a line through the table, in units far from [0, 1] (so scaling matters). */
function lineRows(n: number, seed: number): number[][] {
  const random = createRng(seed);
  return Array.from({ length: n }, () => {
    const t = random();
    const noise = () => (random() - 0.5) * 0.02;
    return [100 + 10 * t + noise(), 5 - 2 * t + noise(), 50 * t + noise(), 7 + noise()];
  });
}
const OFF_LINE = [
  [105, 1, 0, 7],
  [100, 5, 50, 9],
];
const quick = { epochs: 20, batchSize: 32, seed: 3 } as const;
const dense: ModelConfigInput<'dense-ae'> = {
  kind: 'dense-ae',
  hidden: [16],
  latent: 1,
  outputActivation: 'linear',
};

describe('Autoencoder on arrays', () => {
  it('fits rows and scores new ones in three lines: rows off the data score above the threshold', async () => {
    const rows = lineRows(400, 1);
    const ae = await Autoencoder.fit(rows, dense, quick);
    const scores = await ae.score([...lineRows(20, 2), ...OFF_LINE]);
    expect(scores).toHaveLength(22);
    const normal = Math.max(...scores.subarray(0, 20));
    expect(Math.min(scores[20], scores[21])).toBeGreaterThan(normal);
    expect(ae.threshold?.quantile).toBe(0.99);
    expect(ae.threshold?.calibrationSamples).toBe(40);
    const flags = await ae.predict(OFF_LINE);
    expect([...flags]).toEqual([1, 1]);
    ae.dispose();
  });

  it('encodes, decodes and reconstructs in the data units, each result in the form of its input', async () => {
    const rows = lineRows(400, 1);
    const ae = await Autoencoder.fit(rows, dense, { ...quick, epochs: 40, contamination: 0.05 });
    expect(ae.threshold?.quantile).toBeCloseTo(0.95);
    const test = lineRows(10, 4);
    const codes = await ae.transform(test);
    expect(codes).toHaveLength(10);
    expect(codes[0]).toHaveLength(1);
    const back = await ae.inverseTransform(codes);
    expect(back[0]).toHaveLength(4);
    const recon = await ae.reconstruct(test);
    // Scaling is inverted on the way out: a constant 7 comes back near 7, the 100-110 column near its value.
    for (let i = 0; i < 10; i++) {
      expect(Math.abs(recon[i][3] - 7)).toBeLessThan(0.2);
      expect(Math.abs(recon[i][0] - test[i][0])).toBeLessThan(2);
      expect(recon[i][0]).toBeCloseTo(back[i][0], 4);
    }
    const flat = await ae.reconstruct(Float32Array.from(test.flat()));
    expect(flat).toBeInstanceOf(Float32Array);
    expect(flat).toHaveLength(40);
    const tensor = tf.tensor2d(test);
    const codeTensor = await ae.transform(tensor);
    expect(codeTensor.shape).toEqual([10, 1]);
    tf.dispose([tensor, codeTensor]);
    const drawn = await ae.sample(5, { seed: 1 });
    expect(drawn).toHaveLength(5);
    expect(Math.abs(drawn[0][3] - 7)).toBeLessThan(0.5);
    ae.dispose();
  });

  it('fits a GAN to rows: it samples in the data units, and has no score to threshold', async () => {
    const gan = await Autoencoder.fit(
      lineRows(200, 1),
      { kind: 'gan', latent: 2, generatorHidden: [16], discriminatorHidden: [16] },
      {
        epochs: 2,
        seed: 1,
      },
    );
    expect(gan.threshold).toBeUndefined();
    const drawn = await gan.sample(3, { seed: 2 });
    expect(drawn).toHaveLength(3);
    expect(drawn[0]).toHaveLength(4);
    // Table scaling is inverted: the column within 7 ± 0.01 comes back there, whatever the generator draws.
    for (const row of drawn) expect(Math.abs(row[3] - 7)).toBeLessThan(0.02);
    await expect(gan.score(OFF_LINE)).rejects.toThrow(
      'the mse score needs a model with an encoder; "gan" has none',
    );
    await expect(gan.predict(OFF_LINE)).rejects.toThrow('threshold: no anomaly threshold yet');
    gan.dispose();
  });

  it('fits a conditional model with labels, which encoding and decoding then need too', async () => {
    const rows = lineRows(120, 1);
    const labels = rows.map((_, i) => i % 2);
    const cvae = await Autoencoder.fit(
      rows,
      { kind: 'cvae', hidden: [8], latent: 2, likelihood: 'gaussian' },
      {
        epochs: 1,
        labels,
      },
    );
    const codes = await cvae.transform(rows.slice(0, 4), [0, 1, 0, 1]);
    expect(codes).toHaveLength(4);
    expect(await cvae.inverseTransform(codes, [0, 1, 0, 1])).toHaveLength(4);
    await expect(cvae.transform(rows.slice(0, 4))).rejects.toThrow('labels: cvae is conditional');
    await expect(cvae.transform(rows.slice(0, 4), [0, 1])).rejects.toThrow(
      'labels: expected one label per sample (4), got 2',
    );
    await expect(Autoencoder.fit(rows, { kind: 'cvae' }, { epochs: 1, labels: [0, 1] })).rejects.toThrow(
      'options.labels: expected one label per sample (120), got 2',
    );
    cvae.dispose();
  });

  it('is reproducible: the same seed and rows give the same scores', async () => {
    const rows = lineRows(200, 1);
    const options = { epochs: 3, batchSize: 32, seed: 9 };
    const a = await Autoencoder.fit(rows, dense, options);
    const b = await Autoencoder.fit(rows, dense, options);
    expect([...(await a.score(OFF_LINE))]).toEqual([...(await b.score(OFF_LINE))]);
    a.dispose();
    b.dispose();
  });

  it('names the argument and the expected shape when an array does not fit', async () => {
    await expect(Autoencoder.fit([[1, 2], [3]], dense, quick)).rejects.toThrow(
      'x[1]: expected rows (number[][]) of 2 values, got 1 values',
    );
    await expect(Autoencoder.fit(new Float32Array(8), dense, quick)).rejects.toThrow(
      'x: a flat Float32Array needs the shape of one sample: give options.sampleShape',
    );
    await expect(Autoencoder.fit([], dense, quick)).rejects.toThrow('x: expected rows (number[][])');
    await expect(Autoencoder.fit([[1, Number.NaN]], dense, quick)).rejects.toThrow(
      'x[0][1]: expected a finite number, got NaN',
    );
    await expect(Autoencoder.fit(lineRows(50, 1), dense, { epoch: 5 } as never)).rejects.toThrow(
      'options.epoch: unknown option "epoch"',
    );
    await expect(Autoencoder.fit(lineRows(50, 1), dense, { epochs: 0 } as never)).rejects.toThrow(
      'options.epochs',
    );
    await expect(
      Autoencoder.fit(lineRows(50, 1), { kind: 'dense-ae', latnet: 2 } as never, quick),
    ).rejects.toThrow('"dense-ae" has no option "latnet"');
    const ae = await Autoencoder.fit(lineRows(100, 1), dense, { epochs: 1, seed: 1 });
    await expect(ae.score([[1, 2, 3]])).rejects.toThrow(
      'x[0]: expected rows (number[][]) of 4 values, got 3 values',
    );
    await expect(ae.score(new Float32Array(6))).rejects.toThrow(
      'x: expected a Float32Array of n × 4 values (samples of shape [4]), got 6',
    );
    const wrong = tf.zeros([2, 5]);
    await expect(ae.transform(wrong)).rejects.toThrow('x: expected a tensor of shape [n, 4], got [2,5]');
    wrong.dispose();
    await expect(ae.inverseTransform([[1, 2]])).rejects.toThrow(
      'codes[0]: expected rows (number[][]) of 1 values, got 2 values',
    );
    ae.dispose();
  });

  it('saves a model directory that loadModel reads, and loads it back with its scaling and threshold', async () => {
    await withTempDir(async (dir) => {
      const ae = await Autoencoder.fit(lineRows(200, 1), dense, { epochs: 5, seed: 2 });
      const saved = join(dir, 'saved');
      await ae.save(saved);
      const { model, manifest } = await loadModel(saved);
      expect(model.kind).toBe('dense-ae');
      expect(manifest.scaling?.method).toBe('minmax');
      model.dispose();
      const loaded = await Autoencoder.load(saved);
      expect([...(await loaded.score(OFF_LINE))]).toEqual([...(await ae.score(OFF_LINE))]);
      expect(loaded.threshold).toEqual(ae.threshold);
      expect([...(await loaded.predict(OFF_LINE))]).toEqual([...(await ae.predict(OFF_LINE))]);
      // The CLI encodes a table with the saved model, in the model's units (its saved scaling).
      const table = join(dir, 'new.csv');
      await writeFile(table, `a,b,c,d\n${OFF_LINE.map((row) => row.join(',')).join('\n')}\n`);
      const codesFile = join(dir, 'codes.csv');
      const run = await runInProcess(['encode', saved, '--data', `csv:${table}`, '--out', codesFile]);
      expect(run.stderr).not.toContain('error');
      expect(run.code).toBe(0);
      const cliCodes = (await readFile(codesFile, 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => Number(line.split(',')[1]));
      const apiCodes = await ae.transform(OFF_LINE);
      expect(cliCodes[0]).toBeCloseTo(apiCodes[0][0], 5);
      expect(cliCodes[1]).toBeCloseTo(apiCodes[1][0], 5);
      ae.dispose();
      loaded.dispose();
    });
  });

  it('keeps a knn threshold through save and load, and asks for normal samples before knn scores', async () => {
    await withTempDir(async (dir) => {
      const ae = await Autoencoder.fit(lineRows(200, 1), dense, { epochs: 5, seed: 2, score: 'knn' });
      expect(ae.scoreKind).toBe('knn');
      const saved = join(dir, 'saved');
      await ae.save(saved);
      const loaded = await Autoencoder.load(saved);
      expect(loaded.scoreKind).toBe('knn');
      expect(loaded.threshold).toEqual(ae.threshold);
      await expect(loaded.score(OFF_LINE)).rejects.toThrow(
        'the knn score needs normal samples to fit: call calibrate(normalSamples) first',
      );
      // calibrate(x) fits and thresholds on the same rows: each row is left out of its own neighbours, so the
      // threshold is that of held-out rows, not the (much lower) one of rows counting themselves at distance 0.
      const normal = lineRows(200, 1);
      const threshold = await loaded.calibrate(normal, { score: 'knn', quantile: 0.5 });
      expect(threshold.value).toBeGreaterThan(0);
      const selfScores = await loaded.score(normal);
      const sorted = Float64Array.from(selfScores).sort();
      expect(threshold.value).toBeGreaterThan(sorted[100]);
      ae.dispose();
      loaded.dispose();
    });
  });

  it('loads a run the CLI trained and encodes images given as a tensor or decoded RGBA', async () => {
    await withTempDir(async (dir) => {
      const runDir = join(dir, 'run');
      const run = await trainRun(
        {
          model: { kind: 'dense-ae', hidden: [16], latent: 2 },
          data: { source: 'mnist' },
          train: { epochs: 1, limit: 128, previewCount: 0 },
        },
        runDir,
        { monitor: false },
      );
      run.model.dispose();
      const ae = await Autoencoder.load(runDir);
      expect(ae.sampleShape).toEqual([28, 28, 1]);
      const images = tf.zeros([3, 28, 28, 1]);
      const codes = await ae.transform(images);
      expect(codes.shape).toEqual([3, 2]);
      const rgba = { width: 28, height: 28, data: new Uint8Array(28 * 28 * 4) };
      const fromImages = await ae.transform([rgba, rgba, rgba]);
      expect([...fromImages]).toEqual([...(await codes.data())]);
      await expect(
        ae.transform([{ width: 14, height: 14, data: new Uint8Array(14 * 14 * 4) }]),
      ).rejects.toThrow('x: expected images of 28x28 (samples of shape [28,28,1]), got 14x14');
      await expect(ae.sample(2)).rejects.toThrow('call calibrate(normalSamples) first');
      await ae.calibrate(images);
      expect(await ae.sample(2, { format: 'flat' })).toHaveLength(2 * 784);
      tf.dispose([images, codes]);
      ae.dispose();
    });
  });
});

// TVAE: builds only for tables, its loss by hand on a tiny batch, losses fall on a mixed table, samples keep
// the table's structure (both modes, the correlated category, alphas in range), saved networks reload.
import { beforeAll, describe, expect, it } from 'vitest';
import { tableSpans } from '../../src/data/table/encoding.js';
import { tf } from '../../src/engine/tf.js';
import { getFamily } from '../../src/models/registry.js';
import { groupSpans, spanLoss } from '../../src/models/shared/table-heads.js';
import { TvaeConfig, type TvaeModel, tvaeFamily } from '../../src/models/tvae/model.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, expectNoLeakedTensors, useBackend } from '../helpers.js';
import { mixedTable, tableContext, WIDTH } from './table-fixture.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = TvaeConfig.parse({ kind: 'tvae', hidden: [32, 32], latent: 8 });

function build(config = tiny, seed = 3) {
  return tvaeFamily.build(config, tableContext(mixedTable(50), seed)) as TvaeModel;
}

describe('tvae', () => {
  it('is registered, and refuses data without table encodings, naming --data csv', () => {
    expect(getFamily('tvae').kind).toBe('tvae');
    expect(() => tvaeFamily.build(tiny, { sampleShape: [7], seed: 1 })).toThrow(/--data csv:FILE/);
    expect(() => tvaeFamily.build(tiny, { ...tableContext(mixedTable(5)), sampleShape: [9] })).toThrow(
      /encoding is 7 wide, but the samples are \[9\]/,
    );
  });

  it('has SDV defaults: 128-128 networks, latent 128, loss factor 2, sigma starting at 0.1', () => {
    const defaults = TvaeConfig.parse({ kind: 'tvae' });
    expect(defaults).toMatchObject({ hidden: [128, 128], latent: 128, lossFactor: 2, weightDecay: 1e-5 });
    const model = build(defaults);
    const [, logSigma] = model.networks.decoder.predict(tf.zeros([1, 128])) as tf.Tensor[];
    expectClose(logSigma.dataSync(), new Float32Array(WIDTH).fill(Math.log(0.1)), 1e-6);
    tf.dispose(logSigma);
    model.dispose();
  });

  it('evaluates lossFactor · span loss + KL, by hand from the networks', () => {
    const model = build(TvaeConfig.parse({ ...tiny, lossFactor: 3, weightDecay: 0 }));
    const table = mixedTable(6, 2);
    const x = tf.tensor2d(table.x, [6, WIDTH]);
    const mask = tf.tensor2d(table.mask, [6, WIDTH]);
    const record = model.evaluate({ x, mask, step: 0 });
    // The same draw: evaluation's eps seed is the step's (seeds.ts), so recompute it.
    const expected = tf.tidy(() => {
      const [mean, logVar] = model.networks.encoder.predict(x) as tf.Tensor[];
      const eps = tf.randomNormal(mean.shape, 0, 1, 'float32', 3 * 7919 + 104_729);
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps));
      const [raw, logSigma] = model.networks.decoder.predict(z) as tf.Tensor[];
      const groups = groupSpans(tableSpans(table.encoding));
      const recon = tf.mean(
        spanLoss(raw, x, groups, mask, { logSigma: tf.reshape(tf.slice(logSigma, [0, 0], [1, -1]), [-1]) }),
      );
      const kl = tf.mean(
        tf.sum(tf.mul(0.5, tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1))), 1),
      );
      return [recon.dataSync()[0], kl.dataSync()[0]];
    });
    expect(record.reconstruction.dataSync()[0]).toBeCloseTo(expected[0], 4);
    expect(record.kl.dataSync()[0]).toBeCloseTo(expected[1], 4);
    expect(record.loss.dataSync()[0]).toBeCloseTo(3 * expected[0] + expected[1], 3);
    tf.dispose([x, mask, ...Object.values(record)]);
    model.dispose();
  });

  it('lowers its loss on a mixed table, keeps sigmas in [0.01, 1], and samples keep the structure', () => {
    const table = mixedTable(600, 4);
    const model = tvaeFamily.build(tiny, tableContext(table, 5)) as TvaeModel;
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const x = tf.tensor2d(table.x, [600, WIDTH]);
    const mask = tf.tensor2d(table.mask, [600, WIDTH]);
    const lossAt = () => {
      const r = model.evaluate({ x, mask, step: 0 });
      const v = r.reconstruction.dataSync()[0];
      tf.dispose(Object.values(r));
      return v;
    };
    const before = lossAt();
    const train = (step: number) => {
      const start = (step % 6) * 100;
      const bx = tf.slice(x, [start, 0], [100, -1]);
      const bm = tf.slice(mask, [start, 0], [100, -1]);
      tf.dispose([...Object.values(model.trainStep({ x: bx, mask: bm, step }, optimizers)), bx, bm]);
    };
    train(0); // Adam makes its moments on the first step.
    expectNoLeakedTensors(() => {
      for (let step = 1; step < 240; step++) train(step);
    }, 'tensors after training steps');
    const after = lossAt();
    expect(after).toBeLessThan(before - 2);

    const [, logSigma] = model.networks.decoder.predict(tf.zeros([1, 8])) as tf.Tensor[];
    for (const v of logSigma.dataSync()) {
      expect(v).toBeGreaterThanOrEqual(Math.log(0.01) - 1e-6);
      expect(v).toBeLessThanOrEqual(1e-6);
    }
    // The decoder's most likely row per prior draw (argmax, as SDV): what its joint has learned.
    const likeliest = tvaeFamily.restore(
      { ...model.config, choices: 'argmax' },
      model.context,
      model.networks,
    ) as TvaeModel;
    const rows = likeliest.sampleRows(2000, 11);
    const data = rows.dataSync();
    let mode1 = 0;
    let agree = 0;
    for (let i = 0; i < 2000; i++) {
      const r = data.subarray(i * WIDTH, (i + 1) * WIDTH);
      expect(Math.abs(r[0])).toBeLessThanOrEqual(1);
      expect(r[1] + r[2]).toBeCloseTo(1, 4);
      expect(r[3] + r[4] + r[5]).toBeCloseTo(1, 4);
      const mode = r[2] > r[1] ? 1 : 0;
      const level = r[3] >= r[4] && r[3] >= r[5] ? 0 : r[4] >= r[5] ? 1 : 2;
      mode1 += mode;
      if (level === mode) agree++;
    }
    // Both modes drawn about half the time, and c follows x's mode (9 in 10 in the data).
    expect(mode1 / 2000).toBeGreaterThan(0.3);
    expect(mode1 / 2000).toBeLessThan(0.7);
    expect(agree / 2000).toBeGreaterThan(0.75);
    // Drawn choices (the default): one-hot groups, both modes.
    const drawn = model.sampleRows(2000, 12);
    const drawnData = drawn.dataSync();
    let drawnMode1 = 0;
    for (let i = 0; i < 2000; i++) {
      expect(drawnData[i * WIDTH + 1] + drawnData[i * WIDTH + 2]).toBe(1);
      drawnMode1 += drawnData[i * WIDTH + 2];
    }
    expect(drawnMode1 / 2000).toBeGreaterThan(0.3);
    expect(drawnMode1 / 2000).toBeLessThan(0.7);
    tf.dispose([x, mask, logSigma, rows, drawn]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  }, 60_000);

  it('samples by seed: the same seed the same rows; valueNoise off gives the decoder mean', () => {
    const noisy = build(TvaeConfig.parse({ ...tiny, choices: 'argmax' }));
    const a = noisy.sampleRows(4, 1);
    const b = noisy.sampleRows(4, 1);
    expectClose(a.dataSync(), b.dataSync(), 0);
    const mean = noisy.generate(noisy.samplePrior(4, 1));
    const quiet = tvaeFamily.restore(
      TvaeConfig.parse({ ...tiny, choices: 'argmax', valueNoise: false }),
      noisy.context,
      noisy.networks,
    ) as TvaeModel;
    const c = quiet.sampleRows(4, 1);
    expectClose(c.dataSync(), mean.dataSync(), 1e-6);
    // With noise only value positions move: every choice position is the mean's.
    const [ad, md] = [a.dataSync(), mean.dataSync()];
    for (let i = 0; i < 4 * WIDTH; i++) if (![0, 6].includes(i % WIDTH)) expect(ad[i]).toBeCloseTo(md[i], 6);
    expect(ad[6]).not.toBeCloseTo(md[6], 6);
    tf.dispose([a, b, c, mean]);
    noisy.dispose();
  });

  it("draws choices by default: one-hot groups at about the decoder's probabilities", () => {
    const model = build(TvaeConfig.parse({ ...tiny, valueNoise: false }));
    expect(model.config.choices).toBe('draw');
    const z = tf.zeros([1, 8]);
    const probabilities = model.decode(z).dataSync().slice(3, 6); // c's group at z = 0
    // The same z 4000 times: the drawn levels' shares approach the probabilities.
    const rows = tf.tidy(() => {
      const many = tf.tile(z, [4000, 1]);
      const raw = (model.networks.decoder.predict(many) as tf.Tensor[])[0];
      return (model as unknown as { drawChoices(raw: tf.Tensor, seed: number): tf.Tensor }).drawChoices(
        raw,
        5,
      );
    });
    const data = rows.dataSync();
    for (let k = 0; k < 3; k++) {
      let count = 0;
      for (let i = 0; i < 4000; i++) count += data[i * WIDTH + 3 + k];
      expect(count / 4000).toBeCloseTo(probabilities[k], 1);
    }
    for (let i = 0; i < 4000; i++)
      expect(data[i * WIDTH + 3] + data[i * WIDTH + 4] + data[i * WIDTH + 5]).toBe(1);
    tf.dispose([z, rows]);
    model.dispose();
  });
});

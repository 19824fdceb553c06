// The transformer option of the sequence families (network: 'transformer'): the config's refusals, the masked
// and causal blocks against the unmasked block on shortened sequences, the networks' shapes, the decoder's
// causality, the encoder's indifference to padding, learning, and a save/load round trip.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, type tfl } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import { loadModel, saveModel } from '../../src/io/model-files.js';
import type { BuildContext } from '../../src/models/family.js';
import { parseModelConfig } from '../../src/models/registry.js';
import type { LanguageModel, SeqAutoencoderModel, SeqVaeModel } from '../../src/models/seq/model.js';
import { shiftRight } from '../../src/models/seq/model.js';
import { MaskedMeanPool, TokenMask, TransformerBlock } from '../../src/models/shared/attention.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, expectNoLeakedTensors, useBackend, withTempDir } from '../helpers.js';
import { build, evaluated, train } from './seq-helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const tiny = { network: 'transformer', embedding: 8, hidden: 16, heads: 2, layers: 2 } as const;

/** Deterministic, varied values in about [-1, 1]. */
function values(n: number, salt: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + salt * 3.1) * 0.9);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The message of the ConfigError `fn` throws, prefixed by its path. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return `${(error as ConfigError).path}: ${(error as Error).message}`;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('defaults to the rnn, so configs saved before the option read as they did', () => {
    for (const kind of ['seq-ae', 'seq-vae', 'lm']) {
      const { config } = parseModelConfig({ kind, cell: 'lstm', embedding: 8, hidden: 16 });
      expect(config).toMatchObject({ network: 'rnn', cell: 'lstm', heads: 4, layers: 2 });
    }
    const { config } = parseModelConfig({ kind: 'seq-vae', ...tiny });
    expect(config).toMatchObject({ network: 'transformer', cell: 'gru', heads: 2, layers: 2 });
  });

  it('refuses options the chosen network does not use, and heads that do not divide the width', () => {
    expect(configError(() => parseModelConfig({ kind: 'seq-vae', ...tiny, cell: 'lstm' }))).toMatch(
      /^model\.cell: .*cell lstm applies to network rnn; a transformer has no recurrent cell/,
    );
    expect(configError(() => parseModelConfig({ kind: 'lm', ...tiny, heads: 3 }))).toMatch(
      /^model\.heads: .*3 heads do not divide embedding 8/,
    );
    expect(configError(() => parseModelConfig({ kind: 'seq-ae', heads: 8 }))).toMatch(
      /^model\.heads: .*heads applies to network transformer, not rnn/,
    );
    expect(configError(() => parseModelConfig({ kind: 'lm', network: 'rnn', layers: 3 }))).toMatch(
      /^model\.layers: .*layers applies to network transformer, not rnn/,
    );
    expect(configError(() => parseModelConfig({ kind: 'lm', network: 'attention' }))).toMatch(
      /^model\.network/,
    );
  });
});

describe('masked and causal transformer blocks', () => {
  const dim = 8;
  const tokens = 5;
  const x = () => tf.tensor3d(values(2 * tokens * dim, 1), [2, tokens, dim]);

  it('with a key-padding mask, the kept tokens come out as the block gives them on the sequence without padding', () => {
    const block = new TransformerBlock({ heads: 2, seed: 3, name: 'masked' });
    const input = x();
    // Row 0 keeps 3 tokens, row 1 keeps all 5.
    const keep = tf.tensor2d([
      [1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1],
    ]);
    const masked = block.apply([input, keep]) as tf.Tensor;
    const short = block.apply(tf.slice(input, [0, 0, 0], [1, 3, dim])) as tf.Tensor;
    const full = block.apply(tf.slice(input, [1, 0, 0], [1, tokens, dim])) as tf.Tensor;
    expectClose(tf.slice(masked, [0, 0, 0], [1, 3, dim]).dataSync(), short.dataSync(), 1e-5);
    expectClose(tf.slice(masked, [1, 0, 0], [1, tokens, dim]).dataSync(), full.dataSync(), 1e-5);
    // The padding does matter without the mask.
    const unmasked = block.apply(input) as tf.Tensor;
    expect(maxAbsDiff(tf.slice(unmasked, [0, 0, 0], [1, 3, dim]), short)).toBeGreaterThan(1e-3);
    tf.dispose([input, keep, masked, short, full, unmasked]);
  });

  it('causal: token t comes out as the plain block gives the last token of the first t + 1', () => {
    const block = new TransformerBlock({ heads: 2, causal: true, seed: 4, name: 'causal' });
    const plain = new TransformerBlock({ heads: 2, seed: 4, name: 'plain' });
    const input = x();
    const out = block.apply(input) as tf.Tensor;
    plain.apply(input); // builds it, then it takes the causal block's weights
    plain.setWeights(block.getWeights());
    for (let t = 0; t < tokens; t++) {
      const prefix = plain.apply(tf.slice(input, [0, 0, 0], [2, t + 1, dim])) as tf.Tensor;
      expectClose(
        tf.slice(out, [0, t, 0], [2, 1, dim]).dataSync(),
        tf.slice(prefix, [0, t, 0], [2, 1, dim]).dataSync(),
        1e-5,
      );
    }
    expect(block.getConfig()).toMatchObject({ causal: true });
    // A block saved before `causal` existed (attention-ae's) reads as not causal.
    const { causal: _, ...old } = plain.getConfig();
    expect(TransformerBlock.fromConfig(TransformerBlock, old).getConfig()).toMatchObject({ causal: false });
  });

  it('TokenMask marks real ids 1 and <pad> 0; MaskedMeanPool averages the kept tokens only, by hand', () => {
    const ids = tf.tensor2d([
      [5, 3, 0],
      [0, 0, 0],
    ]);
    const keep = new TokenMask({ name: 'mask' }).apply(ids) as tf.Tensor;
    expect(keep.arraySync()).toEqual([
      [1, 1, 0],
      [0, 0, 0],
    ]);
    const h = tf.tensor3d([
      [
        [1, 2],
        [3, 6],
        [100, 100],
      ],
      [
        [7, 7],
        [7, 7],
        [7, 7],
      ],
    ]);
    const pooled = new MaskedMeanPool({ name: 'pool' }).apply([h, keep]) as tf.Tensor;
    expectClose(pooled.dataSync(), [2, 4, 0, 0], 1e-6);
    tf.dispose([ids, keep, h, pooled]);
  });
});

const text = (length: number): BuildContext => ({ sampleShape: [length], vocabularySize: 12, seed: 5 });

describe('transformer networks', () => {
  it('take and give what the rnn networks do (conditional seq-vae, seq-ae, lm)', () => {
    const context = { ...text(7), numClasses: 3 };
    const vae = build({ kind: 'seq-vae', ...tiny, latent: 4, conditional: true }, context) as SeqVaeModel;
    const rnn = build({ kind: 'seq-vae', embedding: 8, hidden: 16, latent: 4, conditional: true }, context);
    for (const name of ['encoder', 'decoder'] as const) {
      const shapes = (m: tfl.LayersModel) => [m.inputs.map((i) => i.shape), m.outputs.map((o) => o.shape)];
      expect(shapes(vae.networks[name])).toEqual(shapes(rnn.networks[name] as tfl.LayersModel));
    }
    expect(vae.networks.decoder.outputs[0].shape).toEqual([null, 7, 12]);
    const ae = build({ kind: 'seq-ae', ...tiny, latent: 4 }, text(7)) as SeqAutoencoderModel;
    expect(ae.networks.encoder.outputs.map((o) => o.shape)).toEqual([[null, 4]]);
    const lm = build({ kind: 'lm', ...tiny }, text(7)) as LanguageModel;
    expect(lm.networks.decoder.inputs.map((i) => i.shape)).toEqual([[null, 7]]);
    expect(lm.networks.decoder.outputs[0].shape).toEqual([null, 7, 12]);
    // heads, layers and hidden reach the blocks: 2 + 2 blocks of 2 heads, feed-forward width 16.
    const blocks = ae.networks.decoder.layers.filter(
      (l) => l instanceof TransformerBlock,
    ) as TransformerBlock[];
    expect(blocks.map((b) => [b.heads, b.causal, b.hiddenUnits(8)])).toEqual([
      [2, true, 16],
      [2, true, 16],
    ]);
    for (const m of [vae, rnn, ae, lm]) m.dispose();
  });

  it('decoder is causal: changing input token t + 1 leaves the logits at positions ≤ t unchanged', () => {
    const model = build({ kind: 'seq-ae', ...tiny, latent: 4 }, text(8)) as SeqAutoencoderModel;
    const decoder = model.networks.decoder;
    const ids = [2, 4, 5, 6, 7, 8, 3, 0];
    const z = tf.tensor2d([values(4, 2)]);
    const before = decoder.predict([tf.tensor2d([ids]), z]) as tf.Tensor;
    for (const t of [0, 3, 6]) {
      const changed = [...ids];
      changed[t + 1] = 11;
      const after = decoder.predict([tf.tensor2d([changed]), z]) as tf.Tensor;
      const head = (l: tf.Tensor) => tf.slice(l, [0, 0, 0], [1, t + 1, 12]);
      const tail = (l: tf.Tensor) => tf.slice(l, [0, t + 1, 0], [1, 8 - t - 1, 12]);
      expect(maxAbsDiff(head(before), head(after))).toBeLessThan(1e-6);
      expect(maxAbsDiff(tail(before), tail(after))).toBeGreaterThan(1e-4);
      after.dispose();
    }
    // And the code reaches every position.
    const otherCode = decoder.predict([tf.tensor2d([ids]), tf.tensor2d([values(4, 9)])]) as tf.Tensor;
    for (let t = 0; t < 8; t++) {
      const at = (l: tf.Tensor) => tf.slice(l, [0, t, 0], [1, 1, 12]);
      expect(maxAbsDiff(at(before), at(otherCode))).toBeGreaterThan(1e-4);
    }
    tf.dispose([z, before, otherCode]);
    model.dispose();
  });

  it('encoder ignores padding: a sentence padded to 10 gets the code it gets padded to 6', () => {
    const config = { kind: 'seq-vae', ...tiny, latent: 4 };
    const long = build(config, text(10)) as SeqVaeModel;
    const short = build(config, text(6)) as SeqVaeModel;
    // The same weights; the short encoder's positions are the long one's first 6.
    short.networks.encoder.setWeights(
      long.networks.encoder.getWeights().map((w, i) => {
        const want = short.networks.encoder.getWeights()[i].shape;
        return w.shape[0] === want[0] ? w : tf.slice(w, [0, 0], want);
      }),
    );
    const sentences = [
      [4, 5, 6, 3],
      [7, 3],
      [8, 9, 10, 11, 3],
    ];
    const padded = (length: number) =>
      tf.tensor2d(sentences.map((s) => [...s, ...new Array<number>(length - s.length).fill(0)]));
    const a = long.encode(padded(10));
    const b = short.encode(padded(6));
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    // The codes do depend on the sentence: changing one token moves it.
    const other = short.encode(tf.tensor2d([[4, 5, 9, 3, 0, 0]]));
    expect(maxAbsDiff(tf.slice(b, [0, 0], [1, 4]), other)).toBeGreaterThan(1e-4);
    tf.dispose([a, b, other]);
    long.dispose();
    short.dispose();
  });
});

/** Eight sentences over real tokens 4 .. 11 of lengths 2 to 6, then <eos> and pads to 8. */
function handful(): tf.Tensor2D {
  const rows = [
    [4, 5, 6],
    [7, 8],
    [9, 10, 11, 4],
    [5, 7, 9, 11, 6],
    [11, 10],
    [6, 6, 8, 8],
    [10, 4, 5, 9, 7, 8],
    [8, 11, 4],
  ];
  return tf.tensor2d(rows.map((r) => [...r, 3, ...new Array<number>(7 - r.length).fill(0)]));
}

describe('learning', () => {
  it('a tiny transformer seq-ae memorises a handful of sentences; greedy decoding gives most tokens back', () => {
    const x = handful();
    const model = build(
      { kind: 'seq-ae', network: 'transformer', embedding: 16, hidden: 32, heads: 2, layers: 1, latent: 8 },
      { sampleShape: [8], vocabularySize: 12, seed: 1 },
    ) as SeqAutoencoderModel;
    const before = evaluated(model, x);
    train(model, x, 50, 0.02);
    const after = evaluated(model, x);
    expect(before.nllPerToken).toBeGreaterThan(0.8 * Math.log(12));
    expect(after.nllPerToken).toBeLessThan(0.1 * before.nllPerToken);
    expectNoLeakedTensors(() => model.reconstruct(x).dispose());
    const wanted = x.arraySync();
    const got = model.reconstruct(x).arraySync() as number[][];
    const tokens = wanted.flatMap((row, i) => row.map((id, t) => [id, got[i][t]])).filter(([id]) => id !== 0);
    const right = tokens.filter(([id, decoded]) => id === decoded).length;
    expect(right / tokens.length).toBeGreaterThan(0.9);
    x.dispose();
    model.dispose();
  }, 60_000);

  it('a transformer lm trains: NLL per token falls well below log(vocabulary), without leaking', () => {
    const x = handful();
    const model = build(
      { kind: 'lm', network: 'transformer', embedding: 16, hidden: 32, heads: 2, layers: 1 },
      { sampleShape: [8], vocabularySize: 12, seed: 2 },
    );
    const before = evaluated(model, x).nllPerToken;
    const optimizers = createOptimizers(model, TrainConfig.parse({ optimizer: { learningRate: 0.02 } }));
    const step = (i: number) =>
      tf.dispose(Object.values(model.trainStep({ x, step: i, epoch: 1 }, optimizers)));
    for (let i = 0; i < 50; i++) {
      // After the first step, which creates Adam's moments, a step leaves no tensor behind.
      if (i === 1) expectNoLeakedTensors(() => step(i), 'a transformer lm training step');
      else step(i);
    }
    for (const o of Object.values(optimizers)) o.dispose();
    const after = evaluated(model, x).nllPerToken;
    expect(before).toBeGreaterThan(0.8 * Math.log(12));
    // The first token is one of 8 equally likely: log(8) / 4.6 tokens a sentence is the floor, about 0.45.
    expect(after).toBeLessThan(0.4 * Math.log(12));
    x.dispose();
    model.dispose();
  }, 60_000);
});

describe('save and load', () => {
  it('a conditional transformer seq-vae round-trips: the same codes and logits', async () => {
    const context = { ...text(8), numClasses: 2 };
    const model = build({ kind: 'seq-vae', ...tiny, latent: 4, conditional: true }, context) as SeqVaeModel;
    const x = handful();
    const labels = tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32');
    // A few steps, so the norms and positions are no longer their initial values.
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    for (let step = 0; step < 3; step++)
      tf.dispose(Object.values(model.trainStep({ x, labels, step, epoch: 1 }, optimizers)));
    for (const o of Object.values(optimizers)) o.dispose();
    const outputs = (m: SeqVaeModel) =>
      tf.tidy(() => {
        const y = tf.oneHot(labels, 2);
        const [mean, logVar] = m.networks.encoder.predict([x, y]) as tf.Tensor[];
        const logits = m.networks.decoder.predict([shiftRight(x), mean, y]) as tf.Tensor;
        return [mean, logVar, logits];
      });
    await withTempDir(async (dir) => {
      await saveModel(model, dir);
      const { model: loaded } = await loadModel(dir);
      expect(loaded.config).toEqual(model.config);
      const expected = outputs(model);
      const got = outputs(loaded as SeqVaeModel);
      for (let i = 0; i < 3; i++)
        expect(Array.from(got[i].dataSync())).toEqual(Array.from(expected[i].dataSync()));
      const recon = (loaded as SeqVaeModel).reconstruct(x, labels);
      const again = model.reconstruct(x, labels);
      expect(recon.arraySync()).toEqual(again.arraySync());
      tf.dispose([...expected, ...got, recon, again]);
      loaded.dispose();
    });
    tf.dispose([x, labels]);
    model.dispose();
  }, 30_000);
});

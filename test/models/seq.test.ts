// The sequence families' numerics (seq-ae, seq-vae, lm): the masked cross-entropy by hand, the teacher-forcing
// shift, word dropout, the KL annealing schedules, greedy decoding's <eos> and pads, and that the models learn
// a toy corpus. The contract suite (contract.test.ts) covers building, saving, loading and leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { ConfigError } from '../../src/errors.js';
import type { BuildContext } from '../../src/models/family.js';
import {
  klAnnealWeight,
  type LanguageModel,
  padAfterEos,
  type SeqAutoencoderModel,
  shiftRight,
  tokenNll,
  wordDropout,
} from '../../src/models/seq/model.js';
import { TrainConfig } from '../../src/train/config.js';
import { createOptimizers } from '../../src/train/trainer.js';
import { expectClose, expectNoLeakedTensors, useBackend } from '../helpers.js';
import { build, evaluated, toyCorpus, train } from './seq-helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

const logSoftmax = (row: number[]) => {
  const max = Math.max(...row);
  const log = Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max;
  return row.map((v) => v - log);
};

describe('tokenNll (masked cross-entropy)', () => {
  it('sums -log p of the non-pad targets (the <eos> counts), and ignores whatever the pad positions hold', () => {
    const rows = [
      [0.5, -1, 2, 0, 1],
      [1, 0, 0, 3, -2],
      [9, 9, -9, 9, 9],
    ];
    const x = tf.tensor2d([[4, 3, 0]]);
    const logits = tf.tensor3d([rows]);
    const { nll, tokens, correct } = tokenNll(logits, x);
    const expected = -(logSoftmax(rows[0])[4] + logSoftmax(rows[1])[3]);
    expectClose(nll.dataSync(), [expected], 1e-5);
    expect(Array.from(tokens.dataSync())).toEqual([2]);
    // Position 0's argmax is id 2 (wrong), position 1's is id 3 (right); the pad position does not count.
    expect(Array.from(correct.dataSync())).toEqual([1]);
    const changed = tf.tensor3d([[rows[0], rows[1], [-5, 0, 40, 1, 2]]]);
    const again = tokenNll(changed, x);
    expectClose(again.nll.dataSync(), [expected], 1e-5);
    tf.dispose([x, logits, nll, tokens, correct, changed, again.nll, again.tokens, again.correct]);
  });
});

describe('teacher forcing', () => {
  it('shifts x right one step with <bos> (2) first', () => {
    const x = tf.tensor2d([
      [5, 6, 3, 0],
      [7, 8, 9, 3],
    ]);
    const shifted = shiftRight(x);
    expect(shifted.arraySync()).toEqual([
      [2, 5, 6, 3],
      [2, 7, 8, 9],
    ]);
    tf.dispose([x, shifted]);
  });
});

describe('word dropout', () => {
  it('replaces real tokens (id ≥ 4) with <unk> at the rate, seeded; <bos>, <eos>, <pad> stay', () => {
    const n = 20_000;
    const ids = Float32Array.from({ length: n }, (_, i) => [2, 4, 5, 6, 3, 0, 7, 8][i % 8]);
    const input = tf.tensor2d(ids, [n / 8, 8]);
    const dropped = wordDropout(input, 0.25, 11);
    const again = wordDropout(input, 0.25, 11);
    const out = dropped.dataSync();
    let real = 0;
    let unk = 0;
    for (let i = 0; i < n; i++) {
      if (ids[i] >= 4) {
        real++;
        if (out[i] === 1) unk++;
        else expect(out[i]).toBe(ids[i]);
      } else {
        expect(out[i]).toBe(ids[i]);
      }
    }
    expect(Math.abs(unk / real - 0.25)).toBeLessThan(0.015);
    expect(Array.from(again.dataSync())).toEqual(Array.from(out));
    // The input itself is not changed (the targets are x, never the dropped copy).
    expect(Array.from(input.dataSync())).toEqual(Array.from(ids));
    tf.dispose([input, dropped, again]);
  });

  it("drops the decoder's input in training but never the targets", () => {
    const context: BuildContext = { sampleShape: [5], vocabularySize: 9, seed: 2 };
    const model = build({ kind: 'lm', embedding: 4, hidden: 8, wordDropout: 1 }, context) as LanguageModel;
    const x = tf.tensor2d([
      [4, 5, 6, 3, 0],
      [7, 8, 3, 0, 0],
    ]);
    // Rate 1: every real token of the shifted input is <unk>; the targets stay x.
    const allUnk = tf.tensor2d([
      [2, 1, 1, 1, 3],
      [2, 1, 1, 3, 0],
    ]);
    const expected = tf.tidy(() => {
      // The loss is the mean NLL per sentence.
      const { nll } = tokenNll(model.networks.decoder.apply(allUnk) as tf.Tensor, x);
      return tf.mean(nll).dataSync()[0];
    });
    const optimizers = createOptimizers(model, TrainConfig.parse({}));
    const record = model.trainStep({ x, step: 0, epoch: 1 }, optimizers);
    expectClose(record.loss.dataSync(), [expected], 1e-5);
    tf.dispose([x, allUnk, ...Object.values(record)]);
    for (const o of Object.values(optimizers)) o.dispose();
    model.dispose();
  });
});

describe('KL annealing', () => {
  it('linear: beta · step / klAnnealSteps, capped at beta', () => {
    const config = { beta: 2, klAnneal: 'linear' as const, klAnnealSteps: 100 };
    expect([0, 25, 50, 100, 400].map((s) => klAnnealWeight(config, s))).toEqual([0, 0.5, 1, 2, 2]);
  });

  it('logistic: beta / (1 + exp(-10 (step - steps/2) / steps)), half of beta at the midpoint', () => {
    const config = { beta: 2, klAnneal: 'logistic' as const, klAnnealSteps: 100 };
    expect(klAnnealWeight(config, 50)).toBeCloseTo(1, 12);
    expect(klAnnealWeight(config, 0)).toBeCloseTo(2 / (1 + Math.exp(5)), 12);
    expect(klAnnealWeight(config, 100)).toBeCloseTo(2 / (1 + Math.exp(-5)), 12);
    expect(klAnnealWeight(config, 70)).toBeCloseTo(2 / (1 + Math.exp(-2)), 12);
  });

  it('none, or no step (evaluation): beta', () => {
    expect(klAnnealWeight({ beta: 0.5, klAnneal: 'none', klAnnealSteps: 10 }, 0)).toBe(0.5);
    expect(klAnnealWeight({ beta: 0.5, klAnneal: 'linear', klAnnealSteps: 10 })).toBe(0.5);
  });
});

describe('greedy decoding', () => {
  it('pads every id after the first <eos>', () => {
    const ids = Float32Array.from([5, 3, 6, 3, 7, 8, 9, 3, 4, 5, 6, 7]);
    expect(Array.from(padAfterEos(ids, 4))).toEqual([5, 3, 0, 0, 7, 8, 9, 3, 4, 5, 6, 7]);
  });

  it('decodes token ids: never <pad> or <bos> before <eos>, only <pad> after it', () => {
    const context: BuildContext = { sampleShape: [7], vocabularySize: 8, seed: 4 };
    const model = build(
      { kind: 'seq-vae', embedding: 4, hidden: 8, latent: 2 },
      context,
    ) as SeqAutoencoderModel;
    const z = tf.randomNormal([16, 2], 0, 3, 'float32', 1);
    const ids = model.decode(z).arraySync() as number[][];
    for (const row of ids) {
      const end = row.indexOf(3);
      const body = end < 0 ? row : row.slice(0, end);
      for (const id of body) expect(id === 1 || id >= 4, `id ${id} in ${row}`).toBe(true);
      if (end >= 0) expect(row.slice(end + 1).every((id) => id === 0)).toBe(true);
    }
    tf.dispose(z);
    model.dispose();
  });

  it('refuses data without a vocabulary', () => {
    expect(() => build({ kind: 'seq-ae' }, { sampleShape: [6], seed: 1 })).toThrow(ConfigError);
    expect(() => build({ kind: 'lm' }, { sampleShape: [6], seed: 1 })).toThrow(/needs text data/);
  });

  it('refuses a vocabulary too large to allocate, before building (embeddings and softmax are counted)', () => {
    expect(() => build({ kind: 'lm' }, { sampleShape: [8], vocabularySize: 1_000_000, seed: 1 })).toThrow(
      /parameters; the limit/,
    );
  });
});

const toy: BuildContext = { sampleShape: [8], vocabularySize: 10, seed: 1 };

describe('learning a toy corpus', () => {
  it('seq-ae reconstructs its training rows (token accuracy near 1, greedy decodes them back)', () => {
    const x = toyCorpus();
    const model = build({ kind: 'seq-ae', embedding: 16, hidden: 32, latent: 8 }, toy) as SeqAutoencoderModel;
    train(model, x, 150, 0.02);
    const { accuracy } = evaluated(model, x);
    expect(accuracy).toBeGreaterThan(0.97);
    expectNoLeakedTensors(() => model.reconstruct(x).dispose());
    const recon = model.reconstruct(x);
    const wanted = x.arraySync() as number[][];
    const got = recon.arraySync() as number[][];
    const exact = got.filter((row, i) => row.every((id, t) => id === wanted[i][t])).length;
    expect(exact / 64).toBeGreaterThan(0.9);
    tf.dispose([x, recon]);
    model.dispose();
  });

  it('lm brings its NLL per token well below log(vocabulary)', () => {
    const x = toyCorpus();
    const model = build({ kind: 'lm', embedding: 16, hidden: 32 }, toy);
    const before = evaluated(model, x).nllPerToken;
    train(model, x, 150, 0.02);
    const after = evaluated(model, x);
    expect(before).toBeGreaterThan(0.9 * Math.log(10));
    // The first token is uniform over 6 and the lengths over 5: about 0.7 nats a token at best.
    expect(after.nllPerToken).toBeLessThan(0.5 * Math.log(10));
    // The loss is the NLL per sentence (the seq-vae's scale), not per token.
    expect(after.loss).toBeCloseTo(after.nll, 4);
    tf.dispose(x);
    model.dispose();
  });

  it('seq-vae reports nll per sentence and per token, kl and the bound nll + kl', () => {
    const x = toyCorpus();
    const model = build({ kind: 'seq-vae', embedding: 8, hidden: 16, latent: 4 }, toy);
    const record = evaluated(model, x);
    expect(record.negElbo).toBeCloseTo(record.nll + record.kl, 4);
    // Evaluation weighs the KL by beta (1): the loss is the bound.
    expect(record.loss).toBeCloseTo(record.negElbo, 4);
    expect(record.nll / record.nllPerToken).toBeCloseTo(
      (x.arraySync() as number[][]).flat().filter((id) => id !== 0).length / 64,
      3,
    );
    tf.dispose(x);
    model.dispose();
  });
});

// Beam search (src/models/seq/decoding.ts): on a table of next-token probabilities where the answers are worked
// out by hand (greedy's trap, the length penalty, rows batched apart), then on small trained models: width 1 is
// greedy decoding, and a wider beam's sentences score at least as well as greedy's under the model's own
// log-probability.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/engine/tf.js';
import { UsageError } from '../../src/errors.js';
import type { BuildContext } from '../../src/models/family.js';
import {
  BOS,
  beamSearch,
  GREEDY,
  type LanguageModel,
  lengthNormaliser,
  type NextLogProbs,
  type SeqAutoencoderModel,
} from '../../src/models/seq/model.js';
import { expectClose, expectNoLeakedTensors, useBackend } from '../helpers.js';
import { build, toyCorpus, train } from './seq-helpers.js';

beforeAll(async () => {
  await useBackend('wasm');
});

// Ids of the table: <pad> 0, <unk> 1, <bos> 2, <eos> 3, a 4, b 5.
const [UNK, EOS, A, B] = [1, 3, 4, 5];

/**
 * p(next | prefix) for the prefixes that matter; any other prefix says <eos> surely. <pad> and <bos> get some
 * probability, which the search must never take. Greedy takes a (0.55) and then <eos> (0.4): p = 0.22. The
 * best sentence is b <eos>: 0.4 · 0.9 = 0.36. The best of three tokens is a a <eos>: 0.55 · 0.35 = 0.1925.
 */
const TABLE: Record<string, Record<number, number>> = {
  '': { 0: 0.01, 2: 0.01, [UNK]: 0.01, [EOS]: 0.02, [A]: 0.55, [B]: 0.4 },
  [`${A}`]: { [EOS]: 0.4, [A]: 0.35, [B]: 0.25 },
  [`${B}`]: { [EOS]: 0.9, [A]: 0.05, [B]: 0.05 },
};

/** The table as a NextLogProbs over `width` hypotheses per row; odd rows read it with a and b swapped. */
function tableNext(width: number, length: number): NextLogProbs {
  const swap = (id: number) => (id === A ? B : id === B ? A : id);
  return (input, rows, t) => {
    const out = new Float32Array(rows * 6).fill(Math.log(1e-12));
    for (let r = 0; r < rows; r++) {
      const odd = Math.floor(r / width) % 2 === 1;
      const prefix = Array.from(input.subarray(r * length + 1, r * length + t + 1), (id) =>
        odd ? swap(id) : id,
      ).join(',');
      expect(input[r * length]).toBe(BOS);
      for (const [id, p] of Object.entries(TABLE[prefix] ?? { [EOS]: 1 }))
        out[r * 6 + (odd ? swap(Number(id)) : Number(id))] = Math.log(p);
    }
    return tf.tensor2d(out, [rows, 6]);
  };
}

describe('beam search on a table worked out by hand', () => {
  const search = (width: number, lengthPenalty: number, n = 1) =>
    Array.from(beamSearch(tableNext(width, 3), n, { width, lengthPenalty, maxLength: 3 }));

  it('width 1 is greedy (a <eos>); width 2 finds the more likely b <eos>', () => {
    expect(search(1, 0)).toEqual([A, EOS, 0]);
    expect(search(2, 0)).toEqual([B, EOS, 0]);
    expect(search(5, 0)).toEqual([B, EOS, 0]);
  });

  it('searches each row of a batch apart (the second row reads the table with a and b swapped)', () => {
    expect(search(2, 0, 3)).toEqual([B, EOS, 0, A, EOS, 0, B, EOS, 0]);
    expect(search(1, 0, 2)).toEqual([A, EOS, 0, B, EOS, 0]);
  });

  it("the length penalty log p / ((5 + length) / 6)^α favours longer sentences as α grows (GNMT's)", () => {
    expect(lengthNormaliser(1, 0.6)).toBe(1);
    expect(lengthNormaliser(7, 2)).toBeCloseTo(4, 12);
    // α = 5: b <eos> scores log 0.36 / (7/6)^5 = -0.4727; a a <eos> log 0.1925 / (8/6)^5 = -0.3910.
    expect(Math.log(0.36) / lengthNormaliser(2, 5)).toBeCloseTo(-0.4727, 4);
    expect(Math.log(0.1925) / lengthNormaliser(3, 5)).toBeCloseTo(-0.391, 4);
    expect(search(2, 5)).toEqual([A, A, EOS]);
    // α = 1: log 0.36 / (7/6) = -0.876 still beats log 0.1925 / (8/6) = -1.236.
    expect(search(2, 1)).toEqual([B, EOS, 0]);
  });

  it('refuses a width below 1 and a negative α, naming the field', () => {
    expect(() => search(0, 0)).toThrow(UsageError);
    expect(() => search(0, 0)).toThrow('expected a beam width of at least 1, got 0');
    expect(() => search(2, -1)).toThrow('expected a length penalty α ≥ 0, got -1');
  });
});

const toy: BuildContext = { sampleShape: [8], vocabularySize: 10, seed: 1 };

/** The model's decoder as the search's NextLogProbs, each code repeated `width` times. */
function decoderNext(model: SeqAutoencoderModel, z: tf.Tensor, width: number): NextLogProbs {
  const tiled = tf.tidy(() =>
    tf.gather(
      z,
      tf.tensor1d(
        Int32Array.from({ length: z.shape[0] * width }, (_, r) => Math.floor(r / width)),
        'int32',
      ),
    ),
  );
  return (input, rows, t) => {
    const logits = model.networks.decoder.apply([tf.tensor2d(input, [rows, 8]), tiled]) as tf.Tensor;
    return tf.logSoftmax(tf.reshape(tf.slice(logits, [0, t, 0], [rows, 1, 10]), [rows, 10])) as tf.Tensor2D;
  };
}

describe('beam search on trained models', () => {
  it('seq-vae: width 1 is greedy; width 4 scores at least as well as greedy on every row, better on some', () => {
    const x = toyCorpus();
    const model = build(
      { kind: 'seq-vae', embedding: 16, hidden: 32, latent: 4, klAnneal: 'none' },
      toy,
    ) as SeqAutoencoderModel;
    train(model, x, 25, 0.02);
    // Prior draws: codes the decoder is unsure about, where a search has something to find.
    const z = tf.randomNormal([32, 4], 0, 1, 'float32', 7);
    const greedy = model.decode(z);
    const next = decoderNext(model, z, 1);
    expect(
      Array.from(tf.tidy(() => beamSearch(next, 32, { width: 1, lengthPenalty: 0, maxLength: 8 }))),
    ).toEqual(Array.from(greedy.dataSync()));

    model.decoding = { ...GREEDY, beam: 4 };
    const beam = model.decode(z);
    const ids = beam.arraySync() as number[][];
    for (const row of ids) {
      const end = row.indexOf(EOS);
      for (const id of end < 0 ? row : row.slice(0, end)) expect(id === UNK || id >= 4, `${row}`).toBe(true);
      if (end >= 0)
        expect(
          row.slice(end + 1).every((id) => id === 0),
          `${row}`,
        ).toBe(true);
    }
    const beamScore = model.logProbability(beam, z).dataSync();
    const greedyScore = model.logProbability(greedy, z).dataSync();
    let better = 0;
    for (let i = 0; i < 32; i++) {
      expect(beamScore[i], `row ${i}`).toBeGreaterThanOrEqual(greedyScore[i] - 1e-4);
      if (beamScore[i] > greedyScore[i] + 1e-4) better++;
    }

    expect(better).toBeGreaterThan(0);
    expectNoLeakedTensors(() => model.decode(z).dispose());

    // Drawing and searching do not mix.
    model.decoding = { ...GREEDY, beam: 4, temperature: 1 };
    expect(() => model.decode(z)).toThrow(
      'decoding.beam: a beam search looks for the most likely sentence and draws nothing: it takes no temperature (got 1)',
    );
    tf.dispose([x, z, greedy, beam]);
    model.dispose();
  }, 40_000);

  it("lm: the model's log-probability is minus its NLL; a beam writes a sentence at least as likely as greedy's", () => {
    const x = toyCorpus();
    const model = build({ kind: 'lm', embedding: 16, hidden: 32 }, toy) as LanguageModel;
    train(model, x, 25, 0.02);
    const record = model.evaluate({ x, step: 0 });
    const score = model.logProbability(x);
    expectClose([-tf.mean(score).dataSync()[0]], [record.nll.dataSync()[0]], 1e-4);
    expect(() => model.logProbability(x, tf.zeros([64, 4]))).toThrow('lm has no code to score with');

    const greedy = model.writeSentences(2);
    model.decoding = { ...GREEDY, beam: 3 };
    const beam = model.writeSentences(2);
    // No code, nothing drawn: every row is the same sentence.
    const rows = beam.arraySync() as number[][];
    expect(rows[1]).toEqual(rows[0]);
    const [beamScore] = model.logProbability(beam).dataSync();
    const [greedyScore] = model.logProbability(greedy).dataSync();
    expect(beamScore).toBeGreaterThanOrEqual(greedyScore - 1e-4);
    tf.dispose([x, score, greedy, beam, ...Object.values(record)]);
    model.dispose();
  }, 30_000);
});

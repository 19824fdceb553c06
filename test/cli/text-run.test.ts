// A text run through the CLI, end to end: train a sequence autoencoder on a file of lines, then `sample` prints
// sentences in the run's own words, `reconstruct` prints inputs beside outputs with the share of tokens
// reconstructed exactly (token ids have no distance to average, so no MSE), and `evaluate` gives the text
// figures; a language model on the same lines is evaluated by its exact NLL per token and perplexity.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsAsText, tokenAccuracy } from '../../src/data/text/vocabulary.js';
import { activeUnits, countTokens } from '../../src/eval/text.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';
import { patternCorpus as corpus } from '../text-fixtures.js';

describe('text helpers for printing', () => {
  const vocabulary = {
    tokenizer: 'word' as const,
    tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b'],
    maxLength: 4,
  };

  it('turns rows of ids into one string each, stopping at <eos>', () => {
    expect(rowsAsText(vocabulary, [4, 5, 3, 0, 5, 9, 3, 0], 2)).toEqual(['a b', 'b <unk>']);
  });

  it('counts every non-pad target token, <eos> included', () => {
    expect(tokenAccuracy([4, 5, 3, 0], [4, 4, 3, 7])).toBeCloseTo(2 / 3);
    expect(tokenAccuracy([0, 0], [1, 1])).toBe(0);
  });
});

describe('text figures', () => {
  it('counts every non-pad position as a token', () => {
    expect(countTokens([4, 5, 3, 0, 6, 3, 0, 0])).toBe(5);
  });

  it('counts as active the dimensions whose code varies by more than 0.01 across the data', () => {
    // Dimension 0 varies (variance 1), dimension 1 barely (variance 0.0025), dimension 2 not at all.
    const codes = { rows: 2, cols: 3, data: new Float32Array([-1, 0.05, 2, 1, -0.05, 2]) };
    expect(activeUnits(codes)).toBe(1);
    expect(activeUnits(codes, 0.001)).toBe(2);
  });
});

describe('latentlab on text', () => {
  it('trains a seq-ae on a file of lines; sample prints sentences, reconstruct prints in and out', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'lines.txt');
      await writeFile(file, corpus(400));
      const run = join(dir, 'run');
      const trained = await runInProcess([
        'train',
        '--model',
        'seq-ae',
        '--data',
        `text:${file}`,
        '--embedding',
        '16',
        '--hidden',
        '32',
        '--latent',
        '8',
        '--max-length',
        '8',
        '--min-count',
        '1',
        '--epochs',
        '12',
        '--batch-size',
        '32',
        '--out',
        run,
      ]);
      expect(trained.code, trained.stderr).toBe(0);

      const sampled = await runInProcess(['sample', run, '--n', '3', '--seed', '1']);
      expect(sampled.code, sampled.stderr).toBe(0);
      const lines = sampled.stdout.trim().split('\n');
      expect(lines[0]).toContain('3 samples');
      expect(lines.slice(1)).toHaveLength(3);
      for (const line of lines.slice(1)) expect(line.split(' ').every((t) => t.length > 0)).toBe(true);

      // Drawn tokens: the same seed draws the same sentences; top-k without a temperature is refused.
      const drawn = ['sample', run, '--n', '4', '--seed', '5', '--temperature', '1', '--top-k', '3'];
      const first = await runInProcess(drawn);
      expect(first.code, first.stderr).toBe(0);
      expect((await runInProcess(drawn)).stdout).toBe(first.stdout);
      expect(first.stdout.trim().split('\n')).toHaveLength(5);
      // Among the top 1 only, a draw is the greedy choice.
      const greedy = await runInProcess(['sample', run, '--n', '4', '--seed', '5']);
      const topOne = await runInProcess([
        'sample',
        run,
        '--n',
        '4',
        '--seed',
        '5',
        '--temperature',
        '1',
        '--top-k',
        '1',
      ]);
      expect(topOne.stdout).toBe(greedy.stdout);
      const refused = await runInProcess(['sample', run, '--top-k', '3']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--top-k: draws tokens, so it needs a --temperature above 0');

      const rec = await runInProcess(['reconstruct', run, '--n', '2']);
      expect(rec.code, rec.stderr).toBe(0);
      const share = /tokens reconstructed exactly ([\d.]+)%/.exec(rec.stdout);
      expect(share, rec.stdout).not.toBeNull();
      // The pattern is learnable: well above the share a constant guess gets (one word of five).
      expect(Number(share?.[1])).toBeGreaterThan(50);
      expect(rec.stdout).toMatch(/ {2}in: {2}the \w+ \w+ \w+ \.\n {2}out: /);

      const evaluated = await runInProcess(['evaluate', run, '--json']);
      expect(evaluated.code, evaluated.stderr).toBe(0);
      const text = JSON.parse(evaluated.stdout).text;
      // 80 test sentences of 5 tokens and <eos> (max length 8: nothing cut).
      expect(text).toMatchObject({ sentences: 80, tokens: 480, latent: 8 });
      expect(text.tokenAccuracy).toBeGreaterThan(0.5);
      expect(text.activeUnits).toBeGreaterThan(0);
      expect(text.nllPerToken).toBeUndefined(); // an autoencoder's reconstruction NLL is not a likelihood

      const lm = join(dir, 'lm');
      const args = ['--data', `text:${file}`, '--embedding', '16', '--hidden', '32', '--max-length', '8'];
      const trainedLm = await runInProcess([
        'train',
        '--model',
        'lm',
        ...args,
        '--min-count',
        '1',
        '--epochs',
        '12',
        '--batch-size',
        '32',
        '--out',
        lm,
      ]);
      expect(trainedLm.code, trainedLm.stderr).toBe(0);
      // A language model writes sentences from <bos>: greedy ones follow the pattern it learnt.
      const written = await runInProcess(['sample', lm, '--n', '2']);
      expect(written.code, written.stderr).toBe(0);
      expect(written.stdout).toContain('2 samples (seed 0, the language model)');
      for (const line of written.stdout.trim().split('\n').slice(1))
        expect(line).toMatch(/^the \w+ \w+ \w+ \.$/);
      const lmReport = await runInProcess(['evaluate', lm]);
      expect(lmReport.code, lmReport.stderr).toBe(0);
      const nll = /NLL per token: ([\d.]+) nats \(exact\); perplexity ([\d.]+)/.exec(lmReport.stdout);
      expect(nll, lmReport.stdout).not.toBeNull();
      // 13 ids; the pattern leaves about 1.6 nats of choice per sentence of 6 tokens: far below log 13.
      expect(Number(nll?.[1])).toBeLessThan(0.6 * Math.log(13));
      expect(Number(nll?.[2])).toBeCloseTo(Math.exp(Number(nll?.[1])), 1);
    });
  }, 120_000);
});

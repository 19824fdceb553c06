// A text run through the CLI, end to end: train a sequence autoencoder on a file of lines, then `sample` prints
// sentences in the run's own words and `reconstruct` prints inputs beside outputs with the share of tokens
// reconstructed exactly (token ids have no distance to average, so no MSE).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsAsText, tokenAccuracy } from '../../src/data/text/vocabulary.js';
import { runInProcess } from '../apps/cli-helper.js';
import { withTempDir } from '../helpers.js';

const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'bird', 'runs', 'sleeps', 'sings'];

/** Sentences of a fixed pattern (colour animal verb), so a small model learns them in a few epochs. */
function corpus(lines: number): string {
  return Array.from(
    { length: lines },
    (_, i) => `the ${WORDS[i % 3]} ${WORDS[3 + ((i >> 2) % 3)]} ${WORDS[6 + ((i >> 4) % 3)]} .`,
  ).join('\n');
}

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

      const rec = await runInProcess(['reconstruct', run, '--n', '2']);
      expect(rec.code, rec.stderr).toBe(0);
      const share = /tokens reconstructed exactly ([\d.]+)%/.exec(rec.stdout);
      expect(share, rec.stdout).not.toBeNull();
      // The pattern is learnable: well above the share a constant guess gets (one word of five).
      expect(Number(share?.[1])).toBeGreaterThan(50);
      expect(rec.stdout).toMatch(/ {2}in: {2}the \w+ \w+ \w+ \.\n {2}out: /);
    });
  }, 120_000);
});

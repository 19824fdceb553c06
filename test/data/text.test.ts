// Text data: tokenizers, the vocabulary (fitted on the training split only), row layout, UTF-8 checks, specs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataSpecFrom } from '../../src/cli/shared.js';
import { loadData } from '../../src/data/load.js';
import { DataSpec, formatDataSpec, parseDataSpec } from '../../src/data/spec.js';
import { firstInvalidUtf8, loadTextFiles, readTextFile } from '../../src/data/text/sources.js';
import { splitSentences, tokenize } from '../../src/data/text/tokenizer.js';
import {
  decodeIds,
  encodeText,
  encodeTokenLists,
  fitVocabulary,
  RESERVED_TOKENS,
} from '../../src/data/text/vocabulary.js';
import { DataError } from '../../src/errors.js';
import { withTempDir } from '../helpers.js';

const word = { tokenizer: 'word', lowercase: true } as const;
const char = { tokenizer: 'char', lowercase: true } as const;

describe('tokenizers', () => {
  it('word: lower-cased words, inner apostrophes kept, each punctuation mark its own token', () => {
    expect(tokenize("Don't stop, Mr. O'Neil-Smith! 42x", word)).toEqual([
      "don't",
      'stop',
      ',',
      'mr',
      '.',
      "o'neil",
      '-',
      'smith',
      '!',
      '42x',
    ]);
  });

  it('word: Unicode letters and marks are word characters; emoji and symbols are tokens of their own', () => {
    expect(tokenize('Élan naïve Straße «über» 😀€5', word)).toEqual([
      'élan',
      'naïve',
      'straße',
      '«',
      'über',
      '»',
      '😀',
      '€',
      '5',
    ]);
    // NFC: a decomposed é (e + combining acute) is the same token as a composed one.
    expect(tokenize('Cafe\u0301', word)).toEqual(['café']);
  });

  it('word: lower-casing can be turned off', () => {
    expect(tokenize('The Cat', { tokenizer: 'word', lowercase: false })).toEqual(['The', 'Cat']);
  });

  it('char: code points, whitespace runs as one space, ends trimmed', () => {
    expect(tokenize('  Ab\t\n c😀 ', char)).toEqual(['a', 'b', ' ', 'c', '😀']);
  });

  it('sentences end after . ! ? before whitespace, and at blank lines', () => {
    expect(splitSentences('One two. Three?\nstill three! "Four."  Five\n\nSix')).toEqual([
      'One two.',
      'Three?',
      'still three!',
      '"Four."',
      'Five',
      'Six',
    ]);
  });
});

describe('vocabulary', () => {
  const train = [
    ['b', 'a', 'b'],
    ['c', 'a', 'd'],
    ['b', 'e'],
  ];

  it('reserved ids 0-3, then most frequent first, ties by first appearance', () => {
    const v = fitVocabulary(train, { ...char, minCount: 1 });
    expect(v.tokens).toEqual([...RESERVED_TOKENS, 'b', 'a', 'c', 'd', 'e']);
    expect(v.tokens.slice(0, 4)).toEqual(['<pad>', '<unk>', '<bos>', '<eos>']);
  });

  it('minCount drops rare tokens and maxVocab keeps the most frequent', () => {
    expect(fitVocabulary(train, { ...char, minCount: 2 }).tokens.slice(4)).toEqual(['b', 'a']);
    expect(fitVocabulary(train, { ...char, minCount: 1, maxVocab: 3 }).tokens.slice(4)).toEqual([
      'b',
      'a',
      'c',
    ]);
    // Words need two sightings by default, characters one.
    expect(fitVocabulary(train, word).tokens.slice(4)).toEqual(['b', 'a']);
    expect(fitVocabulary(train, char).tokens.slice(4)).toEqual(['b', 'a', 'c', 'd', 'e']);
  });

  it('rows: tokens, <eos>, <pad>…; longer samples cut to maxLength - 1 tokens and counted', () => {
    const v = fitVocabulary(train, { ...char, minCount: 1, maxLength: 5 });
    const { x, truncated } = encodeTokenLists(v, [['a', 'b'], ['e', 'd', 'c', 'b', 'a', 'a'], ['z'], []]);
    expect(Array.from(x)).toEqual([5, 4, 3, 0, 0, 8, 7, 6, 4, 3, 1, 3, 0, 0, 0, 3, 0, 0, 0, 0]);
    expect(truncated).toBe(1);
    // Exactly maxLength - 1 tokens fit without cutting.
    expect(encodeTokenLists(v, [['a', 'b', 'c', 'd']]).truncated).toBe(0);
  });

  it('maxLength 0 (or less) is refused', () => {
    expect(() => fitVocabulary(train, { ...char, maxLength: 0 })).toThrow(DataError);
    expect(() => fitVocabulary(train, { ...char, maxLength: 0 })).toThrow(/at least 1 token/);
    expect(() => parseDataSpec('text:x.txt', { maxLength: 0 })).toThrow(/at least 1 token/);
  });

  it('decodeIds stops at <eos>, skips <pad> and <bos>, reads unknown ids as <unk>; round trip', () => {
    const v = fitVocabulary([tokenize('the cat sat on the mat .', word), tokenize('the cat .', word)], word);
    const x = encodeText({ ...v, maxLength: 10 }, ['The cat sat.']);
    expect(decodeIds(v, x)).toBe('the cat <unk> .');
    expect(decodeIds(v, [2, 4, 0, 5, 999, -1, 1.5, 3, 4])).toBe(
      `${v.tokens[4]} ${v.tokens[5]} <unk> <unk> <unk>`,
    );
    const c = fitVocabulary([tokenize('hello world', char)], char);
    expect(decodeIds(c, encodeText(c, ['Hello World']))).toBe('hello world');
  });
});

describe('text files', () => {
  it('invalid UTF-8 is an error naming the file and the byte offset', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'latin1.txt');
      await writeFile(file, Buffer.concat([Buffer.from('héllo\nna'), Buffer.from([0xef, 0x76])]));
      const error = await readTextFile(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toContain(file);
      expect((error as Error).message).toContain('not valid UTF-8: invalid byte (0xef) at byte offset 9');
    });
    expect(firstInvalidUtf8(Buffer.from('ok é 😀'))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // surrogate
  });

  it('a binary file (NUL byte) is refused with its offset; an empty file is an error naming it', async () => {
    await withTempDir(async (dir) => {
      const binary = join(dir, 'data.bin');
      await writeFile(binary, Buffer.from([0x61, 0x62, 0x00, 0x63]));
      await expect(readTextFile(binary)).rejects.toThrow(/binary file, not text: NUL byte at byte offset 2/);
      const empty = join(dir, 'empty.txt');
      await writeFile(empty, ' \n\n\t\n');
      const error = await loadTextFiles({ path: empty, unit: 'line' }).catch((e: unknown) => e);
      expect((error as Error).message).toContain(empty);
      expect((error as Error).message).toContain('empty text file');
    });
  });

  it('one sample per non-empty line (blank lines skipped); a folder of class subfolders gives labels', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'neg'));
      await mkdir(join(dir, 'pos'));
      await writeFile(join(dir, 'neg', 'a.txt'), '\uFEFFbad\n\n  awful  \r\n');
      await writeFile(join(dir, 'pos', 'b.txt'), 'good\nfine');
      const samples = await loadTextFiles({ path: dir, unit: 'line' });
      expect(samples.texts).toEqual(['bad', 'awful', 'good', 'fine']);
      expect(samples.ids).toEqual(['neg/a.txt:1', 'neg/a.txt:3', 'pos/b.txt:1', 'pos/b.txt:2']);
      expect(Array.from(samples.labels ?? [])).toEqual([0, 0, 1, 1]);
      expect(samples.classNames).toEqual(['neg', 'pos']);
      expect((await loadTextFiles({ path: dir, unit: 'line', labels: false })).labels).toBeUndefined();
    });
  });
});

describe('text:PATH through loadData', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `line ${i} has word w${i} and the end`);

  it('splits like other sources, fits the vocabulary on train only, encodes all three splits', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'corpus.txt');
      await writeFile(file, `${lines.join('\n')}\n`);
      const spec = parseDataSpec(`text:${file}`, { minCount: 1, maxLength: 6 });
      expect(formatDataSpec(spec)).toBe(`text:${file}`);
      const splits = await loadData(spec, { seed: 1 });
      expect([splits.train.size, splits.validation.size, splits.test.size]).toEqual([36, 4, 10]);
      expect(splits.train.sampleShape).toEqual([6]);
      const v = splits.text!;
      expect(v.tokens.slice(0, 4)).toEqual([...RESERVED_TOKENS]);
      // Every line has 8 tokens: all cut to 5 + <eos>.
      expect(splits.train.text?.truncated).toBe(36);
      expect(splits.test.text?.truncated).toBe(10);
      // Numbers only in test lines are not in the vocabulary and read as <unk>.
      const testIds = splits.test.ids ?? [];
      const testLine = Number(testIds[0].split(':')[1]) - 1;
      expect(v.tokens).not.toContain(String(testLine));
      const row = Array.from(splits.test.x.subarray(0, 6));
      expect(row[1]).toBe(1);
      expect(row[5]).toBe(3);
      expect(decodeIds(v, row)).toBe('line <unk> has word <unk>');
      // Same seed, same ids.
      const again = await loadData(spec, { seed: 1 });
      expect(Array.from(again.train.x)).toEqual(Array.from(splits.train.x));
      // A saved vocabulary is used as is (its maxLength wins), so new data gets the model's ids.
      const reused = await loadData(parseDataSpec(`text:${file}`), {
        seed: 2,
        text: { ...v, maxLength: 4 },
      });
      expect(reused.text?.tokens).toEqual(v.tokens);
      expect(reused.train.sampleShape).toEqual([4]);
      await expect(
        loadData(parseDataSpec(`text:${file}`, { tokenizer: 'char' }), { text: v }),
      ).rejects.toThrow(/vocabulary is of word tokens/);
    });
  });

  it("vocabularyClasses: a run of one class fits its vocabulary on that class's training samples only", async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'ham'));
      await mkdir(join(dir, 'spam'));
      await writeFile(
        join(dir, 'ham', 'a.txt'),
        Array.from({ length: 30 }, () => 'meeting at noon').join('\n'),
      );
      await writeFile(
        join(dir, 'spam', 'b.txt'),
        Array.from({ length: 30 }, () => 'cheap pills now').join('\n'),
      );
      const spec = parseDataSpec(`text:${dir}`, { minCount: 1 });
      const all = await loadData(spec, { seed: 0 });
      expect(all.text?.tokens).toContain('pills');
      const ham = await loadData(spec, { seed: 0, vocabularyClasses: [0] });
      expect(ham.text?.tokens.slice(4)).toEqual(['meeting', 'at', 'noon']);
      // The splits still hold both classes; spam words read as <unk>.
      expect(ham.test.size).toBe(all.test.size);
      const spamRow = Array.from(ham.test.labels ?? []).indexOf(1);
      const width = ham.test.sampleShape[0];
      const row = ham.test.x.subarray(spamRow * width, (spamRow + 1) * width);
      expect(decodeIds(ham.text!, row)).toBe('<unk> <unk> <unk>');
    });
  });

  it('sentence unit, spec fields and defaults', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'story.txt');
      await writeFile(file, 'One sentence here. Another one!\nIt goes on. '.repeat(10));
      const spec = parseDataSpec(`text:${file}`, { unit: 'sentence', tokenizer: 'char' });
      expect(spec).toEqual({
        source: 'text',
        path: file,
        unit: 'sentence',
        tokenizer: 'char',
        lowercase: true,
        maxVocab: 10_000,
      });
      const splits = await loadData(spec);
      expect(splits.train.size + splits.validation.size + splits.test.size).toBe(30);
      expect(splits.train.sampleShape).toEqual([120]);
      expect(DataSpec.parse({ source: 'brown' })).toEqual({
        source: 'brown',
        tokenizer: 'word',
        lowercase: true,
        maxVocab: 10_000,
      });
      expect(parseDataSpec('spam-assassin', { maxLength: 64 })).toMatchObject({
        source: 'spam-assassin',
        maxLength: 64,
      });
      expect(() => parseDataSpec('text:')).toThrow(/needs a path/);
    });
  });

  it('CLI flags reach the spec; only --no-lowercase says anything about case', () => {
    expect(
      dataSpecFrom('text:a.txt', {
        tokenizer: 'char',
        lowercase: true,
        minCount: 3,
        maxVocab: 50,
        maxLength: 9,
        unit: 'sentence',
      }),
    ).toEqual({
      source: 'text',
      path: 'a.txt',
      unit: 'sentence',
      tokenizer: 'char',
      lowercase: true,
      minCount: 3,
      maxVocab: 50,
      maxLength: 9,
    });
    expect(dataSpecFrom('brown', { lowercase: false })).toMatchObject({ source: 'brown', lowercase: false });
  });
});

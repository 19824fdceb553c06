// Data larger than memory: a chunked source (Parquet, Arrow, a folder of images) split, scaled and shuffled
// while it streams, so that only one chunk, the shuffle buffer and one batch are ever held.
//
// - Splits: each row goes to train, validation or test by a seeded hash of its row number, so a split is known
//   without reading the data and is the same on every pass (and on resume).
// - Scaling statistics: one streaming pass over the training rows (min/max, or mean and variance merged per
//   chunk as Chan et al.), before training.
// - Order: per epoch, the chunks in a seeded order, their training rows poured into a bounded buffer, and each
//   full buffer emptied in a seeded order. When the buffer holds every training row, the chunks stay in file
//   order and the one buffer is emptied in exactly the order batchIndices gives the in-memory path, so the two
//   paths train alike (tested); bigger data is shuffled within a buffer's reach, as tf.data's shuffle(buffer) is.
import { DataError } from '../../errors.js';
import type { AudioFeatures } from '../audio/features.js';
import type { Dataset, FeatureScaling } from '../dataset.js';
import { permutation } from '../random.js';
import type { TextVocabulary } from '../text/vocabulary.js';
import { type ChunkedSource, naturalOrder, type RowChunk, totalRows } from './chunks.js';

export type SplitName = 'train' | 'validation' | 'test';

export interface StreamOptions {
  seed: number;
  /** Share of all rows held out for validation. */
  validationFraction: number;
  /** Share of all rows held out as the test split. */
  testFraction: number;
  /** Column scaling fitted on the training rows in one pass (none for images, already in [0, 1]). */
  scaling: 'minmax' | 'standard' | 'none';
  /** A saved model's scaling, applied as it is instead of fitting one (keeps the model's units). */
  fixedScaling?: FeatureScaling;
  /** Rows the shuffle buffer holds (default: as many as fit in SHUFFLE_BUFFER_BYTES). */
  shuffleBuffer?: number;
  /** Progress of the statistics pass (rows read, all rows). */
  onScan?: (rowsRead: number, rows: number) => void;
}

/** Rows of one split, in order, as read: each block is (part of) one chunk. */
export interface RowBlock {
  readonly rows: number;
  readonly x: Float32Array;
  readonly labels?: Int32Array;
  /** Each row's 1-based row number in the source (its id to join on, with the source's own ids if any). */
  readonly rowNumbers: Float64Array;
  readonly ids?: readonly string[];
}

/** Default shuffle buffer: 64 MiB of samples (65,536 rows of 256 features, 21,399 MNIST-sized images). */
export const SHUFFLE_BUFFER_BYTES = 64 * 1024 * 1024;

export interface StreamedData {
  readonly name: string;
  readonly source: ChunkedSource;
  readonly sampleShape: readonly number[];
  readonly classNames?: readonly string[];
  /** Audio: the features every sample is. */
  readonly audio?: AudioFeatures;
  /** Text: the vocabulary whose ids the samples hold. */
  readonly text?: TextVocabulary;
  /** Fitted on the training rows; absent when the options said none. */
  readonly scaling?: FeatureScaling;
  readonly sizes: Readonly<Record<SplitName, number>>;
  readonly shuffleBuffer: number;
  /** Training rows of one epoch in the seeded shuffled order described above. */
  shuffledTrainRows(seed: number, epoch: number): AsyncGenerator<RowBlock>;
  /** A split's rows in source order. */
  splitRows(split: SplitName): AsyncGenerator<RowBlock>;
  /** The first `n` rows of a split, in memory (previews, a family's look at its data). */
  head(split: SplitName, n: number): Promise<Dataset>;
  /** A whole split in memory, for data that fits: the same rows, order and scaling the streamed split has. */
  load(split: SplitName): Promise<Dataset>;
}

/** A split code per row from a seeded hash of its number: 0 train, 1 validation, 2 test. */
export function splitOfRow(
  row: number,
  seed: number,
  validationFraction: number,
  testFraction: number,
): 0 | 1 | 2 {
  // murmur3's finaliser over (row, seed): uniform enough that any run of rows splits in the stated shares.
  let h = (Math.imul(row >>> 0, 0x9e3779b1) ^ Math.imul((seed + 0x7f4a7c15) >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  const u = (h >>> 0) / 4294967296;
  return u < testFraction ? 2 : u < testFraction + validationFraction ? 1 : 0;
}

const SPLIT_CODE: Record<SplitName, 0 | 1 | 2> = { train: 0, validation: 1, test: 2 };

/** Per-feature running statistics, merged chunk by chunk in float64. */
class FeatureStatistics {
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  constructor(readonly features: number) {
    this.mean = new Float64Array(features);
    this.m2 = new Float64Array(features);
    this.min = new Float64Array(features).fill(Number.POSITIVE_INFINITY);
    this.max = new Float64Array(features).fill(Number.NEGATIVE_INFINITY);
  }
  /** Adds the rows of `x` whose flag is set: the chunk's own two-pass mean and M2, then Chan's merge. */
  add(x: Float32Array, keep: Uint8Array): void {
    const f = this.features;
    let n = 0;
    for (const k of keep) n += k;
    if (n === 0) return;
    const mean = new Float64Array(f);
    for (let r = 0; r < keep.length; r++) {
      if (!keep[r]) continue;
      for (let j = 0; j < f; j++) {
        const v = x[r * f + j];
        mean[j] += v;
        if (v < this.min[j]) this.min[j] = v;
        if (v > this.max[j]) this.max[j] = v;
      }
    }
    for (let j = 0; j < f; j++) mean[j] /= n;
    const m2 = new Float64Array(f);
    for (let r = 0; r < keep.length; r++) {
      if (!keep[r]) continue;
      for (let j = 0; j < f; j++) m2[j] += (x[r * f + j] - mean[j]) ** 2;
    }
    const total = this.count + n;
    for (let j = 0; j < f; j++) {
      const delta = mean[j] - this.mean[j];
      this.m2[j] += m2[j] + (delta * delta * this.count * n) / total;
      this.mean[j] += (delta * n) / total;
    }
    this.count = total;
  }
  scaling(method: 'minmax' | 'standard'): FeatureScaling {
    const offset: number[] = [];
    const scale: number[] = [];
    for (let j = 0; j < this.features; j++) {
      const a = method === 'minmax' ? this.min[j] : this.mean[j];
      const b = method === 'minmax' ? this.max[j] - this.min[j] : Math.sqrt(this.m2[j] / this.count);
      // A constant feature maps to 0 instead of dividing by zero (as fitScaling).
      offset.push(a);
      scale.push(b > 0 && Number.isFinite(b) ? b : 1);
    }
    return { method, offset, scale };
  }
}

/** Opens a chunked source for streaming: its split sizes, and its scaling statistics in one pass when asked. */
export async function streamData(source: ChunkedSource, options: StreamOptions): Promise<StreamedData> {
  const { seed, validationFraction, testFraction } = options;
  if (!(validationFraction >= 0 && testFraction >= 0 && validationFraction + testFraction < 1)) {
    throw new DataError(
      `expected validation and test shares that leave rows to train on, got ${validationFraction} and ${testFraction}`,
      { path: source.path },
    );
  }
  const per = source.sampleShape.reduce((a, b) => a * b, 1);
  const rows = totalRows(source);
  const chunkStarts: number[] = [];
  let start = 0;
  for (const n of source.chunkRows) {
    chunkStarts.push(start);
    start += n;
  }
  const codes = (chunk: number, count: number) => {
    const out = new Uint8Array(count);
    for (let r = 0; r < count; r++)
      out[r] = splitOfRow(chunkStarts[chunk] + r, seed, validationFraction, testFraction);
    return out;
  };
  const sizes = { train: 0, validation: 0, test: 0 };
  for (let c = 0; c < source.chunkRows.length; c++)
    for (const code of codes(c, source.chunkRows[c]))
      sizes[code === 0 ? 'train' : code === 1 ? 'validation' : 'test']++;
  if (sizes.train === 0) throw new DataError('no training rows left after splitting', { path: source.path });

  let scaling: FeatureScaling | undefined = options.fixedScaling;
  if (scaling && scaling.offset.length !== per)
    throw new DataError(`the model's scaling has ${scaling.offset.length} features, the data ${per}`, {
      path: source.path,
    });
  if (!scaling && options.scaling !== 'none') {
    const statistics = new FeatureStatistics(per);
    let read = 0;
    for await (const chunk of source.readChunks(naturalOrder(source.chunkRows.length))) {
      statistics.add(
        chunk.x,
        codes(chunk.index, chunk.rows).map((code) => (code === 0 ? 1 : 0)),
      );
      read += chunk.rows;
      options.onScan?.(read, rows);
    }
    scaling = statistics.scaling(options.scaling);
  }
  const scale = (x: Float32Array) => {
    if (!scaling) return x;
    for (let i = 0; i < x.length; i++) {
      const j = i % per;
      x[i] = (x[i] - scaling.offset[j]) / scaling.scale[j];
    }
    return x;
  };
  const shuffleBuffer = Math.max(1, options.shuffleBuffer ?? Math.floor(SHUFFLE_BUFFER_BYTES / (per * 4)));

  /** The rows of a chunk in one split, copied out (the chunk itself is dropped after). */
  const pick = (chunk: RowChunk, code: number): RowBlock => {
    const split = codes(chunk.index, chunk.rows);
    const kept: number[] = [];
    for (let r = 0; r < chunk.rows; r++) if (split[r] === code) kept.push(r);
    const x = new Float32Array(kept.length * per);
    for (let i = 0; i < kept.length; i++)
      x.set(chunk.x.subarray(kept[i] * per, (kept[i] + 1) * per), i * per);
    return {
      rows: kept.length,
      x: scale(x),
      ...(chunk.labels ? { labels: Int32Array.from(kept, (r) => chunk.labels![r]) } : {}),
      rowNumbers: Float64Array.from(kept, (r) => chunkStarts[chunk.index] + r + 1),
      ...(chunk.ids ? { ids: kept.map((r) => chunk.ids![r]) } : {}),
    };
  };

  async function* splitRows(split: SplitName): AsyncGenerator<RowBlock> {
    for await (const chunk of source.readChunks(naturalOrder(source.chunkRows.length))) {
      const block = pick(chunk, SPLIT_CODE[split]);
      if (block.rows > 0) yield block;
    }
  }

  async function* shuffledTrainRows(runSeed: number, epoch: number): AsyncGenerator<RowBlock> {
    // The in-memory path's epoch seed (batchIndices), so one buffer holding everything gives its very order.
    const epochSeed = (runSeed * 1_000_003 + epoch) >>> 0;
    const fits = sizes.train <= shuffleBuffer;
    const chunkOrder =
      fits || !source.randomAccess
        ? naturalOrder(source.chunkRows.length)
        : Array.from(permutation(source.chunkRows.length, (epochSeed ^ 0x5bd1e995) >>> 0));
    const buffer = new Float32Array(Math.min(shuffleBuffer, sizes.train) * per);
    const labels = source.classNames ? new Int32Array(buffer.length / per) : undefined;
    let filled = 0;
    let flushes = 0;
    function* flush(): Generator<RowBlock> {
      const order = permutation(
        filled,
        flushes === 0 ? epochSeed : (epochSeed + Math.imul(flushes, 0x9e3779b1)) >>> 0,
      );
      flushes++;
      // Emptied in pieces of at most 4,096 rows, so the copy out never doubles the buffer's memory.
      for (let start = 0; start < filled; start += 4096) {
        const n = Math.min(4096, filled - start);
        const x = new Float32Array(n * per);
        const l = labels ? new Int32Array(n) : undefined;
        for (let i = 0; i < n; i++) {
          const r = order[start + i];
          x.set(buffer.subarray(r * per, (r + 1) * per), i * per);
          if (l && labels) l[i] = labels[r];
        }
        yield { rows: n, x, ...(l ? { labels: l } : {}), rowNumbers: new Float64Array(0) };
      }
      filled = 0;
    }
    const capacity = buffer.length / per;
    for await (const chunk of source.readChunks(chunkOrder)) {
      const block = pick(chunk, 0);
      for (let r = 0; r < block.rows; r++) {
        buffer.set(block.x.subarray(r * per, (r + 1) * per), filled * per);
        if (labels && block.labels) labels[filled] = block.labels[r];
        filled++;
        if (filled === capacity) yield* flush();
      }
    }
    if (filled > 0) yield* flush();
  }

  /** The whole of a split in memory (data that fits), with its rows' ids. */
  async function load(split: SplitName): Promise<Dataset> {
    return head(split, sizes[split]);
  }

  async function head(split: SplitName, n: number): Promise<Dataset> {
    const count = Math.min(n, sizes[split]);
    const x = new Float32Array(count * per);
    const labels = source.classNames ? new Int32Array(count) : undefined;
    const ids: string[] = [];
    let at = 0;
    if (count > 0) {
      for await (const block of splitRows(split)) {
        const take = Math.min(block.rows, count - at);
        x.set(block.x.subarray(0, take * per), at * per);
        if (labels && block.labels) labels.set(block.labels.subarray(0, take), at);
        for (let r = 0; r < take; r++) ids.push(block.ids?.[r] ?? String(block.rowNumbers[r]));
        at += take;
        if (at === count) break;
      }
    }
    return {
      name: `${source.name}/${split}`,
      sampleShape: [...source.sampleShape],
      size: count,
      x,
      labels,
      classNames: source.classNames,
      ids,
      ...(source.audio ? { audio: source.audio } : {}),
      ...(source.text ? { text: source.text } : {}),
    };
  }

  return {
    name: source.name,
    source,
    sampleShape: source.sampleShape,
    classNames: source.classNames,
    ...(source.audio ? { audio: source.audio } : {}),
    ...(source.text ? { text: source.text } : {}),
    scaling,
    sizes,
    shuffleBuffer,
    shuffledTrainRows,
    splitRows,
    head,
    load,
  };
}

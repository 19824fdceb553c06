// What the training loop reads its batches from: the in-memory splits (the usual case), or data streamed from
// disk (data/stream) when it is larger than memory. Both hand the loop plain arrays, batch by batch, so the loop
// and every family's step are the same either way.
import { batchIndices, type DataSplits, type Dataset, gatherSamples, head } from '../data/dataset.js';
import type { RowBlock, StreamedData } from '../data/stream/streamed.js';

/** One batch's samples (row-major, rows * prod(sampleShape) values), labels and observed-cell mask. */
export interface BatchArrays {
  readonly rows: number;
  readonly x: Float32Array;
  readonly labels?: Int32Array;
  readonly mask?: Float32Array;
}

export type EvaluationSplit = 'validation' | 'test';

export interface TrainingData {
  readonly sampleShape: readonly number[];
  /** Training samples an epoch sees (after train.limit). */
  readonly trainSize: number;
  readonly validationSize: number;
  readonly testSize: number;
  /** Whether the data streams from disk (no split is held in memory). */
  readonly streamed: boolean;
  /** One epoch's training batches in its seeded order: the same (seed, epoch) gives the same batches. */
  trainBatches(batchSize: number, seed: number, epoch: number): AsyncIterable<BatchArrays>;
  /** A split's samples in order, in batches (for its mean losses). */
  evaluationBatches(split: EvaluationSplit, batchSize: number): AsyncIterable<BatchArrays>;
  /** Up to `n` samples of a split held in memory: previews and a family's look at its data. */
  sample(split: 'train' | EvaluationSplit, n: number): Promise<Dataset>;
}

function datasetBatch(dataset: Dataset, indices: ArrayLike<number>): BatchArrays {
  return {
    rows: indices.length,
    x: gatherSamples(dataset, indices),
    ...(dataset.labels ? { labels: Int32Array.from(indices, (i) => dataset.labels![i]) } : {}),
    ...(dataset.mask ? { mask: gatherSamples({ ...dataset, x: dataset.mask }, indices) } : {}),
  };
}

async function* datasetInOrder(dataset: Dataset, batchSize: number): AsyncGenerator<BatchArrays> {
  for (let start = 0; start < dataset.size; start += batchSize) {
    const n = Math.min(batchSize, dataset.size - start);
    yield datasetBatch(
      dataset,
      Array.from({ length: n }, (_, i) => start + i),
    );
  }
}

/** The splits in memory; `limit` > 0 trains on the first `limit` training samples only. */
export function inMemoryData(splits: DataSplits, limit = 0): TrainingData {
  const train = limit > 0 ? head(splits.train, limit) : splits.train;
  const bySplit = { train, validation: splits.validation, test: splits.test };
  return {
    sampleShape: train.sampleShape,
    trainSize: train.size,
    validationSize: splits.validation.size,
    testSize: splits.test.size,
    streamed: false,
    async *trainBatches(batchSize, seed, epoch) {
      for (const indices of batchIndices(train.size, batchSize, seed, epoch))
        yield datasetBatch(train, indices);
    },
    evaluationBatches: (split, batchSize) => datasetInOrder(bySplit[split], batchSize),
    sample: async (split, n) => head(bySplit[split], n),
  };
}

/** Consecutive rows of `blocks` cut into batches of `batchSize` (the last one shorter), at most `limit` rows. */
async function* rebatch(
  blocks: AsyncIterable<RowBlock>,
  per: number,
  batchSize: number,
  labelled: boolean,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<BatchArrays> {
  let x = new Float32Array(batchSize * per);
  let labels = labelled ? new Int32Array(batchSize) : undefined;
  let filled = 0;
  let total = 0;
  const emit = (): BatchArrays => {
    const batch = {
      rows: filled,
      x: filled === batchSize ? x : x.slice(0, filled * per),
      ...(labels ? { labels: filled === batchSize ? labels : labels.slice(0, filled) } : {}),
    };
    x = new Float32Array(batchSize * per);
    labels = labelled ? new Int32Array(batchSize) : undefined;
    filled = 0;
    return batch;
  };
  for await (const block of blocks) {
    let r = 0;
    while (r < block.rows && total < limit) {
      const take = Math.min(block.rows - r, batchSize - filled, limit - total);
      x.set(block.x.subarray(r * per, (r + take) * per), filled * per);
      if (labels && block.labels) labels.set(block.labels.subarray(r, r + take), filled);
      filled += take;
      total += take;
      r += take;
      if (filled === batchSize) yield emit();
    }
    if (total >= limit) break;
  }
  if (filled > 0) yield emit();
}

/**
 * Streamed data; `limit` > 0 trains on the first `limit` training rows of each epoch's order (not a fixed
 * subset: streaming has no cheap "first rows" without reading them all).
 */
export function streamedData(stream: StreamedData, limit = 0): TrainingData {
  const per = stream.sampleShape.reduce((a, b) => a * b, 1);
  const labelled = stream.classNames !== undefined;
  const trainSize = limit > 0 ? Math.min(limit, stream.sizes.train) : stream.sizes.train;
  return {
    sampleShape: stream.sampleShape,
    trainSize,
    validationSize: stream.sizes.validation,
    testSize: stream.sizes.test,
    streamed: true,
    trainBatches: (batchSize, seed, epoch) =>
      rebatch(stream.shuffledTrainRows(seed, epoch), per, batchSize, labelled, trainSize),
    evaluationBatches: (split, batchSize) => rebatch(stream.splitRows(split), per, batchSize, labelled),
    sample: (split, n) => stream.head(split, n),
  };
}

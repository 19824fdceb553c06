// Training in the page ("train here"): the run's family built from latentlab's own code, trained step by step with
// its own trainStep on the page's backend, with the server trainer's batches (batchIndices: the same seed gives
// the same batches), optimisers (Adam per optimiser name, the model's own settings first), learning-rate schedule
// (worked out by the server) and epoch records. What the page leaves out: NaN rollbacks (a NaN loss ends the
// run), checkpoints (a stopped page run keeps its last complete epoch in memory) and the per-epoch monitor.
import { batchIndices, type Dataset, gatherSamples } from '../../../src/data/dataset.js';
import { tf } from '../../../src/engine/tf.js';
import type { Batch, LossRecord, ModelFamily, TrainableModel } from '../../../src/models/family.js';
import type { EpochRecord } from '../../../src/train/checkpoint.js';
import type { RunConfig } from '../../../src/train/config.js';
import type { PageData } from './page-data.js';

/** How often the loss is read back for the curve (each read waits for the GPU). */
const LOSS_READ_INTERVAL_MS = 250;
/** Samples per evaluation pass over validation and test. */
const EVALUATION_BATCH = 500;

export function batchOf(dataset: Dataset, indices: ArrayLike<number>, step: number): Batch {
  const x = tf.tensor(gatherSamples(dataset, indices), [indices.length, ...dataset.sampleShape]);
  const labels = dataset.labels
    ? tf.tensor1d(
        Int32Array.from(indices, (i) => dataset.labels![i]),
        'int32',
      )
    : undefined;
  return { x, labels, step, datasetSize: dataset.size };
}

export function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels?.dispose();
}

/** One Adam per optimiser the model names, with the run's settings under the model's own (trainer.ts's rule). */
export function createPageOptimizers(
  model: TrainableModel,
  train: RunConfig['train'],
): Record<string, tf.Optimizer> {
  return Object.fromEntries(
    model.optimizerNames.map((name) => {
      const { learningRate, beta1, beta2 } = { ...train.optimizer, ...model.optimizerSettings?.[name] };
      return [name, tf.train.adam(learningRate, beta1, beta2)];
    }),
  );
}

/** Every network's weights, copied out (a stopped run goes back to them; early stopping keeps the best). */
async function snapshot(model: TrainableModel): Promise<Record<string, Float32Array[]>> {
  const out: Record<string, Float32Array[]> = {};
  for (const [name, network] of Object.entries(model.networks))
    out[name] = await Promise.all(network.getWeights().map(async (w) => (await w.data()) as Float32Array));
  return out;
}

function restore(model: TrainableModel, weights: Record<string, Float32Array[]>): void {
  for (const [name, network] of Object.entries(model.networks)) {
    const tensors = network.getWeights().map((w, i) => tf.tensor(weights[name][i], w.shape, w.dtype));
    network.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/** Mean of each loss over a dataset, without updating anything. */
export async function evaluatePage(model: TrainableModel, dataset: Dataset): Promise<Record<string, number>> {
  const sums = new Map<string, number>();
  for (let start = 0; start < dataset.size; start += EVALUATION_BATCH) {
    const n = Math.min(EVALUATION_BATCH, dataset.size - start);
    const batch = batchOf(
      dataset,
      Array.from({ length: n }, (_, i) => start + i),
      0,
    );
    const losses = model.evaluate(batch);
    disposeBatch(batch);
    for (const [key, value] of Object.entries(losses))
      sums.set(key, (sums.get(key) ?? 0) + (await value.data())[0] * n);
    tf.dispose(Object.values(losses));
  }
  return Object.fromEntries([...sums].map(([key, sum]) => [key, sum / Math.max(1, dataset.size)]));
}

export interface PageProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss?: number;
}

export interface PageTrainingOptions {
  family: ModelFamily;
  data: PageData;
  signal?: AbortSignal;
  onBatch?(progress: PageProgress): void;
  onEpoch?(record: EpochRecord): void;
}

export interface PageTrainingResult {
  /** The trained model (the caller saves and disposes it); its weights are the kept epoch's. */
  model: TrainableModel;
  history: EpochRecord[];
  aborted: boolean;
  stoppedEarly: boolean;
  bestEpoch: number;
  /** Test-split means, absent when stopped (as a stopped server run has no summary). */
  test?: Record<string, number>;
}

/** Let the page draw and take clicks between steps. */
const yieldToPage = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Train the run the server described in `data.header` on the page's current backend. */
export async function trainInPage(options: PageTrainingOptions): Promise<PageTrainingResult> {
  const { family, data, signal } = options;
  const { config, learningRates } = data.header;
  const { train } = config;
  const model = family.build(config.model, {
    sampleShape: [...data.header.sampleShape],
    numClasses: data.header.classNames?.length,
    seed: config.seed,
  });
  const optimizers = createPageOptimizers(model, train);
  const history: EpochRecord[] = [];
  const batches = Math.ceil(data.train.size / train.batchSize);
  let step = 0;
  let aborted = false;
  let stoppedEarly = false;
  let best = {
    loss: Number.POSITIVE_INFINITY,
    epoch: 0,
    weights: undefined as Record<string, Float32Array[]> | undefined,
  };
  let sinceBest = 0;
  let kept = await snapshot(model);
  try {
    model.prepare?.(data.train);
    epochs: for (let epoch = 1; epoch <= train.epochs; epoch++) {
      for (const [name, optimizer] of Object.entries(optimizers))
        (optimizer as unknown as { learningRate: number }).learningRate = learningRates[name][epoch - 1];
      const started = performance.now();
      const sums = new Map<string, tf.Scalar>();
      let seen = 0;
      let batch = 0;
      let lastRead = 0;
      for (const indices of batchIndices(data.train.size, train.batchSize, config.seed, epoch)) {
        if (signal?.aborted) {
          tf.dispose([...sums.values()]);
          aborted = true;
          break epochs;
        }
        const tensors = { ...batchOf(data.train, indices, step), epoch };
        const losses: LossRecord = model.trainStep(tensors, optimizers);
        disposeBatch(tensors);
        for (const [key, value] of Object.entries(losses)) {
          const previous = sums.get(key);
          const weighted = tf.tidy(() => tf.mul(value, indices.length)) as tf.Scalar;
          sums.set(key, previous ? (tf.tidy(() => tf.add(previous, weighted)) as tf.Scalar) : weighted);
          if (previous) weighted.dispose();
          previous?.dispose();
        }
        let loss: number | undefined;
        if (performance.now() - lastRead > LOSS_READ_INTERVAL_MS) {
          loss = (await losses.loss.data())[0];
          lastRead = performance.now();
        }
        tf.dispose(Object.values(losses));
        seen += indices.length;
        batch++;
        step++;
        options.onBatch?.({ epoch, epochs: train.epochs, batch, batches, loss });
        await yieldToPage();
      }
      const means: Record<string, number> = {};
      for (const [key, sum] of sums) {
        means[key] = (await sum.data())[0] / seen;
        sum.dispose();
      }
      if (!Object.values(means).every(Number.isFinite))
        throw new Error(
          `the training loss became NaN or Inf in epoch ${epoch}: lower the learning rate (the page does not roll back as the server does)`,
        );
      const seconds = (performance.now() - started) / 1000;
      const validation = data.validation.size > 0 ? await evaluatePage(model, data.validation) : {};
      const record: EpochRecord = {
        epoch,
        learningRate: learningRates[model.optimizerNames[0]][epoch - 1],
        seconds,
        samplesPerSecond: seen / seconds,
        train: means,
        validation,
      };
      history.push(record);
      kept = await snapshot(model);
      const monitored = validation.loss ?? means.loss;
      if (monitored < best.loss - train.earlyStopping.minDelta) {
        best = { loss: monitored, epoch, weights: train.earlyStopping.patience > 0 ? kept : undefined };
        sinceBest = 0;
      } else sinceBest++;
      options.onEpoch?.(record);
      if (train.earlyStopping.patience > 0 && sinceBest >= train.earlyStopping.patience) {
        stoppedEarly = true;
        break;
      }
    }
    // A stop mid-epoch goes back to the last complete epoch; early stopping keeps the best one.
    if (aborted) restore(model, kept);
    if (best.weights) restore(model, best.weights);
    const test = aborted || data.test.size === 0 ? undefined : await evaluatePage(model, data.test);
    return { model, history, aborted, stoppedEarly, bestEpoch: best.epoch, ...(test ? { test } : {}) };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
  }
}

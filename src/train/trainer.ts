// The one training loop every family uses: batches, optimiser steps, validation, previews,
// metrics, checkpoints, early stopping and a tensor-leak guard. Families supply only their step.
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { type DataSplits, type Dataset, gatherSamples } from '../data/dataset.js';
import { TensorLeakGuard } from '../engine/memory.js';
import { type Scalar, tf } from '../engine/tf.js';
import { NumericError } from '../errors.js';
import type { EpochMonitor } from '../eval/monitor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeLossChart } from '../io/plot.js';
import { writeImageGrid } from '../io/png.js';
import type { NamedArray } from '../io/tensor-file.js';
import type { Batch, LossRecord, TrainableModel } from '../models/family.js';
import {
  type Checkpoint,
  type EpochRecord,
  readCheckpointIfAny,
  restoreOptimizer,
  saveCheckpoint,
  setNetworkWeights,
  snapshotWeights,
  type TrainerState,
} from './checkpoint.js';
import { learningRateAt, type TrainConfig } from './config.js';
import { runPaths } from './run-dir.js';
import { type BatchArrays, inMemoryData, type TrainingData } from './training-data.js';

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Latest loss read back (throttled, so not every step syncs with the backend). */
  loss?: number;
  samplesPerSecond: number;
}

export interface RollbackEvent {
  /** Epoch in which the loss went NaN/Inf. */
  epoch: number;
  step: number;
  /** Training continues after this epoch (the last good checkpoint; 0 for the start). */
  resumedFromEpoch: number;
  /** Factor now applied to every scheduled learning rate. */
  learningRateScale: number;
  rollbacks: number;
}

export interface TrainCallbacks {
  /** A loss went NaN/Inf: the last good checkpoint was restored and the learning rate lowered. */
  onRollback?(event: RollbackEvent): void;
  onEpochStart?(epoch: number, epochs: number, batches: number): void;
  onBatch?(progress: BatchProgress): void;
  onEpochEnd?(record: EpochRecord): void;
  onPreview?(path: string, epoch: number): void;
  /** The epoch monitor saw something worth a person's attention (e.g. possible mode collapse). */
  onWarning?(message: string, epoch: number): void;
  /** What loading the data did that the user should hear of (audio recordings cut, padded or left out). */
  onDataNote?(note: string): void;
}

export interface TrainLoopOptions {
  model: TrainableModel;
  /** The data in memory; or give `data` (streamed data, say) instead. */
  splits?: DataSplits;
  /** Where batches come from; default: `splits` in memory, limited by train.limit. */
  data?: TrainingData;
  train: TrainConfig;
  seed: number;
  runDir: string;
  resume?: Checkpoint;
  callbacks?: TrainCallbacks;
  /** Stops at the next batch boundary; the last complete epoch's checkpoint stays valid. */
  signal?: AbortSignal;
  /** Fail when live tensors grow between epochs (default true). */
  leakGuard?: boolean;
  /** Per-epoch checks beyond the losses; the loop disposes it when done. */
  monitor?: EpochMonitor;
  /** Redraw loss.png at most this often (seconds; default 2); the last epoch's chart is always drawn. */
  lossChartSeconds?: number;
}

export interface TrainLoopResult {
  state: TrainerState;
  stoppedEarly: boolean;
  aborted: boolean;
}

const LOSS_READ_INTERVAL_MS = 250;
/** Training rows of streamed data a family's prepare() sees. */
const PREPARE_SAMPLE = 10_000;
/**
 * A loss chart costs about 0.1 s to draw (vega layout and PNG): after every epoch it would add a third to the
 * README's 20 short MNIST epochs, so fast epochs redraw it at most every 2 s, and once more at the end.
 */
const LOSS_CHART_SECONDS = 2;

export function batchTensors(dataset: Dataset, indices: ArrayLike<number>, step: number): Batch {
  return batchFromArrays(
    {
      rows: indices.length,
      x: gatherSamples(dataset, indices),
      ...(dataset.labels ? { labels: Int32Array.from(indices, (i) => dataset.labels![i]) } : {}),
      ...(dataset.mask ? { mask: gatherSamples({ ...dataset, x: dataset.mask }, indices) } : {}),
    },
    dataset.sampleShape,
    step,
    dataset.size,
  );
}

/** A batch's arrays as the tensors a family's step takes. */
export function batchFromArrays(
  arrays: BatchArrays,
  sampleShape: readonly number[],
  step: number,
  datasetSize: number,
): Batch {
  const shape = [arrays.rows, ...sampleShape];
  return {
    x: tf.tensor(arrays.x, shape),
    labels: arrays.labels ? tf.tensor1d(arrays.labels, 'int32') : undefined,
    step,
    datasetSize,
    ...(arrays.mask ? { mask: tf.tensor(arrays.mask, shape) } : {}),
  };
}

function disposeBatch(batch: Batch): void {
  batch.x.dispose();
  batch.labels?.dispose();
  batch.mask?.dispose();
}

/** Add `losses * weight` into running sums (kept tensors, so no per-step sync); disposes `losses`. */
function accumulate(sums: Map<string, Scalar>, losses: LossRecord, weight: number): void {
  for (const [key, value] of Object.entries(losses)) {
    const previous = sums.get(key);
    const next = tf.tidy(() =>
      previous ? tf.add(previous, tf.mul(value, weight)) : tf.mul(value, weight),
    ) as Scalar;
    previous?.dispose();
    sums.set(key, next);
  }
  tf.dispose(Object.values(losses));
}

async function readMeans(sums: Map<string, Scalar>, count: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [key, sum] of sums) {
    out[key] = (await sum.data())[0] / count;
    sum.dispose();
  }
  sums.clear();
  return out;
}

/** Mean of each loss over a dataset, in batches, without updating anything. */
export async function evaluateDataset(
  model: TrainableModel,
  dataset: Dataset,
  batchSize = 500,
): Promise<Record<string, number>> {
  return evaluateSplit(
    model,
    inMemoryData({ train: dataset, validation: dataset, test: dataset }),
    'test',
    batchSize,
  );
}

/** Mean of each loss over one split of the training data (in memory or streamed), without updating anything. */
export async function evaluateSplit(
  model: TrainableModel,
  data: TrainingData,
  split: 'validation' | 'test',
  batchSize = 500,
): Promise<Record<string, number>> {
  const sums = new Map<string, Scalar>();
  let count = 0;
  for await (const arrays of data.evaluationBatches(split, batchSize)) {
    const batch = batchFromArrays(arrays, data.sampleShape, 0, arrays.rows);
    accumulate(sums, model.evaluate(batch), arrays.rows);
    disposeBatch(batch);
    count += arrays.rows;
  }
  return readMeans(sums, count);
}

export function createOptimizers(model: TrainableModel, train: TrainConfig): Record<string, tf.Optimizer> {
  return Object.fromEntries(
    model.optimizerNames.map((name) => {
      const { learningRate, beta1, beta2 } = { ...train.optimizer, ...model.optimizerSettings?.[name] };
      return [name, tf.train.adam(learningRate, beta1, beta2)];
    }),
  );
}

/** Each optimiser's scheduled learning rate for an epoch, scaled down by any NaN rollbacks. */
function scheduledLearningRates(
  model: TrainableModel,
  train: TrainConfig,
  epoch: number,
  scale: number,
): Record<string, number> {
  return Object.fromEntries(
    model.optimizerNames.map((name) => {
      const base = model.optimizerSettings?.[name]?.learningRate ?? train.optimizer.learningRate;
      return [name, learningRateAt(base, train.schedule, epoch - 1, train.epochs) * scale];
    }),
  );
}

function setLearningRates(optimizers: Record<string, tf.Optimizer>, rates: Record<string, number>): void {
  // Adam reads its learningRate field on every step; tfjs types mark it protected.
  for (const [name, optimizer] of Object.entries(optimizers)) {
    (optimizer as unknown as { learningRate: number }).learningRate = rates[name];
  }
}

interface EpochRun {
  /** Means over the epoch, or undefined when a loss went NaN/Inf (the epoch must be redone). */
  metrics?: Record<string, number>;
  seen: number;
  /** Step at which the non-finite loss was seen. */
  failedStep?: number;
  aborted: boolean;
}

/** How often (in steps) the running loss is read back to catch NaN/Inf early; one sync per check. */
const FINITE_CHECK_EVERY = 10;
/** Rollbacks allowed per run before giving up. */
const MAX_ROLLBACKS = 3;

const warnProcess = (message: string) => process.emitWarning(message);

export async function trainLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const { model, train, seed, runDir, callbacks, signal } = options;
  if (!options.data && !options.splits) throw new TypeError('trainLoop needs splits or data');
  const data = options.data ?? inMemoryData(options.splits!, train.limit);
  const paths = runPaths(runDir);
  await mkdir(paths.images, { recursive: true });
  let lossChartFailed = false;
  let chartDrawnAt = Number.NEGATIVE_INFINITY;
  let chartStale = false;
  const chartInterval = (options.lossChartSeconds ?? LOSS_CHART_SECONDS) * 1000;
  // The chart is for people watching: failing to draw it warns once and never stops training.
  const drawLossChart = async () => {
    chartStale = false;
    await writeLossChart(paths.loss, state.history, { title: `${basename(runDir)}: loss per epoch` }).catch(
      (error: Error) => {
        if (!lossChartFailed)
          (callbacks?.onWarning ?? warnProcess)(`loss.png not drawn: ${error.message}`, state.epoch);
        lossChartFailed = true;
      },
    );
    chartDrawnAt = performance.now();
  };
  // Streamed data shows a family a sample of its training rows, not all of them (only ctgan looks, for tables).
  if (model.prepare)
    model.prepare(await data.sample('train', data.streamed ? PREPARE_SAMPLE : data.trainSize));
  let optimizers = createOptimizers(model, train);
  const initialState: TrainerState = {
    epoch: 0,
    step: 0,
    bestValidationLoss: null,
    bestEpoch: 0,
    epochsWithoutImprovement: 0,
    learningRateScale: 1,
    rollbacks: 0,
    history: [],
  };
  let state: TrainerState = structuredClone(initialState);
  let best: Record<string, NamedArray[]> | undefined;
  if (options.resume) {
    setNetworkWeights(model, options.resume.weights);
    for (const [name, optimizer] of Object.entries(optimizers)) {
      await restoreOptimizer(
        optimizer,
        options.resume.optimizers[name] ?? [],
        options.resume.betaPowers?.[name],
      );
    }
    state = structuredClone(options.resume.state);
    best = options.resume.best;
  }
  // Where a rollback goes before the first checkpoint exists.
  const initialWeights = options.resume ? undefined : await snapshotWeights(model);

  /** Back to the last good checkpoint (or the start), with fresh optimiser state from it. */
  const rollBack = async (): Promise<void> => {
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
    optimizers = createOptimizers(model, train);
    const { learningRateScale, rollbacks } = state;
    const checkpoint = await readCheckpointIfAny(paths.checkpoint);
    if (checkpoint) {
      setNetworkWeights(model, checkpoint.weights);
      for (const [name, optimizer] of Object.entries(optimizers)) {
        await restoreOptimizer(optimizer, checkpoint.optimizers[name] ?? [], checkpoint.betaPowers?.[name]);
      }
      state = structuredClone(checkpoint.state);
      best = checkpoint.best;
    } else {
      setNetworkWeights(model, initialWeights!);
      state = structuredClone(initialState);
      best = undefined;
    }
    state.learningRateScale = learningRateScale;
    state.rollbacks = rollbacks;
  };

  const previewSet = await data.sample(data.validationSize > 0 ? 'validation' : 'train', train.previewCount);
  const previewX =
    train.previewCount > 0 && previewSet.size > 0
      ? tf.tensor(previewSet.x, [previewSet.size, ...previewSet.sampleShape])
      : undefined;
  const previewLabels = previewX && previewSet.labels ? tf.tensor1d(previewSet.labels, 'int32') : undefined;
  const guard = new TensorLeakGuard();
  const batches = Math.ceil(data.trainSize / train.batchSize);
  const patienceSpent = () =>
    train.earlyStopping.patience > 0 && state.epochsWithoutImprovement >= train.earlyStopping.patience;
  // A run early stopping ended (resumed only to finish it) trains no further.
  let stoppedEarly = patienceSpent();
  let aborted = false;

  const runEpoch = async (epoch: number): Promise<EpochRun> => {
    const started = performance.now();
    const sums = new Map<string, Scalar>();
    let seen = 0;
    let batchNumber = 0;
    let lastRead = 0;
    let lastLoss: number | undefined;
    for await (const arrays of data.trainBatches(train.batchSize, seed, epoch)) {
      if (signal?.aborted) {
        tf.dispose([...sums.values()]);
        return { seen, aborted: true };
      }
      const batch = { ...batchFromArrays(arrays, data.sampleShape, state.step, data.trainSize), epoch };
      const losses = model.trainStep(batch, optimizers);
      disposeBatch(batch);
      const now = performance.now();
      if (callbacks?.onBatch && now - lastRead > LOSS_READ_INTERVAL_MS) {
        lastLoss = losses.loss.dataSync()[0];
        lastRead = now;
      }
      accumulate(sums, losses, arrays.rows);
      seen += arrays.rows;
      batchNumber++;
      state.step++;
      // The running sum turns NaN/Inf as soon as one step's loss does; reading it is one small sync.
      if (batchNumber % FINITE_CHECK_EVERY === 0 && !Number.isFinite(sums.get('loss')!.dataSync()[0])) {
        tf.dispose([...sums.values()]);
        return { seen, failedStep: state.step, aborted: false };
      }
      callbacks?.onBatch?.({
        epoch,
        epochs: train.epochs,
        batch: batchNumber,
        batches,
        loss: lastLoss,
        samplesPerSecond: seen / ((performance.now() - started) / 1000),
      });
    }
    const metrics: Record<string, number> = {};
    for (const [key, sum] of sums) {
      metrics[key] = sum.dataSync()[0] / seen;
      sum.dispose();
    }
    if (!Object.values(metrics).every(Number.isFinite))
      return { seen, failedStep: state.step, aborted: false };
    return { metrics, seen, aborted: false };
  };

  try {
    for (let epoch = state.epoch + 1; epoch <= train.epochs && !stoppedEarly; epoch++) {
      const rates = scheduledLearningRates(model, train, epoch, state.learningRateScale);
      setLearningRates(optimizers, rates);
      // The first optimiser's rate is the one recorded (the only one for most families).
      const learningRate = rates[model.optimizerNames[0]];
      callbacks?.onEpochStart?.(epoch, train.epochs, batches);
      const started = performance.now();
      const run = await runEpoch(epoch);
      if (run.aborted) {
        aborted = true;
        break;
      }
      if (!run.metrics) {
        if (state.rollbacks >= MAX_ROLLBACKS) {
          throw new NumericError(
            `training loss became NaN or Inf at step ${run.failedStep} (epoch ${epoch}) after ${MAX_ROLLBACKS} ` +
              `rollbacks with the learning rate lowered to ${learningRate.toPrecision(3)}; giving up`,
            { path: 'train.loss' },
          );
        }
        state.rollbacks++;
        state.learningRateScale *= train.nanLearningRateFactor;
        await rollBack();
        callbacks?.onRollback?.({
          epoch,
          step: run.failedStep ?? state.step,
          resumedFromEpoch: state.epoch,
          learningRateScale: state.learningRateScale,
          rollbacks: state.rollbacks,
        });
        epoch = state.epoch;
        continue;
      }
      const trainMetrics = run.metrics;
      const seen = run.seen;
      const seconds = (performance.now() - started) / 1000;
      const validation = data.validationSize > 0 ? await evaluateSplit(model, data, 'validation') : {};

      if (previewX && model.preview) {
        const preview = model.preview(previewX, previewLabels);
        if (preview) {
          const file = paths.epochImage(epoch);
          await writeImageGrid(file, preview.images, { rows: preview.rows, cols: preview.cols, scale: 2 });
          preview.images.dispose();
          callbacks?.onPreview?.(file, epoch);
        }
      }

      const watched = options.monitor ? await options.monitor.observe(epoch, state.history) : undefined;
      for (const image of watched?.images ?? []) callbacks?.onPreview?.(image, epoch);

      const monitored = validation.loss ?? trainMetrics.loss;
      const improved =
        state.bestValidationLoss === null ||
        monitored < state.bestValidationLoss - train.earlyStopping.minDelta;
      if (improved) {
        state.bestValidationLoss = monitored;
        state.bestEpoch = epoch;
        state.epochsWithoutImprovement = 0;
        if (train.earlyStopping.patience > 0) best = await snapshotWeights(model);
      } else {
        state.epochsWithoutImprovement++;
      }
      const record: EpochRecord = {
        epoch,
        learningRate,
        seconds,
        samplesPerSecond: seen / seconds,
        train: trainMetrics,
        validation,
        ...(watched ? { monitor: watched.metrics } : {}),
        ...(watched?.warnings.length ? { warnings: watched.warnings } : {}),
      };
      state.epoch = epoch;
      state.history.push(record);
      // Metrics are rewritten whole from the checkpointed history, so they always agree after a resume.
      await writeFileAtomic(
        paths.metrics,
        state.history
          .map((r) => JSON.stringify(r))
          .join('\n')
          .concat('\n'),
      );
      await saveCheckpoint(paths.checkpoint, model, optimizers, state, best);
      // After the checkpoint: the chart is for people watching, and a kill while drawing loses no epoch.
      if (performance.now() - chartDrawnAt >= chartInterval || epoch === train.epochs) await drawLossChart();
      else chartStale = true;
      if (options.leakGuard !== false) guard.check(epoch);
      callbacks?.onEpochEnd?.(record);
      for (const warning of record.warnings ?? []) callbacks?.onWarning?.(warning, epoch);
      if (patienceSpent()) {
        stoppedEarly = true;
        break;
      }
    }
    // Epochs skipped by the chart's interval (early stopping, Ctrl-C): the chart ends where the run does.
    if (chartStale) await drawLossChart();
    if (aborted) {
      // Stopped midway through an epoch: back to what the run keeps, the last complete epoch (as checkpointed).
      const checkpoint = await readCheckpointIfAny(paths.checkpoint);
      if (checkpoint) setNetworkWeights(model, checkpoint.weights);
    }
    // Early stopping keeps the best epoch's weights, not the last one's; a stopped run keeps them too.
    if (best && train.earlyStopping.patience > 0) setNetworkWeights(model, best);
  } finally {
    previewX?.dispose();
    previewLabels?.dispose();
    options.monitor?.dispose?.();
    for (const optimizer of Object.values(optimizers)) optimizer.dispose();
  }
  return { state, stoppedEarly, aborted };
}

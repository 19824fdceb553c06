// A run from start to finish: validate the config, load and check the data, build the model, train with
// checkpoints, save the model and its test figures. Nothing is written before validation has passed; one
// writer at a time holds the run's lock; a run is finished once summary.json is written, after model/.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DataSplits,
  type Dataset,
  keepLabelsPerClass,
  makeDataset,
  mixDatasets,
  onlyClasses,
} from '../data/dataset.js';
import { loadData, loadRaw } from '../data/load.js';
import { applyScaling } from '../data/scaling.js';
import { formatDataSpec } from '../data/spec.js';
import { isStreamedSpec, openStream, type StreamableSpec } from '../data/stream/sources.js';
import type { StreamedData } from '../data/stream/streamed.js';
import { ensureBackend } from '../engine/backend.js';
import { ConfigError, DataError, IoError, parseOrThrow } from '../errors.js';
import { createEpochMonitor } from '../eval/monitor.js';
import { writeFileAtomic } from '../io/atomic.js';
import { saveModel } from '../io/model-files.js';
import type { BuildContext, ModelFamily, TrainableModel } from '../models/family.js';
import { modelDefaultsForData, parseModelConfig } from '../models/registry.js';
import { LATENTLAB_VERSION } from '../version.js';
import { type Checkpoint, readCheckpointIfAny } from './checkpoint.js';
import { defaultEpochs, namesEpochs, RunConfig, type RunConfigInput } from './config.js';
import { createUniqueDir, runPaths } from './run-dir.js';
import { acquireRunLock, LOCK_FILE, type RunLock, removeStaleTemporaries } from './run-lock.js';
import { evaluateSplit, type TrainCallbacks, trainLoop } from './trainer.js';
import { inMemoryData, streamedData, type TrainingData } from './training-data.js';

export interface RunOptions {
  callbacks?: TrainCallbacks;
  signal?: AbortSignal;
  /** Extra facts stored in config.json (e.g. the backend in use). */
  environment?: Record<string, unknown>;
  leakGuard?: boolean;
  /** Redraw loss.png at most this often (seconds, default 2; 0: after every epoch). */
  lossChartSeconds?: number;
  /** false: no per-epoch monitor (mode coverage, class coverage, toy scatter) even where one applies. */
  monitor?: false;
  /** The file the config was read from: its errors name it (`run.json#train.epochs`). */
  configFile?: string;
  /**
   * trainRun only: `runDir` is a name to make unique rather than a directory to fill. Where it exists,
   * `-2`, `-3` … are tried; RunResult.runDir says which was created.
   */
  uniqueDir?: boolean;
}

export interface RunResult {
  runDir: string;
  config: RunConfig;
  model: TrainableModel;
  /** The splits in memory; absent when the data streamed from disk (see `data`). */
  splits?: DataSplits;
  /** What the run trained on: split sizes and sample shape, in memory or streamed. */
  data: TrainingData;
  epochs: number;
  stoppedEarly: boolean;
  /** Stopped by the signal: model/ holds the last complete epoch (the best one with early stopping), if any. */
  aborted: boolean;
  /** The epoch whose weights the model holds: the best one under early stopping, else the last complete one. */
  modelEpoch: number;
  /** Test-split means of the model's losses (e.g. loss, mse), absent when aborted. */
  test?: Record<string, number>;
  seconds: number;
}

export function parseRunConfig(raw: unknown, where = ''): RunConfig {
  return parseOrThrow(RunConfig, raw, where);
}

interface Prepared {
  config: RunConfig;
  family: ModelFamily;
  /** In memory; absent when streamed. */
  splits?: DataSplits;
  stream?: StreamedData;
  data: TrainingData;
  model: TrainableModel;
}

/** Streamed data (data/stream): the run options that need a split in memory are refused, by name. */
async function prepareStream(config: RunConfig, spec: StreamableSpec): Promise<StreamedData> {
  const where = (field: string) => ({ path: `train.${field}` });
  const refuse = (field: string, what: string) => {
    throw new ConfigError(
      `${what} needs the training split in memory; streamed data (data.stream) has none`,
      where(field),
    );
  };
  if (config.train.classes.length > 0) refuse('classes', 'keeping some classes');
  if (config.train.labelsPerClass > 0) refuse('labelsPerClass', 'keeping some labels per class');
  if (config.train.extraData) refuse('extraData', 'joining extra data');
  return openStream(spec, { seed: config.seed, validationFraction: config.train.validationFraction });
}

/** The training split joined by `train.extraData` (its training part; its test part, if any, is not used). */
async function withExtraData(
  splits: DataSplits,
  extra: NonNullable<RunConfig['train']['extraData']>,
): Promise<Dataset> {
  const where = `train.extraData (${formatDataSpec(extra.data)})`;
  const raw = await loadRaw(extra.data);
  let extraSet = makeDataset(raw.name, raw.sampleShape, raw.train.x, raw.train.labels, raw.classNames);
  const real = splits.train;
  if (extraSet.sampleShape.join('x') !== real.sampleShape.join('x')) {
    throw new DataError(
      `extra samples have shape [${extraSet.sampleShape}], the run's data [${real.sampleShape}]`,
      { path: where },
    );
  }
  if (real.labels && !extraSet.labels) {
    throw new DataError('extra samples need labels, since the run trains on labelled data', { path: where });
  }
  const known = real.classNames?.length ?? 0;
  const unknown = extraSet.labels?.find((label) => label >= known);
  if (real.classNames && unknown !== undefined) {
    throw new DataError(`extra samples have label ${unknown}; the run's data has classes 0-${known - 1}`, {
      path: where,
    });
  }
  // Same units as the run's data: a table's fitted scaling applies to the extra rows too.
  if (splits.scaling) extraSet = applyScaling(extraSet, splits.scaling);
  return mixDatasets(real, { ...extraSet, classNames: real.classNames }, extra.share);
}

/** Validates and builds; errors name `configFile` when the config came from one. */
async function prepare(raw: unknown, configFile?: string): Promise<Prepared> {
  const config = parseRunConfig(raw, configFile ? `${configFile}#` : '');
  const { family, config: modelConfig } = parseModelConfig(
    modelDefaultsForData(config.model, config.data),
    configFile ? `${configFile}#model` : 'model',
  );
  if (isStreamedSpec(config.data)) {
    const stream = await prepareStream(config, config.data);
    if (!namesEpochs(raw)) config.train.epochs = defaultEpochs(stream.sizes.train, config.train.batchSize);
    const waveforms = stream.audio?.representation === 'waveform';
    if (Boolean(family.needsSequences) !== Boolean(stream.text))
      throw new ConfigError(
        stream.text
          ? `model "${family.kind}" takes images or table rows, but ${formatDataSpec(config.data)} is text (token ids): use seq-ae, seq-vae or lm`
          : `model "${family.kind}" takes text (token ids), but ${formatDataSpec(config.data)} is not text`,
        { path: 'model.kind' },
      );
    if (family.tableEncoding || Boolean(family.needsWaveforms) !== waveforms)
      throw new ConfigError(
        waveforms
          ? `model "${family.kind}" does not take waveforms, but ${formatDataSpec(config.data)} is audio as waveforms: use --representation mel (spectrogram images) for it, or the 1-D model wave-ae`
          : `model "${family.kind}" does not train on streamed ${config.data.source} data (it needs waveforms or an encoded table)`,
        { path: 'model.kind' },
      );
    if (family.needsImages && stream.sampleShape.length !== 3)
      throw new ConfigError(
        `model "${family.kind}" needs image data, but ${formatDataSpec(config.data)} has samples of shape [${stream.sampleShape}]`,
        { path: 'model.kind' },
      );
    const model = family.build(modelConfig, {
      sampleShape: [...stream.sampleShape],
      numClasses: stream.classNames?.length,
      ...(stream.audio ? { audio: stream.audio } : {}),
      ...(stream.text ? { vocabularySize: stream.text.tokens.length } : {}),
      seed: config.seed,
    });
    return {
      config: { ...config, model: modelConfig as RunConfig['model'] },
      family,
      stream,
      data: streamedData(stream, config.train.limit),
      model,
    };
  }
  let splits = await loadData(config.data, {
    seed: config.seed,
    validationFraction: config.train.validationFraction,
    vocabularyClasses: config.train.classes,
    // A table family's own encodings where the spec states none (tvae, ctgan: mode-specific numbers).
    ...(family.tableEncoding ? { table: family.tableEncoding } : {}),
  });
  if (config.train.classes.length > 0) {
    const keep = (d: Dataset) => onlyClasses(d, config.train.classes);
    splits = {
      ...splits,
      train: keep(splits.train),
      validation: keep(splits.validation),
      test: keep(splits.test),
    };
  }
  if (config.train.labelsPerClass > 0) {
    const { partial, labelledOnly } = keepLabelsPerClass(splits.train, config.train.labelsPerClass);
    splits = { ...splits, train: family.partialLabels?.(modelConfig) ? partial : labelledOnly };
  }
  if (config.train.extraData) {
    splits = { ...splits, train: await withExtraData(splits, config.train.extraData) };
  }
  if (!namesEpochs(raw)) config.train.epochs = defaultEpochs(splits.train.size, config.train.batchSize);
  const text = splits.text ?? splits.train.text;
  if (family.needsSequences && !text) {
    throw new ConfigError(
      `model "${family.kind}" takes text (token ids), but ${formatDataSpec(config.data)} is not text: use text:PATH, brown or spam-assassin`,
      { path: 'model.kind' },
    );
  }
  if (!family.needsSequences && text) {
    throw new ConfigError(
      `model "${family.kind}" takes images or table rows, but ${formatDataSpec(config.data)} is text (token ids): use seq-ae, seq-vae or lm`,
      { path: 'model.kind' },
    );
  }
  const waveforms = (splits.audio ?? splits.train.audio)?.representation === 'waveform';
  if (waveforms && !family.needsWaveforms) {
    // A table family would read 8,192 samples as 8,192 unrelated columns (and a sigmoid output cannot go negative).
    throw new ConfigError(
      `model "${family.kind}" does not take waveforms, but ${formatDataSpec(config.data)} is audio as waveforms: use --representation mel (spectrogram images) for it, or the 1-D model wave-ae`,
      { path: 'model.kind' },
    );
  }
  if (family.needsImages && splits.train.sampleShape.length !== 3) {
    throw new ConfigError(
      `model "${family.kind}" needs image data, but ${formatDataSpec(config.data)} has samples of shape [${splits.train.sampleShape}]`,
      { path: 'model.kind' },
    );
  }
  const context: BuildContext = {
    sampleShape: [...splits.train.sampleShape],
    numClasses: splits.train.classNames?.length,
    ...(text ? { vocabularySize: text.tokens.length } : {}),
    ...(splits.audio ? { audio: splits.audio } : {}),
    ...(splits.table ? { table: splits.table } : {}),
    seed: config.seed,
  };
  const noise = (modelConfig as { noise?: { type: string } }).noise;
  if (noise?.type === 'white' && !splits.audio)
    throw new ConfigError(
      `white noise (an SNR in dB) is for audio data, and ${formatDataSpec(config.data)} is not audio: use gaussian:0.3, masking:0.5 or salt-and-pepper:0.2`,
      { path: 'model.noise' },
    );
  const model = family.build(modelConfig, context);
  // Store the config with every default filled in, so the run is fully described by it.
  return {
    config: { ...config, model: modelConfig as RunConfig['model'] },
    family,
    splits,
    data: inMemoryData(splits, config.train.limit),
    model,
  };
}

async function finish(
  prepared: Prepared,
  runDir: string,
  loop: Awaited<ReturnType<typeof trainLoop>>,
  started: number,
): Promise<RunResult> {
  const { model, splits, stream, data, config } = prepared;
  const result: RunResult = {
    runDir,
    config,
    model,
    splits,
    data,
    epochs: loop.state.epoch,
    stoppedEarly: loop.stoppedEarly,
    aborted: loop.aborted,
    modelEpoch:
      config.train.earlyStopping.patience > 0 && loop.state.bestEpoch > 0
        ? loop.state.bestEpoch
        : loop.state.epoch,
    seconds: (performance.now() - started) / 1000,
  };
  const paths = runPaths(runDir);
  const extras = splits
    ? {
        data: config.data,
        classNames: splits.train.classNames,
        scaling: splits.scaling,
        text: splits.text ?? splits.train.text,
        audio: splits.audio ?? splits.train.audio,
        table: splits.table,
      }
    : {
        data: config.data,
        classNames: stream?.classNames,
        scaling: stream?.scaling,
        audio: stream?.audio,
        text: stream?.text,
      };
  if (loop.aborted) {
    // A stopped run is usable (and stays resumable): its model, but no summary, since it is not finished.
    if (loop.state.epoch > 0) await saveModel(model, paths.model, extras);
    return result;
  }
  result.test = await evaluateSplit(model, data, 'test');
  await saveModel(model, paths.model, {
    ...extras,
    metrics: Object.fromEntries(Object.entries(result.test).map(([k, v]) => [`test_${k}`, v])),
  });
  const summary = {
    kind: model.kind,
    data: formatDataSpec(config.data),
    epochs: loop.state.epoch,
    bestEpoch: loop.state.bestEpoch,
    stoppedEarly: loop.stoppedEarly,
    test: result.test,
    // The samples an epoch trained on: train.limit keeps the first of them (trainer.ts).
    trainSamples: data.trainSize,
    testSamples: data.testSize,
    ...(stream
      ? { streamed: { shuffleBuffer: stream.shuffleBuffer, chunks: stream.source.chunkRows.length } }
      : {}),
    meanSamplesPerSecond:
      loop.state.history.reduce((a, r) => a + r.samplesPerSecond, 0) / Math.max(1, loop.state.history.length),
    trainSeconds: loop.state.history.reduce((a, r) => a + r.seconds, 0),
  };
  await writeFileAtomic(paths.summary, `${JSON.stringify(summary, null, 2)}\n`);
  return result;
}

async function runAndFinish(
  prepared: Prepared,
  runDir: string,
  options: RunOptions,
  started: number,
  resume?: Checkpoint,
): Promise<RunResult> {
  for (const note of prepared.splits?.notes ?? []) options.callbacks?.onDataNote?.(note);
  // The epoch monitors look at whole splits in memory: streamed data goes without them.
  const monitor =
    options.monitor === false || !prepared.splits
      ? undefined
      : await createEpochMonitor(prepared.model, prepared.config.data, prepared.splits, (epoch) =>
          runPaths(runDir).epochScatter(epoch),
        );
  const loop = await trainLoop({
    monitor,
    model: prepared.model,
    data: prepared.data,
    train: prepared.config.train,
    seed: prepared.config.seed,
    runDir,
    resume,
    callbacks: options.callbacks,
    signal: options.signal,
    leakGuard: options.leakGuard,
    lossChartSeconds: options.lossChartSeconds,
  });
  return finish(prepared, runDir, loop, started);
}

/** mkdir without `recursive`, so two trains choosing the same name cannot both get it. */
/** Train a new run into `runDir`, which must not exist yet or be empty. */
export async function trainRun(
  raw: RunConfigInput,
  runDir: string,
  options: RunOptions = {},
): Promise<RunResult> {
  await ensureBackend();
  const started = performance.now();
  const prepared = await prepare(raw, options.configFile);
  let lock: RunLock | undefined;
  try {
    if (options.uniqueDir) runDir = await createUniqueDir(runDir);
    else await mkdir(runDir, { recursive: true });
    lock = await acquireRunLock(runDir);
    if ((await readdir(runDir)).some((name) => name !== LOCK_FILE)) {
      throw new IoError(
        'run directory already exists and is not empty (resume it with --resume, or pick another --out)',
        { path: runDir },
      );
    }
    const stored = {
      ...prepared.config,
      latentlabVersion: LATENTLAB_VERSION,
      environment: options.environment ?? {},
    };
    await writeFileAtomic(runPaths(runDir).config, `${JSON.stringify(stored, null, 2)}\n`);
  } catch (error) {
    prepared.model.dispose();
    await lock?.release();
    throw error;
  }
  try {
    return await runAndFinish(prepared, runDir, options, started);
  } finally {
    await lock.release();
  }
}

/** Continue a run from its last checkpoint; `epochs` may raise the planned number of epochs. */
export async function resumeRun(
  runDir: string,
  options: RunOptions & { epochs?: number } = {},
): Promise<RunResult> {
  await ensureBackend();
  const paths = runPaths(runDir);
  if (!existsSync(paths.config)) {
    throw new IoError('cannot read the run config (is this a run directory?)', { path: paths.config });
  }
  const lock = await acquireRunLock(runDir);
  try {
    await removeStaleTemporaries(runDir);
    return await resumeLocked(runDir, options);
  } finally {
    await lock.release();
  }
}

async function resumeLocked(runDir: string, options: RunOptions & { epochs?: number }): Promise<RunResult> {
  const started = performance.now();
  const paths = runPaths(runDir);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(paths.config, 'utf8'));
  } catch (error) {
    throw new IoError('cannot read the run config (is this a run directory?)', {
      path: paths.config,
      cause: error,
    });
  }
  if (options.epochs !== undefined) raw.train = { ...(raw.train as object), epochs: options.epochs };
  const prepared = await prepare(raw, paths.config);
  let checkpoint: Checkpoint | undefined;
  try {
    checkpoint = await readCheckpointIfAny(paths.checkpoint);
  } catch (error) {
    prepared.model.dispose();
    throw error;
  }
  // Finished means summary.json written (after model/): a run killed before it is finished on resume.
  const finished = existsSync(paths.summary) && existsSync(join(paths.model, 'manifest.json'));
  const { epochs, earlyStopping } = prepared.config.train;
  if (finished && checkpoint) {
    const done = checkpoint.state.epoch;
    const early =
      earlyStopping.patience > 0 && checkpoint.state.epochsWithoutImprovement >= earlyStopping.patience;
    if (done >= epochs || early) {
      prepared.model.dispose();
      throw new IoError(
        early
          ? `run already finished: early stopping ended it after epoch ${done} (best epoch ${checkpoint.state.bestEpoch})`
          : `run already finished ${done} of ${epochs} epochs (pass --epochs to train longer)`,
        { path: runDir },
      );
    }
    // Training on: the run is unfinished again until its new end writes a new summary.
    await rm(paths.summary, { force: true });
  }
  if (options.epochs !== undefined) {
    const stored = JSON.parse(await readFile(paths.config, 'utf8'));
    stored.train.epochs = options.epochs;
    await writeFileAtomic(paths.config, `${JSON.stringify(stored, null, 2)}\n`);
  }
  return runAndFinish(prepared, runDir, options, started, checkpoint);
}

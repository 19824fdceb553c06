// The training data of a run the studio's page trains itself ("train here"): the run config checked as a new
// run's would be, the data loaded and split as trainRun loads it, sent as one binary answer (a JSON header, then
// float32 samples and int32 labels per split), bounded in samples and bytes. The page trains image and 2-D point
// data only: text, audio and table runs (their vocabularies, features and column encoders) train on the server.

import {
  type DataSplits,
  type Dataset,
  head,
  keepLabelsPerClass,
  onlyClasses,
  sampleSize,
} from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { formatDataSpec, isAudioSpec, isTextSpec } from '../../data/spec.js';
import type { ModelFamily } from '../../models/family.js';
import { modelDefaultsForData, parseModelConfig } from '../../models/registry.js';
import { defaultEpochs, learningRateAt, namesEpochs, type RunConfig } from '../../train/config.js';
import { parseRunConfig } from '../../train/run.js';
import { defaultRunName } from '../../train/run-dir.js';
import { LATENTLAB_VERSION } from '../../version.js';
import { HttpError } from '../errors.js';
import type { TensorQueue } from '../queue.js';
import type { DataRoots } from './data-roots.js';
import { dataName } from './jobs.js';

/** Training samples sent at most: the page holds them in memory and trains on the visitor's machine. */
export const MAX_PAGE_TRAIN_SAMPLES = 20_000;
/** Validation and test samples sent at most each: enough for the epoch means and the summary's test figures. */
export const MAX_PAGE_HELD_OUT_SAMPLES = 2_000;
/** Bytes of samples sent at most (MNIST's 20,000 training images are 63 MB as float32). */
export const MAX_PAGE_DATA_BYTES = 96 * 1024 * 1024;

/** Why a family cannot train in the page, asked of the family (undefined: it can). */
export function pageRefusal(family: ModelFamily): string | undefined {
  if (family.needsSequences) return 'it takes text, whose vocabulary is fitted on the server';
  if (family.needsWaveforms) return 'it takes audio, whose features are computed on the server';
  if (family.tableEncoding) return 'it takes tables, whose column encoders are fitted on the server';
  return undefined;
}

/** One split in the answer: its samples' count and whether labels follow its samples. */
interface SplitHeader {
  size: number;
  labels: boolean;
}

/** The JSON header of the answer; the page reads the arrays after it in the order train, validation, test. */
export interface PageDataHeader {
  /** The run's config as trainRun would write it (defaults filled in, epochs decided). */
  config: RunConfig;
  /** A fresh run name (the folder inside the downloaded archive). */
  runName: string;
  /** The server's latentlab, which the page's run files name as their writer. */
  latentlabVersion: string;
  /** The data in words, as summary.json says it. */
  dataLabel: string;
  sampleShape: number[];
  classNames?: string[];
  scaling?: DataSplits['scaling'];
  /** Per optimiser, the learning rate of each epoch (the run's schedule, worked out here). */
  learningRates: Record<string, number[]>;
  /** Training samples before train.limit and the page's bounds cut them. */
  trainSamplesLoaded: number;
  splits: { train: SplitHeader; validation: SplitHeader; test: SplitHeader };
}

const invalid = (message: string, field: string) => new HttpError(400, message, field);

/** Check a run config the page will train, load its data, and pack the answer. */
export async function pageTrainingData(
  raw: unknown,
  dataRoots: DataRoots,
  queue: TensorQueue,
): Promise<Buffer> {
  const parsed = parseRunConfig(raw, 'config');
  const { family, config: model } = parseModelConfig(
    modelDefaultsForData(parsed.model, parsed.data),
    'config.model',
  );
  const refusal = pageRefusal(family);
  if (refusal) throw invalid(`"${family.kind}" trains on the server only: ${refusal}`, 'config.model.kind');
  if (isTextSpec(parsed.data) || isAudioSpec(parsed.data))
    throw invalid(
      `${parsed.data.source} data trains on the server only: the page trains on images and 2-D points`,
      'config.data.source',
    );
  if (parsed.train.extraData)
    throw invalid(
      "the page trains on the run's own data only: train with extra data on the server",
      'config.train.extraData',
    );
  const data = await dataRoots.confine(parsed.data, 'config.data');
  let splits = await loadData(data, {
    seed: parsed.seed,
    validationFraction: parsed.train.validationFraction,
  });
  if (splits.table || splits.text || splits.audio)
    throw invalid(
      'this data loads as a table of mixed types (column encoders): it trains on the server only',
      'config.data',
    );
  if (parsed.train.classes.length > 0) {
    const keep = (d: Dataset) => onlyClasses(d, parsed.train.classes);
    splits = {
      ...splits,
      train: keep(splits.train),
      validation: keep(splits.validation),
      test: keep(splits.test),
    };
  }
  if (parsed.train.labelsPerClass > 0) {
    const { partial, labelledOnly } = keepLabelsPerClass(splits.train, parsed.train.labelsPerClass);
    splits = { ...splits, train: family.partialLabels?.(model) ? partial : labelledOnly };
  }
  const loaded = splits.train.size;
  const config: RunConfig = { ...parsed, data, model: model as RunConfig['model'] };
  if (!namesEpochs(raw))
    config.train = { ...config.train, epochs: defaultEpochs(loaded, config.train.batchSize) };
  if (family.needsImages && splits.train.sampleShape.length !== 3)
    throw invalid(
      `model "${family.kind}" needs image data, but the data has samples of shape [${splits.train.sampleShape}]`,
      'config.model.kind',
    );

  const limit = config.train.limit > 0 ? config.train.limit : Number.POSITIVE_INFINITY;
  const train = head(splits.train, Math.min(limit, MAX_PAGE_TRAIN_SAMPLES));
  const validation = head(splits.validation, MAX_PAGE_HELD_OUT_SAMPLES);
  const test = head(splits.test, MAX_PAGE_HELD_OUT_SAMPLES);
  const bytes = (train.size + validation.size + test.size) * sampleSize(train) * 4;
  if (bytes > MAX_PAGE_DATA_BYTES)
    throw invalid(
      `the page would need ${(bytes / 2 ** 20).toFixed(0)} MB of samples (at most ${MAX_PAGE_DATA_BYTES / 2 ** 20} MB): set train.limit lower`,
      'config.train.limit',
    );

  // The optimisers and their own rates are the model's: build it once (sized first by the registry), then drop it.
  const optimizers = await queue.run(async () => {
    const built = family.build(model, {
      sampleShape: [...train.sampleShape],
      numClasses: train.classNames?.length,
      seed: config.seed,
    });
    const out = built.optimizerNames.map((name) => ({
      name,
      base: built.optimizerSettings?.[name]?.learningRate ?? config.train.optimizer.learningRate,
    }));
    built.dispose();
    return out;
  });
  const learningRates = Object.fromEntries(
    optimizers.map(({ name, base }) => [
      name,
      Array.from({ length: config.train.epochs }, (_, e) =>
        learningRateAt(base, config.train.schedule, e, config.train.epochs),
      ),
    ]),
  );
  const header: PageDataHeader = {
    config,
    runName: `${defaultRunName(config.model.kind, dataName(config.data))}-page`,
    latentlabVersion: LATENTLAB_VERSION,
    dataLabel: formatDataSpec(config.data),
    sampleShape: [...train.sampleShape],
    ...(train.classNames ? { classNames: [...train.classNames] } : {}),
    ...(splits.scaling ? { scaling: splits.scaling } : {}),
    learningRates,
    trainSamplesLoaded: loaded,
    splits: {
      train: { size: train.size, labels: train.labels !== undefined },
      validation: { size: validation.size, labels: validation.labels !== undefined },
      test: { size: test.size, labels: test.labels !== undefined },
    },
  };
  return packPageData(header, [train, validation, test]);
}

/**
 * [uint32 LE: header bytes][header JSON, padded with spaces to a multiple of 4], then per split its float32
 * samples and (when it has labels) its int32 labels, little-endian: typed arrays over one buffer in the page.
 */
export function packPageData(header: PageDataHeader, splits: readonly Dataset[]): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const padded = Buffer.alloc(Math.ceil(json.length / 4) * 4, ' ');
  json.copy(padded);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(padded.length);
  const parts: Buffer[] = [length, padded];
  const bytesOf = (array: Float32Array | Int32Array) =>
    Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  for (const split of splits) {
    parts.push(bytesOf(split.x));
    if (split.labels) parts.push(bytesOf(split.labels));
  }
  return Buffer.concat(parts);
}

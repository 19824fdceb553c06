// A trained model's data: which splits an app can score, and those splits loaded as the model saw them.
import { z } from 'zod';
import { type AudioFeatures, describeFeatures, featureShape, specFieldsOf } from '../data/audio/features.js';
import { type DataSplits, type Dataset, makeDataset } from '../data/dataset.js';
import {
  type AudioSplits,
  loadAudioData,
  loadData,
  loadRaw,
  loadTableWhole,
  loadTextWhole,
} from '../data/load.js';
import { applyScaling } from '../data/scaling.js';
import { DataSpec, formatDataSpec, isAudioSpec, isTextSpec } from '../data/spec.js';
import { openChunkedSource, STREAM_TEST_FRACTION, type StreamableSpec } from '../data/stream/sources.js';
import { type RowBlock, streamData } from '../data/stream/streamed.js';
import { ConfigError, DataError, UsageError } from '../errors.js';
import type { LoadedModel } from '../io/model-files.js';
import type { TrainableModel } from '../models/family.js';

/** The sources a table model reads: rows of columns. */
const isTableSpec = (spec: DataSpec) =>
  spec.source === 'csv' || spec.source === 'npz' || spec.source === 'npy';

export const DataSplit = z.enum(['train', 'validation', 'test']);
export type DataSplit = z.infer<typeof DataSplit>;

/**
 * Splits of `spec` (default: the data the model was trained on), loaded as the model saw them (its seed, its
 * table scaling or text vocabulary), checked against the model's sample shape.
 */
export async function modelData(loaded: LoadedModel, spec?: DataSpec): Promise<DataSplits> {
  const own = DataSpec.safeParse(loaded.manifest.data);
  if (!spec && !own.success)
    throw new ConfigError("the model's manifest does not say which data it was trained on: give the data", {
      path: 'data',
    });
  const chosen = readAsModel(loaded, spec ?? (own.data as DataSpec));
  const splits = await loadData(chosen, {
    seed: loaded.manifest.context.seed,
    scaling: loaded.manifest.scaling,
    // Text: the model's own vocabulary, so the ids are the ones it was trained with.
    text: loaded.manifest.text,
    // Tables: the model's column encoders, so cells are encoded as in its training.
    tableEncoding: loaded.manifest.table,
    // A model trained on a table of numbers reads csv data as numbers, gaps and texts refused.
    numbersOnly: !loaded.manifest.table,
  });
  const expected = loaded.manifest.context.sampleShape;
  if (splits.test.sampleShape.join('x') !== expected.join('x')) {
    throw new DataError(
      `the model expects samples of shape [${expected}], the data has [${splits.test.sampleShape}]`,
      { path: formatDataSpec(chosen) },
    );
  }
  return splits;
}

/**
 * Text goes only to text models and the other way round: a model's ids come from its saved vocabulary, and
 * pixels or table values are no token ids.
 */
function checkDataKind(loaded: LoadedModel, spec: DataSpec): void {
  const where = formatDataSpec(spec);
  if (isAudioSpec(spec) && !loaded.manifest.audio)
    throw new DataError(
      `is audio, but this ${loaded.manifest.kind} model was trained on samples of shape [${loaded.manifest.context.sampleShape}], not on audio: give data like its own, or train a model on the audio`,
      { path: where },
    );
  if (!isAudioSpec(spec) && loaded.manifest.audio)
    throw new DataError(
      `is not audio, but this ${loaded.manifest.kind} model was trained on audio (${describeFeatures(loaded.manifest.audio)}): give audio:DIR or fsdd`,
      { path: where },
    );
  if (isTextSpec(spec) && !loaded.manifest.text)
    throw new DataError(
      `is text, but this ${loaded.manifest.kind} model was trained on samples of shape [${loaded.manifest.context.sampleShape}], not text: give data like its own`,
      { path: where },
    );
  if (!isTableSpec(spec) && loaded.manifest.table)
    throw new DataError(
      `is not a table, but this ${loaded.manifest.kind} model reads tables (columns ${loaded.manifest.table.columns
        .map((c) => c.name)
        .join(', ')}): give csv:PATH, npz:PATH or npy:PATH`,
      { path: where },
    );
  if (!isTextSpec(spec) && loaded.manifest.text)
    throw new DataError(
      `is not text, but this ${loaded.manifest.kind} model reads text (token ids of its vocabulary): give text:PATH, brown or spam-assassin`,
      { path: where },
    );
}

/**
 * The spec checked against the model's kind of data; text is tokenized as the model's vocabulary was (its
 * tokenizer and lower-casing), since its ids mean nothing otherwise and detect/embed/encode have no such flags.
 */
function readAsModel(loaded: LoadedModel, spec: DataSpec): DataSpec {
  checkDataKind(loaded, spec);
  const text = loaded.manifest.text;
  if (isTextSpec(spec) && text) return { ...spec, tokenizer: text.tokenizer, lowercase: text.lowercase };
  const audio = loaded.manifest.audio;
  // Audio is turned into the model's own features (rate, clip length, FFT, mel bands, dB range), whatever the spec says.
  if (isAudioSpec(spec) && audio) return { ...spec, ...specFieldsOf(audio) };
  return spec;
}

/**
 * Refuse a text model where a use works on pixels or values (`what`), saying what to use instead: quantised
 * codes, pixel noise or image files of token ids mean nothing.
 */
export function refuseText(model: TrainableModel, what: string, instead: string): void {
  if (model.context.vocabularySize !== undefined)
    throw new UsageError(
      `${what} works on images and tables, and "${model.kind}" is a text model: ${instead}`,
      {
        path: 'model.kind',
      },
    );
}

/** JSON with sorted keys: two specs that differ only in key order are the same data. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** Whether `spec` is the data the model was trained on (then its splits apply), or other data. */
export function isOwnData(loaded: LoadedModel, spec?: DataSpec): boolean {
  if (!spec) return true;
  const own = DataSpec.safeParse(loaded.manifest.data);
  return own.success && canonical(own.data) === canonical(DataSpec.parse(spec));
}

/**
 * Data other than the model's own, whole and in file order (a source's test part after its training part), in
 * the model's units (its saved table scaling, or for text its saved vocabulary), checked against its sample shape.
 * Rows keep the source's ids (CSV row numbers, image file names, text file:line), so scores join back to the
 * file; nothing is split or shuffled.
 */
export async function wholeData(loaded: LoadedModel, spec: DataSpec): Promise<Dataset> {
  spec = readAsModel(loaded, spec);
  // readAsModel made sure a text spec meets a model with a vocabulary.
  if (isTextSpec(spec) && loaded.manifest.text) return loadTextWhole(spec, loaded.manifest.text);
  // Tables: every row encoded with the model's column encoders (its columns and types, checked).
  if (isTableSpec(spec) && loaded.manifest.table) return loadTableWhole(spec, loaded.manifest.table);
  const raw = await loadRaw(spec);
  const parts = [raw.train, ...(raw.test ? [raw.test] : [])];
  const x = new Float32Array(parts.reduce((n, p) => n + p.x.length, 0));
  const labelled = parts.every((p) => p.labels);
  const labels = labelled
    ? new Int32Array(parts.reduce((n, p) => n + (p.labels?.length ?? 0), 0))
    : undefined;
  let at = 0;
  let row = 0;
  for (const part of parts) {
    x.set(part.x, at);
    at += part.x.length;
    if (labels && part.labels) labels.set(part.labels, row);
    row += part.labels?.length ?? 0;
  }
  const ids = parts.every((p) => p.ids) ? parts.flatMap((p) => p.ids as string[]) : undefined;
  const where = formatDataSpec(spec);
  const expected = loaded.manifest.context.sampleShape;
  if (raw.sampleShape.join('x') !== expected.join('x')) {
    throw new DataError(
      `the model expects samples of shape [${expected}], the data has [${raw.sampleShape}]`,
      { path: where },
    );
  }
  const dataset = { ...makeDataset(raw.name, raw.sampleShape, x, labels, raw.classNames), ids };
  const scaling = loaded.manifest.scaling;
  return scaling ? applyScaling(dataset, scaling) : dataset;
}

/** A model's audio data: the spec's splits as features and as waveforms, read with the model's own features. */
export async function modelAudio(loaded: LoadedModel, spec?: DataSpec): Promise<AudioSplits> {
  const features = loaded.manifest.audio;
  if (!features)
    throw new UsageError(`this ${loaded.manifest.kind} model was not trained on audio`, { path: 'run' });
  const own = DataSpec.safeParse(loaded.manifest.data);
  const chosen = spec ?? (own.success ? own.data : undefined);
  if (!chosen)
    throw new ConfigError("the model's manifest does not say which data it was trained on: give the data", {
      path: 'data',
    });
  // readAsModel refuses data that is not audio and gives audio the model's own features.
  const read = readAsModel(loaded, chosen);
  if (!isAudioSpec(read)) throw new DataError('expected audio data', { path: formatDataSpec(read) });
  return loadAudioData(read, { seed: loaded.manifest.context.seed });
}

/** The sample shape `features` make, checked to be the one `model` takes: an app given both by a caller. */
export function featuresFitModel(features: AudioFeatures, model: TrainableModel): number[] {
  const shape = featureShape(features);
  if (shape.join('x') !== model.context.sampleShape.join('x'))
    throw new ConfigError(
      `the model expects samples of shape [${model.context.sampleShape}], its audio features make [${shape}]`,
      { path: 'audio' },
    );
  return shape;
}

/**
 * Streamed data (parquet:PATH, arrow:PATH or images:DIR with stream): the model's own split as training split it,
 * or other data whole in file order, in the model's units (its saved scaling), checked against its sample shape.
 * Nothing is held but a chunk at a time.
 */
export async function modelStream(
  loaded: LoadedModel,
  spec: StreamableSpec,
  split: DataSplit | 'all',
): Promise<{
  name: string;
  rows: number;
  classNames?: readonly string[];
  blocks(): AsyncGenerator<RowBlock>;
  /** The first `n` rows in memory. */
  head(n: number): Promise<Dataset>;
}> {
  checkDataKind(loaded, spec);
  const whole = split === 'all';
  const vocabulary = loaded.manifest.text;
  const rows = {
    seed: loaded.manifest.context.seed,
    // Other data is one split of every row; the model's own is split as its training split it.
    validationFraction: whole ? 0 : 0.1 * (1 - STREAM_TEST_FRACTION),
    testFraction: whole ? 0 : STREAM_TEST_FRACTION,
  };
  const source = await openChunkedSource(spec, { split: rows, ...(vocabulary ? { vocabulary } : {}) });
  const stream = await streamData(source, {
    ...rows,
    scaling: 'none',
    ...(loaded.manifest.scaling ? { fixedScaling: loaded.manifest.scaling } : {}),
  });
  const expected = loaded.manifest.context.sampleShape;
  if (stream.sampleShape.join('x') !== expected.join('x'))
    throw new DataError(
      `the model expects samples of shape [${expected}], the data has [${stream.sampleShape}]`,
      { path: formatDataSpec(spec) },
    );
  const chosen = whole ? 'train' : split;
  return {
    name: whole ? stream.name : `${stream.name}/${split}`,
    rows: stream.sizes[chosen],
    classNames: stream.classNames,
    blocks: () => stream.splitRows(chosen),
    head: (n) => stream.head(chosen, n),
  };
}

/** The first `n` rows of a streamed split in memory (a map, a probe: what needs its rows together). */
export async function modelStreamHead(
  loaded: LoadedModel,
  spec: StreamableSpec,
  split: DataSplit,
  n: number,
): Promise<Dataset> {
  return (await modelStream(loaded, spec, split)).head(n);
}

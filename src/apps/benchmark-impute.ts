// `latentlab benchmark impute`: how well each imputer fills cells whose truth is known. Per seed, a share of the
// table's observed cells (`rate`, default 20%) is hidden completely at random; the column encoders are fitted on
// the table with those gaps (so the hidden cells shape nothing), every method fills the gaps of the whole table
// from its observed cells (the transductive protocol of the GAIN paper and of sklearn's imputers: the models train
// on every row with its gaps, the hidden cells masked out like the real ones), and only the hidden cells are
// scored: RMSE on numbers in units of each column's standard deviation, accuracy on categories. Baselines
// (mean/mode, kNN, MICE) and the models (table-ae, table-vae, GAIN at their defaults, each trained in memory on
// nine tenths of the rows for at most `steps` optimiser steps, stopped early on the other tenth's loss) run in the
// same command on the same gaps; the report gives mean ± sd over seeds.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type Dataset, subset } from '../data/dataset.js';
import { permutation } from '../data/random.js';
import { readCsvSpec } from '../data/sources/csv.js';
import { DataSpec, formatDataSpec } from '../data/spec.js';
import { decodeRows, encodeTable } from '../data/table/encode.js';
import { encodedWidth, type TableEncoding } from '../data/table/encoding.js';
import { fitTableEncoding } from '../data/table/fit.js';
import { typeTable } from '../data/table/infer.js';
import { isNumberColumn, type Table } from '../data/table/table.js';
import { ensureBackend } from '../engine/backend.js';
import { parseOrThrow, UsageError } from '../errors.js';
import type { EncodedRows, Imputer } from '../eval/impute/imputer.js';
import { knnImputer } from '../eval/impute/knn.js';
import { meanModeImputer } from '../eval/impute/mean-mode.js';
import { miceImputer } from '../eval/impute/mice.js';
import { fillsGaps, modelImputer } from '../eval/impute/model.js';
import { hideAtRandom, type ImputationScore, scoreImputation } from '../eval/impute/score.js';
import type { OnProgress } from '../eval/progress.js';
import { writeFileAtomic } from '../io/atomic.js';
import { parseModelConfig } from '../models/registry.js';
import { TrainConfig } from '../train/config.js';
import { trainLoop } from '../train/trainer.js';

export const IMPUTE_METHODS = ['mean', 'knn', 'mice', 'table-ae', 'table-vae', 'gain'] as const;
export const ImputeMethod = z.enum(IMPUTE_METHODS);
export type ImputeMethod = z.infer<typeof ImputeMethod>;

export const BenchmarkImputeOptions = z.strictObject({
  data: DataSpec.describe('The table: csv:FILE'),
  seeds: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(3)
    .describe('Seeds 0 .. seeds - 1, each hiding other cells'),
  rate: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.2)
    .describe('Share of the observed cells hidden (completely at random)'),
  methods: z
    .array(ImputeMethod)
    .min(1)
    .default([...IMPUTE_METHODS])
    .describe('The imputers compared'),
  k: z.number().int().min(1).default(5).describe('Neighbours of the kNN imputer'),
  steps: z
    .number()
    .int()
    .min(1)
    .default(2000)
    .describe('Optimiser steps each model trains for at most (rounded up to whole epochs)'),
  patience: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe('Epochs without improvement of the held-out rows’ loss before a model stops'),
  batchSize: z.number().int().min(1).default(128).describe('Rows per optimiser step of the models'),
  out: z.string().optional().describe('Directory for impute.md and impute.json (written atomically)'),
  /** The command as typed, for the report. */
  command: z.string().optional(),
});
export type BenchmarkImputeInput = z.input<typeof BenchmarkImputeOptions>;

/** Where each model kind comes from (defaults of its family). */
const MODEL_KINDS: Partial<Record<ImputeMethod, string>> = {
  'table-ae': 'table-ae',
  'table-vae': 'table-vae',
  gain: 'gain',
};

export interface MethodSeedResult {
  seed: number;
  score: ImputationScore;
  seconds: number;
}

export interface MethodResult {
  method: ImputeMethod;
  name: string;
  seeds: MethodSeedResult[];
  rmse: { mean: number; sd: number };
  accuracy: { mean: number; sd: number };
  seconds: number;
}

export interface ImputeBenchmark {
  data: string;
  rows: number;
  columns: { name: string; type: string; missing: number }[];
  rate: number;
  seeds: number;
  steps: number;
  patience: number;
  /** Cells hidden per seed (scored: of the encoded columns). */
  hidden: number[];
  methods: MethodResult[];
  command?: string;
  markdown: string;
  files?: { markdown: string; json: string };
}

export interface BenchmarkCallbacks {
  log?: (line: string) => void;
  onProgress?: OnProgress;
}

/** Mean and sample standard deviation (0 for one value); NaNs (a method with no such cells) give NaN. */
function meanSd(values: number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd =
    values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, sd };
}

/**
 * A model imputer trained in memory on `rows` with their gaps: a tenth of the rows (at least one) is held out to
 * validate, and training stops when their loss has not improved for `patience` epochs, keeping the best epoch's
 * weights (on a few hundred rows a fixed budget overfits). The model then fills the gaps of every row.
 */
async function trainedImputer(
  method: ImputeMethod,
  rows: EncodedRows,
  seed: number,
  options: z.output<typeof BenchmarkImputeOptions>,
  callbacks: BenchmarkCallbacks,
): Promise<{ imputer: Imputer; dispose(): void }> {
  const { family, config } = parseModelConfig({ kind: MODEL_KINDS[method] });
  const width = encodedWidth(rows.encoding);
  const size = rows.x.length / width;
  const all: Dataset = {
    name: `${method} rows`,
    sampleShape: [width],
    size,
    x: rows.x,
    mask: rows.mask,
    table: rows.encoding,
  };
  const order = permutation(size, seed);
  const held = size > 1 ? Math.max(1, Math.round(size / 10)) : 0;
  const validation = subset(all, order.subarray(0, held));
  const fitted = held > 0 ? subset(all, order.subarray(held)) : all;
  const batchSize = Math.min(options.batchSize, fitted.size);
  const epochs = Math.ceil(options.steps / Math.ceil(fitted.size / batchSize));
  const train = TrainConfig.parse({
    epochs,
    batchSize,
    previewCount: 0,
    ...(held > 0 ? { earlyStopping: { patience: options.patience } } : {}),
  });
  const model = family.build(config, { sampleShape: [width], seed, table: rows.encoding });
  const runDir = await mkdtemp(join(tmpdir(), 'latentlab-impute-'));
  try {
    const { state, stoppedEarly } = await trainLoop({
      model,
      splits: { train: fitted, validation, test: validation, table: rows.encoding },
      train,
      seed,
      runDir,
      lossChartSeconds: 1e9,
      callbacks: {
        onEpochEnd: (record) =>
          callbacks.onProgress?.({
            task: `train ${method} (seed ${seed})`,
            done: record.epoch,
            total: epochs,
          }),
      },
    });
    const task = `train ${method} (seed ${seed})`;
    // Close the progress bar of a run that stopped early.
    callbacks.onProgress?.({ task, done: epochs, total: epochs });
    callbacks.log?.(
      `seed ${seed}: ${method}: ${stoppedEarly ? `stopped at epoch ${state.epoch} of ${epochs}` : `${epochs} epochs`}, weights of epoch ${state.bestEpoch || state.epoch} (${fitted.size} rows trained, ${validation.size} held out)`,
    );
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
  if (!fillsGaps(model)) throw new Error(`${method} does not fill gaps`);
  return { imputer: modelImputer(model, { name: method }), dispose: () => model.dispose() };
}

function baseline(method: ImputeMethod, k: number): Imputer | undefined {
  if (method === 'mean') return meanModeImputer;
  if (method === 'knn') return knnImputer(k);
  if (method === 'mice') return miceImputer();
  return undefined;
}

/**
 * The table of a csv: spec, its column types inferred on every row (or stated), and the label column's name when
 * it has one (kept out of the encoded row, so not imputed).
 */
export async function readTable(data: DataSpec): Promise<{ table: Table; labelColumn?: string }> {
  if (data.source !== 'csv')
    throw new UsageError(`benchmark impute takes a table: expected csv:FILE, got ${formatDataSpec(data)}`, {
      path: '--data',
    });
  const cells = await readCsvSpec(data);
  const table = typeTable(cells, { columns: data.columns });
  return cells.labelIndex >= 0 ? { table, labelColumn: cells.columns[cells.labelIndex].name } : { table };
}

export async function benchmarkImpute(
  input: BenchmarkImputeInput,
  callbacks: BenchmarkCallbacks = {},
): Promise<ImputeBenchmark> {
  const options = parseOrThrow(BenchmarkImputeOptions, input, 'options');
  const log = callbacks.log ?? (() => {});
  await ensureBackend();
  const { table, labelColumn } = await readTable(options.data);
  const all = Int32Array.from({ length: table.rows }, (_, i) => i);
  const results = new Map<ImputeMethod, MethodSeedResult[]>(options.methods.map((m) => [m, []]));
  const names = new Map<ImputeMethod, string>();
  const hiddenCounts: number[] = [];
  for (let seed = 0; seed < options.seeds; seed++) {
    const hidden = hideAtRandom(table, options.rate, seed);
    const encoding: TableEncoding = fitTableEncoding(hidden.table, all, {
      numeric: options.data.source === 'csv' ? (options.data.numeric ?? 'standard') : 'standard',
      categorical: options.data.source === 'csv' ? (options.data.categorical ?? 'onehot') : 'onehot',
      ...(labelColumn ? { labelColumn } : {}),
      seed,
    });
    const encoded = encodeTable(hidden.table, encoding);
    const rows: EncodedRows = { x: encoded.x, mask: encoded.mask, encoding };
    const scored = table.columns.reduce(
      (sum, column, c) =>
        sum + (encoding.columns.some((e) => e.name === column.name) ? hidden.rows[c].length : 0),
      0,
    );
    hiddenCounts.push(scored);
    log(`seed ${seed}: ${scored} of the table's observed cells hidden`);
    for (const method of options.methods) {
      const started = performance.now();
      const made = baseline(method, options.k)
        ? { imputer: baseline(method, options.k) as Imputer, dispose() {} }
        : await trainedImputer(method, rows, seed, options, callbacks);
      try {
        const filled = await made.imputer.impute(rows);
        const score = scoreImputation(table, hidden, decodeRows(filled, encoding, { name: table.name }));
        const seconds = (performance.now() - started) / 1000;
        names.set(method, made.imputer.name);
        results.get(method)?.push({ seed, score, seconds });
        // A table with no numbers (or no categories) has no RMSE (accuracy) to print: NaN would read as a failure.
        const figures = [
          ...(score.numericCells > 0
            ? [`RMSE ${score.rmse.toFixed(4)} (${score.numericCells} numbers)`]
            : []),
          ...(score.categoricalCells > 0
            ? [`accuracy ${score.accuracy.toFixed(4)} (${score.categoricalCells} categories)`]
            : []),
        ];
        log(`seed ${seed}: ${made.imputer.name}: ${[...figures, `${seconds.toFixed(1)} s`].join(', ')}`);
      } finally {
        made.dispose();
      }
    }
  }
  const methods: MethodResult[] = options.methods.map((method) => {
    const seeds = results.get(method) ?? [];
    return {
      method,
      name: names.get(method) ?? method,
      seeds,
      rmse: meanSd(seeds.map((s) => s.score.rmse)),
      accuracy: meanSd(seeds.map((s) => s.score.accuracy)),
      seconds: seeds.reduce((a, s) => a + s.seconds, 0) / Math.max(1, seeds.length),
    };
  });
  const report: ImputeBenchmark = {
    data: formatDataSpec(options.data),
    rows: table.rows,
    columns: table.columns.map((column) => ({
      name: column.name,
      type: column.type,
      missing: isNumberColumn(column)
        ? column.values.filter(Number.isNaN).length
        : column.codes.filter((c) => c < 0).length,
    })),
    rate: options.rate,
    seeds: options.seeds,
    steps: options.steps,
    patience: options.patience,
    hidden: hiddenCounts,
    methods,
    ...(options.command ? { command: options.command } : {}),
    markdown: '',
  };
  report.markdown = imputeMarkdown(report);
  if (options.out) {
    const markdown = join(options.out, 'impute.md');
    const json = join(options.out, 'impute.json');
    const { markdown: _text, ...data } = report;
    await mkdir(options.out, { recursive: true });
    await writeFileAtomic(markdown, report.markdown);
    await writeFileAtomic(json, `${JSON.stringify(data, null, 2)}\n`);
    report.files = { markdown, json };
  }
  return report;
}

const figure = (value: { mean: number; sd: number }) =>
  Number.isNaN(value.mean) ? '—' : `${value.mean.toFixed(3)} ± ${value.sd.toFixed(3)}`;

/** The report: the protocol in a sentence, the table per method, and the command that made it. */
export function imputeMarkdown(report: Omit<ImputeBenchmark, 'markdown'>): string {
  const missing = report.columns.reduce((sum, c) => sum + c.missing, 0);
  const lines = [
    `# Imputation: ${report.data}`,
    '',
    `${report.rows} rows, ${report.columns.length} columns, ${missing} cells missing in the file. Per seed, ${Math.round(report.rate * 100)}% of the observed cells were hidden completely at random (${report.hidden.join(', ')} cells scored for seeds 0-${report.seeds - 1}); every method filled the table's gaps from its observed cells, the models trained on 90% of the rows with their gaps for at most ${report.steps} steps, stopped when the other 10% stopped improving for ${report.patience} epochs, then filled every row. RMSE on hidden numbers in standard deviations of their column, accuracy on hidden categories; mean ± sd over ${report.seeds} seeds.`,
    '',
    '| method | RMSE (sd units) | accuracy | seconds |',
    '| --- | ---: | ---: | ---: |',
    ...report.methods.map(
      (m) => `| ${m.name} | ${figure(m.rmse)} | ${figure(m.accuracy)} | ${m.seconds.toFixed(1)} |`,
    ),
  ];
  if (report.command) lines.push('', '```sh', report.command, '```');
  return `${lines.join('\n')}\n`;
}

// Synthetic tables from a trained table model: `sample` writes its rows as a CSV with the original columns and
// types, `evaluate` compares them with the real training rows and the held-out rows (eval/table-quality.ts).
import type { Dataset } from '../data/dataset.js';
import { decodeRows } from '../data/table/encode.js';
import type { TableEncoding } from '../data/table/encoding.js';
import type { Table } from '../data/table/table.js';
import { ConfigError } from '../errors.js';
import type { Sampler } from '../eval/code-prior.js';
import { samplePrior } from '../eval/generate.js';
import { type TableQualityReport, tableQuality } from '../eval/table-quality.js';
import type { LoadedModel } from '../io/model-files.js';
import { writeTableCsv } from '../io/table-files.js';
import { isGenerative, type TrainableModel } from '../models/family.js';
import { isTableSampler, type RowCondition } from '../models/shared/table-heads.js';
import { modelData } from './model-data.js';

/** Rows generated per pass, so a large --n never holds more than this many encoded rows as tensors. */
const ROWS_PER_PASS = 10_000;

export interface SynthesisOptions {
  n: number;
  seed: number;
  /** Choice groups: the most likely level (false, default) or a level drawn from the model's probabilities. */
  drawChoices?: boolean;
  /** Every row conditioned on one level of a categorical column (models that take conditions: ctgan). */
  condition?: RowCondition;
  /**
   * Where rows come from for a model that is no table sampler: default the model's own prior; `sample` passes a
   * plain autoencoder's Gaussian fitted to its training codes.
   */
  sampler?: Sampler;
}

/** The encoding a loaded model was trained with, or an error saying the model is no table model. */
export function modelTable(loaded: Pick<LoadedModel, 'manifest'>): TableEncoding {
  const table = loaded.manifest.table;
  if (!table)
    throw new ConfigError(
      `this ${loaded.manifest.kind} model was not trained on a table (no column encodings in its manifest)`,
      { path: 'model' },
    );
  return table;
}

/**
 * n synthetic rows as a table of the encoding's columns and types. A table sampler (tvae, ctgan) draws its own
 * rows; any other generative model decodes prior draws.
 */
export function synthesizeTable(
  model: TrainableModel,
  encoding: TableEncoding,
  options: SynthesisOptions,
): Table {
  const { n, seed } = options;
  const tableSampler = isTableSampler(model) ? model : undefined;
  const prior = options.sampler ?? (isGenerative(model) ? model : undefined);
  if (!tableSampler && !prior)
    throw new ConfigError(`"${model.kind}" cannot generate rows: it has no prior or generator`, {
      path: 'model.kind',
    });
  if (options.condition && !tableSampler)
    throw new ConfigError(`"${model.kind}" cannot condition rows on a level`, { path: 'condition' });
  const width = model.context.sampleShape[0];
  const x = new Float32Array(n * width);
  for (let start = 0, pass = 0; start < n; start += ROWS_PER_PASS, pass++) {
    const count = Math.min(ROWS_PER_PASS, n - start);
    // Each pass its own seed, so the rows do not depend on the pass size alone.
    const passSeed = seed + pass * 1_000_003;
    const rows = tableSampler
      ? tableSampler.sampleRows(count, passSeed, options.condition)
      : samplePrior(prior!, count, passSeed);
    x.set(rows.dataSync(), start * width);
    rows.dispose();
  }
  return decodeRows(x, encoding, { sample: options.drawChoices === true, seed, name: 'synthetic' });
}

/** An encoded split back as a table: its rows decoded, the cells its mask marks missing missing again. */
export function splitTable(dataset: Dataset, encoding: TableEncoding): Table {
  return decodeRows(dataset.x, encoding, { name: dataset.name, mask: dataset.mask });
}

/** `sample` for table models: n rows written to `out` as CSV with the original columns and types. */
export async function sampleTableCsv(
  loaded: LoadedModel,
  out: string,
  options: SynthesisOptions,
): Promise<Table> {
  const table = synthesizeTable(loaded.model, modelTable(loaded), options);
  await writeTableCsv(out, table);
  return table;
}

export interface SynthesisEvaluationOptions {
  seed: number;
  /** Synthetic rows to draw (default: as many as the training split, as SDV's evaluations do). */
  n?: number;
  /** The category column the efficacy classifiers predict (absent: no efficacy). */
  target?: string;
  drawChoices?: boolean;
  privacyRows?: number;
  epochs?: number;
  /** Where to write the synthetic rows evaluated (CSV), if anywhere. */
  out?: string;
}

export interface SynthesisEvaluation extends TableQualityReport {
  /** The held-out split the efficacy classifiers are tested on. */
  holdout: 'test';
}

/**
 * `evaluate` for table models: synthetic rows against the model's own training split (real rows) and its test
 * split (real held-out rows, never seen in training): column shapes, pair trends, efficacy and privacy.
 */
export async function evaluateSynthesis(
  loaded: LoadedModel,
  options: SynthesisEvaluationOptions,
): Promise<SynthesisEvaluation> {
  const encoding = modelTable(loaded);
  if (options.target !== undefined && options.target === encoding.labelColumn)
    throw new ConfigError(
      `"${options.target}" was this model's label column, kept out of the rows it generates: train without --label-column to predict it from synthetic rows`,
      { path: 'target' },
    );
  const splits = await modelData(loaded);
  const train = splitTable(splits.train, encoding);
  const holdout = splitTable(splits.test, encoding);
  const synthetic = synthesizeTable(loaded.model, encoding, {
    n: options.n ?? train.rows,
    seed: options.seed,
    drawChoices: options.drawChoices,
  });
  if (options.out) await writeTableCsv(options.out, synthetic);
  const report = tableQuality(train, holdout, synthetic, {
    target: options.target,
    seed: options.seed,
    privacyRows: options.privacyRows,
    epochs: options.epochs,
  });
  return { ...report, holdout: 'test' };
}

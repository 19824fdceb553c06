// Fitting a table's column encoders on its training rows (held-out rows never shape them): numbers standardised,
// min-max scaled or split by mode (gmm.ts), categories as one-hot groups of the levels seen in training.
import { DataError } from '../../errors.js';
import type { CategoricalMethod, ColumnEncoder, NumericMethod, TableEncoding } from './encoding.js';
import { fitMixture } from './gmm.js';
import { DEFAULT_MISSING } from './read.js';
import { type CategoryColumnData, isNumberColumn, type NumberColumn, type Table } from './table.js';

export interface FitTableOptions {
  /** Numbers: standard (default), minmax or mode (CTGAN's mode-specific normalisation). */
  numeric?: NumericMethod;
  /** Categories: onehot (default) or embedding (the same one-hot group, which the model embeds). */
  categorical?: CategoricalMethod;
  /** Kept out of the encoded row: it is the class label. */
  labelColumn?: string;
  /** The cell texts the table was read with as missing (saved, so new data is read alike). */
  missingTokens?: readonly string[];
  /** Seeds the subsample a mixture is fitted on. */
  seed?: number;
  /** Mode-specific normalisation: components per column at most (default 10). */
  maxModes?: number;
}

/** Per-column encoders fitted on `trainRows` of `table`; every column but the label column is encoded. */
export function fitTableEncoding(
  table: Table,
  trainRows: ArrayLike<number>,
  options: FitTableOptions = {},
): TableEncoding {
  if (trainRows.length === 0)
    throw new DataError('cannot fit column encoders on no training rows', { path: table.name });
  if (options.labelColumn !== undefined && !table.columns.some((c) => c.name === options.labelColumn))
    throw new DataError(`label column "${options.labelColumn}" is not a column of the table`, {
      path: table.name,
    });
  const columns = table.columns
    .filter((column) => column.name !== options.labelColumn)
    .map((column) =>
      isNumberColumn(column)
        ? fitNumber(table, column, trainRows, options)
        : fitCategory(table, column, trainRows, options.categorical ?? 'onehot'),
    );
  if (columns.length === 0)
    throw new DataError('expected at least one column to encode besides the label', { path: table.name });
  return {
    columns,
    rows: trainRows.length,
    missingTokens: [...(options.missingTokens ?? DEFAULT_MISSING)],
    ...(options.labelColumn !== undefined ? { labelColumn: options.labelColumn } : {}),
  };
}

function noneObserved(table: Table, name: string): DataError {
  return new DataError(
    `column "${name}" has no observed cell in the training rows: leave it out (--columns ${name}:ignore)`,
    { path: table.name },
  );
}

/**
 * The fewest decimal places (0 to 6) that hold every value as written, or undefined when some value needs more:
 * a value v fits d places when v · 10^d is a whole number up to float64 rounding of the text it was parsed from.
 */
export function decimalsOf(values: readonly number[]): number | undefined {
  for (let d = 0; d <= 6; d++) {
    const power = 10 ** d;
    if (
      values.every(
        (v) => Math.abs(v * power - Math.round(v * power)) <= 1e-9 * Math.max(1, Math.abs(v * power)),
      )
    )
      return d;
  }
  return undefined;
}

function fitNumber(
  table: Table,
  column: NumberColumn,
  trainRows: ArrayLike<number>,
  options: FitTableOptions,
): ColumnEncoder {
  const observed: number[] = [];
  for (let i = 0; i < trainRows.length; i++) {
    const v = column.values[trainRows[i]];
    if (!Number.isNaN(v)) observed.push(v);
  }
  if (observed.length === 0) throw noneObserved(table, column.name);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of observed) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const decimals = column.type === 'numeric' ? decimalsOf(observed) : undefined;
  const base = {
    name: column.name,
    type: column.type,
    missing: trainRows.length - observed.length,
    min,
    max,
    ...(decimals === undefined ? {} : { decimals }),
  };
  const method = options.numeric ?? 'standard';
  if (method === 'mode') {
    const mixture = fitMixture(observed, { seed: options.seed, maxModes: options.maxModes });
    return { ...base, method, ...mixture };
  }
  if (method === 'minmax') return { ...base, method, offset: min, scale: max > min ? max - min : 1 };
  // Two passes in float64: the one-pass formula loses precision when the mean is large.
  let sum = 0;
  for (const v of observed) sum += v;
  const mean = sum / observed.length;
  let squares = 0;
  for (const v of observed) squares += (v - mean) ** 2;
  const std = Math.sqrt(squares / observed.length);
  // A constant column encodes as 0 instead of dividing by zero.
  return { ...base, method, offset: mean, scale: std > 0 ? std : 1 };
}

function fitCategory(
  table: Table,
  column: CategoryColumnData,
  trainRows: ArrayLike<number>,
  method: CategoricalMethod,
): ColumnEncoder {
  const counts = new Int32Array(column.levels.length);
  let missing = 0;
  for (let i = 0; i < trainRows.length; i++) {
    const code = column.codes[trainRows[i]];
    if (code < 0) missing++;
    else counts[code]++;
  }
  // Only levels seen in training get a position: the others are unseen categories when encoded.
  const kept = column.levels.map((_, i) => i).filter((i) => counts[i] > 0);
  if (kept.length === 0) throw noneObserved(table, column.name);
  return {
    name: column.name,
    type: column.type,
    method,
    missing,
    levels: kept.map((i) => column.levels[i]),
    counts: kept.map((i) => counts[i]),
  };
}

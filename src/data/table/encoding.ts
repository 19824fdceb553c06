// How a table with mixed column types is turned into the flat float rows every model trains on, and back.
// One encoder per column, fitted on the training split and saved with the model (`table` in the manifest):
// numbers are standardised, min-max scaled, or split by mode (CTGAN's mode-specific normalisation: a Gaussian
// mixture per column, the value written as its mode's one-hot plus where it lies in that mode); categories
// become one-hot groups (`embedding` marks a group the model should project through a learned embedding).
// The encoded layout is a list of spans; families read it through `tableSpans`, never by column type.
import { z } from 'zod';

export const ColumnType = z.enum(['numeric', 'integer', 'categorical', 'boolean']);
export type ColumnType = z.infer<typeof ColumnType>;

/** How numbers are encoded: standard (zero mean, unit variance), min-max to [0, 1], or mode-specific. */
export const NumericMethod = z.enum(['standard', 'minmax', 'mode']);
export type NumericMethod = z.infer<typeof NumericMethod>;

/** How categories are encoded: a one-hot group, or a one-hot group the model embeds. */
export const CategoricalMethod = z.enum(['onehot', 'embedding']);
export type CategoricalMethod = z.infer<typeof CategoricalMethod>;

const columnBase = {
  name: z.string().min(1),
  /** Training rows where the cell was missing, out of `rows` in the TableEncoding. */
  missing: z.number().int().min(0),
};

const NumericRange = {
  /** Observed training range: decoded values are clipped to it (as SDV does), integers rounded. */
  min: z.number(),
  max: z.number(),
  /**
   * Decimal places every training value fits in (0 to 6; absent: more, or a model saved before it was kept):
   * decoded numbers are rounded to it, so a column written with one decimal comes back with one.
   */
  decimals: z.number().int().min(0).max(6).optional(),
};

/** standard: (v - offset) / scale; minmax: the same with offset = min, scale = max - min. */
export const ScaledColumn = z.strictObject({
  ...columnBase,
  type: z.enum(['numeric', 'integer']),
  method: z.enum(['standard', 'minmax']),
  offset: z.number(),
  scale: z.number().positive(),
  ...NumericRange,
});
export type ScaledColumn = z.infer<typeof ScaledColumn>;

/**
 * Mode-specific normalisation (Xu et al. 2019): a value v in mode k (the most likely, or drawn, component) is
 * written as one-hot(k) and alpha = (v - means[k]) / (4 stds[k]), clipped to [-1, 1].
 */
export const ModeColumn = z.strictObject({
  ...columnBase,
  type: z.enum(['numeric', 'integer']),
  method: z.literal('mode'),
  means: z.array(z.number()).min(1),
  stds: z.array(z.number().positive()).min(1),
  weights: z.array(z.number().min(0)).min(1),
  ...NumericRange,
});
export type ModeColumn = z.infer<typeof ModeColumn>;

/** Levels in a fixed order (the one-hot positions); booleans have the levels as written, e.g. false/true. */
export const CategoryColumn = z.strictObject({
  ...columnBase,
  type: z.enum(['categorical', 'boolean']),
  method: CategoricalMethod,
  levels: z.array(z.string()).min(1),
  /** Training rows per level (CTGAN's training-by-sampling draws from log frequencies). */
  counts: z.array(z.number().int().min(0)),
});
export type CategoryColumn = z.infer<typeof CategoryColumn>;

export const ColumnEncoder = z.union([ScaledColumn, ModeColumn, CategoryColumn]);
export type ColumnEncoder = z.infer<typeof ColumnEncoder>;

export const TableEncoding = z.strictObject({
  /** In the order of the encoded layout; the table's other columns (a label column) are not encoded. */
  columns: z.array(ColumnEncoder).min(1),
  /** Training rows the encoders were fitted on. */
  rows: z.number().int().positive(),
  /** Cell texts read as missing (after trimming), e.g. ['', 'NA', 'NaN', '?']. */
  missingTokens: z.array(z.string()),
  /** The label column, when the data has one: kept out of the encoded row (it is the class label). */
  labelColumn: z.string().optional(),
});
export type TableEncoding = z.infer<typeof TableEncoding>;

/**
 * One piece of the encoded row. `value`: one continuous number (a scaled number, or a mode-specific alpha in
 * [-1, 1]); `choice`: a one-hot group (a column's categories, or a number's modes). A mode-specific column
 * makes two spans, its alpha then its modes.
 */
export interface TableSpan {
  /** Index into TableEncoding.columns. */
  column: number;
  kind: 'value' | 'choice';
  /** First position in the encoded row, and how many positions. */
  start: number;
  width: number;
  /** value spans: the range the family's output activation should give (tanh for alpha, linear otherwise). */
  bounded?: boolean;
  /** choice spans of a categorical column encoded with `embedding`. */
  embed?: boolean;
}

/** The encoded layout, span by span, in order; positions run 0 .. encodedWidth - 1 without gaps. */
export function tableSpans(encoding: TableEncoding): TableSpan[] {
  const spans: TableSpan[] = [];
  let start = 0;
  encoding.columns.forEach((column, index) => {
    const add = (span: Omit<TableSpan, 'column' | 'start'>) => {
      spans.push({ column: index, start, ...span });
      start += span.width;
    };
    if ('means' in column) {
      add({ kind: 'value', width: 1, bounded: true });
      add({ kind: 'choice', width: column.means.length });
    } else if ('offset' in column) {
      add({ kind: 'value', width: 1 });
    } else {
      add({
        kind: 'choice',
        width: column.levels.length,
        ...(column.method === 'embedding' ? { embed: true } : {}),
      });
    }
  });
  return spans;
}

/** Positions in an encoded row. */
export function encodedWidth(encoding: TableEncoding): number {
  return tableSpans(encoding).reduce((sum, span) => sum + span.width, 0);
}

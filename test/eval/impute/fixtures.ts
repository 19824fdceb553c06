// Hand-built encodings and encoded rows for the imputation tests (plain JSON and Float32Arrays, as the table
// encoders make them).
import type { ColumnEncoder, TableEncoding } from '../../../src/data/table/encoding.js';
import type { EncodedRows } from '../../../src/eval/impute/imputer.js';

/** A number column encoded as itself (offset 0, scale 1). */
export const identityNumber = (name: string): ColumnEncoder => ({
  name,
  missing: 0,
  type: 'numeric',
  method: 'standard',
  offset: 0,
  scale: 1,
  min: -1e9,
  max: 1e9,
});

export const category = (name: string, levels: string[]): ColumnEncoder => ({
  name,
  missing: 0,
  type: 'categorical',
  method: 'onehot',
  levels,
  counts: levels.map(() => 1),
});

export function encodingOf(columns: ColumnEncoder[], rows: number): TableEncoding {
  return { columns, rows, missingTokens: ['', 'NA'] };
}

/** Numeric rows with NaN for missing → encoded rows (0 and mask 0 where NaN). */
export function numericRows(values: number[][]): EncodedRows {
  const width = values[0].length;
  const x = new Float32Array(values.length * width);
  const mask = new Float32Array(values.length * width);
  values.forEach((row, r) => {
    row.forEach((v, c) => {
      if (!Number.isNaN(v)) {
        x[r * width + c] = v;
        mask[r * width + c] = 1;
      }
    });
  });
  return {
    x,
    mask,
    encoding: encodingOf(
      values[0].map((_, c) => identityNumber(`c${c}`)),
      values.length,
    ),
  };
}

/** Rows as [r][position] from encoded values. */
export function rowsOf(x: Float32Array, width: number): number[][] {
  return Array.from({ length: x.length / width }, (_, r) =>
    Array.from(x.subarray(r * width, (r + 1) * width)),
  );
}

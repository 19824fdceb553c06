// Hand-built encodings and encoded rows for the imputation tests (plain JSON and Float32Arrays, as the table
// encoders make them).
import { createRng } from '../../../src/data/random.js';
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

/**
 * A correlated mixed table, encoded: three numbers driven by one factor z ~ N(0, 1) (a = z, b = -z, c = z / 2,
 * each plus noise of sd 0.1) and a category ('lo' | 'hi' by the sign of z, one-hot or embedded), with each cell
 * missing with probability `missing` (MCAR). `truth` holds every cell. Seeded.
 */
export function correlatedTable(rows: number, missing: number, seed: number, embed = false) {
  const random = createRng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const encoding = encodingOf(
    [
      identityNumber('a'),
      identityNumber('b'),
      identityNumber('c'),
      { ...category('k', ['lo', 'hi']), method: embed ? 'embedding' : 'onehot' } as ColumnEncoder,
    ],
    rows,
  );
  const width = 5;
  const truth = new Float32Array(rows * width);
  const x = new Float32Array(rows * width);
  const mask = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const z = normal();
    const cells = [
      [z + 0.1 * normal()],
      [-z + 0.1 * normal()],
      [z / 2 + 0.1 * normal()],
      z > 0 ? [0, 1] : [1, 0],
    ];
    let at = r * width;
    for (const cell of cells) {
      const seen = random() >= missing;
      for (const v of cell) {
        truth[at] = v;
        x[at] = seen ? v : 0;
        mask[at] = seen ? 1 : 0;
        at++;
      }
    }
  }
  // The observed range of each number, as the encoders record it (GAIN scales by it).
  for (let c = 0; c < 3; c++) {
    const seen = Array.from({ length: rows }, (_, r) => r * width + c).filter((i) => mask[i] > 0);
    const column = encoding.columns[c] as { min: number; max: number };
    column.min = Math.min(...seen.map((i) => x[i]));
    column.max = Math.max(...seen.map((i) => x[i]));
  }
  return { truth, rows: { x, mask, encoding } as EncodedRows, width };
}

/** RMSE over the missing number cells (positions 0-2) and accuracy over the missing categories. */
export function imputationError(
  filled: Float32Array,
  truth: Float32Array,
  mask: Float32Array,
  width: number,
) {
  let squared = 0;
  let numbers = 0;
  let right = 0;
  let categories = 0;
  for (let r = 0; r < filled.length / width; r++) {
    for (let p = 0; p < 3; p++) {
      if (mask[r * width + p] > 0) continue;
      squared += (filled[r * width + p] - truth[r * width + p]) ** 2;
      numbers++;
    }
    if (mask[r * width + 3] === 0) {
      categories++;
      if (filled[r * width + 3 + (truth[r * width + 3] === 1 ? 0 : 1)] === 1) right++;
    }
  }
  return { rmse: Math.sqrt(squared / numbers), accuracy: right / categories };
}

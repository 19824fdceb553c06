// A table as its columns, each typed: what CSV reading produces, what decoding a model's output gives back, and
// what the table metrics compare. Numbers are float64 with NaN for a missing cell; categories are codes into the
// column's levels with -1 for a missing cell.
import type { ColumnType } from './encoding.js';

export interface NumberColumn {
  readonly name: string;
  readonly type: Extract<ColumnType, 'numeric' | 'integer'>;
  /** One per row; NaN where the cell is missing. */
  readonly values: Float64Array;
}

export interface CategoryColumnData {
  readonly name: string;
  readonly type: Extract<ColumnType, 'categorical' | 'boolean'>;
  /** The distinct texts; codes index them. */
  readonly levels: readonly string[];
  /** One per row; -1 where the cell is missing. */
  readonly codes: Int32Array;
}

export type TableColumn = NumberColumn | CategoryColumnData;

export interface Table {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly TableColumn[];
  /** Per row, where it came from (the file's 1-based line), for messages about its cells. */
  readonly lines?: Int32Array;
}

export const isNumberColumn = (column: TableColumn): column is NumberColumn =>
  column.type === 'numeric' || column.type === 'integer';

/** Whether a row's cell is missing. */
export function isMissing(column: TableColumn, row: number): boolean {
  return isNumberColumn(column) ? Number.isNaN(column.values[row]) : column.codes[row] < 0;
}

/** The rows at `indices`, in that order, as a new table (levels shared). */
export function tableRows(table: Table, indices: ArrayLike<number>, name = table.name): Table {
  const pick = <T extends Float64Array | Int32Array>(from: T, make: (n: number) => T): T => {
    const out = make(indices.length);
    for (let i = 0; i < indices.length; i++) out[i] = from[indices[i]];
    return out;
  };
  return {
    name,
    rows: indices.length,
    columns: table.columns.map((column) =>
      isNumberColumn(column)
        ? { ...column, values: pick(column.values, (n) => new Float64Array(n)) }
        : { ...column, codes: pick(column.codes, (n) => new Int32Array(n)) },
    ),
    ...(table.lines ? { lines: pick(table.lines, (n) => new Int32Array(n)) } : {}),
  };
}

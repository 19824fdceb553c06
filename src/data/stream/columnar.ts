// Columnar files (Parquet, Arrow IPC) as chunked rows: the format readers (sources/parquet.ts, sources/arrow.ts)
// only list columns and read a chunk's columns; choosing the feature and label columns, checking cells and laying
// the values out row-major happens here once for both.
import { DataError } from '../../errors.js';
import type { ChunkedSource, RowChunk } from './chunks.js';

export interface ColumnInfo {
  readonly name: string;
  /** Numbers or booleans (usable as features); otherwise strings or other types (usable as labels only). */
  readonly numeric: boolean;
}

/** A chunk's columns, each with one value per row, in the order asked for. */
export interface ColumnChunk {
  readonly index: number;
  readonly rows: number;
  readonly columns: ReadonlyArray<ArrayLike<unknown>>;
}

/** What a format reader gives: its columns and chunks. */
export interface ColumnarFile {
  readonly path: string;
  /** "Parquet", "Arrow": named in errors. */
  readonly format: string;
  readonly columns: readonly ColumnInfo[];
  readonly chunkRows: readonly number[];
  readonly randomAccess: boolean;
  readColumns(order: readonly number[], names: readonly string[]): AsyncGenerator<ColumnChunk>;
}

export interface ColumnSelection {
  /** The column holding each row's class; its distinct values become the class names. */
  labelColumn?: string;
  /** Feature columns, in this order (default: every numeric column but the label). */
  features?: readonly string[];
}

const numericValue = (value: unknown): number =>
  typeof value === 'number'
    ? value
    : typeof value === 'bigint'
      ? Number(value)
      : typeof value === 'boolean'
        ? Number(value)
        : Number.NaN;

/** A label cell as the class name it stands for (numbers and strings alike). */
const labelKey = (value: unknown): string | undefined =>
  value === null || value === undefined ? undefined : String(value);

/**
 * The chunked rows of a columnar file: the chosen feature columns as one sample per row, and the label column's
 * values as classes. Labels need one pass over the label column alone (columnar formats read it without the rest)
 * so that every chunk numbers the classes alike.
 */
export async function columnarSource(
  file: ColumnarFile,
  selection: ColumnSelection,
  name: string,
): Promise<ChunkedSource> {
  const known = new Map(file.columns.map((c) => [c.name, c]));
  const list = file.columns.map((c) => c.name).join(', ');
  const where = (column: string) => `${file.path}#${column}`;
  if (selection.labelColumn !== undefined && !known.has(selection.labelColumn)) {
    throw new DataError(
      `no column "${selection.labelColumn}" to label by: the ${file.format} file has ${list}`,
      {
        path: file.path,
      },
    );
  }
  const features =
    selection.features ??
    file.columns.filter((c) => c.numeric && c.name !== selection.labelColumn).map((c) => c.name);
  for (const feature of features) {
    const column = known.get(feature);
    if (!column)
      throw new DataError(`no feature column "${feature}": the ${file.format} file has ${list}`, {
        path: file.path,
      });
    if (!column.numeric)
      throw new DataError(
        'expected numbers or booleans in a feature column; this one holds text or another type',
        {
          path: where(feature),
        },
      );
    if (feature === selection.labelColumn)
      throw new DataError('the label column cannot also be a feature', { path: where(feature) });
  }
  if (features.length === 0) {
    throw new DataError(`no numeric columns to train on: the ${file.format} file has ${list}`, {
      path: file.path,
    });
  }
  const order = file.chunkRows.map((_, i) => i);
  let classNames: string[] | undefined;
  if (selection.labelColumn !== undefined) {
    const seen = new Set<string>();
    let numeric = true;
    for await (const chunk of file.readColumns(order, [selection.labelColumn])) {
      const values = chunk.columns[0];
      for (let r = 0; r < chunk.rows; r++) {
        const key = labelKey(values[r]);
        if (key === undefined)
          throw new DataError(`row ${rowNumber(file, chunk.index, r)}: missing label`, {
            path: where(selection.labelColumn),
          });
        if (!seen.has(key)) {
          seen.add(key);
          if (typeof values[r] !== 'number' && typeof values[r] !== 'bigint') numeric = false;
        }
      }
    }
    // Numbers in numeric order (2 before 10), text in code-point order: the same classes give the same indices.
    classNames = [...seen].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  }
  const classIndex = new Map(classNames?.map((c, i) => [c, i]));
  const columns = selection.labelColumn === undefined ? features : [...features, selection.labelColumn];
  const width = features.length;

  async function* readChunks(chunkOrder: readonly number[]): AsyncGenerator<RowChunk> {
    for await (const chunk of file.readColumns(chunkOrder, columns)) {
      const x = new Float32Array(chunk.rows * width);
      for (let f = 0; f < width; f++) {
        const values = chunk.columns[f];
        for (let r = 0; r < chunk.rows; r++) {
          const v = numericValue(values[r]);
          if (!Number.isFinite(v)) {
            throw new DataError(
              `row ${rowNumber(file, chunk.index, r)}: ${values[r] === null || values[r] === undefined ? 'missing value' : `not a finite number (${String(values[r])})`}; streamed columns need a number in every cell (tables with gaps: csv:PATH with --missing)`,
              { path: where(features[f]) },
            );
          }
          x[r * width + f] = v;
        }
      }
      let labels: Int32Array | undefined;
      if (classNames) {
        const values = chunk.columns[width];
        labels = new Int32Array(chunk.rows);
        for (let r = 0; r < chunk.rows; r++) labels[r] = classIndex.get(labelKey(values[r]) ?? '') ?? -1;
      }
      yield { index: chunk.index, rows: chunk.rows, x, labels };
    }
  }
  return {
    name,
    path: file.path,
    sampleShape: [width],
    classNames,
    chunkRows: file.chunkRows,
    randomAccess: file.randomAccess,
    readChunks,
  };
}

/** 1-based row number in the file, for messages. */
function rowNumber(file: ColumnarFile, chunk: number, row: number): number {
  let before = 0;
  for (let i = 0; i < chunk; i++) before += file.chunkRows[i];
  return before + row + 1;
}

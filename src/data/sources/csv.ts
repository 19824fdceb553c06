// `csv:PATH`: a table, with a header row unless `header: false`; one sample per row, optionally one column of class
// labels. A table of numbers only, with no missing cell, is read here as it always was (one float32 per cell,
// scaled later on the train split); any other (text columns, missing cells, table options) is an encoded table
// (data/table, loadTableData in data/load.ts). Both read the file streamed through data/table/read.ts, and every
// bad cell is reported as `file:line` (1-based lines of the file, skipped ones counted).
import { DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import {
  type CsvCells,
  cellText,
  columnLabel,
  MISSING_CODE,
  NON_FINITE,
  readCsvCells,
  rowAt,
  sortedTexts,
} from '../table/read.js';

export interface CsvSpec {
  path: string;
  /**
   * Column whose values (any text) become class labels 0..k-1 in sorted order: a header name, or a 0-based
   * position (like pandas' iloc) as `#N`, or as `N` when no header column is named N.
   */
  labelColumn?: string;
  /** false: the first row (after skipRows) is data, and columns are known by position only. Default true. */
  header?: boolean;
  /** Lines at the start of the file to skip before the header (or the first row): metadata such as `569,30,…`. */
  skipRows?: number;
  /** Cell texts read as missing, besides the empty cell (default NA, NaN, ?). */
  missing?: readonly string[];
}

/** The cell texts read as missing for a spec: the empty cell always, then the stated tokens or the defaults. */
export function missingTokensOf(spec: Pick<CsvSpec, 'missing'>): string[] | undefined {
  return spec.missing ? ['', ...spec.missing.filter((token) => token !== '')] : undefined;
}

/** Read a `csv:` file's cells (streamed), types not yet decided. */
export function readCsvSpec(spec: CsvSpec): Promise<CsvCells> {
  return readCsvCells(spec.path, {
    header: spec.header,
    skipRows: spec.skipRows,
    missing: missingTokensOf(spec),
    labelColumn: spec.labelColumn,
  });
}

/** Whether every feature cell is a number and none is missing: the table goes the plain numeric way. */
export function allNumbers(cells: CsvCells): boolean {
  return cells.columns.every(
    (column, c) => c === cells.labelIndex || column.values.every((v) => !Number.isNaN(v)),
  );
}

/** Class labels 0..k-1 from the label column's texts (sorted, numbers as numbers); a missing label is an error. */
export function labelsOf(cells: CsvCells): { labels: Int32Array; classNames: string[] } | undefined {
  const c = cells.labelIndex;
  if (c < 0) return undefined;
  const texts: string[] = new Array(cells.rows);
  for (let r = 0; r < cells.rows; r++) {
    // The label column keeps all its texts; an empty label is an error as in any other numeric table.
    if (cells.columns[c].codes[r] <= MISSING_CODE && cellText(cells, c, r) === '')
      throw new DataError(`empty cell in ${columnLabel(cells, c)} (the label)`, { path: rowAt(cells, r) });
    texts[r] = cellText(cells, c, r);
  }
  const classNames = sortedTexts(texts);
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { labels: Int32Array.from(texts, (text) => index.get(text) as number), classNames };
}

/** Data rows counted from 1 (header and skipped lines not counted): pandas' index + 1. */
export const rowIds = (rows: number) => Array.from({ length: rows }, (_, i) => String(i + 1));

/** A table of numbers only as float32 features; the first cell that is no finite number is an error. */
export function numericRaw(cells: CsvCells): RawData {
  const features = cells.columns.length - (cells.labelIndex >= 0 ? 1 : 0);
  if (features === 0)
    throw new DataError('expected at least one feature column besides the label', { path: cells.file });
  const x = new Float32Array(cells.rows * features);
  let k = 0;
  for (let r = 0; r < cells.rows; r++) {
    for (let c = 0; c < cells.columns.length; c++) {
      if (c === cells.labelIndex) continue;
      const value = cells.columns[c].values[r];
      if (Number.isNaN(value)) throw notANumber(cells, c, r);
      // Parses fine but overflows float32 (e.g. 1e39): as unusable as Infinity.
      if (!Number.isFinite(Math.fround(value))) {
        throw new DataError(
          `${columnLabel(cells, c)}: ${cellText(cells, c, r)} is outside the float32 range`,
          {
            path: rowAt(cells, r),
          },
        );
      }
      x[k++] = value;
    }
  }
  const labelled = labelsOf(cells);
  return {
    name: cells.name,
    sampleShape: [features],
    classNames: labelled?.classNames,
    train: { x, labels: labelled?.labels, ids: rowIds(cells.rows) },
  };
}

function notANumber(cells: CsvCells, c: number, r: number): DataError {
  const text = cellText(cells, c, r);
  const column = columnLabel(cells, c);
  const path = rowAt(cells, r);
  if (text === '') return new DataError(`empty cell in ${column}`, { path });
  if (NON_FINITE.test(text))
    return new DataError(`${column}: expected a finite number, got ${JSON.stringify(text)}`, { path });
  return new DataError(`${column}: expected a number, got ${JSON.stringify(text)}`, { path });
}

/** A table of numbers only (the plain `csv:` path): every cell a finite number, none missing. */
export async function loadCsv(spec: CsvSpec): Promise<RawData> {
  return numericRaw(await readCsvSpec(spec));
}

// `csv:PATH`: a numeric table with a header row; one sample per row, optionally one column of class labels.
// Every bad cell is reported as `file:line` (1-based, the header is line 1). Scaling happens later, on the train split.
import { basename } from 'node:path';
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import { readBytes } from './files.js';

export interface CsvSpec {
  path: string;
  /** Column whose values (any text) become class labels 0..k-1 in sorted order. */
  labelColumn?: string;
}

// Plain decimal notation only: Number() would also accept '', ' ', '0x1f' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

interface Row {
  cells: string[];
  line: number;
}

// Bytes a record never starts with once blank lines are skipped: LF, CR, space, tab.
const BLANK = new Set([0x0a, 0x0d, 0x20, 0x09]);

type ParsedRecord = { record: string[]; info: { bytes: number } };

/** Split the file into rows, each tagged with the line it starts on. */
function readRows(file: string, bytes: Buffer): Row[] {
  // Strip a UTF-8 BOM ourselves so byte offsets below match the buffer we count newlines in.
  const text = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  let records: ParsedRecord[];
  try {
    const options = { info: true, relax_column_count: true, skip_empty_lines: true, trim: true } as const;
    // With `info: true` each record comes as {record, info}; the typings only describe plain rows.
    records = parse(text, options) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new DataError(`malformed CSV: ${error.message}`, {
        path: line ? `${file}:${line}` : file,
        cause: error,
      });
    }
    throw error;
  }
  // csv-parse's own line counter reports where a record ends (and miscounts CRLF inside quotes), so count
  // newlines up to where each record starts: just after the previous one, past any blank lines.
  const rows: Row[] = [];
  let offset = 0;
  let line = 1;
  for (const { record, info } of records) {
    let start = offset;
    while (start < text.length && BLANK.has(text[start])) start++;
    for (let i = offset; i < start; i++) if (text[i] === 0x0a) line++;
    rows.push({ cells: record, line });
    for (let i = start; i < info.bytes; i++) if (text[i] === 0x0a) line++;
    offset = info.bytes;
  }
  return rows;
}

/** Sorted distinct label texts: numerically when all are numbers (so 10 comes after 9), else by code unit. */
function sortedClasses(values: Iterable<string>): string[] {
  const distinct = [...new Set(values)];
  if (distinct.every((v) => DECIMAL.test(v))) return distinct.sort((a, b) => Number(a) - Number(b));
  return distinct.sort();
}

export async function loadCsv(spec: CsvSpec): Promise<RawData> {
  const file = spec.path;
  const bytes = await readBytes(file);
  const rows = readRows(file, bytes);
  if (rows.length === 0)
    throw new DataError('expected a header row and data rows, got an empty file', { path: file });
  const [header, ...body] = rows;
  const columns = header.cells;
  const at = (row: Row) => `${file}:${row.line}`;
  columns.forEach((name, i) => {
    if (name === '') throw new DataError(`header: column ${i + 1} has no name`, { path: at(header) });
  });

  let labelIndex = -1;
  if (spec.labelColumn !== undefined) {
    labelIndex = columns.indexOf(spec.labelColumn);
    if (labelIndex < 0) {
      throw new DataError(
        `label column "${spec.labelColumn}" not in the header; columns are ${columns.join(', ')}`,
        {
          path: file,
        },
      );
    }
    if (columns.lastIndexOf(spec.labelColumn) !== labelIndex) {
      throw new DataError(`label column "${spec.labelColumn}" appears more than once in the header`, {
        path: at(header),
      });
    }
  }
  const features = columns.length - (labelIndex >= 0 ? 1 : 0);
  if (features === 0)
    throw new DataError('expected at least one feature column besides the label', { path: file });
  if (body.length === 0) throw new DataError('expected data rows after the header, got none', { path: file });

  const x = new Float32Array(body.length * features);
  const labelTexts: string[] = [];
  let k = 0;
  for (const row of body) {
    if (row.cells.length !== columns.length) {
      throw new DataError(`expected ${columns.length} columns (as in the header), got ${row.cells.length}`, {
        path: at(row),
      });
    }
    row.cells.forEach((cell, i) => {
      const column = columns[i];
      if (cell === '') throw new DataError(`empty cell in column "${column}"`, { path: at(row) });
      if (i === labelIndex) {
        labelTexts.push(cell);
        return;
      }
      if (NON_FINITE.test(cell)) {
        throw new DataError(`column "${column}": expected a finite number, got ${JSON.stringify(cell)}`, {
          path: at(row),
        });
      }
      const value = DECIMAL.test(cell) ? Number(cell) : Number.NaN;
      if (Number.isNaN(value)) {
        throw new DataError(`column "${column}": expected a number, got ${JSON.stringify(cell)}`, {
          path: at(row),
        });
      }
      // Parses fine but overflows float32 (e.g. 1e39): as unusable as Infinity.
      if (!Number.isFinite(Math.fround(value))) {
        throw new DataError(`column "${column}": ${cell} is outside the float32 range`, { path: at(row) });
      }
      x[k++] = value;
    });
  }

  let labels: Int32Array | undefined;
  let classNames: string[] | undefined;
  if (labelIndex >= 0) {
    classNames = sortedClasses(labelTexts);
    const index = new Map(classNames.map((name, i) => [name, i]));
    labels = Int32Array.from(labelTexts, (text) => index.get(text)!);
  }
  return {
    name: basename(file),
    sampleShape: [features],
    classNames,
    train: { x, labels },
  };
}

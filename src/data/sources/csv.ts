// `csv:PATH`: a numeric table, with a header row unless `header: false`; one sample per row, optionally one column
// of class labels. A header row of numbers only is refused: it is almost always a headerless file whose first sample
// would be lost to the column names (pandas reads it silently). Every bad cell is reported as `file:line` (1-based
// lines of the file, skipped ones counted). Scaling happens later, on the train split.
import { basename } from 'node:path';
import { CsvError } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { DataError } from '../../errors.js';
import type { RawData } from '../dataset.js';
import { readBytes } from './files.js';

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

/** Split the file into rows, each tagged with the line it starts on; the first `skipRows` lines are skipped. */
function readRows(file: string, bytes: Buffer, skipRows = 0): Row[] {
  // Strip a UTF-8 BOM ourselves so byte offsets below match the buffer we count newlines in.
  let text = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  // Skipped lines are cut before parsing, as pandas' skiprows does: a metadata line need not be valid CSV.
  let firstLine = 1;
  for (; firstLine <= skipRows; firstLine++) {
    const newline = text.indexOf(0x0a);
    text = newline < 0 ? text.subarray(text.length) : text.subarray(newline + 1);
  }
  let records: ParsedRecord[];
  try {
    const options = { info: true, relax_column_count: true, skip_empty_lines: true, trim: true } as const;
    // With `info: true` each record comes as {record, info}; the typings only describe plain rows.
    records = parse(text, options) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new DataError(`malformed CSV: ${error.message}`, {
        path: line ? `${file}:${line + firstLine - 1}` : file,
        cause: error,
      });
    }
    throw error;
  }
  // csv-parse's own line counter reports where a record ends (and miscounts CRLF inside quotes), so count
  // newlines up to where each record starts: just after the previous one, past any blank lines.
  const rows: Row[] = [];
  let offset = 0;
  let line = firstLine;
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

const POSITION = /^#(\d+)$/;
const DIGITS = /^\d+$/;

/** The label column's 0-based index: a header name first, then a position (`#N` always, `N` unless named). */
function labelIndexOf(
  file: string,
  spec: CsvSpec,
  columns: string[] | undefined,
  width: number,
  header?: Row,
): number {
  const text = spec.labelColumn;
  if (text === undefined) return -1;
  if (columns && !POSITION.test(text) && columns.includes(text)) {
    const index = columns.indexOf(text);
    if (columns.lastIndexOf(text) !== index) {
      throw new DataError(`label column "${text}" appears more than once in the header`, {
        path: header ? `${file}:${header.line}` : file,
      });
    }
    return index;
  }
  const position = POSITION.exec(text)?.[1] ?? (DIGITS.test(text) ? text : undefined);
  if (position === undefined) {
    throw new DataError(
      columns
        ? `label column "${text}" not in the header; columns are ${columns.join(', ')} (or name it by 0-based position, e.g. #${width - 1})`
        : `label column "${text}": without a header, name the label column by its 0-based position, e.g. #${width - 1} for the last of ${width} columns`,
      { path: file },
    );
  }
  const index = Number(position);
  if (index >= width) {
    throw new DataError(
      `label column #${index} does not exist: the table has ${width} columns, #0 to #${width - 1} (0-based)`,
      { path: file },
    );
  }
  return index;
}

export async function loadCsv(spec: CsvSpec): Promise<RawData> {
  const file = spec.path;
  const hasHeader = spec.header ?? true;
  const bytes = await readBytes(file);
  const rows = readRows(file, bytes, spec.skipRows);
  if (rows.length === 0)
    throw new DataError(
      hasHeader
        ? 'expected a header row and data rows, got an empty file'
        : 'expected data rows, got an empty file',
      { path: file },
    );
  const header = hasHeader ? rows[0] : undefined;
  const body = hasHeader ? rows.slice(1) : rows;
  const at = (row: Row) => `${file}:${row.line}`;
  if (header) {
    header.cells.forEach((name, i) => {
      if (name === '') throw new DataError(`header: column ${i + 1} has no name`, { path: at(header) });
    });
    if (header.cells.every((name) => DECIMAL.test(name))) {
      const shown = header.cells.slice(0, 5).join(', ') + (header.cells.length > 5 ? ', ...' : '');
      throw new DataError(
        `the header row is all numbers (${shown}): this looks like a file without a header, whose first row ` +
          'would be lost to column names. Pass --no-header (data spec "header": false) and name a label column ' +
          'by 0-based position (--label-column 3 or #3); or add a header row',
        { path: at(header) },
      );
    }
  }
  const columns = header?.cells;
  // Without a header the first row sets the width, and columns are named by position in messages.
  const width = columns?.length ?? body[0]?.cells.length ?? 0;
  const widthFrom = header ? 'as in the header' : `as in line ${body[0]?.line}`;
  const columnName = (i: number) => (columns ? `column "${columns[i]}"` : `column #${i}`);

  const labelIndex = labelIndexOf(file, spec, columns, width, header);
  const features = width - (labelIndex >= 0 ? 1 : 0);
  if (features === 0)
    throw new DataError('expected at least one feature column besides the label', { path: file });
  if (body.length === 0) throw new DataError('expected data rows after the header, got none', { path: file });

  const x = new Float32Array(body.length * features);
  const labelTexts: string[] = [];
  let k = 0;
  for (const row of body) {
    if (row.cells.length !== width) {
      // A first line shorter than the rows is most often metadata (sklearn's `569,30,malignant,benign`).
      const hint =
        header && row === body[0] && row.cells.length > width && !spec.skipRows
          ? `; if line ${header.line} is not the header but a metadata line, skip it with --skip-rows (data spec "skipRows")`
          : '';
      throw new DataError(`expected ${width} columns (${widthFrom}), got ${row.cells.length}${hint}`, {
        path: at(row),
      });
    }
    row.cells.forEach((cell, i) => {
      const column = columnName(i);
      if (cell === '') throw new DataError(`empty cell in ${column}`, { path: at(row) });
      if (i === labelIndex) {
        labelTexts.push(cell);
        return;
      }
      if (NON_FINITE.test(cell)) {
        throw new DataError(`${column}: expected a finite number, got ${JSON.stringify(cell)}`, {
          path: at(row),
        });
      }
      const value = DECIMAL.test(cell) ? Number(cell) : Number.NaN;
      if (Number.isNaN(value)) {
        throw new DataError(`${column}: expected a number, got ${JSON.stringify(cell)}`, {
          path: at(row),
        });
      }
      // Parses fine but overflows float32 (e.g. 1e39): as unusable as Infinity.
      if (!Number.isFinite(Math.fround(value))) {
        throw new DataError(`${column}: ${cell} is outside the float32 range`, { path: at(row) });
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
    // Data rows counted from 1 (header and skipped lines not counted): pandas' index + 1.
    train: { x, labels, ids: Array.from({ length: body.length }, (_, i) => String(i + 1)) },
  };
}

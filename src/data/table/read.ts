// Reading a CSV file streamed (csv-parse over a file stream, never the whole text in memory) into compact
// per-column cells: a float64 per cell where it reads as a number, a code into the column's distinct texts, and
// missing tokens apart. Types are decided afterwards, on the training rows (infer.ts); the numeric-only `csv:`
// path (sources/csv.ts) reads through here too. Every row keeps the 1-based line of the file it starts on.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CsvError, parse } from 'csv-parse';
import { DataError } from '../../errors.js';

/** Cell texts read as missing (after trimming), unless the data spec states its own list. */
export const DEFAULT_MISSING = ['', 'NA', 'NaN', '?'] as const;

// Plain decimal notation only: Number() would also accept '', ' ', '0x1f' and 'Infinity'.
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

// A column keeps the texts of its number cells only up to this many distinct texts: enough for a numeric-looking
// category (years, codes 1..10) to keep its spelling, without a dictionary entry per value of a real measurement.
const NUMBER_TEXTS_KEPT = 4096;

/** `codes` of a number cell whose text was not kept (see NUMBER_TEXTS_KEPT). */
export const NUMBER_CODE = -1;
/** `codes` of a missing cell is MISSING_CODE - (index of its token in missingTokens). */
export const MISSING_CODE = -2;

/** One column's cells as read: at row r, `values[r]` is the number (NaN if not one), `codes[r]` its text. */
export interface CellColumn {
  readonly name: string;
  /** The number a cell reads as; NaN for text and missing cells. */
  readonly values: Float64Array;
  /** >= 0: index into `texts`; NUMBER_CODE: a number whose text was not kept; <= MISSING_CODE: missing. */
  readonly codes: Int32Array;
  /** Distinct cell texts, in order of first appearance. */
  readonly texts: readonly string[];
}

/** A CSV file as read, before types are decided. */
export interface CsvCells {
  readonly file: string;
  /** The file's base name (the data set's name). */
  readonly name: string;
  /** Whether the first row was a header (column names); otherwise columns are named #0, #1, ... */
  readonly header: boolean;
  readonly headerLine?: number;
  readonly columns: readonly CellColumn[];
  readonly rows: number;
  /** Per row, the 1-based line of the file it starts on (skipped lines counted). */
  readonly lines: Int32Array;
  /** Cell texts read as missing. */
  readonly missingTokens: readonly string[];
  /** The label column's 0-based index, or -1. */
  readonly labelIndex: number;
}

export interface CsvReadOptions {
  /** false: the first row (after skipRows) is data, and columns are known by position only. Default true. */
  header?: boolean;
  /** Lines at the start of the file to skip before the header (or the first row): metadata such as `569,30,…`. */
  skipRows?: number;
  /** Cell texts read as missing (after trimming); default DEFAULT_MISSING. */
  missing?: readonly string[];
  /**
   * Column whose values become class labels: a header name, or a 0-based position as `#N`, or as `N` when no
   * header column is named N. Its texts are all kept.
   */
  labelColumn?: string;
}

/** Sorted distinct label texts: numerically when all are numbers (so 10 comes after 9), else by code unit. */
export function sortedTexts(values: Iterable<string>): string[] {
  const distinct = [...new Set(values)];
  if (distinct.every((v) => DECIMAL.test(v))) return distinct.sort((a, b) => Number(a) - Number(b));
  return distinct.sort();
}

/** The text of cell `row` of `column` ('' for a missing cell, its number written out if its text was not kept). */
export function cellText(cells: CsvCells, column: number, row: number): string {
  const { codes, texts, values } = cells.columns[column];
  const code = codes[row];
  if (code >= 0) return texts[code];
  if (code === NUMBER_CODE) return String(values[row]);
  return cells.missingTokens[MISSING_CODE - code];
}

/** Where row `row` of the file is, for messages: `file:line`. */
export const rowAt = (cells: Pick<CsvCells, 'file' | 'lines'>, row: number) =>
  `${cells.file}:${cells.lines[row]}`;

/** How a column is named in messages: by header name, or by position without a header. */
export const columnLabel = (cells: Pick<CsvCells, 'header' | 'columns'>, index: number) =>
  cells.header ? `column "${cells.columns[index].name}"` : `column #${index}`;

const POSITION = /^#(\d+)$/;
const DIGITS = /^\d+$/;

/** The label column's 0-based index: a header name first, then a position (`#N` always, `N` unless named). */
function labelIndexOf(
  file: string,
  text: string | undefined,
  columns: readonly string[] | undefined,
  width: number,
  headerLine?: number,
): number {
  if (text === undefined) return -1;
  if (columns && !POSITION.test(text) && columns.includes(text)) {
    const index = columns.indexOf(text);
    if (columns.lastIndexOf(text) !== index) {
      throw new DataError(`label column "${text}" appears more than once in the header`, {
        path: headerLine ? `${file}:${headerLine}` : file,
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

/**
 * Strips a UTF-8 BOM and the first `skipRows` lines before csv-parse sees the bytes (a metadata line need not be
 * valid CSV, as with pandas' skiprows), and keeps the bytes csv-parse has not yet turned into records, so that
 * each record's first line can be counted from its byte offset.
 */
class LineTracker extends Transform {
  private skipping: number;
  private started = false;
  /** Bytes from absolute offset `base` on, not yet passed by `advance`. */
  private pending: Buffer = Buffer.alloc(0);
  private base = 0;
  private offset = 0;
  line: number;

  constructor(skipRows: number) {
    super();
    this.skipping = skipRows;
    this.line = skipRows + 1;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let bytes = chunk;
    if (!this.started) {
      // The BOM can only be whole in the first chunk of a file stream (64 KiB).
      this.started = true;
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    while (this.skipping > 0 && bytes.length > 0) {
      const newline = bytes.indexOf(0x0a);
      if (newline < 0) {
        bytes = bytes.subarray(bytes.length);
        break;
      }
      bytes = bytes.subarray(newline + 1);
      this.skipping--;
    }
    if (bytes.length > 0) {
      this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : Buffer.from(bytes);
      this.push(bytes);
    }
    done();
  }

  /**
   * The line the record ending at byte `end` starts on: past blank lines (LF, CR, space, tab; csv-parse skips
   * them), counting newlines, since csv-parse's own line counter reports where a record ends and miscounts
   * CRLF inside quotes.
   */
  advance(end: number): number {
    const at = (i: number) => this.pending[i - this.base];
    let start = this.offset;
    while (start < end && BLANK.has(at(start))) {
      if (at(start) === 0x0a) this.line++;
      start++;
    }
    const recordLine = this.line;
    for (let i = start; i < end; i++) if (at(i) === 0x0a) this.line++;
    this.offset = end;
    // Drop what is passed, now and then, rather than copying the tail on every record.
    if (end - this.base > 1 << 16) {
      this.pending = this.pending.subarray(end - this.base);
      this.base = end;
    }
    return recordLine;
  }
}

// Bytes a record never starts with once blank lines are skipped: LF, CR, space, tab.
const BLANK = new Set([0x0a, 0x0d, 0x20, 0x09]);

/** A growing typed array (doubling), so a column costs its cells and not a JS array of strings. */
class Growing<T extends Float64Array | Int32Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  /** The cells as a view (no copy: at the end of a read, a copy would double the peak). */
  done(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

interface ColumnBuilder {
  values: Growing<Float64Array>;
  codes: Growing<Int32Array>;
  index: Map<string, number>;
  texts: string[];
  keepAll: boolean;
  /** The column holds NUMBER_TEXTS_KEPT texts: later numbers keep no text. */
  full: boolean;
}

const newColumn = (keepAll: boolean): ColumnBuilder => ({
  values: new Growing((n) => new Float64Array(n)),
  codes: new Growing((n) => new Int32Array(n)),
  index: new Map(),
  texts: [],
  keepAll,
  full: false,
});

/** A readable stream of the file's bytes, gunzipped when it starts like gzip; a missing file names itself. */
async function openBytes(file: string): Promise<Readable> {
  let head: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      head = Buffer.alloc(2);
      await handle.read(head, 0, 2, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DataError(missing ? 'file not found' : `cannot read file: ${(error as Error).message}`, {
      path: file,
      cause: error,
    });
  }
  const stream = createReadStream(file);
  if (head[0] !== 0x1f || head[1] !== 0x8b) return stream;
  const gunzip = createGunzip();
  stream.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => stream.destroy());
  return stream.pipe(gunzip);
}

/**
 * Read a CSV file streamed into per-column cells. Structural problems are errors naming `file:line`: a malformed
 * or ragged row, a header cell without a name, a header of numbers only (a headerless file whose first row would
 * be lost), an empty file, no data rows, an unknown label column.
 */
export async function readCsvCells(file: string, options: CsvReadOptions = {}): Promise<CsvCells> {
  const hasHeader = options.header ?? true;
  const skipRows = options.skipRows ?? 0;
  const missingTokens = [...(options.missing ?? DEFAULT_MISSING)];
  const missingIndex = new Map(missingTokens.map((token, i) => [token, i]));
  const tracker = new LineTracker(skipRows);
  const source = await openBytes(file);
  source.on('error', (error) => tracker.destroy(error));
  const parser = source
    .pipe(tracker)
    .pipe(parse({ info: true, relax_column_count: true, skip_empty_lines: true, trim: true }));
  tracker.on('error', (error) => parser.destroy(error));

  let names: string[] | undefined;
  let headerLine: number | undefined;
  let width = -1;
  let widthFrom = '';
  let labelIndex = -1;
  let builders: ColumnBuilder[] = [];
  const lines = new Growing((n) => new Int32Array(n));
  const at = (line: number) => `${file}:${line}`;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { bytes: number };
    }>) {
      const line = tracker.advance(info.bytes);
      if (width < 0) {
        width = record.length;
        if (hasHeader) {
          checkHeader(record, at(line));
          names = record;
          headerLine = line;
          widthFrom = 'as in the header';
        } else {
          widthFrom = `as in line ${line}`;
        }
        labelIndex = labelIndexOf(file, options.labelColumn, names, width, headerLine);
        builders = Array.from({ length: width }, (_, i) => newColumn(i === labelIndex));
        if (hasHeader) continue;
      }
      if (record.length !== width) {
        // A first line shorter than the rows is most often metadata (sklearn's `569,30,malignant,benign`).
        const hint =
          hasHeader && lines.length === 0 && record.length > width && !skipRows
            ? `; if line ${headerLine} is not the header but a metadata line, skip it with --skip-rows (data spec "skipRows")`
            : '';
        throw new DataError(`expected ${width} columns (${widthFrom}), got ${record.length}${hint}`, {
          path: at(line),
        });
      }
      lines.push(line);
      for (let c = 0; c < width; c++) addCell(builders[c], record[c], missingIndex);
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw new DataError(`malformed CSV: ${error.message}`, {
        path: line ? at(line + skipRows) : file,
        cause: error,
      });
    }
    throw error;
  } finally {
    // An error inside the loop leaves the file stream open otherwise (pipe does not pass destruction back).
    source.destroy();
    tracker.destroy();
  }
  if (width < 0)
    throw new DataError(
      hasHeader
        ? 'expected a header row and data rows, got an empty file'
        : 'expected data rows, got an empty file',
      { path: file },
    );
  if (lines.length === 0)
    throw new DataError('expected data rows after the header, got none', { path: file });
  return {
    file,
    name: basename(file),
    header: hasHeader,
    ...(headerLine !== undefined ? { headerLine } : {}),
    columns: builders.map((b, i) => ({
      name: names ? names[i] : `#${i}`,
      values: b.values.done(),
      codes: b.codes.done(),
      texts: b.texts,
    })),
    rows: lines.length,
    lines: lines.done(),
    missingTokens,
    labelIndex,
  };
}

function checkHeader(cells: string[], where: string): void {
  cells.forEach((name, i) => {
    if (name === '') throw new DataError(`header: column ${i + 1} has no name`, { path: where });
  });
  if (cells.every((name) => DECIMAL.test(name))) {
    const shown = cells.slice(0, 5).join(', ') + (cells.length > 5 ? ', ...' : '');
    throw new DataError(
      `the header row is all numbers (${shown}): this looks like a file without a header, whose first row ` +
        'would be lost to column names. Pass --no-header (data spec "header": false) and name a label column ' +
        'by 0-based position (--label-column 3 or #3); or add a header row',
      { path: where },
    );
  }
}

function addCell(column: ColumnBuilder, cell: string, missing: Map<string, number>): void {
  const token = missing.get(cell);
  if (token !== undefined) {
    column.values.push(Number.NaN);
    column.codes.push(MISSING_CODE - token);
    return;
  }
  const number = DECIMAL.test(cell);
  column.values.push(number ? Number(cell) : Number.NaN);
  // Past the cap a number's text is not looked up at all: the lookup is most of the cost of a wide numeric file.
  if (number && column.full) {
    column.codes.push(NUMBER_CODE);
    return;
  }
  let code = column.index.get(cell);
  if (code === undefined) {
    if (number && !column.keepAll && column.texts.length >= NUMBER_TEXTS_KEPT) {
      column.full = true;
      column.codes.push(NUMBER_CODE);
      return;
    }
    code = column.texts.length;
    column.texts.push(cell);
    column.index.set(cell, code);
  }
  column.codes.push(code);
}

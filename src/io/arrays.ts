// Matrices in and out of files: codes as CSV, JSON or NumPy .npy (float32, C order, version 1.0).
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import { DataError } from '../errors.js';
import { readNpy } from './numpy.js';

export const MatrixFormat = z.enum(['csv', 'json', 'npy']);
export type MatrixFormat = z.infer<typeof MatrixFormat>;

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function formatFromPath(path: string, fallback: MatrixFormat = 'csv'): MatrixFormat {
  const ext = extname(path).slice(1).toLowerCase();
  return MatrixFormat.safeParse(ext).success ? (ext as MatrixFormat) : fallback;
}

/** CSV with a header (z0, z1, ...; plus `label` when labels are given, and a first `id` column with ids). */
export function encodeCsv(
  m: Matrix,
  labels?: ArrayLike<number>,
  prefix = 'z',
  ids?: readonly string[],
): string {
  const header = Array.from({ length: m.cols }, (_, j) => `${prefix}${j}`);
  if (labels) header.push('label');
  if (ids) header.unshift('id');
  const lines = [header.join(',')];
  for (let i = 0; i < m.rows; i++) {
    const row = Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), (v) => String(v));
    if (labels) row.push(String(labels[i]));
    if (ids) row.unshift(/[",\r\n]/.test(ids[i]) ? `"${ids[i].replace(/"/g, '""')}"` : ids[i]);
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function encodeJson(m: Matrix, labels?: ArrayLike<number>, ids?: readonly string[]): string {
  const rows = Array.from({ length: m.rows }, (_, i) =>
    Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)),
  );
  const out = { codes: rows, ...(labels ? { labels: Array.from(labels) } : {}), ...(ids ? { ids } : {}) };
  return `${JSON.stringify(out)}\n`;
}

export function encodeNpy(m: Matrix): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${m.rows}, ${m.cols}), }`;
  // Header padded with spaces and a newline so the data starts on a 64-byte boundary.
  const unpadded = 10 + dict.length + 1;
  const header = `${dict}${' '.repeat((64 - (unpadded % 64)) % 64)}\n`;
  const out = Buffer.alloc(10 + header.length + m.data.length * 4);
  out.write('\x93NUMPY', 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).copy(out, 10 + header.length);
  return out;
}

/** `ids` (CSV row numbers, file names) go into CSV and JSON, so rows join back to their source. */
export function encodeMatrix(
  format: MatrixFormat,
  m: Matrix,
  labels?: ArrayLike<number>,
  ids?: readonly string[],
): string | Buffer {
  if (format === 'npy') return encodeNpy(m);
  return format === 'json' ? encodeJson(m, labels, ids) : encodeCsv(m, labels, 'z', ids);
}

/** A 2-D .npy of any numeric dtype, either byte order or memory order (io/numpy.ts), as float32 rows. */
function decodeNpy(bytes: Buffer, path: string): Matrix {
  const array = readNpy(bytes, path);
  if (array.shape.length !== 2)
    throw new DataError(`expected a 2-D array, got shape (${array.shape.join(', ')})`, { path });
  const [rows, cols] = array.shape;
  return { rows, cols, data: Float32Array.from(array.data) };
}

/** How a CSV of codes is laid out: a header row (default) and lines to skip before it. */
export interface CsvLayout {
  header?: boolean;
  skipRows?: number;
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

function decodeCsv(text: string, path: string, layout: CsvLayout = {}): Matrix {
  const skip = layout.skipRows ?? 0;
  const hasHeader = layout.header ?? true;
  // Lines keep their numbers in the file; skipped ones (metadata) are dropped before blank lines are.
  const numbered = text
    .split(/\r?\n/)
    .map((l, i) => ({ l, n: i + 1 }))
    .slice(skip)
    .filter(({ l }) => l.trim() !== '');
  if (numbered.length < (hasHeader ? 2 : 1))
    throw new DataError(
      hasHeader ? 'expected a header line and at least one row' : 'expected at least one row',
      {
        path,
      },
    );
  const first = numbered[0];
  if (hasHeader && first.l.split(',').every((cell) => NUMBER.test(cell))) {
    throw new DataError(
      'the header row is all numbers: this looks like codes without a header, whose first row would be lost to ' +
        'column names. Pass --no-header, or add a header row (code columns, optionally "label" and "id")',
      { path: `${path}:${first.n}` },
    );
  }
  // Without a header every column is a code, named by its 0-based position in messages.
  const header = first.l.split(',').map((h, j) => (hasHeader ? h.trim() : `#${j}`));
  const body = hasHeader ? numbered.slice(1) : numbered;
  const keep = header.map((h, j) => (h === 'label' || h === 'id' ? -1 : j)).filter((j) => j >= 0);
  const rows = body.length;
  const data = new Float32Array(rows * keep.length);
  body.forEach(({ l, n }, i) => {
    const cells = l.split(',');
    if (cells.length !== header.length) {
      throw new DataError(`expected ${header.length} columns, got ${cells.length}`, { path: `${path}:${n}` });
    }
    keep.forEach((j, k) => {
      const v = Number(cells[j]);
      if (cells[j].trim() === '' || !Number.isFinite(v)) {
        throw new DataError(`column "${header[j]}": expected a number, got "${cells[j]}"`, {
          path: `${path}:${n}`,
        });
      }
      data[i * keep.length + k] = v;
    });
  });
  return { rows, cols: keep.length, data };
}

function decodeJson(text: string, path: string): Matrix {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new DataError(`not valid JSON: ${(error as Error).message}`, { path });
  }
  const rows = Array.isArray(raw) ? raw : (raw as { codes?: unknown }).codes;
  const parsed = z.array(z.array(z.number()).min(1)).min(1).safeParse(rows);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DataError(
      `expected [[numbers]] or {"codes": [[numbers]]}: ${issue.message} at [${issue.path.join('][')}]`,
      {
        path,
      },
    );
  }
  const cols = parsed.data[0].length;
  parsed.data.forEach((row, i) => {
    if (row.length !== cols)
      throw new DataError(`row ${i} has ${row.length} values, expected ${cols}`, { path });
  });
  return { rows: parsed.data.length, cols, data: Float32Array.from(parsed.data.flat()) };
}

/** A matrix from .npy, .json or .csv; `layout` says how a CSV is laid out (a header row by default). */
export async function readMatrix(path: string, layout?: CsvLayout): Promise<Matrix> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new DataError('cannot read file', { path, cause: error });
  }
  const format = formatFromPath(path);
  if (format === 'npy') return decodeNpy(bytes, path);
  return format === 'json'
    ? decodeJson(bytes.toString('utf8'), path)
    : decodeCsv(bytes.toString('utf8'), path, layout);
}

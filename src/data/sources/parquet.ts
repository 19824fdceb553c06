// `parquet:PATH`: a Parquet file read with hyparquet (a pure-JS reader, so no native build), one row group at
// a time. Flat columns only: numbers and booleans are features, any column can label.
import {
  type AsyncBuffer,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
  parquetSchema,
} from 'hyparquet';
import { DataError } from '../../errors.js';
import type { ColumnarFile, ColumnChunk, ColumnInfo } from '../stream/columnar.js';
import { openFileNamed } from './files.js';

const NUMERIC_TYPES = new Set(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE']);
/** Stored as integers but read as dates or times: not features. */
const TEMPORAL = /^(DATE|TIME|TIMESTAMP)/;

/** A file as hyparquet's AsyncBuffer, reading with one open handle (hyparquet's own helper opens a stream per slice). */
async function fileBuffer(path: string): Promise<AsyncBuffer & { close(): Promise<void> }> {
  const handle = await openFileNamed(path);
  const { size } = await handle.stat();
  return {
    byteLength: size,
    async slice(start: number, end = size) {
      const bytes = new Uint8Array(end - start);
      let read = 0;
      while (read < bytes.length) {
        const { bytesRead } = await handle.read(bytes, read, bytes.length - read, start + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      return bytes.buffer;
    },
    close: () => handle.close(),
  };
}

export async function openParquet(path: string): Promise<ColumnarFile> {
  const probe = await fileBuffer(path);
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(probe);
  } catch (error) {
    throw new DataError(`not a readable Parquet file: ${(error as Error).message}`, { path, cause: error });
  } finally {
    await probe.close();
  }
  const root = parquetSchema(metadata);
  const columns: ColumnInfo[] = [];
  for (const child of root.children) {
    const element = child.element;
    // Nested groups and repeated fields are not one number per row.
    if (child.children.length > 0 || element.repetition_type === 'REPEATED') continue;
    const temporal =
      TEMPORAL.test(element.converted_type ?? '') ||
      ['DATE', 'TIME', 'TIMESTAMP'].includes(
        (element.logical_type as { type?: string } | undefined)?.type ?? '',
      );
    columns.push({ name: element.name, numeric: NUMERIC_TYPES.has(element.type ?? '') && !temporal });
  }
  const chunkRows = metadata.row_groups.map((group) => Number(group.num_rows));
  const starts: number[] = [];
  let start = 0;
  for (const rows of chunkRows) {
    starts.push(start);
    start += rows;
  }

  async function* readColumns(
    order: readonly number[],
    names: readonly string[],
  ): AsyncGenerator<ColumnChunk> {
    const file = await fileBuffer(path);
    try {
      for (const index of order) {
        const rowStart = starts[index];
        const rowEnd = rowStart + chunkRows[index];
        const parts = new Map<string, Array<{ rowStart: number; data: ArrayLike<unknown> }>>();
        await parquetRead({
          file,
          metadata,
          columns: [...names],
          rowStart,
          rowEnd,
          onChunk: (chunk) => {
            const list = parts.get(chunk.columnName) ?? [];
            list.push({ rowStart: chunk.rowStart, data: chunk.columnData as ArrayLike<unknown> });
            parts.set(chunk.columnName, list);
          },
        });
        const columnsRead = names.map((name) =>
          assemble(parts.get(name) ?? [], rowStart, rowEnd, `${path}#${name}`),
        );
        yield { index, rows: rowEnd - rowStart, columns: columnsRead };
      }
    } finally {
      await file.close();
    }
  }
  return { path, format: 'Parquet', columns, chunkRows, randomAccess: true, readColumns };
}

/** One column's values for rows [rowStart, rowEnd) from the pieces hyparquet handed over (which may overhang). */
function assemble(
  parts: Array<{ rowStart: number; data: ArrayLike<unknown> }>,
  rowStart: number,
  rowEnd: number,
  where: string,
): ArrayLike<unknown> {
  const rows = rowEnd - rowStart;
  if (parts.length === 1 && parts[0].rowStart === rowStart && parts[0].data.length === rows)
    return parts[0].data;
  const out = new Array<unknown>(rows);
  let filled = 0;
  for (const part of parts) {
    for (let i = 0; i < part.data.length; i++) {
      const row = part.rowStart + i;
      if (row >= rowStart && row < rowEnd) {
        out[row - rowStart] = part.data[i];
        filled++;
      }
    }
  }
  if (filled !== rows)
    throw new DataError(`expected ${rows} values in this row group, read ${filled}`, { path: where });
  return out;
}

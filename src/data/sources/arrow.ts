// `arrow:PATH`: an Arrow IPC file (random access, the .arrow/.feather v2 format) or stream (read front to back),
// one record batch at a time, with apache-arrow. Flat columns only: numbers and booleans are features.
import {
  type AsyncRecordBatchFileReader,
  type AsyncRecordBatchStreamReader,
  DataType,
  type RecordBatch,
  RecordBatchReader,
} from 'apache-arrow';
import { DataError } from '../../errors.js';
import type { ColumnarFile, ColumnChunk, ColumnInfo } from '../stream/columnar.js';
import { openFileNamed } from './files.js';

type Reader = AsyncRecordBatchFileReader | AsyncRecordBatchStreamReader;

async function openReader(path: string): Promise<{ reader: Reader; close(): Promise<void> }> {
  const handle = await openFileNamed(path);
  try {
    const reader = (await RecordBatchReader.from(handle)) as unknown as Reader;
    await reader.open();
    return { reader, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw new DataError(`not a readable Arrow IPC file or stream: ${(error as Error).message}`, {
      path,
      cause: error,
    });
  }
}

const isNumeric = (type: DataType) =>
  DataType.isInt(type) || DataType.isFloat(type) || DataType.isBool(type) || DataType.isDecimal(type);

/** A batch's column as one value per row (typed arrays where arrow has them). */
function columnValues(batch: RecordBatch, name: string): ArrayLike<unknown> {
  const vector = batch.getChild(name);
  if (!vector) throw new DataError(`record batch lacks column "${name}"`, { path: name });
  // toArray() drops the null bitmap for numbers (a null reads as 0): nulls go through get(), which gives null.
  return vector.nullCount > 0
    ? Array.from({ length: vector.length }, (_, i) => vector.get(i))
    : vector.toArray();
}

export async function openArrow(path: string): Promise<ColumnarFile> {
  const { reader, close } = await openReader(path);
  const randomAccess = reader.isFile();
  let columns: ColumnInfo[];
  // Neither format states batch lengths up front (a file's footer has only their offsets): one pass counts them.
  const chunkRows: number[] = [];
  try {
    columns = reader.schema.fields
      // Lists, structs and maps are not one value per row.
      .filter((field) => !((field.type.children?.length ?? 0) > 0))
      .map((field) => ({ name: field.name, numeric: isNumeric(field.type) }));
    for await (const batch of reader) chunkRows.push(batch.numRows);
  } catch (error) {
    throw error instanceof DataError
      ? error
      : new DataError(`cannot read Arrow record batches: ${(error as Error).message}`, {
          path,
          cause: error,
        });
  } finally {
    await close();
  }

  async function* readColumns(
    order: readonly number[],
    names: readonly string[],
  ): AsyncGenerator<ColumnChunk> {
    const opened = await openReader(path);
    try {
      if (randomAccess) {
        const file = opened.reader as AsyncRecordBatchFileReader;
        for (const index of order) {
          const batch = await file.readRecordBatch(index);
          if (!batch) throw new DataError(`record batch ${index} is missing`, { path });
          yield { index, rows: batch.numRows, columns: names.map((n) => columnValues(batch, n)) };
        }
      } else {
        // A stream reads front to back whatever the order asked (the shuffle buffer does the shuffling).
        let index = 0;
        for await (const batch of opened.reader) {
          yield { index, rows: batch.numRows, columns: names.map((n) => columnValues(batch, n)) };
          index++;
        }
      }
    } finally {
      await opened.close();
    }
  }
  return { path, format: 'Arrow', columns, chunkRows, randomAccess, readColumns };
}
